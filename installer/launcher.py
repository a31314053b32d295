"""The bundled program's entry point (PyInstaller runs this file as ``__main__``).

Three things the plain ``python -m app`` does not need:

* ``multiprocessing.freeze_support()`` — the schedule's improve step runs OR-Tools in a *spawned*
  process; in a frozen program that child is this executable again and must not start the GUI.
* the administrator's preset: an installer may leave ``workstation-preset.json`` beside the
  executable (``{"database": "\\\\server\\orders\\ordercycle.db"}``, written by the Windows setup's
  ``/DB=`` switch or by ``install.sh --db``). On a user's first start at this workstation (no
  ``workstation.json`` of their own yet) it becomes that user's workstation setting — the same
  JSON file File → Open database… writes — so every user of the machine starts on the share. If
  the user's settings folder cannot be written, the preset is passed as ``--db`` instead, every
  time, and OrderCycle says that it cannot remember settings.
* ``--bench-first-paint DB`` — used by ``make installer-smoke`` to time the bundled program from
  process start to the main window's first paint (the same measurement as bench/startup.py).
* ``--smoke-engines`` — used by ``make installer-smoke``: runs what is imported lazily and whose
  absence the program would otherwise survive quietly (a statsmodels baseline, the OR-Tools
  improve step in its spawned process, an openpyxl workbook, a pyqtgraph plot); exit 0 if all work.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
from pathlib import Path

PRESET_NAME = "workstation-preset.json"


def install_dir() -> Path:
    """The folder of the executable (frozen) or of this file (tests)."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parent


def read_preset(folder: Path) -> dict[str, object]:
    try:
        raw = json.loads((folder / PRESET_NAME).read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def apply_preset(argv: list[str], folder: Path) -> list[str]:
    """The command line to run, after applying the administrator's preset for a plain start."""
    if argv:  # a subcommand or an explicit --db: the preset does not apply
        return argv
    preset = read_preset(folder)
    database = preset.get("database")
    if not isinstance(database, str) or not database.strip():
        return argv
    from app.config import WorkstationSettings

    if WorkstationSettings.path().exists():
        return argv  # this user has settings of their own (maybe a database they chose)
    settings = WorkstationSettings()
    settings.database = database.strip()
    backup = preset.get("backup_dir")
    if isinstance(backup, str):
        settings.backup_dir = backup.strip()
    try:
        settings.save()
    except OSError:
        return ["--db", settings.database]
    return argv


def smoke_engines() -> int:
    """Exercise the lazily imported engines inside the bundle; print one line each."""
    import io
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import statsmodels.tsa.holtwinters  # noqa: F401  (the baseline falls back quietly without it)

    from app.services.baseline import fit_baseline

    history = [100 + 20 * ((m % 12) in (10, 11)) + m for m in range(36)]
    fit = fit_baseline(history, 6)
    print(f"baseline: {fit}"[:200], flush=True)

    from app.scheduling.cpsat import improve_in_process
    from app.scheduling.instances import generate
    from app.scheduling.rules import dispatch

    problem = generate(orders=12, ops=3, machines=3, seed=5, staff=False, calendars=False)
    seed = dispatch(problem, "mwkr")
    solution = improve_in_process(problem, seed, seconds=2)
    if "error" in solution.stats:
        print(f"improve step failed: {solution.stats['error']}", file=sys.stderr)
        return 1
    print(f"improve step (spawned process): objective {seed.objective} -> {solution.objective}", flush=True)

    from openpyxl import Workbook, load_workbook

    book, buf = Workbook(), io.BytesIO()
    book.active.append(["ok", 1])
    book.save(buf)
    buf.seek(0)
    print(f"openpyxl: {load_workbook(buf).active['A1'].value}", flush=True)

    from PySide6.QtWidgets import QApplication

    _app = QApplication.instance() or QApplication([])
    import pyqtgraph as pg

    plot = pg.PlotWidget()
    plot.plot([1, 2, 3], [3, 1, 2])
    print(f"pyqtgraph {pg.__version__}: {plot.grab().width()} px", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    multiprocessing.freeze_support()
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--bench-first-paint"] and len(args) == 2:
        sys.argv = [sys.argv[0], "app", args[1]]
        import _first_paint  # noqa: F401  (bench/_first_paint.py, bundled; it runs and exits)

        return 0
    if args == ["--smoke-engines"]:
        return smoke_engines()
    from app.main import main as app_main

    return app_main(apply_preset(args, install_dir()))


if __name__ == "__main__":
    raise SystemExit(main())
