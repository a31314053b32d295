"""Returns and claims (RMA): a claim opened from a phone call, covering shipped lines of one or
several of the customer's orders; approved or rejected with a reason; goods brought back by a
carrier pickup or a return label, or refunded without a return; received and inspected, with a
disposition per line (restock, repair — a repair service job —, scrap, replace — a replacement
order at no charge —); the refund (credit note, and money back where the invoice was paid)
queued to finance, and its age tracked against the firm's target.

State machine (``RmaStatus``) and who moves it (``permissions``)::

    OPENED ──returns.decide──> APPROVED ──returns.receive: book pickup──> PICKUP_BOOKED
           └─returns.decide──> REJECTED (with a reason)     │ (a label: straight to receiving)
    APPROVED / PICKUP_BOOKED ──returns.receive: receive──> RECEIVED
    RECEIVED ──returns.receive: inspect + dispositions──> INSPECTED ──> REFUND_QUEUED (something to credit)
                                                                    └─> CLOSED (nothing to credit)
    APPROVED with "no return" ──> REFUND_QUEUED at once
    REFUND_QUEUED ──billing.edit: every refund paid──> CLOSED
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app import format as fmt
from app.db.uow import Actor, Database, UnitOfWork
from app.errors import Problem, UserError, ValidationError
from app.models import (
    CreditNote,
    Customer,
    Product,
    Refund,
    ReturnAuthorization,
    ReturnLine,
    SalesOrder,
    SalesOrderLine,
    ServiceJob,
    StockMovement,
    TimelineEvent,
)
from app.models.base import money, utcnow
from app.models.enums import (
    Disposition,
    OrderKind,
    OrderStatus,
    RefundStatus,
    ReturnMethod,
    RmaStatus,
    ServiceKind,
    Stage,
)
from app.services.numbers import next_number
from app.services.permissions import require
from app.services.pricing import line_totals
from app.services.shipping import parse_quantity

ZERO = Decimal(0)
STATUS_LABEL = {RmaStatus.OPENED: "Opened, waiting for a decision", RmaStatus.APPROVED: "Approved",
                RmaStatus.REJECTED: "Rejected", RmaStatus.PICKUP_BOOKED: "Pickup booked",
                RmaStatus.RECEIVED: "Received, to inspect", RmaStatus.INSPECTED: "Inspected",
                RmaStatus.REFUND_QUEUED: "Refund queued to finance", RmaStatus.CLOSED: "Closed"}


@dataclass(frozen=True)
class ReturnableLine:
    order_line_id: int
    order_number: str
    sku: str
    name: str
    shipped: Decimal
    returnable: Decimal  # shipped less what earlier claims already cover
    shipped_on: dt.date | None


@dataclass(frozen=True)
class ClaimLine:
    id: int
    order_line_id: int
    order_number: str
    sku: str
    quantity: Decimal
    reason: str
    condition: str | None
    disposition: str | None


@dataclass(frozen=True)
class ClaimView:
    id: int
    number: str
    version: int
    customer_id: int
    customer: str
    status: str
    status_label: str
    channel: str
    opened_by: str
    opened_at: dt.datetime
    complaint: str
    decided_by: str | None
    decision_reason: str | None
    return_method: str | None
    pickup_details: str | None
    received_at: dt.datetime | None
    lines: tuple[ClaimLine, ...]
    refund_due: dt.date | None  # the earliest open refund's target date
    refund_paid_at: dt.datetime | None  # when the last refund was paid (all paid)
    refunded: Decimal

    def refund_overdue(self, today: dt.date) -> bool:
        return self.status == RmaStatus.REFUND_QUEUED.value and self.refund_due is not None and today > self.refund_due

    def days_receipt_to_refund(self) -> int | None:
        if self.received_at is None or self.refund_paid_at is None:
            return None
        zone = clock.zone()
        return (self.refund_paid_at.astimezone(zone).date() - self.received_at.astimezone(zone).date()).days


def _event(uow: UnitOfWork, rma: ReturnAuthorization, kind: str, summary: str, order_id: int | None = None) -> None:
    uow.add(TimelineEvent(customer_id=rma.customer_id, order_id=order_id, stage=Stage.RETURNS, kind=kind,
                          summary=summary, user=uow.actor.username, ref_table="return_authorization", ref_id=rma.id))


def _orders_of(s: Session, rma: ReturnAuthorization) -> list[int]:
    ids = {s.get_one(SalesOrderLine, ln.order_line_id).order_id for ln in rma.lines}
    return sorted(ids)


def _claimed(s: Session, order_line_ids: Sequence[int], *, exclude_rma: int | None = None) -> dict[int, Decimal]:
    if not order_line_ids:
        return {}
    q = (select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
         .join(ReturnAuthorization, ReturnAuthorization.id == ReturnLine.rma_id)
         .where(ReturnLine.order_line_id.in_(list(order_line_ids)), ReturnAuthorization.status != RmaStatus.REJECTED)
         .group_by(ReturnLine.order_line_id))
    if exclude_rma is not None:
        q = q.where(ReturnAuthorization.id != exclude_rma)
    return {lid: Decimal(q_) for lid, q_ in s.execute(q)}


def returnable_lines(db: Database, actor: Actor, customer_id: int) -> list[ReturnableLine]:
    """What this customer could return: shipped lines not already covered by a claim."""
    require(actor, "returns.view")
    with db.read() as s:
        rows = s.execute(
            select(SalesOrderLine, SalesOrder.number, Product.sku, Product.name)
            .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
            .join(Product, Product.id == SalesOrderLine.product_id)
            .where(SalesOrder.customer_id == customer_id, SalesOrderLine.qty_shipped > 0)
            .order_by(SalesOrder.order_date.desc(), SalesOrder.number, SalesOrderLine.line_no)).all()
        claimed = _claimed(s, [ln.id for ln, *_ in rows])
        from app.models import Shipment, ShipmentLine

        shipped_on = dict(s.execute(select(ShipmentLine.order_line_id, func.max(Shipment.shipped_at))
                                    .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
                                    .where(ShipmentLine.order_line_id.in_([ln.id for ln, *_ in rows]))
                                    .group_by(ShipmentLine.order_line_id)).all()) if rows else {}
        out = []
        for ln, number, sku, name in rows:
            left = ln.qty_shipped - claimed.get(ln.id, ZERO)
            when = shipped_on.get(ln.id)
            out.append(ReturnableLine(ln.id, number, sku, name, ln.qty_shipped, max(left, ZERO),
                                      when.astimezone(clock.zone()).date() if when else None))
        return out


def open_claim(db: Database, actor: Actor, customer_id: int, lines: Sequence[tuple[int, Any, str]], complaint: str,
               *, channel: str = "phone") -> ClaimView:
    """Open a claim, e.g. during the customer's call: (order line id, quantity, reason) per line,
    from any of the customer's orders. Only shipped goods can be claimed."""
    require(actor, "returns.open")
    problems = []
    if not (complaint or "").strip():
        problems.append(Problem("write down what the customer says", field="complaint"))
    if not lines:
        problems.append(Problem("choose at least one line the claim is about", field="lines"))
    if problems:
        raise ValidationError(problems)

    def run(uow: UnitOfWork) -> int:
        s = uow.session
        cust = s.get(Customer, customer_id)
        if cust is None:
            raise UserError("This customer no longer exists.")
        ids = [lid for lid, _q, _r in lines if isinstance(lid, int)]
        # what is already claimed decides what may be claimed now: hold the orders (in id order,
        # the same on every desk) so two desks taking the same call cannot both claim the last unit
        for oid in sorted(set(s.scalars(select(SalesOrderLine.order_id).where(SalesOrderLine.id.in_(ids))))):
            uow.lock(SalesOrder, oid)
        claimed = _claimed(s, [lid for lid, _q, _r in lines])
        errs = []
        rma = uow.add(ReturnAuthorization(number=next_number(s, "rma"), customer_id=cust.id, status=RmaStatus.OPENED,
                                          channel=channel, opened_by=actor.username, complaint=complaint.strip()))
        seen: set[int] = set()
        for i, (lid, raw, reason) in enumerate(lines, 1):
            ol = s.get(SalesOrderLine, lid)
            order = s.get(SalesOrder, ol.order_id) if ol else None
            where = f"line {i}"
            if ol is None or order is None or order.customer_id != cust.id:
                errs.append(Problem(f"this line is not on an order of {cust.name}", field=where))
                continue
            sku = s.get_one(Product, ol.product_id).sku
            where = f"{order.number} {sku}"
            try:
                q = parse_quantity(raw, where)
            except ValidationError as exc:
                errs += exc.problems
                continue
            left = ol.qty_shipped - claimed.get(lid, ZERO)
            if lid in seen:
                errs.append(Problem("the same line twice in one claim", field=where))
            elif q <= 0:
                errs.append(Problem("a returned quantity is more than 0", field=where, value=raw))
            elif ol.qty_shipped <= 0:
                errs.append(Problem("these goods were never shipped, so they cannot come back", field=where))
            elif q > left:
                errs.append(Problem(f"only {fmt.quantity(left)} shipped and not already claimed", field=where,
                                    value=raw))
            elif not (reason or "").strip():
                errs.append(Problem("give a reason for this line (damaged, wrong item, …)", field=where))
            seen.add(lid)
            rma.lines.append(ReturnLine(order_line_id=lid, quantity=q, reason=(reason or "").strip()))
        if errs:
            raise ValidationError(errs)
        uow.flush()
        for oid in _orders_of(s, rma):
            order = s.get_one(SalesOrder, oid)
            _event(uow, rma, "return_opened", f"Claim {rma.number} opened ({channel}) on {order.number}: "
                   f"{complaint.strip()}", oid)
        return rma.id

    return claim(db, actor, db.write(actor, run))


def decide_claim(db: Database, actor: Actor, rma_id: int, version: int, approve: bool, *, reason: str = "",
                 return_method: str | None = None, pickup_details: str = ""
                 ) -> ClaimView:
    """Approve (with how the goods come back, or "no return") or reject with a reason."""
    require(actor, "returns.decide")
    problems = []
    method = None
    if approve:
        try:
            method = ReturnMethod(return_method or "")
        except ValueError:
            problems.append(Problem("choose carrier pickup, return label or refund without return",
                                    field="return method"))
    elif not reason.strip():
        problems.append(Problem("say why the claim is rejected (the customer is told)", field="reason"))
    if problems:
        raise ValidationError(problems)

    def run(uow: UnitOfWork) -> int:
        s = uow.session
        rma = uow.get(ReturnAuthorization, rma_id, expected_version=version)
        if rma.status is not RmaStatus.OPENED:
            raise UserError(f"{rma.number} is {STATUS_LABEL[rma.status].lower()}; it was decided already.")
        rma.decided_by, rma.decided_at, rma.decision_reason = actor.username, utcnow(), reason.strip() or None
        orders = _orders_of(s, rma)
        if not approve:
            rma.status = RmaStatus.REJECTED
            for oid in orders:
                _event(uow, rma, "return_rejected", f"Claim {rma.number} rejected: {reason.strip()}", oid)
            return rma.id
        assert method is not None, "an approval has its return method (checked before the write)"
        rma.status, rma.return_method = RmaStatus.APPROVED, method
        rma.pickup_details = pickup_details.strip() or None
        for oid in orders:
            _event(uow, rma, "return_approved", f"Claim {rma.number} approved: "
                   + {ReturnMethod.CARRIER_PICKUP: "the carrier collects the goods",
                      ReturnMethod.LABEL: "the customer sends the goods back with our label",
                      ReturnMethod.NO_RETURN: "refund without return"}[method], oid)
        if method is ReturnMethod.NO_RETURN:
            for ln in rma.lines:
                ln.disposition = Disposition.SCRAP
                ln.condition = "not returned"
            _queue_refund(uow, rma, utcnow())
        return rma.id

    return claim(db, actor, db.write(actor, run))


def book_pickup(db: Database, actor: Actor, rma_id: int, version: int, details: str) -> ClaimView:
    """Shipping books the carrier: when and where it collects, or the label's tracking number."""
    require(actor, "returns.receive")
    if not details.strip():
        raise ValidationError(Problem("write the pickup details (carrier, date, reference)", field="details"))

    def run(uow: UnitOfWork) -> int:
        s = uow.session
        rma = uow.get(ReturnAuthorization, rma_id, expected_version=version)
        if rma.status is not RmaStatus.APPROVED or rma.return_method is ReturnMethod.NO_RETURN:
            raise UserError(f"{rma.number} is {STATUS_LABEL[rma.status].lower()}: no pickup to book.")
        rma.status, rma.pickup_details = RmaStatus.PICKUP_BOOKED, details.strip()
        for oid in _orders_of(s, rma):
            _event(uow, rma, "pickup_booked", f"Pickup for {rma.number} booked: {details.strip()}", oid)
        return rma.id

    return claim(db, actor, db.write(actor, run))


def receive(db: Database, actor: Actor, rma_id: int, version: int) -> ClaimView:
    """The goods are back in the warehouse: the refund clock starts."""
    require(actor, "returns.receive")

    def run(uow: UnitOfWork) -> int:
        s = uow.session
        rma = uow.get(ReturnAuthorization, rma_id, expected_version=version)
        if rma.status not in (RmaStatus.APPROVED, RmaStatus.PICKUP_BOOKED) or \
                rma.return_method is ReturnMethod.NO_RETURN:
            raise UserError(f"{rma.number} is {STATUS_LABEL[rma.status].lower()}: nothing is expected back.")
        rma.status, rma.received_at, rma.received_by = RmaStatus.RECEIVED, utcnow(), actor.username
        for oid in _orders_of(s, rma):
            _event(uow, rma, "return_received", f"Goods of {rma.number} received", oid)
        return rma.id

    return claim(db, actor, db.write(actor, run))


def inspect(db: Database, actor: Actor, rma_id: int, version: int,
            findings: Mapping[int, tuple[str, str]]) -> ClaimView:
    """Per claim line: (disposition, condition found). Restock puts the goods back in stock; repair
    opens a repair service job; replace makes a no-charge replacement order; restock and scrap
    are credited (and refunded where paid), queued to finance."""
    require(actor, "returns.receive")

    def run(uow: UnitOfWork) -> int:
        s = uow.session
        rma = uow.get(ReturnAuthorization, rma_id, expected_version=version)
        if rma.status is not RmaStatus.RECEIVED:
            raise UserError(f"{rma.number} is {STATUS_LABEL[rma.status].lower()}: inspect goods once received.")
        errs = []
        for ln in rma.lines:
            got = findings.get(ln.id)
            try:
                disp = Disposition(got[0]) if got else None
            except ValueError:
                disp = None
            if got is None or disp is None:
                sku = s.get_one(Product, s.get_one(SalesOrderLine, ln.order_line_id).product_id).sku
                errs.append(Problem("choose restock, repair, scrap or replace", field=f"{sku} disposition"))
                continue
            ln.disposition, ln.condition = disp, (got[1] or "").strip() or None
        if errs:
            raise ValidationError(errs)
        rma.status = RmaStatus.INSPECTED
        for ln in rma.lines:
            ol = s.get_one(SalesOrderLine, ln.order_line_id)
            order = s.get_one(SalesOrder, ol.order_id)
            p = s.get_one(Product, ol.product_id)
            if ln.disposition is Disposition.RESTOCK:
                p.stock_on_hand += ln.quantity
                uow.add(StockMovement(product_id=p.id, at=utcnow(), quantity=ln.quantity, reason="restock",
                                      reference=rma.number, user=actor.username))
                text = f"{fmt.quantity(ln.quantity)} × {p.sku} back in stock"
            elif ln.disposition is Disposition.REPAIR:
                job = uow.add(ServiceJob(number=next_number(s, "service_job"), kind=ServiceKind.REPAIR,
                                         customer_id=rma.customer_id, order_id=order.id, rma_id=rma.id,
                                         description=f"Repair {fmt.quantity(ln.quantity)} × {p.sku} from {rma.number}: "
                                                     f"{ln.reason}" + (f" ({ln.condition})" if ln.condition else "")))
                uow.flush()
                text = f"{fmt.quantity(ln.quantity)} × {p.sku} to repair (service job {job.number})"
            elif ln.disposition is Disposition.REPLACE:
                rep = _replacement(uow, order, ol, ln.quantity, rma, clock.today())
                text = f"{fmt.quantity(ln.quantity)} × {p.sku} replaced free of charge ({rep.number})"
            else:
                text = f"{fmt.quantity(ln.quantity)} × {p.sku} scrapped"
            _event(uow, rma, "return_inspected", f"{rma.number}: {text}", order.id)
        if any(ln.disposition in (Disposition.RESTOCK, Disposition.SCRAP) for ln in rma.lines):
            _queue_refund(uow, rma, rma.received_at or utcnow())
        else:
            rma.status = RmaStatus.CLOSED
        return rma.id

    return claim(db, actor, db.write(actor, run))


def _replacement(uow: UnitOfWork, order: SalesOrder, ol: SalesOrderLine, qty: Decimal, rma: ReturnAuthorization,
                 today: dt.date) -> SalesOrder:
    from app.services.orders import _reserve
    from app.services.promise import promise_order

    s = uow.session
    rep = uow.add(SalesOrder(number=next_number(s, "order"), kind=OrderKind.ORDER, status=OrderStatus.CONFIRMED,
                             customer_id=order.customer_id, salesperson_id=order.salesperson_id, order_date=today,
                             customer_reference=f"Replacement {rma.number}", source_order_id=order.id,
                             confirmed_at=utcnow(), total_net=ZERO, total_tax=ZERO, total_cost=ZERO))
    rep.lines.append(SalesOrderLine(line_no=1, product_id=ol.product_id, quantity=qty, list_price=ol.list_price,
                                    discount=Decimal(0), unit_price=ZERO, tax_rate=ol.tax_rate, unit_cost=ol.unit_cost,
                                    price_override_reason=f"Free replacement under {rma.number}"))
    rep.total_cost = money(qty * ol.unit_cost)
    uow.flush()
    _reserve(uow, rep)
    promise = promise_order(s, [(ol.product_id, qty)], today=today, exclude_order_id=rep.id)
    rep.promise_date = promise.date
    rep.lines[0].promise_date = promise.date
    uow.add(TimelineEvent(customer_id=rep.customer_id, order_id=rep.id, stage=Stage.RETURNS, kind="replacement",
                          summary=f"{rep.number}: free replacement of {fmt.quantity(qty)} from {order.number} "
                                  f"({rma.number})", user=uow.actor.username, ref_table="return_authorization",
                          ref_id=rma.id))
    return rep


def _queue_refund(uow: UnitOfWork, rma: ReturnAuthorization, clock_from: dt.datetime) -> None:
    """Credit the restocked and scrapped lines on the invoices that billed them (one credit note
    per invoice); where those invoices were paid, the money back is queued to finance."""
    from app.services.billing import _credit, invoice_lines_for, lock_invoice

    s = uow.session
    lines = [ln for ln in rma.lines if ln.disposition in (Disposition.RESTOCK, Disposition.SCRAP)]
    billed = invoice_lines_for(s, [ln.order_line_id for ln in lines])
    per_invoice: dict[int, list[tuple[ReturnLine, Decimal, Decimal]]] = {}
    unbilled = []
    for ln in lines:
        il = billed.get(ln.order_line_id)
        if il is None:
            unbilled.append(ln)
            continue
        net, tax = line_totals(ln.quantity, il.unit_price, il.tax_rate)
        per_invoice.setdefault(il.invoice_id, []).append((ln, net, tax))
    invoices = {inv_id: lock_invoice(uow, inv_id) for inv_id in sorted(per_invoice)}  # all, by id, before any number
    for inv_id, items in sorted(per_invoice.items()):
        inv = invoices[inv_id]
        net = sum((n for _l, n, _t in items), ZERO)
        tax = sum((t for _l, _n, t in items), ZERO)
        _credit(uow, inv, net, tax, f"Return {rma.number}: {rma.complaint}", rma.id, refund_from=clock_from)
    for ln in unbilled:  # shipped but not invoiced yet: those units are never billed
        ol = s.get_one(SalesOrderLine, ln.order_line_id)
        waived = min(ln.quantity, ol.qty_shipped - ol.qty_invoiced)
        if waived > 0:
            ol.qty_invoiced += waived
            p = s.get_one(Product, ol.product_id)
            _event(uow, rma, "return_not_billed", f"{rma.number}: {fmt.quantity(waived)} × {p.sku} returned before "
                   "it was invoiced; it will not be billed", ol.order_id)
    uow.flush()
    queued = s.scalar(select(func.count()).select_from(Refund).join(CreditNote, CreditNote.id == Refund.credit_note_id)
                      .where(CreditNote.rma_id == rma.id, Refund.status == RefundStatus.QUEUED))
    rma.status = RmaStatus.REFUND_QUEUED if queued else RmaStatus.CLOSED


def claim(db: Database, actor: Actor, rma_id: int) -> ClaimView:
    require(actor, "returns.view")
    with db.read() as s:
        rma = s.get(ReturnAuthorization, rma_id)
        if rma is None:
            raise UserError("This claim no longer exists.")
        return _claim_view(s, rma)


def _claim_view(s: Session, rma: ReturnAuthorization) -> ClaimView:
    cust = s.get_one(Customer, rma.customer_id).name
    rows = s.execute(select(ReturnLine, SalesOrder.number, Product.sku)
                     .join(SalesOrderLine, SalesOrderLine.id == ReturnLine.order_line_id)
                     .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
                     .join(Product, Product.id == SalesOrderLine.product_id)
                     .where(ReturnLine.rma_id == rma.id).order_by(ReturnLine.id)).all()
    lines = tuple(ClaimLine(ln.id, ln.order_line_id, number, sku, ln.quantity, ln.reason, ln.condition,
                            ln.disposition.value if ln.disposition else None) for ln, number, sku in rows)
    refunds = s.execute(select(Refund).join(CreditNote, CreditNote.id == Refund.credit_note_id)
                        .where(CreditNote.rma_id == rma.id)).scalars().all()
    open_due = [r.due_by for r in refunds if r.status is RefundStatus.QUEUED]
    paid = [r.paid_at for r in refunds if r.paid_at is not None]
    all_paid = bool(refunds) and not open_due
    return ClaimView(rma.id, rma.number, rma.version, rma.customer_id, cust, rma.status.value,
                     STATUS_LABEL[rma.status], rma.channel, rma.opened_by, rma.created_at, rma.complaint,
                     rma.decided_by, rma.decision_reason, rma.return_method.value if rma.return_method else None,
                     rma.pickup_details, rma.received_at, lines, min(open_due) if open_due else None,
                     max(paid) if all_paid and paid else None, sum((r.amount for r in refunds), ZERO))


def claims(db: Database, actor: Actor, *, open_only: bool = False, customer_id: int | None = None,
           limit: int = 500) -> list[ClaimView]:
    require(actor, "returns.view")
    with db.read() as s:
        q = select(ReturnAuthorization).order_by(ReturnAuthorization.id.desc()).limit(limit)
        if open_only:
            q = q.where(ReturnAuthorization.status.not_in([RmaStatus.CLOSED, RmaStatus.REJECTED]))
        if customer_id is not None:
            q = q.where(ReturnAuthorization.customer_id == customer_id)
        return [_claim_view(s, r) for r in s.scalars(q)]
