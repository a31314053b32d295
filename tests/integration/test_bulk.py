"""app/db/bulk.BulkInsert: rows in the driver's form, or columns of plain values, read back exactly
as the ORM wrote them (SQLite file and PostgreSQL), constants with quotes, NULLs and booleans, a
layout in any order, layout checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app.db.bulk import BulkInsert
from app.models import Customer
from app.models.enums import CustomerTier

LAYOUT = ("code", "name", "tier", "payment_terms_days", "credit_limit")


def _constants(now: dt.datetime, layout: tuple[str, ...] = LAYOUT) -> dict:
    """NULL for every column the layout leaves out (columns added later included), then these."""
    return {c.key: None for c in Customer.__table__.columns if c.key not in layout} | {
        "strategic": True, "phone": "0113 'main' line", "active": False, "version": 1, "updated_at": now,
        "updated_by": "o'brien"}


def test_rows_in_driver_form_read_back_as_typed_values(db) -> None:
    now = dt.datetime(2026, 11, 26, 9, 30, 15, 123456, tzinfo=dt.timezone.utc)
    with db.engine.begin() as conn:
        table = Customer.__table__
        out = BulkInsert(conn, table, LAYOUT, _constants(now))
        money, tier = out.converter("credit_limit"), out.converter("tier")
        out.execute([(f"C{i:03d}", f"Customer {i}", tier(CustomerTier.A.value if i % 2 else CustomerTier.C.value),
                      30 + i, money(D("1234.50") + i)) for i in range(50)])
    with db.read() as s:
        got = s.scalars(select(Customer).order_by(Customer.code)).all()
    assert len(got) == 50 and [c.code for c in got[:2]] == ["C000", "C001"]
    c = got[7]
    assert (c.name, c.tier, c.payment_terms_days, c.credit_limit) == ("Customer 7", CustomerTier.A, 37, D("1241.50"))
    assert c.strategic is True and c.active is False and c.email is None and c.phone == "0113 'main' line"
    assert c.updated_by == "o'brien" and c.updated_at == now and c.version == 1
    assert len({x.id for x in got}) == 50  # numbered by the database


def test_a_layout_must_cover_every_column(sqlite_db) -> None:
    with sqlite_db.engine.begin() as conn:
        with pytest.raises(ValueError, match="missing"):
            BulkInsert(conn, Customer.__table__, LAYOUT, {"id": None})
        with pytest.raises(ValueError, match="unknown"):
            BulkInsert(conn, Customer.__table__, LAYOUT, _constants(dt.datetime.now(dt.timezone.utc)) | {"nope": 1})


def test_columns_of_plain_values_in_any_order_read_back_as_typed(db) -> None:
    """The demo's form: plain Python values (Decimal, enum values, aware timestamps), column by
    column, the layout not in the table's order; values shared between rows are converted once."""
    now = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.timezone.utc)
    layout = ("credit_limit", "updated_at", "code", "tier", "name", "payment_terms_days")
    limit = D("500.25")  # one object in every row
    with db.engine.begin() as conn:
        constants = _constants(now, layout)
        del constants["updated_at"]
        out = BulkInsert(conn, Customer.__table__, layout, constants)
        seen: list[int] = []
        out.execute_columns([[limit] * 30, [now + dt.timedelta(minutes=i) for i in range(30)],
                             [f"K{i:02d}" for i in range(30)], [CustomerTier.B.value] * 30,
                             [f"Kunde {i}" for i in range(30)], list(range(30))], seen.append)
    assert seen == [30]
    with db.read() as s:
        got = s.scalars(select(Customer).order_by(Customer.code)).all()
    assert [(c.code, c.name, c.tier, c.credit_limit, c.payment_terms_days) for c in got[:2]] == [
        ("K00", "Kunde 0", CustomerTier.B, D("500.25"), 0), ("K01", "Kunde 1", CustomerTier.B, D("500.25"), 1)]
    assert got[29].updated_at == now + dt.timedelta(minutes=29) and got[3].phone == "0113 'main' line"
    with pytest.raises(ValueError, match="equal length"):
        with db.engine.begin() as conn:
            BulkInsert(conn, Customer.__table__, layout, constants).execute_columns([[1]] * 5)


def test_foreign_keys_are_off_only_inside_a_write_that_checked_its_references(sqlite_db) -> None:
    from sqlalchemy import text

    from app.db.uow import Actor
    from app.errors import DatabaseError

    actor = Actor("admin", "admin", "Admin", None)

    def pragma(uow) -> int:  # type: ignore[no-untyped-def]
        return uow.session.execute(text("PRAGMA foreign_keys")).scalar()

    assert sqlite_db.write(actor, pragma, references_checked=True) == 0
    # the pool hands the same connection out again: enforcement is back for everyone else
    for _ in range(5):
        assert sqlite_db.write(actor, pragma) == 1
    with sqlite_db.read() as s:
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1

    def orphan(uow) -> None:  # type: ignore[no-untyped-def]
        uow.session.execute(text("INSERT INTO address (customer_id, kind, line1, postcode, city, country, "
                                 "version, updated_at, updated_by) VALUES (999999, 'billing', 'x', 'x', 'x', "
                                 "'GB', 1, '2026-11-26 10:00:00.000000', 'admin')"))
        uow.touched["address"] = {1}

    with pytest.raises(DatabaseError, match="FOREIGN KEY"):
        sqlite_db.write(actor, orphan)
