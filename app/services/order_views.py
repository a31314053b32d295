"""The read side of orders: the frozen views handed to the screens, and the reads that build them.

One responsibility: reading, never changing. ``OrderView`` (with its ``LineView`` lines, the
explanation of each price, and the ``OrderActions`` the reader may take now), ``TimelineItem``
(an order's timeline and notes), ``get_order`` / ``view_in`` / ``find_order``, the completers'
searches of customers and products, and the order list (``ORDER_LIST`` with ``order_filters``).
The actions in ``app/services/orders.py`` return these views, and ``app.services.orders``
re-exports every name here, so callers may keep importing them from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app import format as fmt
from app.db.uow import Actor, Database
from app.errors import Problem, UserError, ValidationError
from app.models import Customer, Note, PickList, PickListLine, Product, SalesOrder, TimelineEvent, User
from app.models.enums import OrderStatus, PickListStatus
from app.services import numbers
from app.services.order_rules import EDITABLE, STATUS_LABEL, OrderActions, approval_reason_of, order_actions
from app.services.paging import ListColumn, ListQuery
from app.services.permissions import require
from app.services.pricing import (
    MINUS,
    LineInput,
    Totals,
    combined_discount,
    load_rules,
    order_totals,
    pct,
    quote_from_rules,
    recover_extra_discount,
)
from app.services.settings import load_settings

ZERO = Decimal(0)
PREFIXES = {name: numbers.PREFIXES[name] for name in ("order", "quote")}


class NotFound(UserError):
    title = "Not found"


@dataclass(frozen=True)
class LineView:
    id: int
    line_no: int
    product_id: int
    sku: str
    name: str
    unit: str
    quantity: Decimal
    list_price: Decimal
    discount: Decimal  # combined, off list price
    extra_discount: Decimal  # the salesperson's own part of it
    unit_price: Decimal
    override_reason: str | None
    tax_rate: Decimal
    unit_cost: Decimal
    net: Decimal
    tax: Decimal
    margin: Decimal | None
    promise_date: dt.date | None
    qty_reserved: Decimal
    qty_shipped: Decimal
    explanation: tuple[str, ...]

    def as_input(self) -> LineInput:
        """The input that reproduces this line (for editing an order)."""
        if self.override_reason:
            return LineInput(self.product_id, self.quantity, None, self.unit_price, self.override_reason)
        return LineInput(self.product_id, self.quantity, self.extra_discount or None)


@dataclass(frozen=True)
class TimelineItem:
    at: dt.datetime
    stage: str
    kind: str  # created, confirmed, … or "note"
    summary: str
    user: str
    order_id: int | None = None
    ref_table: str | None = None
    ref_id: int | None = None


@dataclass(frozen=True)
class OrderView:
    id: int
    number: str
    kind: str
    status: str
    version: int
    customer_id: int
    customer_code: str
    customer_name: str
    customer_tier: str
    salesperson_id: int | None
    salesperson: str | None
    order_date: dt.date
    requested_date: dt.date | None
    promise_date: dt.date | None
    confirmed_at: dt.datetime | None
    bottleneck: str | None
    customer_reference: str | None
    needs_approval: bool
    approval_reason: str | None
    approved_by: str | None
    approved_at: dt.datetime | None
    totals: Totals
    lines: tuple[LineView, ...]
    notes: tuple[TimelineItem, ...] = ()
    hold_reason: str | None = None
    cancel_reason: str | None = None
    updated_by: str = ""
    updated_at: dt.datetime | None = None
    editable: bool = field(default=False)  # lines may still be changed (by someone who may edit)
    actions: OrderActions = field(default_factory=OrderActions)  # what the reader may do now


def _moving(s: Session, order: SalesOrder) -> bool:
    """Some of the order is on a pick list that is not cancelled, picked or shipped."""
    if any(ln.qty_picked or ln.qty_shipped for ln in order.lines):
        return True
    line_ids = [ln.id for ln in order.lines]
    return bool(line_ids and s.execute(
        select(func.count()).select_from(PickListLine).join(PickList, PickList.id == PickListLine.pick_list_id)
        .where(PickListLine.order_line_id.in_(line_ids), PickList.status != PickListStatus.CANCELLED)).scalar())


def _note_item(n: Note) -> TimelineItem:
    return TimelineItem(n.created_at, n.stage.value, "note", n.text, n.author, n.order_id, "note", n.id)


def timeline(db: Database, actor: Actor, order_id: int) -> list[TimelineItem]:
    require(actor, "orders.view")
    with db.read() as s:
        return timeline_in(s, order_id)


def timeline_in(s: Session, order_id: int) -> list[TimelineItem]:
    """The order's timeline and notes, in time order, inside a read the caller holds."""
    events = s.execute(select(TimelineEvent).where(TimelineEvent.order_id == order_id)
                       .order_by(TimelineEvent.at, TimelineEvent.id)).scalars()
    items = [TimelineItem(e.at, e.stage.value, e.kind, e.summary, e.user, e.order_id, e.ref_table, e.ref_id)
             for e in events]
    items += [_note_item(n) for n in s.execute(select(Note).where(Note.order_id == order_id)).scalars()]
    return sorted(items, key=lambda it: it.at)


# --------------------------------------------------------------------------------------------
# read side
# --------------------------------------------------------------------------------------------

def _view(s: Session, order: SalesOrder, actor: Actor | None = None) -> OrderView:
    settings = load_settings(s)
    cust = s.get(Customer, order.customer_id)
    assert cust is not None
    sp = s.execute(select(User.full_name).where(User.id == order.salesperson_id)).scalar() \
        if order.salesperson_id else None
    prods = {p.id: p for p in s.execute(select(Product).where(
        Product.id.in_({ln.product_id for ln in order.lines}))).scalars()}
    rules = load_rules(s, prods, order.order_date)
    lines = []
    for ln in order.lines:
        q = quote_from_rules(rules[ln.product_id], ln.quantity, tier=cust.tier.value, settings=settings,
                             unit_cost=ln.unit_cost)
        extra = ZERO
        if ln.price_override_reason:
            expl: tuple[str, ...] = (f"price set by hand: {ln.price_override_reason}",)
        elif ln.list_price == q.list_price and ln.unit_price <= q.unit_price:
            base = combined_discount(q.tier_discount, q.break_discount, q.promo_discount)
            extra = recover_extra_discount(ln.list_price, base, ln.unit_price)
            expl = tuple(e for e in q.explanation if e != "list price" or not extra)
            expl += (f"extra {MINUS}{pct(extra)}",) if extra else ()
        else:
            expl = (f"list {ln.list_price:,} {MINUS}{pct(ln.discount)} as quoted",)
        t = order_totals([ln])
        p = prods[ln.product_id]
        lines.append(LineView(ln.id, ln.line_no, ln.product_id, p.sku, p.name, p.unit, ln.quantity, ln.list_price,
                              ln.discount, extra, ln.unit_price, ln.price_override_reason, ln.tax_rate, ln.unit_cost,
                              t.net, t.tax, t.margin, ln.promise_date, ln.qty_reserved, ln.qty_shipped, expl))
    totals = order_totals(order.lines)
    notes = tuple(_note_item(n) for n in s.execute(select(Note).where(Note.order_id == order.id)
                                                   .order_by(Note.created_at, Note.id)).scalars())
    reason = approval_reason_of(totals, order.lines, settings.margin_floor) if order.needs_approval else None
    moving = _moving(s, order)
    editable = order.status in EDITABLE and not moving
    actions = order_actions(actor.role, order.status, moving=moving, needs_approval=order.needs_approval,
                            approved_by=order.approved_by) if actor is not None else OrderActions()
    return OrderView(order.id, order.number, order.kind.value, order.status.value, order.version, cust.id, cust.code,
                     cust.name, cust.tier.value, order.salesperson_id, sp, order.order_date, order.requested_date,
                     order.promise_date, order.confirmed_at, order.bottleneck, order.customer_reference,
                     order.needs_approval, reason, order.approved_by, order.approved_at, totals, tuple(lines), notes,
                     order.hold_reason, order.cancel_reason, order.updated_by, order.updated_at, editable, actions)


def get_order(db: Database, actor: Actor, order_id: int) -> OrderView:
    require(actor, "orders.view")
    with db.read() as s:
        return view_in(s, actor, order_id)


def view_in(s: Session, actor: Actor, order_id: int) -> OrderView:
    """``get_order`` inside a read the caller holds (the order screen reads everything at once)."""
    order = s.get(SalesOrder, order_id)
    if order is None:
        raise NotFound(f"Order #{order_id} does not exist (any more).")
    return _view(s, order, actor)


def find_order(db: Database, actor: Actor, number: str) -> OrderView:
    require(actor, "orders.view")
    with db.read() as s:
        order = s.execute(select(SalesOrder).where(SalesOrder.number == (number or "").strip().upper())).scalar()
        if order is None:
            raise ValidationError(Problem(f"no order or quote is numbered '{(number or '').strip()}'", field="number"))
        return _view(s, order, actor)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search(db: Database, actor: Actor, text: str, limit: int, entity: type[Customer] | type[Product],
            code: InstrumentedAttribute[str], order: InstrumentedAttribute[str]) -> list[tuple[int, str, str]]:
    """Active rows whose code starts with, or whose name contains, ``text`` (for completers)."""
    require(actor, "orders.view")
    t = _like((text or "").strip().lower())
    with db.read() as s:
        rows = s.execute(select(entity.id, code, entity.name).where(
            entity.active.is_(True), or_(func.lower(code).like(f"{t}%", escape="\\"),
                                         func.lower(entity.name).like(f"%{t}%", escape="\\")))
            .order_by(order).limit(limit)).all()
    return [(ident, c, name) for ident, c, name in rows]


def search_customers(db: Database, actor: Actor, text: str, limit: int = 20) -> list[tuple[int, str, str]]:
    return _search(db, actor, text, limit, Customer, Customer.code, Customer.name)


def search_products(db: Database, actor: Actor, text: str, limit: int = 20) -> list[tuple[int, str, str]]:
    return _search(db, actor, text, limit, Product, Product.sku, Product.sku)


_Salesperson = User.__table__.alias("salesperson")
ORDER_LIST = ListQuery(SalesOrder.id, [
    ListColumn("number", "Number", SalesOrder.number, SalesOrder.number),
    ListColumn("status", "Status", SalesOrder.status, SalesOrder.status,
               fmt=lambda v: "" if v is None else STATUS_LABEL[OrderStatus(v)]),
    ListColumn("customer", "Customer", Customer.name, Customer.name, joined=True),
    ListColumn("salesperson", "Salesperson", _Salesperson.c.full_name, _Salesperson.c.full_name,
               fmt=lambda v: v or "", joined=True),
    ListColumn("order_date", "Ordered", SalesOrder.order_date, SalesOrder.order_date, fmt=fmt.date),
    ListColumn("promise_date", "Promised", SalesOrder.promise_date, SalesOrder.promise_date, fmt=fmt.date),
    ListColumn("net", "Net", SalesOrder.total_net, SalesOrder.total_net, numeric=True, fmt=fmt.money),
], lambda q: q.select_from(SalesOrder).join(Customer, Customer.id == SalesOrder.customer_id)
   .outerjoin(_Salesperson, _Salesperson.c.id == SalesOrder.salesperson_id))


def order_filters(*, search: str = "", statuses: Sequence[str] | None = None, customer_id: int | None = None,
                  salesperson_id: int | None = None, date_from: dt.date | None = None,
                  date_to: dt.date | None = None) -> list[ColumnElement[bool]]:
    """WHERE conditions for ORDER_LIST. ``search`` matches a number by prefix (an index range,
    "so-0005" or just digits "565" for SO-000565 / Q-000565) or a customer's code or name."""
    where: list[ColumnElement[bool]] = []
    text = (search or "").strip()
    if text:
        up = text.upper()
        hi = up[:-1] + chr(ord(up[-1]) + 1)
        alts = [and_(SalesOrder.number >= up, SalesOrder.number < hi)]
        if text.isdigit() and len(text) <= 6:
            alts.append(SalesOrder.number.in_([p + text.zfill(6) for p in PREFIXES.values()]))
        t = _like(text.lower())
        alts.append(SalesOrder.customer_id.in_(select(Customer.id).where(or_(
            func.lower(Customer.code).like(f"{t}%", escape="\\"),
            func.lower(Customer.name).like(f"%{t}%", escape="\\")))))
        where.append(or_(*alts))
    if statuses:
        where.append(SalesOrder.status.in_([OrderStatus(st) for st in statuses]))
    if customer_id is not None:
        where.append(SalesOrder.customer_id == customer_id)
    if salesperson_id is not None:
        where.append(SalesOrder.salesperson_id == salesperson_id)
    if date_from is not None:
        where.append(SalesOrder.order_date >= date_from)
    if date_to is not None:
        where.append(SalesOrder.order_date <= date_to)
    return where
