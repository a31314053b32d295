"""Saves per second and save latency with 1, 2 and 5 desks writing to one database at once.

Each desk is a separate process (forked from this one after the app is imported; every child opens
its own engine). A save is a realistic unit of work through ``Database.write``: the desk read an
order and one of its lines earlier (the versions it saw), then changes the line's quantity and the
order's totals with ``expected_version`` checks, so audit rows and the change feed are written too.
Each desk edits its own orders, so there are no conflicts by design: the numbers show what sharing
the write lock (SQLite) or the change-counter row (PostgreSQL) costs.

SQLite always; PostgreSQL too when ORDERCYCLE_BENCH_PG_URL is set (its public schema is dropped and
recreated first).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import multiprocessing
import os
import random
import statistics
import time
import traceback
from decimal import Decimal
from pathlib import Path
from typing import Any

WRITERS = (1, 2, 5)
SAVES_PER_PROCESS = 300
SECONDS_PER_RUN = 6.0  # each desk stops after 300 saves or this long, whichever comes first
ORDERS_PER_PROCESS = 20
LINES_PER_ORDER = 3
PG_ENV = "ORDERCYCLE_BENCH_PG_URL"


class _RetryCounter(logging.Handler):
    """Counts Database.write's "database busy, retry …" records: lock retries the user never saw."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("database busy"):
            self.count += 1


def _seed(url: str, processes: int) -> list[list[int]]:
    """Orders for each desk: ``ORDERS_PER_PROCESS`` orders of ``LINES_PER_ORDER`` lines each."""
    from app.db.open import open_database
    from app.db.uow import SYSTEM
    from app.models import Customer, Product, ProductFamily, SalesOrder, SalesOrderLine

    db = open_database(url)
    try:
        def run(uow):  # type: ignore[no-untyped-def]
            fam = uow.add(ProductFamily(code="BENCH", name="Bench"))
            cust = uow.add(Customer(code="BENCH", name="Bench Customer"))
            uow.flush()
            products = [uow.add(Product(sku=f"B-{i}", name=f"Bench {i}", family_id=fam.id,
                                        list_price=Decimal("50"), stock_on_hand=Decimal("1000")))
                        for i in range(5)]
            uow.flush()
            owned: list[list[int]] = []
            for p in range(processes):
                orders = []
                for k in range(ORDERS_PER_PROCESS):
                    o = SalesOrder(number=f"B{p}-{k}", customer_id=cust.id, order_date=dt.date(2026, 11, 2))
                    for i in range(LINES_PER_ORDER):
                        o.lines.append(SalesOrderLine(line_no=i + 1, product_id=products[i % 5].id,
                                                      quantity=Decimal("1"), list_price=Decimal("50"),
                                                      unit_price=Decimal("50")))
                    o.total_net = Decimal("50") * LINES_PER_ORDER
                    orders.append(uow.add(o))
                owned.append(orders)
            uow.flush()
            return [[o.id for o in orders] for orders in owned]

        return db.write(SYSTEM, run)
    finally:
        db.dispose()


def _desk(url: str, desk: int, order_ids: list[int], saves: int, seconds: float, barrier: Any, conn: Any) -> None:
    """One writing desk; sends (start, end, latencies, retries, errors) or a traceback through ``conn``."""
    try:
        from sqlalchemy import select

        from app.db.open import open_database
        from app.db.uow import Actor
        from app.models import SalesOrder, SalesOrderLine

        retries = _RetryCounter()
        logger = logging.getLogger("app.db.uow")
        logger.setLevel(logging.INFO)
        logger.propagate = False
        logger.addHandler(retries)
        db = open_database(url)
        actor = Actor(f"bench{desk}", "sales", f"Bench {desk}", workstation=f"bench-{desk}")
        rng = random.Random(desk)
        latencies: list[float] = []
        errors: list[str] = []
        barrier.wait(60)
        start = time.perf_counter()
        deadline = start + seconds
        for i in range(saves):
            if time.perf_counter() >= deadline:
                break
            oid = order_ids[i % len(order_ids)]
            with db.read() as s:  # what the desk showed the user
                o_ver = s.execute(select(SalesOrder.version).where(SalesOrder.id == oid)).scalar_one()
                line_id, l_ver = s.execute(select(SalesOrderLine.id, SalesOrderLine.version).where(
                    SalesOrderLine.order_id == oid, SalesOrderLine.line_no == 1 + i % LINES_PER_ORDER)).one()
            qty = Decimal(rng.randint(1, 20))

            def save(uow, oid=oid, o_ver=o_ver, line_id=line_id, l_ver=l_ver, qty=qty):  # type: ignore[no-untyped-def]
                order = uow.get(SalesOrder, oid, expected_version=o_ver)
                line = uow.get(SalesOrderLine, line_id, expected_version=l_ver)
                line.quantity = qty
                order.total_net = sum((ln.quantity * ln.unit_price for ln in order.lines), Decimal("0"))

            t0 = time.perf_counter()
            try:
                db.write(actor, save)
            except Exception as exc:  # noqa: BLE001 - counted and shown, the benchmark goes on
                errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            latencies.append(time.perf_counter() - t0)
        end = time.perf_counter()
        db.dispose()
        conn.send({"start": start, "end": end, "latencies": latencies, "retries": retries.count, "errors": errors})
    except BaseException:  # noqa: BLE001
        conn.send({"fatal": traceback.format_exc()[-2000:]})
    finally:
        conn.close()


def _measure(url: str, processes: int, saves: int, seconds: float) -> dict[str, Any]:
    owned = _seed(url, processes)
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(processes)
    procs, pipes = [], []
    try:
        for desk in range(processes):
            reader, writer = ctx.Pipe(duplex=False)
            p = ctx.Process(target=_desk, args=(url, desk, owned[desk], saves, seconds, barrier, writer), daemon=True)
            p.start()
            writer.close()
            procs.append(p)
            pipes.append(reader)
        reports = []
        deadline = time.monotonic() + 300
        for reader in pipes:
            if not reader.poll(max(0.0, deadline - time.monotonic())):
                raise RuntimeError("a benchmark desk did not finish in time")
            reports.append(reader.recv())
    finally:
        for p in procs:
            if p.is_alive():
                p.join(5)
            if p.is_alive():
                p.kill()
                p.join(5)
    fatal = [r["fatal"] for r in reports if "fatal" in r]
    if fatal:
        raise RuntimeError(f"benchmark desk failed:\n{fatal[0]}")
    lat = sorted(x for r in reports for x in r["latencies"])
    errors = [e for r in reports for e in r["errors"]]
    wall = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    return {
        "saves": len(lat),
        "ok": len(lat) - len(errors),
        "per_s": (len(lat) - len(errors)) / wall,
        "p50": statistics.median(lat) * 1000,
        "p95": lat[max(0, math.ceil(0.95 * len(lat)) - 1)] * 1000,  # nearest rank
        "max": lat[-1] * 1000,
        "retries": sum(r["retries"] for r in reports),
        "errors": errors,
    }


def _reset_pg(url: str) -> None:
    from sqlalchemy import create_engine, text

    from app.db.engine import to_url

    engine = create_engine(to_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def run(workdir: Path, saves: int = SAVES_PER_PROCESS, writers: tuple[int, ...] = WRITERS,
        seconds: float = SECONDS_PER_RUN) -> list[str]:
    import app.models  # noqa: F401 - imported once here, so every forked desk starts warm

    targets: list[tuple[str, Any]] = [("SQLite file", None)]
    pg_url = os.environ.get(PG_ENV)
    if pg_url:
        targets.append(("PostgreSQL", pg_url))
    rows, notes = [], []
    for label, url in targets:
        for n in writers:
            if url is None:
                db_url = str(workdir / f"saves-{n}.db")
            else:
                _reset_pg(url)
                db_url = url
            r = _measure(db_url, n, saves, seconds)
            rows.append(f"| {label} | {n} | {r['saves']:,} | {r['per_s']:.0f} | {r['p50']:.1f} ms | "
                        f"{r['p95']:.1f} ms | {r['max']:.0f} ms | {r['retries']} | {len(r['errors'])} |")
            if r["errors"]:
                notes.append(f"- {label}, {n} desks: first error: {r['errors'][0]}")
    if not pg_url:
        notes.append(f"- PostgreSQL not measured (set {PG_ENV} to a database whose schema may be dropped).")
    return [
        "## Saves with several desks writing at once",
        "",
        f"Separate processes (desks) writing to one database at the same time, each making {saves} saves "
        f"or saving for {seconds:g} s, whichever comes first. A save is one "
        "unit of work through `Database.write`: change an order line's quantity and the order's total, "
        "both with a version check against what the desk read before, plus the audit rows and the "
        "change feed. Each desk edits its own orders (no conflicts by design). Latency is the time of "
        "`Database.write` (the user's Save click), including waiting for the write lock; lock retries "
        "are `Database.write`'s own retries after \"database is locked\", which the user does not see. "
        "SQLite runs on a local disk with the share settings (rollback journal, `synchronous=FULL`, "
        "`BEGIN IMMEDIATE`); on a network share every save is slower.",
        "",
        "| database | desks writing | saves | saves/s | p50 | p95 | max | lock retries | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        *notes,
        *([""] if notes else []),
    ]
