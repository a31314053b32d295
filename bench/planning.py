"""Planning board at 500 products × 12 months, and statistical baselines for 500 products with
36 months of history each (issue 5: the board opens in ≤ 1 s; baseline time reported)."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 11, 26)
PRODUCTS = 500

CHILD = r"""
import datetime as dt, json, os, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtWidgets import QApplication
from sqlalchemy.orm import configure_mappers
from app.db.open import open_database
from app.db.uow import Actor
from app.desk import Desk
from app.services import baseline, planning
app = QApplication([])
db = open_database(sys.argv[1], check=False)
configure_mappers()  # done at sign-in in the app
actor = Actor("marketing", "marketing", "Bench", 3)
today = dt.date(2026, 11, 26)
out = {}
t = time.perf_counter(); b = planning.board(db, actor, today=today); out["board_query"] = time.perf_counter() - t
out["products"] = len(b.rows)
from app.views.planning.tab import PlanningTab
from bench.paint import time_to_first_paint
tab, out["tab_first_paint"] = time_to_first_paint(lambda: PlanningTab(Desk(db, actor)),
                                                  lambda w: w.table.viewport(), (1400, 860))
t = time.perf_counter()
res = baseline.compute_baselines(db, actor, today=today)
out["baselines"] = time.perf_counter() - t
out["baseline_products"] = len(res.products)
methods = {}
for p in res.products:
    methods[p.method] = methods.get(p.method, 0) + 1
out["methods"] = methods
out["beat_naive"] = sum(1 for p in res.products if p.method != "seasonal naive")
print(json.dumps(out))
"""


def build(path: Path) -> None:
    subprocess.run([sys.executable, "-m", "app", "demo", "--db", str(path), "--today", TODAY.isoformat()],
                   check=True, cwd=ROOT, capture_output=True, timeout=600)
    con = sqlite3.connect(path)
    rng = random.Random(5)
    cols = [r[1] for r in con.execute("PRAGMA table_info(product)") if r[1] not in ("id", "sku")]
    have = con.execute("SELECT count(*), max(id) FROM product").fetchone()
    n, top = have
    base_ids = [r[0] for r in con.execute("SELECT id FROM product ORDER BY id")]
    k = 0
    while n < PRODUCTS:
        src = base_ids[k % len(base_ids)]
        k += 1
        new_id = top + k
        con.execute(f"INSERT INTO product (id, sku, {', '.join(cols)}) SELECT {new_id}, sku || '-B{k}', "
                    f"{', '.join(cols)} FROM product WHERE id = {src}")
        n += 1
    ids = [r[0] for r in con.execute("SELECT id FROM product")]
    con.execute("DELETE FROM demand_history")
    months = [dt.date(2023 + (10 + i) // 12, (10 + i) % 12 + 1, 1) for i in range(36)]  # Nov 2023 .. Oct 2026
    rows = []
    for pid in ids:
        level = rng.uniform(5, 200)
        season = [1 + 0.3 * __import__("math").sin(2 * 3.14159 * (m.month - 3) / 12) for m in months]
        for m, s in zip(months, season, strict=True):
            rows.append((pid, m.isoformat(), round(max(0.0, level * s * rng.uniform(0.8, 1.2)), 3), 0))
    con.executemany("INSERT INTO demand_history (product_id, period_start, quantity, revenue) VALUES (?,?,?,?)", rows)
    con.commit()
    con.close()


def run(workdir: Path) -> list[str]:
    db = workdir / "planning-500.db"
    t = time.perf_counter()
    if not db.exists():
        build(db)
    built = time.perf_counter() - t
    res = subprocess.run([sys.executable, "-c", CHILD, str(db)], cwd=ROOT, capture_output=True, text=True,
                         timeout=3600, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-2000:])
    m = json.loads(res.stdout.strip().splitlines()[-1])
    methods = ", ".join(f"{k}: {v}" for k, v in sorted(m["methods"].items(), key=lambda kv: -kv[1]))
    return [
        "## Planning board",
        "",
        f"{m['products']} products × 12 months (the demo's 40 products copied to 500, 36 months of seasonal "
        f"history each; built in {built:.0f} s).",
        "",
        "| what | time | target |",
        "|---|---:|---|",
        f"| board query (`planning.board`) | {m['board_query'] * 1000:,.0f} ms | |",
        f"| planning tab: construction to first paint of the board (the other pages compute when shown) | "
        f"{m['tab_first_paint'] * 1000:,.0f} ms | ≤ 1 s: {'meets' if m['tab_first_paint'] <= 1 else '**misses**'} |",
        f"| statistical baselines, {m['baseline_products']} products × 36 months (backtest per product) | "
        f"{m['baselines']:.1f} s | reported |",
        "",
        f"Methods chosen by backtest: {methods}; {m['beat_naive']} of {m['baseline_products']} beat the "
        "seasonal-naive benchmark.",
        "",
    ]


if __name__ == "__main__":
    import tempfile

    keep = Path(os.environ.get("ORDERCYCLE_BENCH_DIR") or tempfile.mkdtemp())
    print("\n".join(run(keep)))
