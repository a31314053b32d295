"""What the order screen shows, in one call and one read: the order as saved with what the user may
do to it now, the lines as typed priced and promised, the excess-stock hints and the timeline.

The screen computes nothing itself: it shows ``OrderScreen``. ``open_order`` is what opening an
order costs (one read); ``recompute`` is what a keystroke costs, run off the GUI thread by the form
(debounced), so typing never waits for the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.db.uow import Actor, Database
from app.services.hints import Hint, hints_in
from app.services.order_preview import Preview, preview_in
from app.services.order_views import OrderView, TimelineItem, timeline_in, view_in
from app.services.permissions import require
from app.services.pricing import LineInput


@dataclass(frozen=True)
class OrderScreen:
    preview: Preview | None  # None: no customer and no lines yet
    hints: tuple[Hint, ...]
    timeline: tuple[TimelineItem, ...] | None  # None: not read (unchanged since the order was opened)


@dataclass(frozen=True)
class OpenedOrder:
    order: OrderView  # as saved, with ``actions``: what the reader may do now
    inputs: tuple[LineInput, ...]  # its lines as the form edits them
    screen: OrderScreen


def _screen(s: Session, customer_id: int | None, inputs: Sequence[LineInput], order_id: int | None,
            with_timeline: bool) -> OrderScreen:
    inputs = list(inputs)
    pv = preview_in(s, customer_id, inputs, order_id=order_id) if customer_id is not None or inputs else None
    hints: tuple[Hint, ...] = ()
    if customer_id is not None or order_id is None:
        on_order = tuple(ln.product_id for ln in (pv.lines if pv is not None else ()) if ln.product_id)
        hints = tuple(hints_in(s, customer_id, order_product_ids=on_order))
    timeline = tuple(timeline_in(s, order_id)) if with_timeline and order_id is not None else None
    return OrderScreen(pv, hints, timeline)


def recompute(db: Database, actor: Actor, customer_id: int | None, inputs: Sequence[LineInput], *,
              order_id: int | None = None, with_timeline: bool = False) -> OrderScreen:
    """The screen for what is typed (nothing saved): one read."""
    require(actor, "orders.view")
    with db.read() as s:
        return _screen(s, customer_id, inputs, order_id, with_timeline)


def open_order(db: Database, actor: Actor, order_id: int) -> OpenedOrder:
    """An order as the screen opens it: one read."""
    require(actor, "orders.view")
    with db.read() as s:
        view = view_in(s, actor, order_id)
        inputs = tuple(ln.as_input() for ln in view.lines)
        return OpenedOrder(view, inputs, _screen(s, view.customer_id, inputs, view.id, True))
