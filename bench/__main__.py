"""``make bench``: run every benchmark and write docs/performance.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import tempfile
from pathlib import Path

from bench import (demo_size, excel, gantt, installer, orders_list, planning, priorities, saves, schedule, startup,
                   keystrokes)

ROOT = Path(__file__).resolve().parents[1]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
            f"Python {platform.python_version()}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ordercycle-bench-") as tmp:
        work = Path(tmp)
        sections = []
        for mod in (startup, demo_size, saves, orders_list, keystrokes, planning, priorities, schedule, gantt, excel,
                    installer):
            print(f"running {mod.__name__} …", flush=True)
            sections.extend(mod.run(work))
    text = "\n".join([
        "# Performance",
        "",
        f"Written by `make bench` on {dt.date.today().isoformat()}: {machine()}.",
        "Numbers are wall-clock times on this machine; tests never assert timings.",
        "",
        *sections,
    ])
    out = ROOT / "docs" / "performance.md"
    out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
