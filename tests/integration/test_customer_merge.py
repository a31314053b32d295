"""Merging two records of the same firm (issue 20): everything moves, each move audited, the
duplicate archived; the audit chain and the money invariants still hold afterwards."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.db.check import check_database
from app.errors import ConflictError, PermissionDenied, UserError
from app.models import AuditLog, Customer, Invoice, SalesOrder, TimelineEvent
from app.models.base import Base
from app.services import customer_merge, customers


def _ids(db, *codes: str) -> list[tuple[int, int]]:  # noqa: ANN001
    with db.read() as s:
        return [(c.id, c.version) for code in codes
                for c in s.scalars(select(Customer).where(Customer.code == code))]


def test_everything_of_the_duplicate_moves_and_the_books_still_add_up(demo, db_url) -> None:
    db, actor = demo
    boss = actor("management")
    (keep, kv), (dup, dv) = _ids(db, "HALDEN", "OAKWD")
    with db.read() as s:
        orders_before = s.scalar(select(func.count()).select_from(SalesOrder).where(SalesOrder.customer_id == dup))
        invoices_before = s.scalar(select(func.count()).select_from(Invoice).where(Invoice.customer_id == dup))
    assert orders_before and invoices_before  # the demo's OAKWD has history to move
    result = customer_merge.merge_customers(db, boss, keep, kv, dup, dv)
    assert result.moved["sales_order"] == orders_before and result.moved["invoice"] == invoices_before
    with db.read() as s:
        for table, column in customer_merge.references():  # no reference to the duplicate is left
            t = Base.metadata.tables[table]
            left = s.scalar(select(func.count()).select_from(t).where(t.c[column] == dup))
            assert left == 0 or table == "address", (table, left)  # its own addresses the kept one had stay
        gone = s.get(Customer, dup)
        assert gone.active is False and "Merged into HALDEN" in gone.notes
        assert s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "merge", AuditLog.entity == "sales_order")) == orders_before
        merged = s.scalars(select(TimelineEvent.summary).where(
            TimelineEvent.customer_id == keep, TimelineEvent.kind == "customer_merged")).one()
        assert merged.startswith("OAKWD (Oakwood School Trust) merged into this customer:")
        assert len([k for k in s.get(Customer, keep).contacts if k.for_invoices]) == 1
    report = check_database(db_url)
    assert report.ok, report.problems  # audit chain (invoices are on it) and money invariants


def test_merge_is_management_s_checks_versions_and_refuses_itself(demo) -> None:
    db, actor = demo
    (keep, kv), (dup, dv) = _ids(db, "HALDEN", "OAKWD")
    with pytest.raises(PermissionDenied):
        customer_merge.merge_customers(db, actor("sales"), keep, kv, dup, dv)
    with pytest.raises(UserError, match="into itself"):
        customer_merge.merge_customers(db, actor("management"), keep, kv, keep, kv)
    with pytest.raises(ConflictError):  # the duplicate changed on another desk since it was read
        customer_merge.merge_customers(db, actor("management"), keep, kv, dup, dv + 1)
    assert customers.customer(db, actor("sales"), dup).active  # nothing happened
