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


def run(workdir: Path, runs: int = 7) -> list[str]:
    db = workdir / "startup-demo.db"
    if not db.exists():
        subprocess.run([sys.executable, "-m", "app", "demo", "--db", str(db)], check=True, cwd=ROOT,
                       capture_output=True, timeout=600)
    bare = first_paint(["bare"], runs)
    main = first_paint(["app", str(db)], runs)
    med_b, med_m = statistics.median(bare), statistics.median(main)
    verdict = "meets" if med_m <= 0.5 else "MISSES"
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
        f"Target ≤ 0.5 s: {verdict} it; OrderCycle adds {med_m - med_b:.3f} s to a bare window "
        "(SQLAlchemy, the models, opening and checking the database, the overview query).",
        "",
    ]
