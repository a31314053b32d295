"""The bundled application (issue 11): size and start-up to first paint, from ``make installer-smoke``.

Building the bundle takes minutes, so ``make bench`` does not build it: it reports the last smoke
run's record (installer/smoke-result.json, written by installer/smoke.py) with its date.
"""

from __future__ import annotations

import json
from pathlib import Path

RESULT = Path(__file__).resolve().parents[1] / "installer" / "smoke-result.json"


def run(workdir: Path) -> list[str]:
    head = ["## Bundled application (`make installer-smoke`)", ""]
    try:
        r = json.loads(RESULT.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return head + ["Not measured yet: run `make installer-smoke` (builds the PyInstaller bundle, a few minutes), "
                       "then `make bench`.", ""]
    runs = r.get("first_paint_runs") or []
    paint = (f"{r['first_paint_median_s']:.3f} s (median of {len(runs)}; fastest {min(runs):.3f} s, "
             f"slowest {max(runs):.3f} s)" if runs else "not measured")
    build = f"{r['build_seconds']:.0f} s" if r.get("build_seconds") else "not recorded"
    return head + [
        f"Measured {r.get('date', '?')} on {r.get('machine', '?')} with PyInstaller {r.get('pyinstaller', '?')}; "
        f"smoke test {'passed' if r.get('passed') else 'FAILED'} (every tab rendered by the bundled executable: "
        f"{len(r.get('screenshots', []))} screenshots).",
        "",
        "| what | value |",
        "|---|---:|",
        f"| one-folder bundle (`dist/OrderCycle`) | {r['bundle_mb']:.0f} MB in {r.get('bundle_files', '?')} files |",
        f"| build time (`make installer`, PyInstaller `--clean`) | {build} |",
        f"| bundled start-up to the main window's first paint | {paint} |",
        "",
        "First paint is measured as in \"Start-up to first paint\" above (offscreen, sign-in excluded), but "
        "with the bundled executable (`OrderCycle --bench-first-paint DB`): it includes the bootloader and "
        "reading the modules from the bundle's archive instead of the virtualenv's files.",
        "",
    ]
