"""Faults between separate processes on one real database: contention and SIGKILL mid-commit.

The children are forked from this already-imported process (``multiprocessing`` "fork" context,
see ``fault_worker.py``); every child opens its own engine. Each test reaps its children in
``finally`` and waits only with timeouts. Run with ``-s`` to see the measured numbers.
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import random
import signal
import sqlite3
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db.open import open_database
from app.db.uow import SYSTEM, Database
from app.models import AuditLog, ChangeCounter, ChangeFeed, Customer, Product, ProductFamily, SalesOrder, SalesOrderLine
from tests.integration import fault_worker as fw

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork"),
]

FORK = multiprocessing.get_context("fork" if hasattr(os, "fork") else None)  # the test is skipped without fork

CONTENTION_WORKERS = 5
CONTENTION_SAVES = 200  # per worker: 1,000 saves in total
CONTENTION_PRODUCTS = 10
KILL_RUNS = 200
KILL_MAX_DELAY_S = 0.050
INTEGRITY_EVERY = 20


def _seed_products(db: Database, count: int, prefix: str) -> list[int]:
    def run(uow):  # type: ignore[no-untyped-def]
        fam = uow.add(ProductFamily(code=f"F-{prefix}", name="Fault test"))
        uow.flush()
        products = [uow.add(Product(sku=f"{prefix}-{i}", name=f"{prefix} {i}", family_id=fam.id,
                                    list_price=Decimal("10"), stock_on_hand=Decimal("100")))
                    for i in range(count)]
        uow.flush()
        return [p.id for p in products]

    return db.write(SYSTEM, run)


def _sqlite_integrity(path: Path) -> tuple[list[str], list[tuple]]:
    """(``PRAGMA integrity_check`` rows, ``PRAGMA foreign_key_check`` rows) from a plain connection."""
    con = sqlite3.connect(str(path), timeout=10)
    try:
        integrity = [r[0] for r in con.execute("PRAGMA integrity_check").fetchall()]
        fks = con.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        con.close()
    return integrity, fks


JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")  # a rollback journal with a live header


def _hot_journal(journal: Path) -> bool:
    """A journal SQLite will roll back on the next open (an empty or zeroed one is ignored)."""
    try:
        with open(journal, "rb") as fh:
            return fh.read(8) == JOURNAL_MAGIC
    except FileNotFoundError:
        return False


def _reap(procs: list) -> None:  # type: ignore[type-arg]
    for p in procs:
        if p.is_alive():
            p.kill()
        p.join(10)


# --- a. contention ----------------------------------------------------------------------------

def _counters(db: Database, product_ids: list[int]) -> dict[str, object]:
    with db.read() as s:
        rows = s.execute(select(Product.id, Product.stock_on_hand, Product.version)
                         .where(Product.id.in_(product_ids))).all()
        return {
            "stock": {r.id: r.stock_on_hand for r in rows},
            "version": {r.id: r.version for r in rows},
            "audit": s.execute(select(func.count()).select_from(AuditLog).where(
                AuditLog.entity == "product", AuditLog.field == "stock_on_hand")).scalar(),
            "feed": s.execute(select(func.count()).select_from(ChangeFeed)).scalar(),
            "counter": s.execute(select(ChangeCounter.value).where(ChangeCounter.id == 1)).scalar(),
        }


def test_contending_desks_lose_no_update_and_never_see_a_lock(db_url: str, backend: str) -> None:
    """5 processes x 200 read-then-save cycles on 10 shared products.

    A save writes "the stock the user saw + 1" with ``expected_version`` from a separate, earlier
    read transaction, so if the version check did not work, concurrent saves would overwrite each
    other and the final stock would be lower than the number of applied saves.
    """
    db = open_database(db_url)
    try:
        product_ids = _seed_products(db, CONTENTION_PRODUCTS, "CT")
        before = _counters(db, product_ids)
    finally:
        db.dispose()  # no connection of the parent may cross the fork

    barrier = FORK.Barrier(CONTENTION_WORKERS)
    procs, pipes = [], []
    t0 = time.monotonic()
    try:
        for w in range(CONTENTION_WORKERS):
            reader, writer = FORK.Pipe(duplex=False)
            p = FORK.Process(target=fw.contention_worker, daemon=True,
                             args=(db_url, w, product_ids, CONTENTION_SAVES, 1000 + w, 0.001, barrier, writer))
            p.start()
            writer.close()
            procs.append(p)
            pipes.append(reader)
        reports = []
        deadline = time.monotonic() + 120
        for w, reader in enumerate(pipes):
            assert reader.poll(max(0.0, deadline - time.monotonic())), f"worker {w} sent no report in time"
            reports.append(reader.recv())
        for p in procs:
            p.join(10)
    finally:
        _reap(procs)
    elapsed = time.monotonic() - t0

    fatal = [r["fatal"] for r in reports if r["fatal"]]
    assert not fatal, fatal[0]
    outcomes = collections.Counter(o for r in reports for _pid, o, _t in r["saves"])
    applied_per_product = collections.Counter(pid for r in reports for pid, o, _t in r["saves"] if o == "applied")
    errors = [e for r in reports for e in r["errors"]]
    applied = outcomes["applied"]
    conflicts = outcomes["conflict"] + outcomes["conflict_at_flush"]
    lock_retries = sum(r["lock_retries"] for r in reports)
    print(f"\n[contention/{backend}] {sum(outcomes.values())} saves in {elapsed:.1f} s: {dict(outcomes)}; "
          f"lock retries inside Database.write: {lock_retries}")

    assert outcomes["locked"] == 0, f"'database is locked' reached a desk: {errors[:3]}"
    assert outcomes["error"] == 0, f"unexpected errors: {errors[:3]}"
    assert applied + conflicts == CONTENTION_WORKERS * CONTENTION_SAVES

    db = open_database(db_url)
    try:
        after = _counters(db, product_ids)
    finally:
        db.dispose()
    stock_delta = {pid: after["stock"][pid] - before["stock"][pid] for pid in product_ids}  # type: ignore[index]
    version_delta = {pid: after["version"][pid] - before["version"][pid] for pid in product_ids}  # type: ignore[index]
    # no lost update: every applied save is in the counter, product by product (a save writes "seen + 1",
    # so without working version checks concurrent saves overwrite each other and the stock falls short)
    assert stock_delta == {pid: Decimal(applied_per_product[pid]) for pid in product_ids}
    assert version_delta == {pid: applied_per_product[pid] for pid in product_ids}
    # every applied save was audited once and published once in the change feed; conflicts left nothing
    assert after["audit"] - before["audit"] == applied  # type: ignore[operator]
    assert after["feed"] - before["feed"] == applied  # type: ignore[operator]
    assert after["counter"] - before["counter"] == applied  # type: ignore[operator]
    # the desks really raced (else this test could not notice a broken version check)
    assert conflicts > 0, "no save ever conflicted: the desks never raced"
    assert applied >= CONTENTION_PRODUCTS
    if backend == "sqlite":
        integrity, fks = _sqlite_integrity(Path(db_url))
        assert integrity == ["ok"] and fks == []


# --- b. SIGKILL mid-commit --------------------------------------------------------------------

def _add_customer(uow) -> int:  # type: ignore[no-untyped-def]
    customer = uow.add(Customer(code="KILL", name="Kill Test"))
    uow.flush()
    return customer.id


def test_kill_mid_commit_never_damages_the_file_or_leaves_half_an_order(tmp_path: Path) -> None:
    """200 times: a process writing orders in a loop is SIGKILLed 0-50 ms after it starts writing
    (every other time, the kill then waits for the next COMMIT to start and lands 0-4 ms into it).

    Each order is one unit of work: header + N lines (N is in the order number) + the reserved
    quantities on the products + audit + change feed. Afterwards every order is whole, every
    acknowledged order is there, at most the one order whose COMMIT was in flight is added, and
    the file passes ``integrity_check`` (every 20 runs and at the end) and opens normally.
    """
    path = tmp_path / "kill.db"
    db = open_database(path)
    try:
        product_ids = _seed_products(db, 4, "KT")
        customer_id = db.write(SYSTEM, _add_customer)
        with db.read() as s:
            feed0 = s.execute(select(func.count()).select_from(ChangeFeed)).scalar()
            counter0 = s.execute(select(ChangeCounter.value).where(ChangeCounter.id == 1)).scalar()
    finally:
        db.dispose()

    journal = Path(f"{path}-journal")
    state = FORK.RawArray("q", fw.STATE_SLOTS)
    rng = random.Random(20261102)
    runs: list[tuple[int, int, int, bool]] = []  # (run, phase at death, acknowledged orders, hot journal)
    checks = 0
    t0 = time.monotonic()
    procs = []
    try:
        for run in range(KILL_RUNS):
            for i in range(fw.STATE_SLOTS):
                state[i] = 0
            err = tmp_path / f"writer-{run}.err"
            p = FORK.Process(target=fw.order_writer, daemon=True,
                             args=(str(path), run, product_ids, customer_id, state, str(err)))
            p.start()
            procs.append(p)
            deadline = time.monotonic() + 30
            while state[fw.READY] == 0 and p.exitcode is None and time.monotonic() < deadline:
                time.sleep(0.0005)
            if state[fw.READY] != 1:
                p.kill()
                p.join(10)
                detail = err.read_text() if err.exists() else f"exit code {p.exitcode}"
                pytest.fail(f"run {run}: the writer could not open the database after the previous kill:\n{detail}")
            time.sleep(rng.uniform(0, KILL_MAX_DELAY_S))
            if run % 2:
                # every other run aims at a commit: wait (spinning, at most 50 ms) for the next COMMIT
                # to start, then kill 0-4 ms into it (journal sync, database writes, sync, delete)
                until = time.monotonic() + 0.050
                while state[fw.PHASE] != fw.COMMITTING and time.monotonic() < until:
                    pass
                time.sleep(rng.uniform(0, 0.004))
            os.kill(p.pid, signal.SIGKILL)
            p.join(10)
            assert p.exitcode == -signal.SIGKILL, (
                f"run {run}: writer ended by itself ({p.exitcode}): {err.read_text() if err.exists() else ''}")
            procs.remove(p)
            runs.append((run, int(state[fw.PHASE]), int(state[fw.ACKED]), _hot_journal(journal)))
            if (run + 1) % INTEGRITY_EVERY == 0:
                integrity, fks = _sqlite_integrity(path)  # also rolls back a hot journal, like any opener
                checks += 1
                assert integrity == ["ok"] and fks == [], f"after run {run}: {integrity[:5]} {fks[:5]}"
    finally:
        _reap(procs)
    elapsed = time.monotonic() - t0

    db = open_database(path)  # opens normally: no refusal, no "damaged", schema current
    try:
        with db.read() as s:
            orders = s.execute(select(SalesOrder.id, SalesOrder.number, SalesOrder.total_net)).all()
            lines = s.execute(select(SalesOrderLine.order_id, SalesOrderLine.line_no, SalesOrderLine.product_id,
                                     SalesOrderLine.quantity, SalesOrderLine.unit_price)).all()
            reserved = dict(s.execute(select(Product.id, Product.stock_reserved)
                                      .where(Product.id.in_(product_ids))).all())
            feed = s.execute(select(func.count(), func.max(ChangeFeed.seq)).select_from(ChangeFeed)).one()
            counter = s.execute(select(ChangeCounter.value).where(ChangeCounter.id == 1)).scalar()
            audited = dict(s.execute(select(AuditLog.entity, func.count()).where(AuditLog.action == "insert")
                                     .group_by(AuditLog.entity)).all())
            reserve_audits = s.execute(select(func.count()).select_from(AuditLog).where(
                AuditLog.entity == "product", AuditLog.field == "stock_reserved")).scalar()
    finally:
        db.dispose()

    by_order: dict[int, list] = collections.defaultdict(list)  # type: ignore[type-arg]
    for line in lines:
        by_order[line.order_id].append(line)
    order_ids = {o.id for o in orders}
    assert set(by_order) <= order_ids, "lines without an order"
    incomplete = []
    for o in orders:
        got = sorted(by_order.get(o.id, []), key=lambda r: r.line_no)
        want = fw.lines_in(o.number)
        total = sum((r.quantity * r.unit_price for r in got), Decimal("0"))
        if [r.line_no for r in got] != list(range(1, want + 1)) or total != o.total_net:
            incomplete.append((o.number, len(got), total, o.total_net))
    assert incomplete == [], f"half-written orders: {incomplete[:5]}"
    reserved_by_lines: collections.Counter = collections.Counter()
    for line in lines:
        reserved_by_lines[line.product_id] += line.quantity
    assert {pid: reserved[pid] for pid in product_ids} == {pid: reserved_by_lines[pid] for pid in product_ids}

    # durability and atomicity per run: every acknowledged order is there; one more only if its
    # COMMIT had started when the kill landed
    per_run = collections.Counter(fw.run_of(o.number) for o in orders)
    committed_in_flight = rolled_back_in_flight = 0
    for run, phase, acked, _hot in runs:
        n = per_run[run]
        assert acked <= n <= acked + 1, f"run {run}: {n} orders in the file, {acked} acknowledged"
        if n == acked + 1:
            assert phase in (fw.COMMITTING, fw.COMMITTED), f"run {run}: an order appeared from phase {phase}"
            committed_in_flight += phase == fw.COMMITTING
        elif phase == fw.COMMITTING:
            rolled_back_in_flight += 1
    assert sum(per_run.values()) == len(orders)

    # every committed unit of work published exactly one change and audited every row it inserted
    n_orders = len(orders)
    assert feed[0] == feed0 + n_orders and counter == counter0 + n_orders and feed[1] == counter
    assert audited.get("sales_order", 0) == n_orders and audited.get("sales_order_line", 0) == len(lines)
    assert reserve_audits == sum(len({r.product_id for r in by_order[o.id]}) for o in orders)

    integrity, fks = _sqlite_integrity(path)
    assert integrity == ["ok"] and fks == []
    # a kill right after the journal file was created leaves an empty, ignored journal; never a hot one
    assert not _hot_journal(journal), "a hot journal was left behind after a clean open and close"
    leftover = f"{journal.stat().st_size}-byte journal file" if journal.exists() else "no journal file"

    phases = collections.Counter(phase for _r, phase, _a, _h in runs)
    hot = sum(h for *_x, h in runs)
    print(f"\n[kill] {KILL_RUNS} kills in {elapsed:.1f} s, {checks + 1} integrity checks ok, "
          f"{n_orders} orders / {len(lines)} lines committed; where the kills landed: "
          + ", ".join(f"{fw.PHASE_NAMES[k]} {v}" for k, v in sorted(phases.items()))
          + f"; hot journal left by {hot} kills; of the kills during COMMIT, {committed_in_flight} "
            f"committed and {rolled_back_in_flight} rolled back on the next open; at the end: {leftover}")
