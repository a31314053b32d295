"""Shipping, billing and returns services on the demo company: pick lists in walking order,
short picks and backorders, shipments and stock, invoices and payments, credit notes and refunds,
the RMA state machine per role, gap-free numbers under concurrency, and bad input that saves
nothing. SQLite file and, when configured, PostgreSQL."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import time
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from app import clock
from app.services.firm_calendar import get_calendar
from app.db.open import open_database
from app.db.uow import Actor
from app.errors import PermissionDenied, UserError, ValidationError
from app.models import (
    CreditNote,
    Invoice,
    NumberSequence,
    PickList,
    Product,
    Refund,
    ReturnAuthorization,
    SalesOrder,
    SalesOrderLine,
    ServiceJob,
    Shipment,
    StockMovement,
    TimelineEvent,
)
from app.services import billing, returns, shipping
from app.demo import build_demo
from app.services.settings import set_setting
from tests.integration import billing_worker

from tests.support import TODAY  # noqa: E402
FORK = multiprocessing.get_context("fork" if hasattr(os, "fork") else None)


def _counts(db) -> tuple[int, ...]:
    with db.read() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in
                     (PickList, Shipment, Invoice, CreditNote, Refund, ReturnAuthorization, StockMovement,
                      TimelineEvent, SalesOrder))


def _product(db, sku: str) -> Product:
    with db.read() as s:
        return s.scalars(select(Product).where(Product.sku == sku)).one()


def _picked_order(db, actor, *, short: bool = False):
    """A ready order on a confirmed pick list: (order, pick list view)."""
    sh = actor("shipping")
    ready = next(r for r in shipping.ready_orders(db, sh) if r.status == "ready")
    pl = shipping.create_pick_list(db, sh, [ready.order_id])
    picked = {r.pick_line_id: r.to_pick - (1 if short and i == 0 else 0) for i, r in enumerate(pl.rows)}
    return ready, shipping.confirm_pick(db, sh, pl.id, pl.version, picked)


def test_a_batched_pick_list_walks_by_location_and_groups_identical_items(demo) -> None:
    db, actor = demo
    sh = actor("shipping")
    ready = shipping.ready_orders(db, sh)
    # two orders with the same product make one stop with both quantities
    by_sku: dict[str, list] = {}
    for r in ready:
        for ln in r.lines:
            if ln.pickable > 0:
                by_sku.setdefault(ln.sku, []).append(r)
    sku, orders = next((k, v) for k, v in by_sku.items() if len({o.order_id for o in v}) >= 2)
    chosen = {o.order_id for o in orders[:2]} | {r.order_id for r in ready if r.status == "ready"}
    pl = shipping.create_pick_list(db, sh, sorted(chosen))
    keys = [shipping.location_key(g.location) for g in pl.groups]
    assert keys == sorted(keys)
    group = next(g for g in pl.groups if g.sku == sku)
    assert len(group.per_order) >= 2 and group.total == sum(q for _n, q in group.per_order)
    assert shipping.location_key("A-3-2") < shipping.location_key("A-10-1") < shipping.location_key(None)
    # what is on an open pick list is not offered again
    with pytest.raises(UserError, match="nothing ready to pick"):
        shipping.create_pick_list(db, sh, [orders[0].order_id])
    with pytest.raises(PermissionDenied):
        shipping.create_pick_list(db, actor("sales"), [orders[0].order_id])


def test_short_pick_makes_a_backorder_and_tells_sales(demo) -> None:
    db, actor = demo
    ready, pl = _picked_order(db, actor, short=True)
    first = pl.rows[0]
    with db.read() as s:
        order = s.get(SalesOrder, ready.order_id)
        back = s.scalars(select(SalesOrder).where(SalesOrder.source_order_id == order.id)).one()
        line = s.get(SalesOrderLine, first.order_line_id)
        assert line.quantity == first.to_pick + line.qty_shipped - 1 + (line.quantity - line.qty_picked)
        assert back.lines[0].quantity == 1 and back.lines[0].unit_price == line.unit_price
        assert back.total_net == back.lines[0].unit_price and back.promise_date is not None
        events = [e.kind for e in s.scalars(select(TimelineEvent).where(TimelineEvent.order_id == order.id))]
        assert "backorder" in events
        moved = s.scalars(select(StockMovement).where(StockMovement.reference == f"short pick {pl.number}")).one()
        assert moved.quantity == -1 and moved.reason == "count"


def test_shipping_moves_stock_and_status_and_bad_quantities_save_nothing(demo) -> None:
    db, actor = demo
    sh = actor("shipping")
    ready, pl = _picked_order(db, actor)
    before = {r.sku: (_product(db, r.sku).stock_on_hand, _product(db, r.sku).stock_reserved) for r in pl.rows}
    counts = _counts(db)
    with pytest.raises(ValidationError, match="picked before they ship"):
        shipping.ship(db, sh, ready.order_id, carrier="DPD", packages=[("5", None)],
                      quantities={pl.rows[0].order_line_id: pl.rows[0].to_pick + 1})
    with pytest.raises(ValidationError) as exc:
        shipping.ship(db, sh, ready.order_id, carrier=" ", packages=[("0", None)])
    assert {p.field for p in exc.value.problems} == {"carrier", "package 1 weight"}
    assert _counts(db) == counts
    # a partial shipment first, then the rest
    first = pl.rows[0]
    v1 = shipping.ship(db, sh, ready.order_id, carrier="DPD", tracking_number="1", packages=[("5", "60x40x40")],
                       quantities={first.order_line_id: 1})
    assert v1.lines == ((first.sku, D(1)),)
    with db.read() as s:
        assert s.get(SalesOrder, ready.order_id).status.value in ("partially_shipped", "shipped")
    shipping.ship(db, sh, ready.order_id, carrier="DPD", packages=[("7.5", None)])
    with db.read() as s:
        order = s.get(SalesOrder, ready.order_id)
        assert order.status.value == "shipped"
        assert all(ln.qty_shipped == ln.quantity and ln.qty_reserved == 0 for ln in order.lines)
    for r in pl.rows:
        p = _product(db, r.sku)
        on_hand, reserved = before[r.sku]
        same = sum(x.to_pick for x in pl.rows if x.sku == r.sku)
        assert (p.stock_on_hand, p.stock_reserved) == (on_hand - same, reserved - same)
    with pytest.raises(UserError, match="shipped and cannot be shipped"):
        shipping.ship(db, sh, ready.order_id, carrier="DPD", packages=[("1", None)])


def test_invoice_payment_overdue_and_never_invoicing_twice(demo) -> None:
    db, actor = demo
    fin = actor("finance")
    todo = billing.to_invoice(db, fin)
    row = todo[0]
    with pytest.raises(PermissionDenied):
        billing.invoice_order(db, actor("sales"), row.order_id)
    inv = billing.invoice_order(db, fin, row.order_id)
    with db.read() as s:
        invoice = s.get(Invoice, inv.id)
        amounts = billing.invoice_amounts([(ln.quantity, ln.unit_price, ln.tax_rate) for ln in invoice.lines])
        cust_terms = s.get(SalesOrder, row.order_id).customer_id
    assert (inv.net, inv.tax) == (amounts.net, amounts.tax) and inv.net == row.shipped_value
    assert inv.due_date > inv.issue_date == TODAY
    counts = _counts(db)
    with pytest.raises(UserError, match="invoiced already"):
        billing.invoice_order(db, fin, row.order_id)
    with pytest.raises(ValidationError, match="outstanding"):
        billing.record_payment(db, fin, inv.id, inv.gross + D("0.01"))
    with pytest.raises(ValidationError, match="positive amount"):
        billing.record_payment(db, fin, inv.id, "-5")
    assert _counts(db) == counts
    part = billing.record_payment(db, fin, inv.id, D("10.00"), received_on=TODAY)
    assert part.status == "partially_paid" and part.outstanding == inv.gross - 10
    with clock.pinned(inv.due_date + dt.timedelta(days=1)):
        assert inv.id in {v.id for v in billing.overdue(db, fin)}
    with clock.pinned(inv.due_date):
        assert inv.id not in {v.id for v in billing.overdue(db, fin)}
    paid = billing.record_payment(db, fin, inv.id, part.outstanding, received_on=TODAY)
    assert paid.status == "paid" and paid.outstanding == 0
    assert cust_terms  # the order's customer terms set the due date (checked above)


def test_per_order_invoicing_waits_for_the_whole_order(demo) -> None:
    db, actor = demo
    set_setting(db, actor("management"), "invoice_per", "order")
    fin = actor("finance")
    partial = [r for r in billing.to_invoice(db, fin) if r.status == "partially_shipped"]
    assert not partial, "per order: partly shipped orders are not offered"
    with db.read() as s:
        oid = s.scalars(select(SalesOrder.id).where(SalesOrder.status == "partially_shipped")).first()
    with pytest.raises(UserError, match="has not shipped in full"):
        billing.invoice_order(db, fin, oid)


def test_credit_notes_and_refunds_never_exceed_what_was_paid(demo) -> None:
    db, actor = demo
    fin = actor("finance")
    row = billing.to_invoice(db, fin)[0]
    inv = billing.invoice_order(db, fin, row.order_id)
    # unpaid: a credit lowers what is owed, no money goes back
    billing.credit_note(db, fin, inv.id, "20.00", "price error")
    after = billing.invoice(db, fin, inv.id)
    assert after.credited == D("20.00") and after.outstanding == inv.gross - 20
    assert not [r for r in billing.refunds(db, fin) if r.invoice_number == inv.number]
    billing.record_payment(db, fin, inv.id, after.outstanding)
    # paid: a further credit is money back, queued to finance with the target date
    billing.credit_note(db, fin, inv.id, "5.00", "goodwill")
    refund = next(r for r in billing.refunds(db, fin) if r.invoice_number == inv.number)
    assert refund.amount == D("5.00") and refund.status == "queued"
    assert refund.due_by == get_calendar(db).add_business_days(clock.local_date(refund.queued_at), 3)
    counts = _counts(db)
    with pytest.raises(UserError, match="left to credit"):
        billing.credit_note(db, fin, inv.id, str(inv.gross), "too much")
    with pytest.raises(ValidationError, match="say why"):
        billing.credit_note(db, fin, inv.id, "1.00", "")
    assert _counts(db) == counts
    paid = billing.pay_refund(db, fin, refund.id, refund.version, "BACS 1")
    assert paid.status == "paid"
    with pytest.raises(UserError, match="paid already"):
        billing.pay_refund(db, fin, refund.id, paid.version)


def _shipped_line(db, customer_id: int | None = None):
    with db.read() as s:
        q = (select(SalesOrderLine, SalesOrder).join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
             .where(SalesOrderLine.qty_shipped > 0, SalesOrderLine.qty_invoiced >= SalesOrderLine.qty_shipped,
                    SalesOrder.status == "closed"))
        return s.execute(q).first()


def test_rma_state_machine_per_role_with_restock_scrap_and_refund(demo) -> None:
    db, actor = demo
    ol, order = _shipped_line(db)
    claim = returns.open_claim(db, actor("service"), order.customer_id, [(ol.id, 1, "damaged")],
                               "Damaged on arrival")
    for who in ("shipping", "finance", "service", "production", "marketing"):
        with pytest.raises(PermissionDenied):
            returns.decide_claim(db, actor(who), claim.id, claim.version, True, return_method="label")
    with pytest.raises(PermissionDenied):
        returns.open_claim(db, actor("finance"), order.customer_id, [(ol.id, 1, "x")], "x")
    with pytest.raises(UserError, match="expected back|nothing is expected"):
        returns.receive(db, actor("shipping"), claim.id, claim.version)
    with pytest.raises(ValidationError, match="choose carrier pickup"):
        returns.decide_claim(db, actor("sales"), claim.id, claim.version, True)
    claim = returns.decide_claim(db, actor("sales"), claim.id, claim.version, True, return_method="carrier_pickup")
    with pytest.raises(UserError, match="decided already"):
        returns.decide_claim(db, actor("management"), claim.id, claim.version, False, reason="no")
    with pytest.raises(PermissionDenied):
        returns.book_pickup(db, actor("sales"), claim.id, claim.version, "x")
    claim = returns.book_pickup(db, actor("shipping"), claim.id, claim.version, "DPD Fri")
    with pytest.raises(UserError, match="inspect goods once received"):
        returns.inspect(db, actor("shipping"), claim.id, claim.version, {claim.lines[0].id: ("restock", "")})
    claim = returns.receive(db, actor("shipping"), claim.id, claim.version)
    sku = claim.lines[0].sku
    before = _product(db, sku).stock_on_hand
    claim = returns.inspect(db, actor("shipping"), claim.id, claim.version, {claim.lines[0].id: ("restock", "ok")})
    assert claim.status == "refund_queued" and claim.refund_due is not None
    assert _product(db, sku).stock_on_hand == before + 1
    with db.read() as s:
        cn = s.scalars(select(CreditNote).where(CreditNote.rma_id == claim.id)).one()
        assert cn.net == ol.unit_price.quantize(D("0.01"))
    refund = next(r for r in billing.refunds(db, actor("sales")) if r.rma_number == claim.number)
    with pytest.raises(PermissionDenied):
        billing.pay_refund(db, actor("sales"), refund.id, refund.version)
    billing.pay_refund(db, actor("finance"), refund.id, refund.version)
    done = returns.claim(db, actor("sales"), claim.id)
    assert done.status == "closed" and done.days_receipt_to_refund() == 0
    kinds = {e.kind for e in _events(db, order.id)}
    assert {"return_opened", "return_approved", "pickup_booked", "return_received", "return_inspected",
            "credit_note", "refund_queued", "refund_paid"} <= kinds


def _events(db, order_id: int) -> list[TimelineEvent]:
    with db.read() as s:
        return list(s.scalars(select(TimelineEvent).where(TimelineEvent.order_id == order_id)))


def test_claims_over_several_orders_repair_replace_and_refund_without_return(demo) -> None:
    db, actor = demo
    with db.read() as s:
        rows = s.execute(select(SalesOrderLine.id, SalesOrder.id, SalesOrder.customer_id)
                         .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
                         .where(SalesOrderLine.qty_shipped >= 2, SalesOrder.status == "closed")).all()
    by_cust: dict[int, list] = {}
    for lid, oid, cid in rows:
        by_cust.setdefault(cid, []).append((lid, oid))
    cid, lines = next((c, v) for c, v in by_cust.items() if len({o for _l, o in v}) >= 2)
    (l1, o1), (l2, o2) = next((a, b) for a in lines for b in lines if a[1] != b[1])
    claim = returns.open_claim(db, actor("sales"), cid, [(l1, 1, "scratched"), (l2, 1, "wrong colour")],
                               "Two orders, two problems")
    assert {ln.order_line_id for ln in claim.lines} == {l1, l2}
    claim = returns.decide_claim(db, actor("management"), claim.id, claim.version, True, return_method="label")
    claim = returns.receive(db, actor("shipping"), claim.id, claim.version)
    claim = returns.inspect(db, actor("shipping"), claim.id, claim.version,
                            {claim.lines[0].id: ("repair", "scratch on the top"),
                             claim.lines[1].id: ("replace", "")})
    assert claim.status == "closed"  # nothing to credit: repaired and replaced
    with db.read() as s:
        job = s.scalars(select(ServiceJob).where(ServiceJob.rma_id == claim.id)).one()
        assert job.kind.value == "repair" and job.customer_id == cid
        rep = s.scalars(select(SalesOrder).where(SalesOrder.customer_reference == f"Replacement {claim.number}")).one()
        assert rep.total_net == 0 and rep.status.value == "confirmed" and rep.source_order_id == o2
    # refund without return: credited and queued at once
    ol, order = _shipped_line(db)
    c2 = returns.open_claim(db, actor("sales"), order.customer_id, [(ol.id, 1, "lost in transit")], "Never arrived")
    c2 = returns.decide_claim(db, actor("sales"), c2.id, c2.version, True, return_method="no_return")
    assert c2.status == "refund_queued" and c2.lines[0].disposition == "scrap"


def test_claims_for_goods_never_shipped_or_too_many_save_nothing(demo) -> None:
    db, actor = demo
    with db.read() as s:
        unshipped = s.execute(select(SalesOrderLine, SalesOrder).join(SalesOrder)
                              .where(SalesOrderLine.qty_shipped == 0, SalesOrder.status == "confirmed")).first()
    ol, order = unshipped
    counts = _counts(db)
    with pytest.raises(ValidationError, match="never shipped"):
        returns.open_claim(db, actor("sales"), order.customer_id, [(ol.id, 1, "x")], "where is it")
    ol2, order2 = _shipped_line(db)
    with pytest.raises(ValidationError, match="only"):
        returns.open_claim(db, actor("sales"), order2.customer_id, [(ol2.id, ol2.qty_shipped + 1, "x")], "too many")
    with pytest.raises(ValidationError, match="not on an order of"):
        returns.open_claim(db, actor("sales"), order.customer_id, [(ol2.id, 1, "x")], "someone else's")
    with pytest.raises(ValidationError, match="what the customer says"):
        returns.open_claim(db, actor("sales"), order2.customer_id, [(ol2.id, 1, "x")], " ")
    with pytest.raises(ValidationError, match="reject"):
        c = returns.open_claim(db, actor("sales"), order2.customer_id, [(ol2.id, 1, "x")], "ok")
        returns.decide_claim(db, actor("sales"), c.id, c.version, False, reason="")
    assert _counts(db)[:5] == counts[:5]


def test_invoice_and_credit_note_numbers_stay_gap_free_with_several_desks(db_url: str, backend: str) -> None:
    """Four processes invoice the same orders (one wins each) and issue credit notes at once."""
    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    db = open_database(db_url)
    try:
        build_demo(db)
        fin = Actor("finance", "finance", "Finance")
        order_ids = [r.order_id for r in billing.to_invoice(db, fin)]
        invoice_ids = [v.id for v in billing.invoices(db, fin, open_only=True)][:10]
        with db.read() as s:
            start_inv = s.scalar(select(NumberSequence.next_value).where(NumberSequence.name == "invoice"))
            start_cn = s.scalar(select(NumberSequence.next_value).where(NumberSequence.name == "credit_note"))
    finally:
        db.dispose()
    assert len(order_ids) >= 5
    workers, credits = 4, 15
    barrier = FORK.Barrier(workers)
    procs, pipes = [], []
    try:
        for w in range(workers):
            reader, writer = FORK.Pipe(duplex=False)
            p = FORK.Process(target=billing_worker.invoicing_desk, daemon=True,
                             args=(db_url, w, order_ids, invoice_ids, credits, barrier, writer))
            p.start()
            writer.close()
            procs.append(p)
            pipes.append(reader)
        deadline = time.monotonic() + 180
        reports = []
        for reader in pipes:
            assert reader.poll(max(0.0, deadline - time.monotonic()))
            reports.append(reader.recv())
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
            p.join(10)
    assert not [r["fatal"] for r in reports if r["fatal"]], [r["fatal"] for r in reports if r["fatal"]][0]
    invoices = sorted(n for r in reports for n in r["invoices"])
    notes = sorted(n for r in reports for n in r["credit_notes"])
    assert invoices == list(range(start_inv, start_inv + len(order_ids)))  # each order once, no gap
    assert notes == list(range(start_cn, start_cn + workers * credits))
    db = open_database(db_url)
    try:
        with db.read() as s:
            assert s.scalar(select(NumberSequence.next_value).where(NumberSequence.name == "invoice")) == \
                start_inv + len(order_ids)
            numbers = sorted(s.scalars(select(Invoice.number)))
            assert numbers == list(range(1, len(numbers) + 1))
            cns = sorted(s.scalars(select(CreditNote.number)))
            assert cns == list(range(1, len(cns) + 1))
    finally:
        db.dispose()
