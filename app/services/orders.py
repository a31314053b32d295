"""Quotes and orders: one unit of work per user action, frozen views out.

Validation collects every problem before raising; each names its field, with 0-based line
indexes as in the ``lines`` list passed in: ``customer``, ``lines``, ``lines[2].product``,
``lines[2].quantity``, ``lines[2].discount``, ``lines[2].price_override``,
``lines[2].override_reason``, ``requested_date``, ``customer_reference``, ``reason``, ``text``.
Nothing is saved when a problem is found.

A line's ``discount`` input is the salesperson's own extra discount (e.g. a hint's suggested
discount), applied on top of tier, quantity-break and promotion discounts; the stored
``discount`` column is the combined discount off list price. ``price_override`` replaces the
computed price and needs a reason. An order whose margin falls below the floor, or with a line
priced below its unit cost, needs management's approval before it can be confirmed.

The rules are pure functions, shared with the Excel import of orders (``app/exchange/kinds.py``),
which confirms thousands of orders at once on plain tuples: ``pricing.price_lines`` (prices),
``pricing.line_amounts``/``totals_of`` (rounding and totals), ``approval_reason`` (the margin
floor), ``allocate_reservations`` (free stock to lines), ``promise.Planner`` (promise dates) and
``numbers`` (the one number series).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from app import clock
from app import format as fmt
from app.db.uow import Actor, Database, UnitOfWork
from app.errors import Problem, UserError, ValidationError
from app.models import (
    Customer,
    Note,
    PickList,
    PickListLine,
    Product,
    SalesOrder,
    SalesOrderLine,
    TimelineEvent,
    User,
)
from app.models.base import utcnow
from app.models.enums import OrderKind, OrderStatus, PickListStatus, Stage
from app.services import numbers
from app.services.paging import ListColumn, ListQuery
from app.services.permissions import allowed, require
from app.services.pricing import (
    MINUS,
    EnteredLine,
    LineInput,
    Totals,
    combined_discount,
    load_rules,
    order_totals,
    pct,
    price_entered_lines,
    quote_from_rules,
    recover_extra_discount,
)
from app.services.promise import promise_order
from app.services.settings import FirmSettings, load_settings

ZERO = Decimal(0)
KEEP: Any = type("Keep", (), {"__repr__": lambda self: "KEEP"})()  # "leave this field as it is"
PREFIXES = {name: numbers.PREFIXES[name] for name in ("order", "quote")}
STATUS_LABEL = {s: s.value.replace("_", " ").capitalize() for s in OrderStatus}
ROLE_STAGE = {"marketing": Stage.PLANNING, "production": Stage.SCHEDULE, "shipping": Stage.SHIPPING,
              "finance": Stage.BILLING, "service": Stage.SERVICE, "admin": Stage.ADMIN}


class ApprovalRequired(UserError):
    title = "Approval needed"


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


# what may happen to an order in each status (the one rule: the actions check it, the screen shows it)
EDITABLE = frozenset({OrderStatus.QUOTE, OrderStatus.CONFIRMED})  # lines, prices, reference
CANCELLABLE = frozenset({OrderStatus.QUOTE, OrderStatus.CONFIRMED, OrderStatus.IN_PRODUCTION, OrderStatus.READY,
                         OrderStatus.ON_HOLD})
APPROVABLE = EDITABLE


@dataclass(frozen=True)
class OrderActions:
    """What the actor may do to the order now, each with the reason when not (for a tooltip)."""

    editable: bool = False
    customer_editable: bool = False
    can_confirm: bool = False
    can_approve: bool = False
    can_cancel: bool = False
    show_approve: bool = False  # the actor is one who approves margins
    why_not: dict[str, str] = field(default_factory=dict)


def order_actions(role: str, status: OrderStatus, *, moving: bool, needs_approval: bool,
                  approved_by: str | None) -> OrderActions:
    """The rule for what ``role`` may do to an order in ``status``; ``moving``: some of it is
    being picked or was shipped. ``update_order``, ``confirm``, ``approve`` and ``cancel`` refuse
    exactly what this says no to, and the order screen enables exactly what it says yes to."""
    label = STATUS_LABEL[status].lower()
    sales, approver = allowed(role, "orders.edit"), allowed(role, "orders.approve_margin")
    why: dict[str, str] = {}
    editable = sales and status in EDITABLE and not moving
    if not sales:
        why["edit"] = why["confirm"] = why["cancel"] = "your role may not change orders"
    elif status not in EDITABLE:
        why["edit"] = f"the order is {label}: its lines can no longer change"
    elif moving:
        why["edit"] = "the order is being picked or shipped: its lines can no longer change"
    can_confirm = sales and status is OrderStatus.QUOTE and not (needs_approval and not approved_by)
    if sales and status is not OrderStatus.QUOTE:
        why["confirm"] = f"the order is {label}, not a quote"
    elif sales and needs_approval and not approved_by:
        why["confirm"] = "the margin is below the floor: management must approve it first"
    can_cancel = sales and status in CANCELLABLE and not moving
    if sales and status not in CANCELLABLE:
        why["cancel"] = f"the order is {label}"
    elif sales and moving:
        why["cancel"] = "the order is partly picked or shipped: ship or return what was picked first"
    can_approve = approver and status in APPROVABLE and needs_approval and not approved_by
    if approver and not can_approve:
        why["approve"] = (f"already approved by {approved_by}" if approved_by else
                          "its margin is above the floor" if not needs_approval else f"the order is {label}")
    return OrderActions(editable, editable and status is OrderStatus.QUOTE, can_confirm, can_approve, can_cancel,
                        approver, why)


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


# --------------------------------------------------------------------------------------------
# input resolution and pricing
# --------------------------------------------------------------------------------------------

def _customer(s: Session, ref: int | str | None) -> Customer | None:
    if isinstance(ref, int) and not isinstance(ref, bool):
        return s.get(Customer, ref)
    if isinstance(ref, str) and ref.strip():
        return s.execute(select(Customer).where(func.upper(Customer.code) == ref.strip().upper())).scalar()
    return None


def _lock_products(uow: UnitOfWork, ids: set[int]) -> dict[int, Product]:
    """Lock the stock rows this action changes, in id order (no deadlocks between desks)."""
    uow.flush()  # reloading below must not overwrite unflushed changes
    rows = uow.session.execute(select(Product).where(Product.id.in_(sorted(ids))).order_by(Product.id)
                     .with_for_update().execution_options(populate_existing=True)).scalars()
    return {p.id: p for p in rows}


def _release(uow: UnitOfWork, order: SalesOrder) -> None:
    products = _lock_products(uow, {ln.product_id for ln in order.lines if ln.qty_reserved})
    for ln in order.lines:
        if ln.qty_reserved:
            p = products[ln.product_id]
            p.stock_reserved = max(ZERO, p.stock_reserved - ln.qty_reserved)
            ln.qty_reserved = ZERO


def allocate_reservations(free: dict[int, Decimal], lines: Iterable[tuple[int, Decimal]]) -> list[Decimal]:
    """Pure: free stock to an order's lines, in line order. ``lines`` are (product id, quantity
    still to ship); each line takes what is free of its product, never more than it needs and
    never below zero; ``free`` (product id → on hand − reserved) is reduced by what is taken, so
    the next line (or the next order) sees what is left."""
    out = []
    append = out.append
    for pid, need in lines:
        have = free.get(pid, ZERO)
        take = min(need, have)
        if take > ZERO:
            free[pid] = have - take
        else:
            take = ZERO
        append(take)
    return out


def reservation_text(sku: str, take: Decimal, need: Decimal, quantity: Decimal) -> str:
    """One line of a 'Stock reserved' timeline entry: "SH-1200-5 3 of 5 (rest to make)"."""
    rest = " (rest to make)" if take < need else ""
    return f"{sku} {fmt.quantity(take)} of {fmt.quantity(quantity)}{rest}"


def _reserve(uow: UnitOfWork, order: SalesOrder) -> list[str]:
    products = _lock_products(uow, {ln.product_id for ln in order.lines})
    free = {pid: p.stock_on_hand - p.stock_reserved for pid, p in products.items()}
    needs = [ln.quantity - ln.qty_shipped for ln in order.lines]
    takes = allocate_reservations(free, [(ln.product_id, need) for ln, need in zip(order.lines, needs, strict=True)])
    done = []
    for ln, need, take in zip(order.lines, needs, takes, strict=True):
        p = products[ln.product_id]
        ln.qty_reserved = take
        p.stock_reserved += take
        done.append(reservation_text(p.sku, take, need, ln.quantity))
    return done


def _apply(uow: UnitOfWork, order: SalesOrder, priced: list[EnteredLine]) -> None:
    """Replace the order's lines, keeping line rows (and their ids) by position."""
    for i, pl in enumerate(priced):
        if i < len(order.lines):
            ln = order.lines[i]
        else:
            ln = SalesOrderLine(line_no=i + 1)
            order.lines.append(ln)
        ln.product_id, ln.quantity, ln.list_price, ln.discount = pl.product.id, pl.quantity, pl.list_price, pl.discount
        ln.unit_price, ln.price_override_reason, ln.tax_rate = pl.unit_price, pl.override_reason, pl.tax_rate
        ln.unit_cost = pl.unit_cost
    for ln in list(order.lines[len(priced):]):
        order.lines.remove(ln)
    uow.flush()


def awaiting_approval(order: SalesOrder) -> bool:
    """Priced below the margin floor (or a line below cost) and not approved by management since:
    nothing downstream — production release, picking, invoicing — proceeds past such an order."""
    return bool(order.needs_approval and not order.approved_by)


# the same rule in SQL, for lists and bulk steps
AWAITING_APPROVAL = and_(SalesOrder.needs_approval.is_(True), SalesOrder.approved_by.is_(None))


def require_approved(order: SalesOrder, doing: str) -> None:
    """ApprovalRequired naming the order when ``awaiting_approval``; ``doing`` says what waits."""
    if awaiting_approval(order):
        raise ApprovalRequired(f"{order.number} is priced below the margin floor and management has not approved it: "
                               f"{doing}.", hint="Ask management to approve it, or change the prices.")


WAITS = "it waits for management's approval before production, picking or invoicing"


def approval_reason(margin: Decimal | None, below_cost: Sequence[int], floor: Decimal) -> str | None:
    """Pure: why an order needs management's approval, or None. ``margin`` is the order's
    (``Totals.margin``: None when there is no net), ``below_cost`` the numbers of the lines priced
    below their unit cost, ``floor`` the firm's margin floor."""
    if margin is None or margin < floor:
        text = "no margin" if margin is None else f"the margin is {pct(margin)}"
        return f"{text[0].upper()}{text[1:]}, below the {pct(floor)} floor: management must approve"
    if below_cost:
        return f"Line(s) {', '.join(map(str, below_cost))} priced below unit cost: management must approve"
    return None


def approval_reason_of(totals: Totals, lines: Sequence[Any], floor: Decimal) -> str | None:
    """``approval_reason`` of lines with unit_price and unit_cost (and line_no) attributes."""
    return approval_reason(totals.margin, [getattr(ln, "line_no", i + 1) for i, ln in enumerate(lines)
                                           if ln.unit_price < ln.unit_cost], floor)


_approval_reason = approval_reason_of  # the order form's preview calls it by this name


def promise_text(promise_date: dt.date | None, bottleneck: str | None) -> str:
    """", promised for 04 Dec 2026 (bottleneck: Welding)" for confirmation entries."""
    promised = f", promised for {promise_date:%d %b %Y}" if promise_date else ""
    return promised + (f" (bottleneck: {bottleneck})" if bottleneck else "")


def _refresh(uow: UnitOfWork, order: SalesOrder, settings: FirmSettings, today: dt.date, *,
             repriced: bool) -> None:
    """Cached totals, approval flag and promise dates, from the lines. New prices need a new
    approval."""
    totals = order_totals(order.lines)
    order.total_net, order.total_tax, order.total_cost = totals.net, totals.tax, totals.cost
    needs = approval_reason_of(totals, order.lines, settings.margin_floor) is not None
    if repriced or not needs:
        order.approved_by = order.approved_at = None
    order.needs_approval = needs
    promise = promise_order(uow.session, [(ln.product_id, ln.quantity - ln.qty_shipped) for ln in order.lines],
                            today=today, exclude_order_id=order.id)
    for ln, p in zip(order.lines, promise.lines, strict=True):
        ln.promise_date = p.date
    order.promise_date, order.bottleneck = promise.date, promise.bottleneck
    order.updated_at = utcnow()  # every action bumps the order's version, so stale edits conflict


def _event(uow: UnitOfWork, order: SalesOrder, kind: str, summary: str) -> None:
    uow.add(TimelineEvent(customer_id=order.customer_id, order_id=order.id, stage=Stage.ORDERS, kind=kind,
                          summary=summary, user=uow.actor.username, ref_table="sales_order", ref_id=order.id))


def _validate_header(requested_date: Any, customer_reference: Any, order_date: dt.date) -> list[Problem]:
    problems = []
    bad_date = not isinstance(requested_date, dt.date) or isinstance(requested_date, dt.datetime)
    if requested_date not in (None, KEEP) and (bad_date or requested_date < order_date):
        problems.append(Problem("the requested date cannot be before the order date", field="requested_date"))
    if customer_reference not in (None, KEEP) and len(str(customer_reference).strip()) > 60:
        problems.append(Problem("the customer's reference is at most 60 characters", field="customer_reference"))
    return problems


# --------------------------------------------------------------------------------------------
# actions
# --------------------------------------------------------------------------------------------

def new_quote(db: Database, actor: Actor, customer: int | str, lines: Sequence[LineInput], *,
              requested_date: dt.date | None = None, customer_reference: str | None = None) -> OrderView:
    require(actor, "orders.edit")
    today = clock.today()

    def run(uow: UnitOfWork) -> OrderView:
        s = uow.session
        settings = load_settings(s)
        cust = _customer(s, customer)
        problems = [] if cust is not None and cust.active else [
            Problem(f"customer '{customer}' {'is inactive' if cust else 'does not exist'}", field="customer",
                    value=customer)]
        tier = cust.tier.value if cust is not None and not problems else None
        priced, line_problems = price_entered_lines(s, tier, lines, today, settings)
        problems += line_problems + _validate_header(requested_date, customer_reference, today)
        if problems:
            raise ValidationError(problems)
        assert cust is not None
        salesperson = actor.user_id or s.execute(select(User.id).where(User.username == actor.username)).scalar()
        order = SalesOrder(number=numbers.next_number(s, "quote"), kind=OrderKind.QUOTE, status=OrderStatus.QUOTE,
                           customer_id=cust.id, salesperson_id=salesperson or cust.salesperson_id, order_date=today,
                           requested_date=requested_date,
                           customer_reference=(customer_reference or "").strip() or None)
        uow.add(order)
        uow.flush()
        _apply(uow, order, priced)
        _refresh(uow, order, settings, today, repriced=True)
        _event(uow, order, "quote_created", f"Quote {order.number} entered, {len(order.lines)} line(s), "
                                            f"net {order.total_net:,}")
        _approval_event(uow, order, settings)
        uow.flush()
        return _view(s, order, actor)

    return db.write(actor, run)


def _approval_event(uow: UnitOfWork, order: SalesOrder, settings: FirmSettings) -> None:
    if order.needs_approval:
        reason = approval_reason_of(order_totals(order.lines), order.lines, settings.margin_floor)
        _event(uow, order, "needs_approval", f"{order.number}: {reason}")


def update_order(db: Database, actor: Actor, order_id: int, version: int, lines: Sequence[LineInput], *,
                 requested_date: Any = KEEP, customer_reference: Any = KEEP) -> OrderView:
    """Replace the lines (and, when given, the requested date / reference; ``None`` clears).
    Quotes always; confirmed orders while nothing is picked or shipped (stock is re-reserved)."""
    require(actor, "orders.edit")

    def run(uow: UnitOfWork) -> OrderView:
        order = _update(uow, order_id, version, lines, requested_date, customer_reference)
        return _view(uow.session, order, actor)

    return db.write(actor, run)


def _update(uow: UnitOfWork, order_id: int, version: int, lines: Sequence[LineInput], requested_date: Any,
            customer_reference: Any) -> SalesOrder:
    """``update_order`` inside the caller's unit of work."""
    today = clock.today()
    s = uow.session
    settings = load_settings(s)
    order = uow.get(SalesOrder, order_id, expected_version=version)
    _check_editable(s, order)
    tier = s.get(Customer, order.customer_id).tier.value  # type: ignore[union-attr]
    priced, problems = price_entered_lines(s, tier, lines, order.order_date, settings)
    problems += _validate_header(requested_date, customer_reference, order.order_date)
    if problems:
        raise ValidationError(problems)
    before = order.total_net
    confirmed = order.status is OrderStatus.CONFIRMED
    if confirmed:
        _release(uow, order)
    _apply(uow, order, priced)
    reserved = _reserve(uow, order) if confirmed else []
    uow.flush()
    if requested_date is not KEEP:
        order.requested_date = requested_date
    if customer_reference is not KEEP:
        order.customer_reference = (customer_reference or "").strip() or None
    _refresh(uow, order, settings, today, repriced=True)
    _event(uow, order, "changed", f"{order.number} changed: {len(order.lines)} line(s), net {order.total_net:,} "
                                  f"(was {before:,})")
    if confirmed and awaiting_approval(order):
        _event(uow, order, "back_to_approval", f"{order.number} is confirmed, but the change takes it below the "
                                               f"margin floor: {WAITS}")
    if reserved:
        _event(uow, order, "stock_reserved", "Stock reserved again: " + "; ".join(reserved))
    _approval_event(uow, order, settings)
    uow.flush()
    return order


def _moving(s: Session, order: SalesOrder) -> bool:
    """Some of the order is on a pick list that is not cancelled, picked or shipped."""
    if any(ln.qty_picked or ln.qty_shipped for ln in order.lines):
        return True
    line_ids = [ln.id for ln in order.lines]
    return bool(line_ids and s.execute(
        select(func.count()).select_from(PickListLine).join(PickList, PickList.id == PickListLine.pick_list_id)
        .where(PickListLine.order_line_id.in_(line_ids), PickList.status != PickListStatus.CANCELLED)).scalar())


def _check_editable(s: Session, order: SalesOrder) -> None:
    if order.status not in EDITABLE:
        raise UserError(f"{order.number} is {STATUS_LABEL[order.status].lower()}: its lines can no longer change.")
    if _moving(s, order):
        raise UserError(f"{order.number} is being picked or shipped: its lines can no longer change.",
                        hint="Ask shipping to cancel the pick list first.")


def approve(db: Database, actor: Actor, order_id: int, version: int) -> OrderView:
    require(actor, "orders.approve_margin")

    def run(uow: UnitOfWork) -> OrderView:
        s = uow.session
        order = uow.get(SalesOrder, order_id, expected_version=version)
        settings = load_settings(s)
        reason = approval_reason_of(order_totals(order.lines), order.lines, settings.margin_floor)
        if order.status not in APPROVABLE:
            raise UserError(f"{order.number} is {STATUS_LABEL[order.status].lower()}: there is nothing to approve.")
        if not order.needs_approval or reason is None:
            raise UserError(f"{order.number} does not need approval: its margin is above the floor.")
        if order.approved_by:
            raise UserError(f"{order.number} was already approved by {order.approved_by}.")
        order.approved_by, order.approved_at = actor.username, utcnow()
        _event(uow, order, "approved", f"{order.number} approved by {actor.display}. {reason.split(':')[0]}.")
        uow.flush()
        return _view(s, order, actor)

    return db.write(actor, run)


def confirm(db: Database, actor: Actor, order_id: int, version: int, *,
            lines: Sequence[LineInput] | None = None, requested_date: Any = KEEP,
            customer_reference: Any = KEEP) -> OrderView:
    """Confirm a quote. With ``lines`` (the form's unsaved edits), the quote is changed first, in
    the same unit of work: both happen or neither."""
    require(actor, "orders.edit")
    today = clock.today()

    def run(uow: UnitOfWork) -> OrderView:
        s = uow.session
        at = version
        if lines is not None:
            at = _update(uow, order_id, version, lines, requested_date, customer_reference).version
        settings = load_settings(s)
        order = uow.get(SalesOrder, order_id, expected_version=at)
        if order.status is not OrderStatus.QUOTE:
            raise UserError(f"{order.number} is {STATUS_LABEL[order.status].lower()}, not a quote to confirm.")
        reason = approval_reason_of(order_totals(order.lines), order.lines, settings.margin_floor)
        if order.needs_approval and not order.approved_by:
            raise ApprovalRequired(f"{order.number} cannot be confirmed yet. {reason}.",
                                   hint="Ask management to approve it, or change the prices.")
        quote_number = order.number
        order.number = numbers.next_number(s, "order")
        order.kind, order.status, order.confirmed_at = OrderKind.ORDER, OrderStatus.CONFIRMED, utcnow()
        reserved = _reserve(uow, order)
        uow.flush()
        _refresh(uow, order, settings, today, repriced=False)
        _event(uow, order, "confirmed", f"Quote {quote_number} confirmed as order {order.number}"
                                        f"{promise_text(order.promise_date, order.bottleneck)}")
        _event(uow, order, "stock_reserved", "Stock reserved: " + "; ".join(reserved))
        uow.flush()
        return _view(s, order, actor)

    return db.write(actor, run)


def cancel(db: Database, actor: Actor, order_id: int, version: int, reason: str) -> OrderView:
    """Cancel an order (a quote is marked lost); releases its stock reservations."""
    require(actor, "orders.edit")
    if not (reason or "").strip():
        raise ValidationError(Problem("say why the order is cancelled", field="reason"))

    def run(uow: UnitOfWork) -> OrderView:
        s = uow.session
        order = uow.get(SalesOrder, order_id, expected_version=version)
        if order.status not in CANCELLABLE:
            raise UserError(f"{order.number} is {STATUS_LABEL[order.status].lower()} and cannot be cancelled.")
        if _moving(s, order):
            raise UserError(f"{order.number} is partly picked or shipped and cannot be cancelled.",
                            hint="Ship or return what was picked first.")
        released = [f"{fmt.quantity(ln.qty_reserved)} × line {ln.line_no}" for ln in order.lines if ln.qty_reserved]
        _release(uow, order)
        quote = order.status is OrderStatus.QUOTE
        order.status = OrderStatus.LOST if quote else OrderStatus.CANCELLED
        order.cancel_reason = reason.strip()
        order.updated_at = utcnow()
        what = "marked lost" if quote else "cancelled"
        _event(uow, order, "lost" if quote else "cancelled", f"{order.number} {what}: {reason.strip()}"
               + (f". Released {', '.join(released)}" if released else ""))
        uow.flush()
        return _view(s, order, actor)

    return db.write(actor, run)


def add_note(db: Database, actor: Actor, text: str, *, order_id: int | None = None,
             customer_id: int | None = None) -> TimelineItem:
    require(actor, "notes.add")
    problems = []
    if not (text or "").strip():
        problems.append(Problem("the note is empty", field="text"))
    if order_id is None and customer_id is None:
        problems.append(Problem("a note belongs to an order or a customer", field="customer"))
    if problems:
        raise ValidationError(problems)

    def run(uow: UnitOfWork) -> TimelineItem:
        cid = customer_id
        if order_id is not None:
            cid = uow.get(SalesOrder, order_id).customer_id
        elif uow.session.get(Customer, cid) is None:
            raise ValidationError(Problem("this customer does not exist", field="customer"))
        note = uow.add(Note(customer_id=cid, order_id=order_id, author=actor.username, text=text.strip(),
                            stage=ROLE_STAGE.get(actor.role, Stage.ORDERS)))
        uow.flush()
        return _note_item(note)

    return db.write(actor, run)


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


def _search(db: Database, actor: Actor, text: str, limit: int, entity: Any, code: Any, order: Any
            ) -> list[tuple[int, str, str]]:
    """Active rows whose code starts with, or whose name contains, ``text`` (for completers)."""
    require(actor, "orders.view")
    t = _like((text or "").strip().lower())
    with db.read() as s:
        rows = s.execute(select(entity.id, code, entity.name).where(
            entity.active.is_(True), or_(func.lower(code).like(f"{t}%", escape="\\"),
                                         func.lower(entity.name).like(f"%{t}%", escape="\\")))
            .order_by(order).limit(limit)).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


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
