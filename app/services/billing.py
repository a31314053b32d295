"""Billing: invoices from shipped quantities (per shipment, or per order once it has shipped in
full — the firm's ``invoice_per`` setting), gap-free invoice numbers even with several desks
invoicing at once, tax per line, payment terms and due date, payments (partial too), the overdue
list, credit notes, and refunds paid by finance against the firm's target.

Money is ``Decimal`` throughout: each invoice line's net and tax are rounded half-up to cents,
the invoice totals are the sums of the rounded lines (what the printed lines add up to).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from app import clock
from app import format as fmt
from app.db.uow import Actor, Database, UnitOfWork
from app.errors import Problem, UserError, ValidationError
from app.models import (
    CreditNote,
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    Product,
    Refund,
    ReturnAuthorization,
    SalesOrder,
    SalesOrderLine,
    TimelineEvent,
)
from app.models.base import money, utcnow
from app.models.enums import InvoiceStatus, OrderStatus, RefundStatus, RmaStatus, Stage
from app.services.firm_calendar import load_calendar
from app.services.numbers import next_value
from app.services.orders import require_approved
from app.services.permissions import require
from app.services.pricing import line_totals
from app.services.settings import FirmSettings, load_settings

ZERO = Decimal(0)
INVOICEABLE = (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED)


@dataclass(frozen=True)
class InvoiceView:
    id: int
    number: int
    version: int
    order_id: int
    order_number: str
    customer_id: int
    customer: str
    issue_date: dt.date
    due_date: dt.date
    status: str
    net: Decimal
    tax: Decimal
    paid: Decimal
    credited: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax

    @property
    def outstanding(self) -> Decimal:
        return max(ZERO, self.gross - self.paid - self.credited)

    def days_overdue(self, today: dt.date) -> int:
        return (today - self.due_date).days if self.outstanding > 0 and today > self.due_date else 0


@dataclass(frozen=True)
class ToInvoice:
    order_id: int
    number: str
    version: int
    customer: str
    status: str
    shipped_value: Decimal  # net of what is shipped and not yet invoiced


@dataclass(frozen=True)
class RefundView:
    id: int
    version: int
    amount: Decimal
    status: str
    queued_at: dt.datetime
    due_by: dt.date
    paid_at: dt.datetime | None
    credit_note_number: int
    invoice_number: int
    customer: str
    rma_number: str | None

    def overdue(self, today: dt.date) -> bool:
        return self.status == "queued" and today > self.due_by


def _amount(value: Any, field: str) -> Decimal:
    try:
        d = fmt.decimal_of(value)
    except (InvalidOperation, ValueError):
        raise ValidationError(Problem(f"'{value}' is not an amount", field=field)) from None
    if not d.is_finite():
        raise ValidationError(Problem(f"'{value}' is not an amount", field=field))
    return d


def _credited(s: Session, invoice_id: int) -> Decimal:
    return Decimal(s.scalar(select(func.coalesce(func.sum(CreditNote.net + CreditNote.tax), 0))
                            .where(CreditNote.invoice_id == invoice_id)) or 0)


def lock_invoice(uow: UnitOfWork, invoice_id: int) -> Invoice:
    """The one way a unit of work reaches an invoice whose money it changes (a payment, a credit
    note — from billing or a return —, a refund paid). Money invariants: credited ≤ invoiced;
    paid + credited − invoiced, when positive, is exactly what was queued as refunds; the status
    follows the amounts. Each rule reads what is paid and credited and writes on that basis,
    so the invoice row is held (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's write
    transaction already excludes other writers) before anything is read, and its version is
    bumped with every change, so a desk that read the invoice without this lock fails with a
    ConflictError instead of writing on stale amounts. Lock order, so that desks queue rather
    than deadlock: a claim, then its invoices by id, then the order, then the number counters."""
    inv = uow.lock(Invoice, invoice_id)
    flag_modified(inv, "updated_at")  # an UPDATE (and so a new version) even when only credit notes change
    return inv


def _view(s: Session, inv: Invoice) -> InvoiceView:
    number, cust = s.execute(select(SalesOrder.number, Customer.name)
                             .join(Customer, Customer.id == SalesOrder.customer_id)
                             .where(SalesOrder.id == inv.order_id)).one()
    return InvoiceView(inv.id, inv.number, inv.version, inv.order_id, number, inv.customer_id, cust, inv.issue_date,
                       inv.due_date, inv.status.value, inv.net, inv.tax, inv.paid, _credited(s, inv.id))


def _event(uow: UnitOfWork, order: SalesOrder, kind: str, summary: str, ref: tuple[str, int]) -> None:
    uow.add(TimelineEvent(customer_id=order.customer_id, order_id=order.id, stage=Stage.BILLING, kind=kind,
                          summary=summary, user=uow.actor.username, ref_table=ref[0], ref_id=ref[1]))


def _to_invoice_qty(ln: SalesOrderLine) -> Decimal:
    return ln.qty_shipped - ln.qty_invoiced


@dataclass(frozen=True)
class Amounts:
    lines: tuple[tuple[Decimal, Decimal], ...]  # (net, tax) per line, each rounded to cents
    net: Decimal
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax

    def tax_by_rate(self, rates: Sequence[Decimal]) -> dict[Decimal, Decimal]:
        out: dict[Decimal, Decimal] = {}
        for (_n, t), r in zip(self.lines, rates):
            out[r] = out.get(r, ZERO) + t
        return out


def invoice_amounts(lines: Sequence[tuple[Any, Any, Any]]) -> Amounts:
    """(quantity, unit price, tax rate) per line → each line's net and tax rounded half-up to
    cents, and totals that are the sums of the rounded lines (what the printed lines add up to)."""
    per = tuple(line_totals(Decimal(q), Decimal(p), Decimal(r)) for q, p, r in lines)
    return Amounts(per, sum((n for n, _t in per), ZERO), sum((t for _n, t in per), ZERO))


# --- invoicing ----------------------------------------------------------------------------------
def to_invoice(db: Database, actor: Actor) -> list[ToInvoice]:
    """Orders with shipped goods not yet invoiced (per order: only once fully shipped)."""
    require(actor, "billing.view")
    with db.read() as s:
        per_order = load_settings(s).invoice_per == "order"
        statuses = (OrderStatus.SHIPPED,) if per_order else INVOICEABLE
        rows = s.execute(
            select(SalesOrder.id, SalesOrder.number, SalesOrder.version, Customer.name, SalesOrder.status,
                   func.sum((SalesOrderLine.qty_shipped - SalesOrderLine.qty_invoiced) * SalesOrderLine.unit_price))
            .join(Customer, Customer.id == SalesOrder.customer_id)
            .join(SalesOrderLine, SalesOrderLine.order_id == SalesOrder.id)
            .where(SalesOrder.status.in_(statuses), SalesOrderLine.qty_shipped > SalesOrderLine.qty_invoiced)
            .group_by(SalesOrder.id, SalesOrder.number, SalesOrder.version, Customer.name, SalesOrder.status)
            .order_by(SalesOrder.number)).all()
        return [ToInvoice(oid, number, v, cust, getattr(st, "value", st), money(Decimal(val or 0)))
                for oid, number, v, cust, st, val in rows]


def invoice_order(db: Database, actor: Actor, order_id: int) -> InvoiceView:
    """Invoice what has shipped and is not yet invoiced. Refused when there is nothing new to
    invoice (no invoicing twice), and — with ``invoice_per = order`` — before the order has
    shipped in full."""
    require(actor, "billing.edit")
    today = clock.today()

    def run(uow: UnitOfWork) -> int:
        s = uow.session
        order = uow.lock(SalesOrder, order_id)  # what is shipped and not yet invoiced is read under the lock
        settings = load_settings(s)
        require_approved(order, "it is not invoiced")
        if order.status not in INVOICEABLE and order.status is not OrderStatus.INVOICED:
            raise UserError(f"{order.number} is {order.status.value.replace('_', ' ')}: only shipped goods are "
                            "invoiced.")
        if settings.invoice_per == "order" and any(ln.qty_shipped < ln.quantity for ln in order.lines):
            raise UserError(f"{order.number} has not shipped in full; the firm invoices whole orders.",
                            hint="Management can switch invoicing to per shipment in the firm settings.")
        lines = [ln for ln in order.lines if _to_invoice_qty(ln) > 0]
        if not lines:
            raise UserError(f"Everything shipped on {order.number} is invoiced already.",
                            hint="An invoice is never issued twice for the same goods.")
        cust = s.get_one(Customer, order.customer_id)
        inv = uow.add(Invoice(number=next_value(s, "invoice"), customer_id=order.customer_id, order_id=order.id,
                              issue_date=today, due_date=due_date(s, today, cust.payment_terms_days, settings),
                              status=InvoiceStatus.ISSUED, net=ZERO, tax=ZERO, paid=ZERO, issued_by=actor.username))
        amounts = invoice_amounts([(_to_invoice_qty(ln), ln.unit_price, ln.tax_rate) for ln in lines])
        for ln, (n, _t) in zip(lines, amounts.lines):
            qty = _to_invoice_qty(ln)
            p = s.get_one(Product, ln.product_id)
            inv.lines.append(InvoiceLine(order_line_id=ln.id, description=f"{p.sku} {p.name}", quantity=qty,
                                         unit_price=ln.unit_price, tax_rate=ln.tax_rate, net=n))
            ln.qty_invoiced += qty
        inv.net, inv.tax = net, tax = amounts.net, amounts.tax
        if order.status is OrderStatus.SHIPPED and all(ln.qty_invoiced >= ln.quantity for ln in order.lines):
            order.status = OrderStatus.INVOICED
        order.updated_at = utcnow()
        uow.flush()
        _event(uow, order, "invoiced", f"Invoice {inv.number} for {order.number}: {fmt.money(net + tax)} due "
               f"{fmt.date(inv.due_date)}", ("invoice", inv.id))
        return inv.id

    iid = db.write(actor, run)
    return invoice(db, actor, iid)


def invoice(db: Database, actor: Actor, invoice_id: int) -> InvoiceView:
    require(actor, "billing.view")
    with db.read() as s:
        inv = s.get(Invoice, invoice_id)
        if inv is None:
            raise UserError("This invoice does not exist.")
        return _view(s, inv)


def find_invoice(db: Database, actor: Actor, number: int) -> InvoiceView:
    require(actor, "billing.view")
    with db.read() as s:
        inv = s.scalar(select(Invoice).where(Invoice.number == number))
        if inv is None:
            raise UserError(f"There is no invoice {number}.")
        return _view(s, inv)


def invoices(db: Database, actor: Actor, *, open_only: bool = False, customer_id: int | None = None,
             limit: int = 500) -> list[InvoiceView]:
    require(actor, "billing.view")
    with db.read() as s:
        q = select(Invoice).order_by(Invoice.number.desc()).limit(limit)
        if open_only:
            q = q.where(Invoice.status.in_([InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID]))
        if customer_id is not None:
            q = q.where(Invoice.customer_id == customer_id)
        return [_view(s, inv) for inv in s.scalars(q)]


def overdue(db: Database, actor: Actor) -> list[InvoiceView]:
    """Unpaid invoices past their due date, the longest overdue first."""
    today = clock.today()
    rows = [v for v in invoices(db, actor, open_only=True, limit=100_000) if v.days_overdue(today) > 0]
    return sorted(rows, key=lambda v: (-v.days_overdue(today), v.number))


# --- payments -----------------------------------------------------------------------------------
def record_payment(db: Database, actor: Actor, invoice_id: int, amount: Any, *, received_on: dt.date | None = None,
                   method: str = "bank transfer", reference: str = "") -> InvoiceView:
    """A payment against an invoice (partial payments too). More than is outstanding is refused."""
    require(actor, "billing.edit")
    value = _amount(amount, "amount")
    if value <= 0 or value != money(value):
        raise ValidationError(Problem("a payment is a positive amount in cents", field="amount", value=amount))

    def run(uow: UnitOfWork) -> int:
        s = uow.session
        inv = lock_invoice(uow, invoice_id)
        outstanding = inv.net + inv.tax - inv.paid - _credited(s, inv.id)
        if value > outstanding:
            raise ValidationError(Problem(
                f"only {fmt.money(outstanding)} is outstanding on invoice {inv.number}" if outstanding > 0
                else f"nothing is outstanding on invoice {inv.number}", field="amount", value=amount))
        uow.add(Payment(invoice_id=inv.id, amount=value, received_on=received_on or clock.today(),
                        method=method.strip() or "bank transfer", reference=reference.strip() or None,
                        recorded_by=actor.username))
        inv.paid += value
        inv.status = InvoiceStatus.PAID if inv.paid + _credited(s, inv.id) >= inv.net + inv.tax \
            else InvoiceStatus.PARTIALLY_PAID
        order = uow.lock(SalesOrder, inv.order_id)  # two invoices of one order paid at once: one closes it
        if order.status is OrderStatus.INVOICED and all(
                i.status in (InvoiceStatus.PAID, InvoiceStatus.CREDITED)
                for i in s.scalars(select(Invoice).where(Invoice.order_id == order.id))):
            order.status = OrderStatus.CLOSED
            order.updated_at = utcnow()
        _event(uow, order, "payment", f"Payment of {fmt.money(value)} for invoice {inv.number}"
               + (" — paid in full" if inv.status is InvoiceStatus.PAID else
                  f"; {fmt.money(outstanding - value)} still due"), ("invoice", inv.id))
        return inv.id

    return invoice(db, actor, db.write(actor, run))


# --- credit notes and refunds -------------------------------------------------------------------
def _credit(uow: UnitOfWork, inv: Invoice, net: Decimal, tax: Decimal, reason: str, rma_id: int | None,
            *, refund_from: dt.datetime | None = None) -> CreditNote:
    """A credit note on ``inv``; money already paid beyond what is left to pay is queued as a refund."""
    s = uow.session
    inv = lock_invoice(uow, inv.id)
    credited = _credited(s, inv.id)
    left = inv.net + inv.tax - credited
    if net + tax > left:
        raise UserError(f"Invoice {inv.number} has only {fmt.money(left)} left to credit." if left > 0
                        else f"Nothing is left to credit on invoice {inv.number}.")
    cn = uow.add(CreditNote(number=next_value(s, "credit_note"), invoice_id=inv.id, rma_id=rma_id,
                            issue_date=clock.today(), net=net, tax=tax, reason=reason,
                            issued_by=uow.actor.username))
    uow.flush()
    gross = net + tax
    still_owed = max(ZERO, inv.net + inv.tax - credited - inv.paid)  # before this credit
    back = gross - min(gross, still_owed)  # what the customer paid for goods now credited
    if inv.paid + credited + gross >= inv.net + inv.tax:
        inv.status = InvoiceStatus.CREDITED if inv.paid == 0 else InvoiceStatus.PAID
    order = s.get_one(SalesOrder, inv.order_id)
    _event(uow, order, "credit_note", f"Credit note {cn.number} on invoice {inv.number}: {fmt.money(gross)} — "
           f"{reason}", ("credit_note", cn.id))
    if back > 0:
        start = refund_from or utcnow()
        target = load_settings(s).refund_target_business_days
        uow.add(Refund(credit_note_id=cn.id, amount=back, status=RefundStatus.QUEUED, queued_at=utcnow(),
                       due_by=load_calendar(s).add_business_days(clock.local_date(start), target)))
        _event(uow, order, "refund_queued", f"Refund of {fmt.money(back)} queued to finance (credit note "
               f"{cn.number}), due within {target} business days", ("credit_note", cn.id))
    return cn


def due_date(s: Session, issued: dt.date, terms_days: int, settings: FirmSettings) -> dt.date:
    """When an invoice issued on ``issued`` falls due: ``terms_days`` calendar days, or business
    days of the firm calendar when the firm counts its terms that way (``payment_terms_basis``)."""
    if settings.payment_terms_basis == "business":
        return load_calendar(s).add_business_days(issued, terms_days)
    return issued + dt.timedelta(days=terms_days)


def credit_note(db: Database, actor: Actor, invoice_id: int, amount_gross: Any, reason: str) -> int:
    """A credit note for part or all of an invoice (a goodwill credit, a price error); the tax is
    split in the invoice's proportion. Returns the credit note number."""
    require(actor, "billing.edit")
    value = _amount(amount_gross, "amount")
    problems = []
    if value <= 0:
        problems.append(Problem("a credit is a positive amount", field="amount", value=amount_gross))
    if not (reason or "").strip():
        problems.append(Problem("say why the invoice is credited (it is printed)", field="reason"))
    if problems:
        raise ValidationError(problems)

    def run(uow: UnitOfWork) -> int:
        inv = lock_invoice(uow, invoice_id)
        gross = inv.net + inv.tax
        tax = money(value * inv.tax / gross) if gross else ZERO
        return _credit(uow, inv, value - tax, tax, reason.strip(), None).number

    return db.write(actor, run)


def refunds(db: Database, actor: Actor, *, open_only: bool = False, customer_id: int | None = None
            ) -> list[RefundView]:
    require(actor, "returns.view")
    with db.read() as s:
        q = (select(Refund, CreditNote.number, Invoice.number, Customer.name, ReturnAuthorization.number)
             .join(CreditNote, CreditNote.id == Refund.credit_note_id)
             .join(Invoice, Invoice.id == CreditNote.invoice_id)
             .join(Customer, Customer.id == Invoice.customer_id)
             .outerjoin(ReturnAuthorization, ReturnAuthorization.id == CreditNote.rma_id)
             .order_by(Refund.due_by, Refund.id))
        if open_only:
            q = q.where(Refund.status == RefundStatus.QUEUED)
        if customer_id is not None:
            q = q.where(Invoice.customer_id == customer_id)
        return [RefundView(r.id, r.version, r.amount, r.status.value, r.queued_at, r.due_by, r.paid_at, cn, inv, cust,
                           rma) for r, cn, inv, cust, rma in s.execute(q)]


def pay_refund(db: Database, actor: Actor, refund_id: int, version: int, reference: str = "") -> RefundView:
    """Finance pays a queued refund; the claim closes when all its refunds are paid."""
    require(actor, "billing.edit")

    def run(uow: UnitOfWork) -> None:
        s = uow.session
        r = uow.lock(Refund, refund_id, expected_version=version)
        if r.status is not RefundStatus.QUEUED:
            raise UserError("This refund is paid already.")
        cn = s.get_one(CreditNote, r.credit_note_id)
        if cn.rma_id is not None:  # the claim closes with its last refund: two paid at once, one closes it
            uow.lock(ReturnAuthorization, cn.rma_id)
        inv = lock_invoice(uow, cn.invoice_id)
        r.status, r.paid_at, r.paid_by, r.reference = RefundStatus.PAID, utcnow(), actor.username, \
            reference.strip() or None
        order = s.get_one(SalesOrder, inv.order_id)
        late = clock.local_date(r.paid_at) > r.due_by
        _event(uow, order, "refund_paid", f"Refund of {fmt.money(r.amount)} paid (credit note {cn.number})"
               + (f" — after the {fmt.date(r.due_by)} target" if late else " within the target"), ("refund", r.id))
        if cn.rma_id is not None:
            rma = s.get_one(ReturnAuthorization, cn.rma_id)
            open_left = s.scalar(select(func.count()).select_from(Refund)
                                 .join(CreditNote, CreditNote.id == Refund.credit_note_id)
                                 .where(CreditNote.rma_id == rma.id, Refund.status == RefundStatus.QUEUED,
                                        Refund.id != r.id))
            if not open_left and rma.status is RmaStatus.REFUND_QUEUED:
                rma.status = RmaStatus.CLOSED

    db.write(actor, run)
    return next(v for v in refunds(db, actor) if v.id == refund_id)


def invoice_lines_for(s: Session, order_line_ids: Sequence[int]) -> dict[int, InvoiceLine]:
    """The invoice line that billed each order line (the newest), for credit notes on returns."""
    out: dict[int, InvoiceLine] = {}
    if not order_line_ids:
        return out
    for il in s.scalars(select(InvoiceLine).where(InvoiceLine.order_line_id.in_(list(order_line_ids)))
                        .order_by(InvoiceLine.id)):
        if il.order_line_id is not None:  # always, given the filter (the column allows NULL)
            out[il.order_line_id] = il
    return out
