"""The database layer on a real SQLite file (and PostgreSQL when CI gives a URL)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.db.open import open_database
from app.db.uow import Database
from app.errors import ConflictError, DatabaseError, DatabaseLocked
from app.models import AuditLog, Base, ChangeFeed, Product, SalesOrder
from tests.factories import ANN, BOB, make_order, make_product


def test_models_and_migrations_agree(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_two_desks_editing_one_order_conflict_and_nothing_is_overwritten(db_url: str) -> None:
    desk1, desk2 = open_database(db_url), open_database(db_url)
    try:
        pid = make_product(desk1)
        oid = make_order(desk1, pid)
        with desk1.read() as s:
            seen = s.get(SalesOrder, oid).version  # both desks opened the order at this version

        def set_ref(ref: str):  # type: ignore[no-untyped-def]
            def run(uow):  # type: ignore[no-untyped-def]
                uow.get(SalesOrder, oid, expected_version=seen).customer_reference = ref
            return run

        desk1.write(ANN, set_ref("PO-ANN"))
        with pytest.raises(ConflictError) as info:
            desk2.write(BOB, set_ref("PO-BOB"))
        assert info.value.changed_by == "ann"
        assert info.value.changed_at is not None
        assert "ann" in info.value.message and "Nothing was overwritten" in info.value.message
        with desk2.read() as s:
            order = s.get(SalesOrder, oid)
            assert order.customer_reference == "PO-ANN"
            assert order.version == seen + 1
            assert order.updated_by == "ann"
    finally:
        desk1.dispose()
        desk2.dispose()


def test_concurrent_flush_of_stale_row_becomes_conflict(db_url: str, backend: str) -> None:
    """The race inside two open transactions (PostgreSQL lets both run; SQLite serialises them)."""
    if backend == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE lets only one write transaction run at a time")
    desk1, desk2 = open_database(db_url), open_database(db_url)
    try:
        pid = make_product(desk1)
        with desk1.uow(ANN) as u1:
            p1 = u1.session.get(Product, pid)
            desk2.write(BOB, lambda u: setattr(u.session.get(Product, pid), "list_price", Decimal("120")))
            p1.list_price = Decimal("130")
            with pytest.raises(ConflictError) as info:
                u1.commit()
        assert info.value.changed_by == "bob"
        with desk1.read() as s:
            assert s.get(Product, pid).list_price == Decimal("120.00")
    finally:
        desk1.dispose()
        desk2.dispose()


def test_every_write_is_audited_field_by_field(db: Database) -> None:
    pid = make_product(db)
    db.write(BOB, lambda u: setattr(u.get(Product, pid), "list_price", Decimal("120.00")))
    with db.read() as s:
        rows = s.execute(select(AuditLog).where(AuditLog.entity == "product").order_by(AuditLog.id)).scalars().all()
    assert [(r.action, r.username, r.entity_id) for r in rows] == [("insert", "ann", pid), ("update", "bob", pid)]
    upd = rows[1]
    assert (upd.field, upd.old_value, upd.new_value) == ("list_price", "99.50", "120")
    assert upd.workstation == "desk-2"
    assert upd.at.tzinfo is not None


def test_delete_is_audited(db: Database) -> None:
    pid = make_product(db, sku="DEL-1")
    db.write(ANN, lambda u: u.session.delete(u.get(Product, pid)))
    with db.read() as s:
        row = s.execute(select(AuditLog).where(AuditLog.action == "delete")).scalar_one()
    assert (row.entity, row.entity_id, row.old_value) == ("product", pid, "sku=DEL-1")


def test_change_feed_bumps_once_per_write_and_names_what_changed(db: Database) -> None:
    before = db.change_seq()
    pid = make_product(db)
    after_insert = db.change_seq()
    assert after_insert == before + 1
    with db.read() as s:
        s.get(Product, pid)
    assert db.change_seq() == after_insert, "reading must not bump the change feed"
    db.write(BOB, lambda u: setattr(u.get(Product, pid), "name", "Renamed"))
    assert db.change_seq() == after_insert + 1
    with db.read() as s:
        last = s.execute(select(ChangeFeed).order_by(ChangeFeed.seq.desc())).scalars().first()
    assert last.seq == after_insert + 1
    assert last.tables == ["product"] and last.entities == {"product": [pid]}
    assert last.username == "bob"
    db.write(BOB, lambda u: None)  # a unit of work that changes nothing leaves the feed alone
    assert db.change_seq() == after_insert + 1


def test_rolled_back_unit_of_work_leaves_nothing(db: Database) -> None:
    pid = make_product(db)

    def boom(uow):  # type: ignore[no-untyped-def]
        uow.get(Product, pid).name = "half-written"
        uow.flush()
        raise ValueError("rule broken after a flush")

    seq = db.change_seq()
    with pytest.raises(ValueError):
        db.write(ANN, boom)
    with db.read() as s:
        assert s.get(Product, pid).name == "Shelf SH-1"
        assert s.execute(select(func.count()).select_from(AuditLog).where(AuditLog.field == "name")).scalar() == 0
    assert db.change_seq() == seq


@pytest.mark.parametrize(
    "field,value",
    [("list_price", Decimal("-1")), ("stock_reserved", Decimal("-2")), ("lead_time_days", -3)],
)
def test_product_constraints(db: Database, field: str, value: object) -> None:
    pid = make_product(db)
    with pytest.raises(DatabaseError):
        db.write(ANN, lambda u: setattr(u.get(Product, pid), field, value))
    with db.read() as s:
        assert getattr(s.get(Product, pid), field) != value


def test_unique_sku_and_foreign_keys_enforced(db: Database) -> None:
    make_product(db, sku="DUP")
    with pytest.raises(DatabaseError):
        make_product(db, sku="DUP")
    with db.engine.connect() as conn:
        with pytest.raises(IntegrityError):
            conn.exec_driver_sql(
                "INSERT INTO sales_order (number, kind, status, customer_id, order_date, total_net, total_tax, "
                "total_cost, needs_approval, created_at, version, updated_at, updated_by) VALUES "
                "('SO-X', 'order', 'confirmed', 9999, '2026-01-01', 0, 0, 0, false, '2026-01-01', 1, "
                "'2026-01-01', 'x')")
        conn.rollback()


def test_money_is_decimal_and_timestamps_utc(db: Database) -> None:
    pid = make_product(db, price="1234.565")
    with db.read() as s:
        p = s.get(Product, pid)
        assert isinstance(p.list_price, Decimal)
        assert p.updated_at.tzinfo is not None and p.updated_at.utcoffset() == dt.timedelta(0)
        assert p.list_price in (Decimal("1234.57"), Decimal("1234.56"))  # NUMERIC(14,2) storage


# --- SQLite specifics -------------------------------------------------------------------------

def test_sqlite_pragmas_read_back_from_a_real_file(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as conn:
        got = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
               for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
        conn.rollback()
    assert got == {"journal_mode": "delete", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 5000}
    assert sqlite_db.location.endswith("ordercycle.db")


def test_sqlite_writes_begin_immediate_reads_do_not(sqlite_db: Database) -> None:
    path = sqlite_db.location
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with sqlite_db.uow(ANN) as uow:
            uow.session.execute(select(func.count()).select_from(Product)).scalar()
            # the write lock is already held before anything was written
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            assert other.execute("SELECT count(*) FROM product").fetchone() == (0,)  # reading still works
        with sqlite_db.read() as s:
            s.execute(select(func.count()).select_from(Product)).scalar()
            other.execute("BEGIN IMMEDIATE")  # a reader holds no write lock
            other.execute("ROLLBACK")
    finally:
        other.close()


def _hold_write_lock(path: str, seconds: float, started: threading.Event) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    started.set()
    threading.Event().wait(seconds)
    con.execute("ROLLBACK")
    con.close()


def test_transient_lock_is_retried_before_the_user_sees_it(tmp_path) -> None:
    db = open_database(tmp_path / "busy.db", busy_timeout_ms=100)
    try:
        started = threading.Event()
        t = threading.Thread(target=_hold_write_lock, args=(db.location, 0.6, started))
        t.start()
        started.wait(5)
        pid = make_product(db)  # first attempts hit "database is locked"; a retry succeeds
        t.join()
        with db.read() as s:
            assert s.get(Product, pid) is not None
    finally:
        db.dispose()


def test_lock_beyond_the_retries_gives_a_plain_message(tmp_path) -> None:
    db = open_database(tmp_path / "busy.db", busy_timeout_ms=50)
    db.max_retries = 2
    try:
        started = threading.Event()
        t = threading.Thread(target=_hold_write_lock, args=(db.location, 3.0, started))
        t.start()
        started.wait(5)
        with pytest.raises(DatabaseLocked) as info:
            make_product(db)
        t.join()
        assert "busy" in info.value.message and "kept" in (info.value.hint or "")
        with db.read() as s:
            assert s.execute(select(func.count()).select_from(Product)).scalar() == 0
    finally:
        db.dispose()


def test_a_share_that_blinks_mid_save_gives_a_plain_message_and_nothing_half_written(sqlite_db: Database) -> None:
    """"disk I/O error" from SQLite while saving (the share went away): the unit of work is rolled
    back and the user reads what happened, not a traceback."""
    import sqlite3 as dbapi

    from sqlalchemy.exc import OperationalError

    pid = make_product(sqlite_db)

    def save_then_lose_the_share(uow):  # type: ignore[no-untyped-def]
        uow.get(Product, pid).name = "half"
        uow.flush()
        raise OperationalError("UPDATE product …", {}, dbapi.OperationalError("disk I/O error"))

    with pytest.raises(DatabaseError) as info:
        sqlite_db.write(ANN, save_then_lose_the_share)
    assert "cannot be reached" in info.value.message and "input is kept" in (info.value.hint or "")
    with sqlite_db.read() as s:
        assert s.get(Product, pid).name == "Shelf SH-1"
