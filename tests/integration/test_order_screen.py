"""What the order screen is handed (issue 19): what the user may do to an order comes from the one
rule the actions obey (``orders.order_actions``), opening an order is one read with everything the
screen shows, and confirming with unsaved edits is one unit of work. SQLite file and, when
configured, PostgreSQL."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import event, select

from app.errors import UserError
from app.models import SalesOrder
from app.models.enums import OrderStatus
from app.services import order_screen, orders
from app.services.orders import LineInput, order_actions


def _one_of_each_status(db) -> dict[str, int]:
    with db.read() as s:
        found: dict[str, int] = {}
        for oid, status in s.execute(select(SalesOrder.id, SalesOrder.status).order_by(SalesOrder.id)):
            found.setdefault(getattr(status, "value", status), oid)
    return found


def test_what_the_screen_offers_is_exactly_what_the_service_allows(demo) -> None:
    """For an order in every status the demo has: Cancel is offered exactly when ``cancel``
    succeeds, editing exactly when ``update_order`` does, Confirm exactly when ``confirm`` does."""
    db, actor = demo
    sales = actor("sales")
    statuses = _one_of_each_status(db)
    assert {"quote", "confirmed", "in_production", "ready", "shipped", "cancelled"} <= set(statuses)
    checked = 0
    for status, oid in sorted(statuses.items()):
        view = orders.get_order(db, sales, oid)
        acts = view.actions
        inputs = [ln.as_input() for ln in view.lines]
        for offered, attempt in ((acts.editable, lambda v: orders.update_order(db, sales, v.id, v.version, inputs)),
                                 (acts.can_confirm, lambda v: orders.confirm(db, sales, v.id, v.version)),
                                 (acts.can_cancel, lambda v: orders.cancel(db, sales, v.id, v.version, "test"))):
            current = orders.get_order(db, sales, oid)
            try:
                attempt(current)
                done = True
            except UserError:
                done = False
            assert done == offered, (status, offered, acts.why_not)
            checked += 1
            if done:
                break  # the order moved on; the next status has its own order
    assert checked >= len(statuses) * 1


def test_cancel_is_offered_for_orders_in_production_ready_or_on_hold() -> None:
    # the form used to disable Cancel for these although the service cancels them
    for status in (OrderStatus.IN_PRODUCTION, OrderStatus.READY, OrderStatus.ON_HOLD):
        acts = order_actions("sales", status, moving=False, needs_approval=False, approved_by=None)
        assert acts.can_cancel and not acts.editable and "edit" in acts.why_not
    moving = order_actions("sales", OrderStatus.CONFIRMED, moving=True, needs_approval=False, approved_by=None)
    assert not moving.can_cancel and not moving.editable and "picked" in moving.why_not["cancel"]
    waiting = order_actions("sales", OrderStatus.QUOTE, moving=False, needs_approval=True, approved_by=None)
    assert not waiting.can_confirm and "management" in waiting.why_not["confirm"] and waiting.customer_editable
    boss = order_actions("management", OrderStatus.QUOTE, moving=False, needs_approval=True, approved_by=None)
    assert boss.can_approve and boss.show_approve and not boss.editable and not boss.can_cancel


def test_opening_an_order_is_one_read_with_everything_the_screen_shows(demo) -> None:
    db, actor = demo
    sales = actor("sales")
    q = orders.new_quote(db, sales, "SHOWCS", [LineInput("SH-1200-5", 3), LineInput("SH-900-4", 2)])
    orders.add_note(db, sales, "call before delivery", order_id=q.id)
    begins: list[object] = []

    def listener(conn: object) -> None:
        begins.append(conn)

    event.listen(db.engine, "begin", listener)
    try:
        opened = order_screen.open_order(db, sales, q.id)
    finally:
        event.remove(db.engine, "begin", listener)
    assert len(begins) == 1, f"{len(begins)} transactions to open an order"
    assert opened.order.number == q.number and opened.order.actions.editable
    assert [(i.product, i.quantity) for i in opened.inputs] == [(ln.product_id, ln.quantity) for ln in q.lines]
    screen = opened.screen
    assert screen.preview is not None and screen.preview.totals == q.totals
    assert [t.kind for t in screen.timeline or ()][:1] == ["quote_created"]
    assert any(t.kind == "note" and t.summary == "call before delivery" for t in screen.timeline or ())
    assert all(h.product_id not in {ln.product_id for ln in q.lines} for h in screen.hints)


def test_confirm_with_unsaved_edits_is_one_unit_of_work(demo) -> None:
    db, actor = demo
    sales = actor("sales")
    q = orders.new_quote(db, sales, "SHOWCS", [LineInput("SH-1200-5", 3)])
    # the edit takes it below the margin floor: confirming refuses, and the edit is not saved either
    cheap = [LineInput("SH-1200-5", 3, price_override=D("1.00"), override_reason="test")]
    with pytest.raises(orders.ApprovalRequired):
        orders.confirm(db, sales, q.id, q.version, lines=cheap)
    after = orders.get_order(db, sales, q.id)
    assert after.version == q.version and after.lines[0].unit_price == q.lines[0].unit_price
    # a good edit: changed and confirmed together
    done = orders.confirm(db, sales, q.id, q.version, lines=[LineInput("SH-1200-5", 5)], customer_reference="PO-9")
    assert done.status == "confirmed" and done.lines[0].quantity == 5 and done.customer_reference == "PO-9"
    kinds = [t.kind for t in orders.timeline(db, sales, q.id)]
    assert kinds.index("changed") < kinds.index("confirmed")


def test_remembered_reads_follow_every_change_and_never_serve_a_write(demo) -> None:
    """The open work load is remembered per database state (app/services/snapshot.py): a change
    on any desk gives a new state; inside a unit of work it is always computed (its own changes
    are not counted yet)."""
    from app.services import snapshot
    from app.services.promise import _open_load, open_load

    db, actor = demo
    sales = actor("sales")

    def load_now() -> dict:
        with db.read() as s:
            return open_load(s)

    first = load_now()
    calls = []

    with db.read() as s:
        assert open_load(s) == first  # remembered: same state
    q = orders.new_quote(db, sales, "SHOWCS", [LineInput("SYS-PR-2700", 3)])
    if q.needs_approval:
        q = orders.approve(db, actor("management"), q.id, q.version)
    orders.confirm(db, sales, q.id, q.version)  # made to order: more work queued
    after = load_now()
    with db.read() as s:
        assert after == _open_load(s, ()) != first
    # inside a unit of work: its own (uncommitted) lines count
    def run(uow):  # noqa: ANN001, ANN202
        orders._update(uow, q.id, orders.get_order(db, sales, q.id).version,
                           [LineInput("SYS-PR-2700", 30)], orders.KEEP, orders.KEEP)
        calls.append(open_load(uow.session))
        calls.append(_open_load(uow.session, ()))
        raise RuntimeError("roll back")
    with pytest.raises(RuntimeError):
        db.write(sales, run)
    assert calls[0] == calls[1] != after
    assert load_now() == after
    snapshot.forget()
    assert load_now() == after  # what was remembered equals what is read afresh
