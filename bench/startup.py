"""Start-up: process start to the sign-in dialog's and the main window's first paint, against a
bare PySide6 window, and sign-in to the main window's first paint.

``python -m bench.startup`` runs only this part and replaces its section in docs/performance.md
(the rest of the page is left as the last ``make bench`` wrote it)."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HEADING = "## Start-up to first paint"


def _child_env() -> dict[str, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    # an installed program runs from compiled modules: let the children keep theirs, so no run
    # measures compiling a module edited since the last start (the first run of each kind warms up)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def first_paint(args: list[str], runs: int) -> list[float]:
    out = []
    env = _child_env()
    for _ in range(runs):
        env["ORDERCYCLE_BENCH_T0"] = repr(time.time())
        res = subprocess.run([sys.executable, str(HERE / "_first_paint.py"), *args], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            raise RuntimeError(f"first-paint child failed: {res.stderr[-800:]}")
        out.append(float(res.stdout.strip().splitlines()[-1]))
    return out


def sign_in_paint(db: Path, runs: int, user: str = "admin") -> tuple[list[float], list[float]]:
    """The real start (``app.main.main(["--db", DB])``): seconds from process start to the sign-in
    dialog's first paint, and from clicking "Sign in" (as soon as it is enabled) to the main
    window's first paint (bench/_sign_in_paint.py). Each run on a fresh workstation folder."""
    from app.demo import DEMO_PASSWORD

    dialog, main = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="ordercycle-startup-") as tmp:
            env = {**_child_env(), "ORDERCYCLE_CONFIG_DIR": str(Path(tmp) / "config"),
                   "ORDERCYCLE_LOG_DIR": str(Path(tmp) / "logs"), "ORDERCYCLE_BENCH_T0": repr(time.time())}
            res = subprocess.run([sys.executable, str(HERE / "_sign_in_paint.py"), str(db), user, DEMO_PASSWORD],
                                 env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            raise RuntimeError(f"sign-in child failed: {res.stderr[-800:]}")
        out = json.loads(res.stdout.strip().splitlines()[-1])
        if out["heavy"]:
            raise RuntimeError(f"imported before the sign-in dialog's first paint: {out['heavy']}")
        dialog.append(out["dialog"])
        main.append(out["main"])
    return dialog, main


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
    first_paint(["bare"], 1), first_paint(["app", str(db)], 1), sign_in_paint(db, 1)  # warm-up, not counted
    bare = first_paint(["bare"], runs)
    main = first_paint(["app", str(db)], runs)
    dialog, signed = sign_in_paint(db, runs)
    med_b, med_m = statistics.median(bare), statistics.median(main)
    med_d, med_s = statistics.median(dialog), statistics.median(signed)
    verdict = "meets" if med_m <= 0.5 else "MISSES"
    costs = [(what, import_cost(stmt)) for what, stmt in (
        ("`import PySide6.QtWidgets`", "import PySide6.QtWidgets"),
        ("`import sqlalchemy`", "import sqlalchemy"),
        ("`import sqlalchemy.orm`", "import sqlalchemy.orm"),
        ("`import app.models` (55 mapped tables, includes SQLAlchemy)", "import app.models"),
        ("`import app.views.tabs` + registry (Qt, the database layer and the models)",
         "import app.views.tabs as t; t.tab_registry()"),
    )]

    def row(what: str, xs: list[float]) -> str:
        return f"| {what} | {statistics.median(xs):.3f} s | {min(xs):.3f} s | {max(xs):.3f} s |"

    return [
        HEADING,
        "",
        f"Median of {runs} runs after one warm-up run of each (offscreen Qt; each child process keeps its "
        "compiled modules, as an installed program does).",
        "",
        "What a person sees — the real start (`python -m app --db DEMO`), on the demo database:",
        "",
        "| from → to | median | fastest | slowest | target |",
        "|---|---:|---:|---:|---|",
        f"{row('process start → sign-in dialog painted', dialog)} ≤ 2 × the bare window ({2 * med_b:.3f} s): "
        f"{'meets' if med_d <= 2 * med_b else '**misses**'} ({med_d / med_b:.1f} ×) |",
        f"{row('process start → bare PySide6 `QMainWindow` painted', bare)} |",
        f"{row('“Sign in” clicked → main window painted (scrypt check, main window, first tab)', signed)} "
        f"≤ 0.3 s: {'meets' if med_s <= 0.3 else '**misses**'} |",
        "",
        "The sign-in dialog paints before SQLAlchemy and the models are imported (the benchmark refuses a "
        "run where they were; a test holds it): they load on the worker that opens the database while the "
        "person types, and \"Sign in\" is enabled once it is open. \"Clicked\" is the moment it is "
        "enabled, so the database was just opened.",
        "",
        "Process start to the main window's first paint without the sign-in dialog (signed in as the "
        "administrator in code — the measurement `make installer-smoke` repeats with the bundle):",
        "",
        "| window | median | fastest | slowest |",
        "|---|---:|---:|---:|",
        f"| bare PySide6 `QMainWindow` | {med_b:.3f} s | {min(bare):.3f} s | {max(bare):.3f} s |",
        f"| OrderCycle main window on the demo database | {med_m:.3f} s | {min(main):.3f} s | {max(main):.3f} s |",
        "",
        f"Target ≤ 0.5 s: {verdict} it; OrderCycle adds {med_m - med_b:.3f} s to a bare window. This path "
        "needs the ORM before its window, which is why a person's start paints the sign-in dialog first.",
        "",
        "Where the time goes — a fresh interpreter importing (less an empty interpreter's start):",
        "",
        "| import | seconds |",
        "|---|---:|",
        *[f"| {what} | {sec:.3f} |" for what, sec in costs],
        "",
        "Already off the start-up path: Alembic, openpyxl, pyqtgraph, numpy and statsmodels; only the "
        "first tab is built; presence, polling and the daily backup start after the first paint; SQLAlchemy "
        "and the models load on the worker behind the painted sign-in dialog (before that change the "
        "dialog painted 1.0 s after process start, after the database was open).",
        "",
    ]


def replace_section(page: str, lines: list[str]) -> str:
    """``page`` with its start-up section (up to the next ``## `` heading) replaced by ``lines``."""
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## )", re.S | re.M)
    if not pattern.search(page):
        raise ValueError(f"no '{HEADING}' section followed by another in the page")
    return pattern.sub(lambda _m: "\n".join(lines) + "\n", page, count=1)


def main() -> None:
    runs = int(os.environ.get("ORDERCYCLE_BENCH_RUNS", "7"))
    from app import clock

    with tempfile.TemporaryDirectory(prefix="ordercycle-bench-") as tmp:
        lines = run(Path(tmp), runs=runs)
    lines[1:1] = ["", f"This section alone was measured by `python -m bench.startup` on {clock.today().isoformat()}; "
                      "the rest of the page by the last `make bench`."]
    out = ROOT / "docs" / "performance.md"
    out.write_text(replace_section(out.read_text(encoding="utf-8"), lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
