"""The customer's credit limit, acting: confirming an order that takes what the customer owes and
has on order above the limit puts the order on credit hold for finance, with the figures.

What counts (``exposure``): open receivables — every invoice's gross amount less what was paid and
credited — and open orders — what confirmed orders (in production, ready, partly shipped or on
hold) still have to invoice, with its VAT. A limit of 0 means no limit is set (a new customer's,
until management sets one). Finance releases a credit hold in the priority queue (``priorities.
release_hold``), as any other hold.

One rule for every door: the order screen's confirmation and the Excel import of orders both call
``hold_reason``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import format as fmt
from app.models import CreditNote, Customer, Invoice, SalesOrder, SalesOrderLine
from app.models.enums import OrderStatus

ZERO = Decimal(0)
OPEN = (OrderStatus.CONFIRMED, OrderStatus.IN_PRODUCTION, OrderStatus.READY, OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.ON_HOLD)
HOLD_PREFIX = "Credit hold"


@dataclass(frozen=True)
class Exposure:
    receivables: Decimal  # invoiced, not yet paid or credited (gross)
    open_orders: Decimal  # on confirmed orders, not yet invoiced (gross)

    @property
    def total(self) -> Decimal:
        return self.receivables + self.open_orders


def exposure(s: Session, customer_id: int, *, excluding_order_id: int | None = None) -> Exposure:
    """What ``customer_id`` owes and has on order (``excluding_order_id``: the order being judged)."""
    credited = (select(CreditNote.invoice_id, func.sum(CreditNote.net + CreditNote.tax).label("amount"))
                .group_by(CreditNote.invoice_id).subquery())
    owed = s.scalar(select(func.coalesce(func.sum(
        Invoice.net + Invoice.tax - Invoice.paid - func.coalesce(credited.c.amount, 0)), 0))
        .outerjoin(credited, credited.c.invoice_id == Invoice.id)
        .where(Invoice.customer_id == customer_id,
               Invoice.net + Invoice.tax - Invoice.paid - func.coalesce(credited.c.amount, 0) > 0))
    left = (SalesOrderLine.quantity - SalesOrderLine.qty_invoiced) * SalesOrderLine.unit_price
    q = (select(func.coalesce(func.sum(left * (1 + SalesOrderLine.tax_rate)), 0))
         .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
         .where(SalesOrder.customer_id == customer_id, SalesOrder.status.in_([st.value for st in OPEN]),
                SalesOrderLine.quantity > SalesOrderLine.qty_invoiced))
    if excluding_order_id is not None:
        q = q.where(SalesOrder.id != excluding_order_id)
    on_order = s.scalar(q)
    return Exposure(Decimal(str(owed or 0)).quantize(Decimal("0.01")),
                    Decimal(str(on_order or 0)).quantize(Decimal("0.01")))


def hold_reason_for(limit: Decimal, before: Exposure, order_gross: Decimal) -> str | None:
    """The hold reason with the figures when ``order_gross`` takes the customer above ``limit``
    (0: no limit), else None."""
    if limit <= 0:
        return None
    total = before.total + order_gross
    if total <= limit:
        return None
    m = fmt.money
    return (f"{HOLD_PREFIX}: open invoices {m(before.receivables)} + open orders {m(before.open_orders)} + this "
            f"order {m(order_gross)} = {m(total)}, above the credit limit of {m(limit)} by {m(total - limit)}")


def hold_reason(s: Session, customer_id: int, order_id: int | None, order_gross: Decimal) -> str | None:
    """``hold_reason_for`` with the customer's limit and exposure as stored (the order itself excluded)."""
    limit = s.scalar(select(Customer.credit_limit).where(Customer.id == customer_id))
    if not limit or Decimal(limit) <= 0:
        return None
    return hold_reason_for(Decimal(limit), exposure(s, customer_id, excluding_order_id=order_id), order_gross)
