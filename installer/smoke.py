"""``make installer-smoke``: run the freshly built Linux bundle the way a workstation would.

With the BUNDLED executable (dist/OrderCycle/OrderCycle), offscreen, in a throw-away home:
  1. ``--version``;
  2. ``demo --db DB`` — a fresh demo company (creates the schema: Alembic and its scripts bundled);
  3. ``screenshots --db DB --out DIR`` — renders the main window and every tab (the lazily imported
     tabs, pyqtgraph, statsmodels, numpy and OR-Tools must all have been bundled);
  4. ``--smoke-engines`` — a statsmodels baseline, the OR-Tools improve step in its *spawned*
     process (freeze_support), openpyxl and pyqtgraph: the lazily imported engines really work;
  5. ``db check`` and ``db upgrade`` on a copy whose schema is from a newer OrderCycle — must refuse, file unchanged;
  6. start-up to first paint of the main window (``--bench-first-paint``, the same measurement as
     bench/startup.py), median of several runs.
Exits 0 only if all pass. Writes installer/smoke-result.json, which ``make bench`` reports in
docs/performance.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "dist" / "OrderCycle"
EXE = BUNDLE / ("OrderCycle.exe" if sys.platform == "win32" else "OrderCycle")
RESULT = ROOT / "installer" / "smoke-result.json"
BUILD_RECORD = ROOT / "build" / "installer-build.json"
RUNS = 5


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> int:
    if not EXE.exists():
        print(f"smoke: {EXE} missing: run `make installer` first", file=sys.stderr)
        return 1
    sys.path.insert(0, str(ROOT))
    from app.views.tabs import TABS

    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ordercycle-smoke-") as tmp:
        work = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        env.update({"QT_QPA_PLATFORM": "offscreen", "HOME": str(work / "home"),
                    "ORDERCYCLE_CONFIG_DIR": str(work / "config"), "ORDERCYCLE_DATA_DIR": str(work / "data"),
                    "ORDERCYCLE_LOG_DIR": str(work / "log")})
        xdg = work / "xdg"
        xdg.mkdir(mode=0o700)
        env["XDG_RUNTIME_DIR"] = str(xdg)

        def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
            t = time.perf_counter()
            res = subprocess.run([str(EXE), *args], env=env, cwd=work, capture_output=True, text=True, timeout=timeout)
            print(f"smoke: {EXE.name} {' '.join(args)} -> exit {res.returncode} in {time.perf_counter() - t:.1f} s",
                  flush=True)
            return res

        res = run("--version")
        if res.returncode != 0 or "OrderCycle" not in res.stdout + res.stderr:
            failures.append(f"--version: {res.stdout}{res.stderr}")
        db = work / "demo.db"
        res = run("demo", "--db", str(db))
        if res.returncode != 0:
            failures.append(f"demo: {res.stderr[-2000:]}")
        shots = work / "shots"
        res = run("screenshots", "--db", str(db), "--out", str(shots))
        pngs = sorted(shots.glob("*.png")) if shots.is_dir() else []
        if res.returncode != 0:
            failures.append(f"screenshots: {res.stderr[-3000:]}")
        bad = [p.name for p in pngs if p.stat().st_size < 2000]
        if len(pngs) < len(TABS) or bad:
            failures.append(f"screenshots: {len(pngs)} files for {len(TABS)} tabs; too small: {bad}")
        for line in res.stderr.splitlines():
            if "Traceback" in line or "ModuleNotFoundError" in line or "ImportError" in line:
                failures.append(f"screenshots printed: {line}")
        res = run("--smoke-engines")
        if res.returncode != 0:
            failures.append(f"--smoke-engines: {res.stdout[-1000:]}{res.stderr[-2000:]}")
        # an older desk meeting a database upgraded by a newer OrderCycle: refuse, never write
        newer = work / "newer" / "ordercycle.db"
        newer.parent.mkdir()
        shutil.copy2(db, newer)
        con = sqlite3.connect(newer)
        con.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
        con.commit()
        con.close()
        digest = hashlib.sha256(newer.read_bytes()).hexdigest()
        for args in (("db", "check", "--db", str(newer)), ("db", "upgrade", "--db", str(newer))):
            res = run(*args)
            if res.returncode != 1 or "newer" not in res.stderr:
                failures.append(f"{' '.join(args[:2])} on a newer database: exit {res.returncode} {res.stderr[-500:]}")
        if (hashlib.sha256(newer.read_bytes()).hexdigest() != digest
                or sorted(p.name for p in newer.parent.iterdir()) != [newer.name]):
            failures.append("the newer database or its folder was changed")
        paints = []
        for _ in range(RUNS):
            env["ORDERCYCLE_BENCH_T0"] = repr(time.time())
            res = subprocess.run([str(EXE), "--bench-first-paint", str(db)], env=env, cwd=work, capture_output=True,
                                 text=True, timeout=120)
            try:
                paints.append(float(res.stdout.strip().splitlines()[-1]))
            except (ValueError, IndexError):
                failures.append(f"first paint: exit {res.returncode} {res.stderr[-800:]}")
                break
        if paints:
            print(f"smoke: first paint {', '.join(f'{p:.3f}' for p in paints)} s", flush=True)
        kept = ROOT / "build" / "installer-smoke-shots"
        shutil.rmtree(kept, ignore_errors=True)
        if pngs:
            shutil.copytree(shots, kept)

    size = folder_bytes(BUNDLE)
    record = json.loads(BUILD_RECORD.read_text()) if BUILD_RECORD.exists() else {}
    result = {
        "date": dt.date.today().isoformat(),
        "machine": (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
                    f"Python {platform.python_version()}"),
        "pyinstaller": _pyinstaller_version(),
        "bundle_mb": round(size / 1e6, 1),
        "bundle_files": sum(1 for p in BUNDLE.rglob("*") if p.is_file()),
        "build_seconds": record.get("build_seconds"),
        "first_paint_runs": [round(p, 3) for p in paints],
        "first_paint_median_s": round(statistics.median(paints), 3) if paints else None,
        "screenshots": [p.name for p in pngs],
        "passed": not failures,
    }
    RESULT.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))
    if failures:
        print("smoke: FAILED\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print(f"smoke: passed — {size / 1e6:.0f} MB, first paint {result['first_paint_median_s']} s "
          f"(median of {len(paints)})")
    return 0


def _pyinstaller_version() -> str:
    try:
        import PyInstaller

        return PyInstaller.__version__
    except ImportError:
        return ""


if __name__ == "__main__":
    raise SystemExit(main())
