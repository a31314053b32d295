"""Building the demo company: every row in memory (``build_rows``), into an empty database
(``build_demo``), or into a new file, all or nothing (``build_demo_file``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import update

from app import clock
from app.db.engine import write_engine
from app.db.uow import Database
from app.demo.firm import DEMO_PASSWORD
from app.demo.load import _announce, _has_data, _insert_all, _reset_pg_sequences
from app.demo.orders import _Orders
from app.demo.planning import _Planning
from app.demo.reference import _Reference
from app.demo.rows import OPEN_STATUSES, SO
from app.demo.specs import _Specs
from app.demo.stories import _Stories
from app.errors import UserError, ValidationError
from app.models import NumberSequence

log = logging.getLogger(__name__)
DEFAULT_HISTORY_ORDERS = 760
MIN_ORDERS = 100


@dataclass(frozen=True)
class DemoSummary:
    products: int
    customers: int
    orders: int
    open_orders: int
    users: int
    seconds: float


class _Builder(_Reference, _Specs, _Orders, _Planning, _Stories):
    """The demo company's rows, built part by part (see ``build_rows``)."""

    def sequences(self) -> dict[str, int]:
        return {"order": self.seq["order"] + 1, "quote": self.seq["quote"] + 1,
                "invoice": len(self.rows["invoice"]) + 1, "credit_note": self.n_credit + 1,
                "shipment": len(self.rows["shipment"]) + 1, "pick_list": len(self.rows["pick_list"]) + 1,
                "rma": self.n_rma + 1, "service_job": self.n_jobs + 1}


def _iter_progress(progress: Callable[[float], None] | None) -> Callable[[float], None] | None:
    if progress is None:
        return None
    last = [-1.0]

    def report(fraction: float) -> None:
        fraction = max(0.0, min(1.0, fraction))
        if fraction - last[0] >= 0.01 or fraction >= 1.0:
            last[0] = fraction
            progress(fraction)

    return report


def build_rows(today: dt.date, *, orders: int | None = None, seed: int = 7, password_hash: str = "-",
               progress: Callable[[float], None] | None = None,
               phase: Callable[[str], None] | None = None) -> _Builder:
    """Every row of the demo company as of ``today``, in memory (no database): the reference data,
    order history, open orders, planning data and the stories. ``build_demo`` inserts them; the
    tests build them for every day of two years and check them against the schema's rules."""
    b = _Builder(seed, today)
    b.build_reference(password_hash)
    open_specs = b.open_specs()
    pinned = b.pinned_history_specs()
    n_hist = (orders - len(open_specs) - len(pinned)) if orders is not None else DEFAULT_HISTORY_ORDERS
    specs = b.history_specs(n_hist) + pinned + open_specs
    if phase:
        phase("specs")
    if progress:
        progress(0.1)
    b.materialize(specs, progress)
    if phase:
        phase("orders")
    b.stock_and_planning()
    b.stories()
    if phase:
        phase("planning+stories")
    return b


def _demo_password_hash(seed: int) -> str:
    """The demo users' password hash (``DEMO_PASSWORD``, scrypt as ``auth.hash_password`` writes it)
    with a salt made from the seed, not a random one: the audit chain records a digest of each
    user's hash, and the same seed and day must give the same database, chain included."""
    import base64
    import hashlib

    from app.services.auth import SCRYPT_P, SCRYPT_R

    n = 2**14
    salt = hashlib.sha256(f"OrderCycle demo company, seed {seed}".encode()).digest()[:16]
    digest = hashlib.scrypt(DEMO_PASSWORD.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def build_demo(db: Database, *, orders: int | None = None, seed: int = 7,
               progress: Callable[[float], None] | None = None) -> DemoSummary:
    """Fill an empty, freshly migrated database with the demo company as of the firm clock's today
    (``clock.pinned(day)`` builds it as of another day). Deterministic for (seed, today).

    ``orders`` is the total number of sales orders, history and open (at least 100); by default
    about 820. ``progress`` gets fractions 0..1 now and then. Raises UserError if the database
    already has users or products.
    """
    started = time.perf_counter()
    if orders is not None and orders < MIN_ORDERS:
        raise ValidationError(f"the demo company needs at least {MIN_ORDERS:,} orders", field="orders")
    today = clock.today()
    report = _iter_progress(progress)
    refusal = "The database already has data; choose a new file for the demo company."
    with db.engine.connect() as conn:
        busy = _has_data(conn)
        conn.rollback()
    if busy:
        raise UserError(refusal)
    if report:
        report(0.0)
    phases: list[tuple[str, float]] = []

    def phase(name: str) -> None:
        phases.append((name, time.perf_counter()))

    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of fresh rows: the cyclic collector would rescan them over and over
    try:
        b = build_rows(today, orders=orders, seed=seed, password_hash=_demo_password_hash(seed),
                       progress=report, phase=phase)
        if report:
            report(0.6)
        with write_engine(db.engine).connect() as conn:
            cache_size = None
            if conn.dialect.name == "sqlite":  # a big page cache for the load, put back afterwards
                cache_size = conn.exec_driver_sql("PRAGMA cache_size").scalar()
                conn.exec_driver_sql("PRAGMA cache_size = -262144")
                conn.commit()
            try:
                with conn.begin():
                    if _has_data(conn):  # someone filled it meanwhile
                        raise UserError(refusal)
                    _insert_all(conn, b.rows, b.now_ts, report)
                    for name, next_value in b.sequences().items():
                        conn.execute(update(NumberSequence).where(NumberSequence.name == name)
                                     .values(next_value=next_value))
                    _announce(conn, b)
                    if conn.dialect.name == "postgresql":
                        _reset_pg_sequences(conn)
                    # written without the unit of work: record the protected rows' state on the audit chain
                    from app.db import audit_chain

                    audit_chain.seal(conn, at=b.now_ts)
            finally:
                if cache_size is not None:
                    conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache_size)}")
                    conn.commit()
        phase("insert+commit")
        n_open = sum(1 for o in b.rows["sales_order"] if o[SO["status"]] in OPEN_STATUSES)
        summary = DemoSummary(products=len(b.rows["product"]), customers=len(b.rows["customer"]),
                              orders=len(b.rows["sales_order"]), open_orders=n_open,
                              users=len(b.rows["app_user"]), seconds=0.0)
        del b
        phase("free")
    finally:
        if gc_was_enabled:
            gc.enable()
    last = started
    for name, at in phases:
        log.info("demo %s: %.2f s", name, at - last)
        last = at
    if report:
        report(1.0)
    return dataclasses.replace(summary, seconds=round(time.perf_counter() - started, 3))


def build_demo_file(location: str, *, orders: int | None = None, seed: int = 7,
                    progress: Callable[[float], None] | None = None) -> DemoSummary:
    """The demo company in a new database at ``location``, all or nothing.

    A SQLite file is built beside its final place under a temporary name and moved into place
    only when complete, so a failure (a date rule, a full disk, a crash) leaves no file behind and
    the next start tries again. A file that exists already is refused: the demo never goes into a
    firm's data. A PostgreSQL database must be empty; the demo goes in in one transaction.
    """
    import os
    from pathlib import Path

    from app.db.engine import sqlite_path, to_url
    from app.db.open import open_database

    path = sqlite_path(to_url(location))
    if path is None:
        db = open_database(location)
        try:
            return build_demo(db, orders=orders, seed=seed, progress=progress)
        finally:
            db.dispose()
    path = Path(path)
    if path.exists():
        raise UserError(f"{path} exists already; the demo company is only built into a new file.",
                        hint="Choose another file name, or delete that file if it is an old demo.")
    tmp = path.with_name(f".{path.name}.building-{os.getpid()}")

    def clean() -> None:
        for leftover in path.parent.glob(f"{tmp.name}*"):
            try:
                leftover.unlink()
            except OSError:  # pragma: no cover - best effort
                log.warning("could not remove %s", leftover)

    clean()
    try:
        db = open_database(str(tmp))
        try:
            summary = build_demo(db, orders=orders, seed=seed, progress=progress)
        finally:
            db.dispose()
        if path.exists():  # another process made one meanwhile: keep theirs
            raise UserError(f"{path} was created by another program while the demo was being built.")
        os.replace(tmp, path)
    finally:
        clean()
    return summary
