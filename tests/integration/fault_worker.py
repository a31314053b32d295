"""Code that runs in the child processes of ``test_faults.py``.

The parent imports the app, then forks (``multiprocessing`` "fork" context), so a child starts in a
few milliseconds with everything imported. A child never uses a connection of its parent: it opens
its own engine with ``open_database`` (the parent disposes its engines before forking).

Two kinds of child:

- ``contention_worker``: a desk that reads a product at some version, then saves "what the user
  typed" (the stock it saw + 1) through ``Database.write`` with ``expected_version``. It reports
  every save as applied, conflict, locked or error through a pipe.
- ``order_writer``: writes orders (header + N lines, N encoded in the order number, and reserves the
  quantities on the products) in an endless loop until the parent SIGKILLs it. It publishes in
  shared memory where it is (outside a transaction, inside one, COMMIT in flight, committed) and how
  many orders ``Database.write`` has acknowledged, so the parent knows where each kill landed.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import time
import traceback
from decimal import Decimal
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.db.open import open_database
from app.db.uow import Actor
from app.errors import ConflictError, DatabaseError, DatabaseLocked
from app.models import Product, SalesOrder, SalesOrderLine

# --- shared-state slots of the order writer (a multiprocessing RawArray of int64) ----------------
READY, PHASE, ACKED = 0, 1, 2
STATE_SLOTS = 3
# phases
OUTSIDE, IN_TX, COMMITTING, COMMITTED = 0, 1, 2, 3
PHASE_NAMES = {OUTSIDE: "outside a transaction", IN_TX: "inside a write transaction (before COMMIT)",
               COMMITTING: "COMMIT in flight", COMMITTED: "committed, not yet acknowledged"}


class RetryCounter(logging.Handler):
    """Counts Database.write's "database busy, retry …" log records (its lock retries)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("database busy"):
            self.count += 1


def count_lock_retries() -> RetryCounter:
    handler = RetryCounter()
    logger = logging.getLogger("app.db.uow")
    logger.setLevel(logging.INFO)
    logger.propagate = False  # a child process: keep the parent's captured output quiet
    logger.addHandler(handler)
    return handler


def _is_lock(exc: BaseException) -> bool:
    if isinstance(exc, (DatabaseLocked, OperationalError)):
        return True
    text = str(exc).lower()
    return isinstance(exc, DatabaseError) and ("locked" in text or "busy" in text)


# --- contention ----------------------------------------------------------------------------------

def contention_worker(url: str, worker: int, product_ids: list[int], saves: int, seed: int,
                      think_s: float, barrier: Any, conn: Any) -> None:
    """``saves`` read-then-save cycles on randomly chosen products; sends a report through ``conn``."""
    report: dict[str, Any] = {"worker": worker, "pid": os.getpid(), "saves": [], "errors": [],
                              "lock_retries": 0, "fatal": None}
    db = None
    try:
        retries = count_lock_retries()
        db = open_database(url)
        actor = Actor(f"desk{worker}", "sales", f"Desk {worker}", workstation=f"desk-{worker}")
        rng = random.Random(seed)
        barrier.wait(30)
        for _ in range(saves):
            pid = rng.choice(product_ids)
            t0 = time.perf_counter()
            try:
                # what the user saw when the form opened: one read transaction, then released
                with db.read() as s:
                    version, seen = s.execute(
                        select(Product.version, Product.stock_on_hand).where(Product.id == pid)).one()
                if think_s:
                    time.sleep(rng.uniform(0, think_s))

                def save(uow, pid=pid, version=version, seen=seen):  # type: ignore[no-untyped-def]
                    p = uow.get(Product, pid, expected_version=version)
                    p.stock_on_hand = seen + 1  # what the user typed, based on what they saw

                t0 = time.perf_counter()
                db.write(actor, save)
                outcome = "applied"
            except ConflictError as exc:
                outcome = "conflict_at_flush" if isinstance(exc.__cause__, StaleDataError) else "conflict"
            except Exception as exc:  # noqa: BLE001 - everything else is reported to the parent
                outcome = "locked" if _is_lock(exc) else "error"
                report["errors"].append(f"{type(exc).__name__}: {exc}"[:300])
            report["saves"].append((pid, outcome, time.perf_counter() - t0))
        report["lock_retries"] = retries.count
    except BaseException:  # noqa: BLE001
        report["fatal"] = traceback.format_exc()[-3000:]
    finally:
        try:
            conn.send(report)
        finally:
            conn.close()
            if db is not None:
                db.dispose()


# --- kill mid-commit ------------------------------------------------------------------------------

def order_number(run: int, seq: int, lines: int) -> str:
    return f"K{run:03d}-{seq:05d}-L{lines}"


def lines_in(number: str) -> int:
    return int(number.rsplit("-L", 1)[1])


def run_of(number: str) -> int:
    return int(number[1:4])


def _track_phases(db: Any, state: Any) -> None:
    def on_begin(_conn):  # type: ignore[no-untyped-def]
        state[PHASE] = IN_TX

    def on_commit(_conn):  # type: ignore[no-untyped-def]
        state[PHASE] = COMMITTING  # fires just before the DBAPI commit (the fsyncs)

    def after_commit(_session):  # type: ignore[no-untyped-def]
        state[PHASE] = COMMITTED

    def on_rollback(_conn):  # type: ignore[no-untyped-def]
        if state[PHASE] == IN_TX:
            state[PHASE] = OUTSIDE

    event.listen(db.engine, "begin", on_begin)
    event.listen(db.engine, "commit", on_commit)
    event.listen(db.engine, "rollback", on_rollback)
    event.listen(Session, "after_commit", after_commit)  # this process only: it is a fork child


def order_writer(path: str, run: int, product_ids: list[int], customer_id: int, state: Any,
                 error_file: str) -> None:
    """Write orders until killed. Exits with code 3 (and a traceback in ``error_file``) on any error."""
    try:
        db = open_database(path)
        _track_phases(db, state)
        rng = random.Random(run * 1_000_003 + os.getpid())
        actor = Actor("writer", "sales", "Kill Test", workstation=f"run-{run}")
        seq = 0

        def write_one() -> None:
            nonlocal seq
            seq += 1
            n = rng.randint(1, 9)
            picks = [(rng.choice(product_ids), Decimal(rng.randint(1, 5)), Decimal(rng.randint(10, 500)))
                     for _ in range(n)]
            number = order_number(run, seq, n)

            def save(uow):  # type: ignore[no-untyped-def]
                order = SalesOrder(number=number, customer_id=customer_id, order_date=dt.date(2026, 11, 2))
                total = Decimal("0")
                for i, (pid, qty, price) in enumerate(picks, start=1):
                    order.lines.append(SalesOrderLine(line_no=i, product_id=pid, quantity=qty,
                                                      list_price=price, unit_price=price))
                    total += qty * price
                    product = uow.get(Product, pid)
                    product.stock_reserved = product.stock_reserved + qty
                order.total_net = total
                uow.add(order)

            db.write(actor, save)
            state[ACKED] = seq  # first the count, then the phase: never "outside" with a stale count
            state[PHASE] = OUTSIDE

        state[READY] = 1
        while True:
            write_one()
    except BaseException:  # noqa: BLE001
        with open(error_file, "w", encoding="utf-8") as fh:
            fh.write(traceback.format_exc())
        state[READY] = -1
        os._exit(3)
