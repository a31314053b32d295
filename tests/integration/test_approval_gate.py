"""One margin rule for every door (issue 18): a confirmed order that a change takes below the
margin floor goes back to management, and nothing downstream — production release, picking,
invoicing — proceeds past it until management approves. On SQLite and PostgreSQL (``demo``)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app.models import SalesOrder, TimelineEvent
from app.services import billing, orders, scheduling, shipping
from app.services.orders import ApprovalRequired, LineInput


def _stock_order(db, sales):  # a confirmed order of shelving from stock, above the floor
    q = orders.new_quote(db, sales, "showcs", [LineInput("SH-1200-5", 2)])
    assert not q.needs_approval
    return orders.confirm(db, sales, q.id, q.version)


def test_repricing_a_confirmed_order_below_cost_sends_it_back_to_management(demo) -> None:
    db, actor = demo
    sales, boss, ship, fin, prod = (actor(n) for n in ("sales", "management", "shipping", "finance", "production"))
    o = _stock_order(db, sales)
    assert o.id in {r.order_id for r in shipping.ready_orders(db, ship)}
    cheap = orders.update_order(db, sales, o.id, o.version, [LineInput("SH-1200-5", 2, price_override=D("0.50"),
                                                                       override_reason="typo test")])
    assert cheap.status == "confirmed" and cheap.needs_approval and cheap.approved_by is None
    with db.read() as s:
        kinds = [e.kind for e in s.scalars(select(TimelineEvent).where(TimelineEvent.order_id == o.id))]
    assert "back_to_approval" in kinds
    # nothing downstream proceeds: not offered for picking, no pick list, not released, not invoiced
    assert o.id not in {r.order_id for r in shipping.ready_orders(db, ship)}
    with pytest.raises(ApprovalRequired, match="not approved it: it is not picked"):
        shipping.create_pick_list(db, ship, [o.id])
    plan = scheduling.compute(db, prod)
    scheduling.publish(db, prod, plan.version_id)
    with db.read() as s:
        assert s.get(SalesOrder, o.id).status.value == "confirmed"
    with pytest.raises(ApprovalRequired, match="it is not invoiced"):
        billing.invoice_order(db, fin, o.id)
    # management approves: the order goes on
    ok = orders.approve(db, boss, cheap.id, cheap.version)
    assert ok.approved_by == "management"
    assert o.id in {r.order_id for r in shipping.ready_orders(db, ship)}
    pl = shipping.create_pick_list(db, ship, [o.id])
    assert pl.rows and pl.orders == (o.number,)


def test_sales_cannot_approve_its_own_repricing(demo) -> None:
    db, actor = demo
    sales = actor("sales")
    o = _stock_order(db, sales)
    cheap = orders.update_order(db, sales, o.id, o.version, [LineInput("SH-1200-5", 2, price_override=D("0.50"),
                                                                       override_reason="test")])
    from app.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        orders.approve(db, sales, cheap.id, cheap.version)
