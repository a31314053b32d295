"""The order rules, as pure functions of an order's values (no session, no unit of work).

One responsibility: deciding, not doing. What may happen to an order in each status
(``order_actions``: the actions in ``app/services/orders.py`` check it, the order screen shows
it), the margin floor and the approval gate (``approval_reason``, ``awaiting_approval``,
``require_approved``, used by production, shipping and billing too), freeing stock to an order's
lines (``allocate_reservations``) and the texts of the timeline entries they lead to. The Excel
import of orders (``app/exchange/kinds.py``) applies the same functions to thousands of orders at
once on plain tuples. ``app.services.orders`` re-exports every name here, so callers may keep
importing them from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import and_

from app import format as fmt
from app.errors import UserError
from app.models import SalesOrder
from app.models.enums import OrderStatus
from app.services.permissions import allowed
from app.services.pricing import Totals, pct

ZERO = Decimal(0)
STATUS_LABEL = {s: s.value.replace("_", " ").capitalize() for s in OrderStatus}


class ApprovalRequired(UserError):
    title = "Approval needed"


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


def allocate_reservations(free: dict[int, Decimal], lines: Iterable[tuple[int, Decimal]]) -> list[Decimal]:
    """Pure: free stock to an order's lines, in line order. ``lines`` are (product id, quantity
    still to ship); each line takes what is free of its product, never more than it needs and
    never below zero; ``free`` (product id → on hand − reserved) is reduced by what is taken, so
    the next line (or the next order) sees what is left."""
    out: list[Decimal] = []
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


def promise_text(promise_date: dt.date | None, bottleneck: str | None) -> str:
    """", promised for 04 Dec 2026 (bottleneck: Welding)" for confirmation entries."""
    promised = f", promised for {promise_date:%d %b %Y}" if promise_date else ""
    return promised + (f" (bottleneck: {bottleneck})" if bottleneck else "")
