"""Build the one-folder OrderCycle for this operating system: dist/OrderCycle/.

    make installer        # = .venv/bin/python installer/build.py (after pinning PyInstaller)

Collects the third-party licence texts first (resources/licenses/, from the installed
distributions), then runs PyInstaller on installer/ordercycle.spec. Writes build/installer-build.json
(build seconds, bundle size) for the smoke test. On Windows, compile installer/ordercycle.iss with
Inno Setup afterwards (see docs/admin-guide.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
BUNDLE = DIST / "OrderCycle"
RECORD = ROOT / "build" / "installer-build.json"


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> int:
    sys.path.insert(0, str(ROOT / "installer"))
    from collect_licenses import collect

    print(f"licences: {len(collect())} components written to resources/licenses/", flush=True)
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
                          "--distpath", str(DIST), "--workpath", str(ROOT / "build" / "pyinstaller"),
                          str(ROOT / "installer" / "ordercycle.spec")], cwd=ROOT)
    seconds = time.perf_counter() - t0
    if res.returncode != 0:
        print(f"installer: PyInstaller failed (exit {res.returncode})", file=sys.stderr)
        return res.returncode
    size = folder_bytes(BUNDLE)
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps({"build_seconds": round(seconds, 1), "bundle_bytes": size,
                                  "platform": sys.platform}, indent=1), encoding="utf-8")
    print(f"installer: {BUNDLE} built in {seconds:.0f} s, {size / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
