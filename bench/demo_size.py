"""How long building a demo company takes: the default one, and a large firm for benchmarks."""

from __future__ import annotations

import os
import time
from pathlib import Path

SIZES = [None, 100_000]


def run(workdir: Path) -> list[str]:
    from app.db.open import open_database
    from app.demo import build_demo

    rows = []
    for orders in SIZES:
        path = workdir / f"demo-{orders or 'default'}.db"
        t0 = time.perf_counter()
        db = open_database(path)
        summary = build_demo(db) if orders is None else build_demo(db, orders=orders)
        db.dispose()
        elapsed = time.perf_counter() - t0
        size_mb = os.path.getsize(path) / 1e6
        rows.append(f"| {orders or 'default'} | {summary.orders:,} | {summary.open_orders:,} | "
                    f"{elapsed:.1f} s | {size_mb:.0f} MB |")
    return [
        "## Demo company generation (`ordercycle demo`)",
        "",
        "SQLite file, bulk inserts through SQLAlchemy Core in one transaction "
        "(target: 100,000 orders in under a minute).",
        "",
        "| --orders | orders | open | time | file size |",
        "|---|---:|---:|---:|---:|",
        *rows,
        "",
    ]
