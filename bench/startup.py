"""Start-up: process start to the main window's first paint, against a bare PySide6 window."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def first_paint(args: list[str], runs: int) -> list[float]:
    out = []
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    for _ in range(runs):
        env["ORDERCYCLE_BENCH_T0"] = repr(time.time())
        res = subprocess.run([sys.executable, str(HERE / "_first_paint.py"), *args], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            raise RuntimeError(f"first-paint child failed: {res.stderr[-800:]}")
        out.append(float(res.stdout.strip().splitlines()[-1]))
    return out


def import_cost(stmt: str, runs: int = 3) -> float:
    """Seconds a fresh interpreter takes to run ``stmt`` (median), less an empty interpreter's."""
    def once(code: str) -> float:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)
        return time.perf_counter() - t

    empty = statistics.median(once("pass") for _ in range(runs))
    return statistics.median(once(stmt) for _ in range(runs)) - empty


def run(workdir: Path, runs: int = 7) -> list[str]:
    db = workdir / "startup-demo.db"
    if not db.exists():
        subprocess.run([sys.executable, "-m", "app", "demo", "--db", str(db)], check=True, cwd=ROOT,
                       capture_output=True, timeout=600)
    bare = first_paint(["bare"], runs)
    main = first_paint(["app", str(db)], runs)
    med_b, med_m = statistics.median(bare), statistics.median(main)
    verdict = "meets" if med_m <= 0.5 else "MISSES"
    costs = [(what, import_cost(stmt)) for what, stmt in (
        ("`import PySide6.QtWidgets`", "import PySide6.QtWidgets"),
        ("`import sqlalchemy`", "import sqlalchemy"),
        ("`import sqlalchemy.orm`", "import sqlalchemy.orm"),
        ("`import app.models` (55 mapped tables, includes SQLAlchemy)", "import app.models"),
        ("`import app.views.tabs` + registry (Qt, the database layer and the models)",
         "import app.views.tabs as t; t.tab_registry()"),
    )]
    return [
        "## Start-up to first paint",
        "",
        f"Process start to the first paint event of the window, median of {runs} runs "
        "(offscreen Qt; sign-in dialog excluded — a person's typing is not start-up time).",
        "",
        "| window | median | fastest | slowest |",
        "|---|---:|---:|---:|",
        f"| bare PySide6 `QMainWindow` | {med_b:.3f} s | {min(bare):.3f} s | {max(bare):.3f} s |",
        f"| OrderCycle main window on the demo database | {med_m:.3f} s | {min(main):.3f} s | {max(main):.3f} s |",
        "",
        f"Target ≤ 0.5 s: {verdict} it; OrderCycle adds {med_m - med_b:.3f} s to a bare window.",
        "",
        "Where the time goes — a fresh interpreter importing (less an empty interpreter's start):",
        "",
        "| import | seconds |",
        "|---|---:|",
        *[f"| {what} | {sec:.3f} |" for what, sec in costs],
        "",
        "SQLAlchemy and the model declarations alone cost more than the 0.5 s budget on this machine, "
        "so the target cannot be met while the first window needs the ORM. Already done: Alembic, "
        "openpyxl, pyqtgraph, numpy and statsmodels are off the start-up path; only the first tab is "
        "built; presence, polling and the daily backup start after the first paint. The way to the "
        "target is to paint the window (and the sign-in dialog) before SQLAlchemy is imported, opening "
        "the database on a worker thread meanwhile.",
        "",
    ]
