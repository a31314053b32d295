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

The module is the write side: the actions (``new_quote``, ``update_order``, ``approve``,
``confirm``, ``cancel``, ``add_note``), each one unit of work, and the stock reservations they
make. The pure rules live in ``app/services/order_rules.py`` and the views and reads in
``app/services/order_views.py``; both are re-exported here, so ``from app.services.orders import
OrderView, approval_reason, get_order, …`` keeps working.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app import format as fmt
from app.db.uow import Actor, Database, UnitOfWork
from app.errors import Problem, UserError, ValidationError
from app.models import Customer, Note, Product, SalesOrder, SalesOrderLine, TimelineEvent, User
from app.models.base import utcnow
from app.models.enums import OrderKind, OrderStatus, Stage
from app.services import credit, numbers
from app.services.order_rules import (
    APPROVABLE,
    CANCELLABLE,
    EDITABLE,
    STATUS_LABEL,
    WAITS,
    ApprovalRequired,
    allocate_reservations,
    approval_reason_of,
    awaiting_approval,
    promise_text,
    reservation_text,
)
from app.services.order_views import OrderView, TimelineItem, _moving, _note_item, _view
from app.services.permissions import require
from app.services.pricing import EnteredLine, LineInput, order_totals, price_entered_lines
from app.services.promise import promise_order
from app.services.settings import FirmSettings, load_settings

# names that moved to order_rules / order_views, re-exported for the callers that import them from here
from app.services.order_rules import AWAITING_APPROVAL as AWAITING_APPROVAL
from app.services.order_rules import OrderActions as OrderActions
from app.services.order_rules import approval_reason as approval_reason
from app.services.order_rules import order_actions as order_actions
from app.services.order_rules import require_approved as require_approved
from app.services.order_views import ORDER_LIST as ORDER_LIST
from app.services.order_views import PREFIXES as PREFIXES
from app.services.order_views import LineView as LineView
from app.services.order_views import NotFound as NotFound
from app.services.order_views import find_order as find_order
from app.services.order_views import get_order as get_order
from app.services.order_views import order_filters as order_filters
from app.services.order_views import search_customers as search_customers
from app.services.order_views import search_products as search_products
from app.services.order_views import timeline as timeline
from app.services.order_views import timeline_in as timeline_in
from app.services.order_views import view_in as view_in

ZERO = Decimal(0)
KEEP: Any = type("Keep", (), {"__repr__": lambda self: "KEEP"})()  # "leave this field as it is"
ROLE_STAGE = {"marketing": Stage.PLANNING, "production": Stage.SCHEDULE, "shipping": Stage.SHIPPING,
              "finance": Stage.BILLING, "service": Stage.SERVICE, "admin": Stage.ADMIN}


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
    cust = s.get(Customer, order.customer_id)
    assert cust is not None  # the foreign key keeps the order's customer
    tier = cust.tier.value
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
        # above the customer's credit limit: confirmed (stock kept), but held for finance
        held = credit.hold_reason(s, order.customer_id, order.id, order.total_net + order.total_tax)
        if held is not None:
            order.status, order.hold_reason = OrderStatus.ON_HOLD, held
            _event(uow, order, "credit_hold", f"{order.number} on credit hold for finance — {held}")
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
