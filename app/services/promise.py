"""Promise dates: from stock, or after the work already queued on each work center.

- Free stock (on hand − reserved) covers the quantity: it ships the next working day.
- Otherwise the quantity still to make goes through the product's routing. The load already on
  each work center is the remaining routing time of open orders (confirmed, in production,
  partially shipped): every unshipped unit of a made-to-order line, the unreserved shortfall of a
  stock line; operations marked done in a schedule are left out. Capacity per day comes from the
  work center's calendar (weekly hours, then exceptions such as holidays or a Saturday shift).
- The line's operations queue after that load in routing order; operation k starts, at the
  earliest, the working day after operation k−1 finishes. Production starts after the material
  lead time: the product's own lead time (bought-in parts, material for made-to-order work), or
  longer when a bill-of-material item is short for this quantity (its lead time).
- The line ships the working day after its last operation. The bottleneck is the work center
  whose queue made the line wait longest; when nothing waits in a queue, the work center with the
  longest operation (the one that sets the pace).

Working days for shipping are Monday to Friday, less days every calendar has closed (holidays).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.firm_calendar import production_days
from app.models import (
    BomLine,
    CalendarHours,
    Material,
    Product,
    RoutingOperation,
    SalesOrder,
    SalesOrderLine,
    ScheduledOperation,
    WorkCenter,
)
from app.models.enums import OrderStatus

ZERO = Decimal(0)
DAY = dt.timedelta(days=1)
LOAD_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.IN_PRODUCTION, OrderStatus.PARTIALLY_SHIPPED)
HORIZON_DAYS = 730  # never search further than this for capacity


@dataclass(frozen=True)
class Promise:
    date: dt.date
    source: str  # "stock" | "production"
    bottleneck: str | None  # work center name, e.g. "Welding station 1"
    explanation: str
    from_stock: Decimal = ZERO
    to_make: Decimal = ZERO
    wait_days: int = 0  # calendar days lost waiting in the bottleneck's queue


@dataclass(frozen=True)
class OrderPromise:
    date: dt.date | None
    bottleneck: str | None
    explanation: str
    lines: tuple[Promise, ...]


def ships_text(day: dt.date, today: dt.date) -> str:
    if day == today + DAY:
        return "ships tomorrow"
    if day == today:
        return "ships today"
    return f"ships {day:%a %d %b}"


class Calendars:
    """Working minutes per work center and day, loaded once."""

    def __init__(self, session: Session, today: dt.date) -> None:
        self.weekly: dict[int, list[int]] = {}
        for cal, wd, start, end in session.execute(
                select(CalendarHours.calendar_id, CalendarHours.weekday, CalendarHours.start_minute,
                       CalendarHours.end_minute)):
            self.weekly.setdefault(cal, [0] * 7)[wd] += end - start
        self.exceptions, self.holidays = production_days(session, today - 7 * DAY, today + HORIZON_DAYS * DAY)
        self.wc_calendar: dict[int, int] = dict(session.execute(select(WorkCenter.id, WorkCenter.calendar_id)).all())
        self.wc_name: dict[int, str] = dict(session.execute(select(WorkCenter.id, WorkCenter.name)).all())

    def minutes(self, wc_id: int, day: dt.date) -> int:
        cal = self.wc_calendar.get(wc_id)
        exc = self.exceptions.get(cal, {})  # type: ignore[arg-type]
        if day in exc:
            return exc[day]
        return self.weekly.get(cal, [0] * 7)[day.weekday()]  # type: ignore[arg-type]

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day after ``day``."""
        d = day + DAY
        while not self.is_working_day(d):
            d += DAY
        return d


def open_load(session: Session, *, exclude_order_id: int | None = None) -> dict[int, Decimal]:
    """Minutes of work still to do per work center for open orders."""
    q = (select(SalesOrderLine.id, SalesOrderLine.product_id, SalesOrderLine.quantity, SalesOrderLine.qty_shipped,
                SalesOrderLine.qty_reserved, Product.make_to_stock)
         .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
         .join(Product, Product.id == SalesOrderLine.product_id)
         .where(SalesOrder.status.in_(LOAD_STATUSES)))
    if exclude_order_id is not None:
        q = q.where(SalesOrder.id != exclude_order_id)
    todo: dict[int, tuple[int, Decimal]] = {}
    for line_id, pid, qty, shipped, reserved, mts in session.execute(q):
        left = qty - shipped - (reserved if mts else ZERO)
        if left > 0:
            todo[line_id] = (pid, left)
    if not todo:
        return {}
    routing: dict[int, list[RoutingOperation]] = {}
    for op in session.execute(select(RoutingOperation).where(
            RoutingOperation.product_id.in_({pid for pid, _ in todo.values()}))).scalars():
        routing.setdefault(op.product_id, []).append(op)
    done = set(session.execute(
        select(ScheduledOperation.order_line_id, ScheduledOperation.routing_operation_id)
        .where(ScheduledOperation.done.is_(True), ScheduledOperation.order_line_id.in_(list(todo)))).all())
    load: dict[int, Decimal] = {}
    for line_id, (pid, left) in todo.items():
        for op in routing.get(pid, ()):
            if (line_id, op.id) in done:
                continue
            load[op.work_center_id] = load.get(op.work_center_id, ZERO) + op.setup_minutes + op.run_minutes * left
    return load


class Planner:
    """Promises for one or more lines against the same stock and the same queues: each line
    takes what it uses, so the second line of an order queues behind the first."""

    def __init__(self, session: Session, today: dt.date, *, exclude_order_id: int | None = None) -> None:
        self.session = session
        self.today = today
        self.cal = Calendars(session, today)
        self.exclude_order_id = exclude_order_id
        self.free: dict[int, Decimal] = {}
        # per work center: (day, minutes already used that day) where new work may start
        self.cursor: dict[int, tuple[dt.date, Decimal]] = {}
        for wc, minutes in open_load(session, exclude_order_id=exclude_order_id).items():
            self.cursor[wc] = self._consume(wc, today, ZERO, minutes)

    # -- capacity ----------------------------------------------------------------------------
    def _consume(self, wc: int, day: dt.date, used: Decimal, minutes: Decimal) -> tuple[dt.date, Decimal]:
        """Book ``minutes`` from (day, used) on; return where the booking ends."""
        left = minutes
        for _ in range(HORIZON_DAYS):
            cap = Decimal(self.cal.minutes(wc, day))
            room = cap - used
            if room > 0 and left <= room:
                return day, used + left
            if room > 0:
                left -= room
            day, used = day + DAY, ZERO
        return day, used

    def _free_stock(self, product: Product) -> Decimal:
        if product.id not in self.free:
            free = product.stock_on_hand - product.stock_reserved
            if self.exclude_order_id is not None:  # the order's own reservation is available to it
                own = self.session.execute(
                    select(SalesOrderLine.qty_reserved).where(SalesOrderLine.order_id == self.exclude_order_id,
                                                              SalesOrderLine.product_id == product.id)).scalars()
                free += sum(own, ZERO)
            self.free[product.id] = max(free, ZERO)
        return self.free[product.id]

    def _material_lead(self, product: Product, to_make: Decimal) -> tuple[int, str | None]:
        rows = self.session.execute(
            select(BomLine.quantity, Material.code, Material.stock_on_hand, Material.lead_time_days)
            .join(Material, Material.id == BomLine.material_id).where(BomLine.product_id == product.id)).all()
        own = product.lead_time_days
        short = [(lead, code) for q, code, stock, lead in rows if stock < q * to_make]
        if short and max(short)[0] > own:
            lead, code = max(short)
            return lead, f"{code} short"
        if not own:
            return 0, None
        return own, "made to order" if rows else "bought in"

    # -- the promise -------------------------------------------------------------------------
    def promise(self, product_id: int, quantity: Decimal | int) -> Promise:
        qty = Decimal(quantity)
        product = self.session.get(Product, product_id)
        if product is None:
            raise LookupError(f"product {product_id} does not exist")
        free = self._free_stock(product)
        take = min(free, qty)
        self.free[product.id] = free - take
        to_make = qty - take
        ship = self.cal.next_working_day(self.today)
        if to_make <= 0:
            text = f"{_q(qty)} from stock ({_q(free)} free): {ships_text(ship, self.today)}"
            return Promise(ship, "stock", None, text, from_stock=take)
        lead, lead_why = self._material_lead(product, to_make)
        start = self.today + dt.timedelta(days=lead)
        earliest = self.cal.next_working_day(start if lead else self.today)
        ops = self.session.execute(select(RoutingOperation).where(RoutingOperation.product_id == product.id)
                                   .order_by(RoutingOperation.seq)).scalars().all()
        parts = [f"{_q(take)} from stock, {_q(to_make)} to make" if take else f"{_q(to_make)} to make"]
        if lead:
            parts.append(f"material {lead} days ({lead_why})" if lead_why else f"material {lead} days")
        if not ops:
            date = earliest
            parts.append(ships_text(date, self.today))
            return Promise(date, "production", None, "; ".join(parts), from_stock=take, to_make=to_make)
        worst_wait, bottleneck = 0, None
        longest, pacer = ZERO, None
        finish = earliest
        for op in ops:
            wc = op.work_center_id
            minutes = op.setup_minutes + op.run_minutes * to_make
            day, used = self.cursor.get(wc, (earliest, ZERO))
            if day < earliest:
                day, used = earliest, ZERO
            elif self.cal.minutes(wc, day) - used <= 0:
                day, used = day + DAY, ZERO
            # skip days the work center does not work
            for _ in range(HORIZON_DAYS):
                if self.cal.minutes(wc, day) > used:
                    break
                day, used = day + DAY, ZERO
            wait = (day - earliest).days
            if wait > worst_wait:
                worst_wait, bottleneck = wait, self.cal.wc_name.get(wc)
            if minutes > longest:
                longest, pacer = minutes, self.cal.wc_name.get(wc)
            self.cursor[wc] = end = self._consume(wc, day, used, minutes)
            finish = end[0]
            earliest = self.cal.next_working_day(finish)
        date = self.cal.next_working_day(finish)
        if bottleneck:
            parts.append(f"waits {worst_wait} day{'s' if worst_wait != 1 else ''} in the queue for {bottleneck}")
        elif pacer:
            bottleneck = pacer
            parts.append(f"longest operation: {pacer}, {_hours(longest)}")
        parts.append(f"made by {finish:%a %d %b}, {ships_text(date, self.today)}")
        return Promise(date, "production", bottleneck, "; ".join(parts), from_stock=take, to_make=to_make,
                       wait_days=worst_wait)


def _hours(minutes: Decimal) -> str:
    return f"{(Decimal(minutes) / 60).quantize(Decimal('0.1'))} h"


def _q(d: Decimal) -> str:
    return format(Decimal(d).normalize(), "f") if d == d.to_integral_value() else format(d.normalize(), "f")


def promise_line(session: Session, product_id: int, quantity: Decimal | int, *, today: dt.date,
                 exclude_order_id: int | None = None) -> Promise:
    return Planner(session, today, exclude_order_id=exclude_order_id).promise(product_id, quantity)


def promise_order(session: Session, lines: Iterable[tuple[int, Decimal | int]], *, today: dt.date,
                  exclude_order_id: int | None = None) -> OrderPromise:
    """Promise every (product id, quantity) line against shared stock and queues: the order's
    date is its latest line's, its bottleneck that line's bottleneck."""
    planner = Planner(session, today, exclude_order_id=exclude_order_id)
    promises = tuple(planner.promise(pid, qty) for pid, qty in lines)
    if not promises:
        return OrderPromise(None, None, "no lines", ())
    latest = max(promises, key=lambda p: (p.date, p.wait_days))
    text = f"complete {ships_text(latest.date, today)}"
    if latest.bottleneck:
        text += f"; bottleneck: {latest.bottleneck}"
    return OrderPromise(latest.date, latest.bottleneck, text, promises)
