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

One ``Planner`` can also promise many orders in a row, as a bulk import confirms them: after each
order, ``queue`` adds its work to the open load exactly as ``open_load`` would count it for the
next order, so the n-th order's promise is the one the order screen would give if the orders
were confirmed there one after another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

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
from app.services.firm_calendar import production_days

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
        if cal is None:  # not a work centre of this firm: no hours
            return 0
        exc = self.exceptions.get(cal, {})
        if day in exc:
            return exc[day]
        return self.weekly.get(cal, [0] * 7)[day.weekday()]

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day after ``day``."""
        d = day + DAY
        while not self.is_working_day(d):
            d += DAY
        return d


def work_left(quantity_open: Decimal, reserved: Decimal, make_to_stock: bool) -> Decimal:
    """What an open line still puts on the work centers: every unshipped unit of a made-to-order
    line, the unreserved shortfall of a stock line."""
    return quantity_open - (reserved if make_to_stock else ZERO)


def open_load(session: Session, *, exclude_order_id: int | None = None,
              exclude_order_ids: Iterable[int] = ()) -> dict[int, Decimal]:
    """Minutes of work still to do per work center for open orders (in a read, remembered until
    the database changes: ``app/services/snapshot.py``)."""
    from app.services import snapshot

    excluded = tuple(sorted({*exclude_order_ids, *(() if exclude_order_id is None else (exclude_order_id,))}))
    return dict(snapshot.remembered(session, ("open_load", excluded), lambda: _open_load(session, excluded)))


def _open_load(session: Session, excluded: tuple[int, ...]) -> dict[int, Decimal]:
    q = (select(SalesOrderLine.id, SalesOrderLine.product_id, SalesOrderLine.quantity, SalesOrderLine.qty_shipped,
                SalesOrderLine.qty_reserved, Product.make_to_stock)
         .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
         .join(Product, Product.id == SalesOrderLine.product_id)
         .where(SalesOrder.status.in_(LOAD_STATUSES)))
    if excluded:
        q = q.where(SalesOrder.id.not_in(excluded))
    todo: dict[int, tuple[int, Decimal]] = {}
    for line_id, pid, qty, shipped, reserved, mts in session.execute(q):
        left = work_left(qty - shipped, reserved, mts)
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
    takes what it uses, so the second line of an order queues behind the first.

    ``exclude_order_ids`` leaves orders out of the open load (orders being replaced); ``free``
    gives the free stock per product to start from (else on hand − reserved, plus the excluded
    order's own reservation).

    Days are counted internally as offsets from today (0 = today): the work centers' capacity and
    the next working day are looked up in lists built as far as they are needed, so a bulk import's
    100,000 lines cost list look-ups, not calendar arithmetic."""

    def __init__(self, session: Session, today: dt.date, *, exclude_order_id: int | None = None,
                 exclude_order_ids: Iterable[int] = (), free: Mapping[int, Decimal] | None = None) -> None:
        self.session = session
        self.today = today
        self.cal = Calendars(session, today)
        self.exclude_order_id = exclude_order_id
        self.free: dict[int, Decimal] = dict(free or {})
        self._products: dict[int, Product] = {}
        self._routing: dict[int, list[tuple[int, Decimal, Decimal]]] = {}  # (work center, set-up, run)
        self._bom: dict[int, list[tuple[Decimal, str, Decimal, int]]] = {}  # (quantity, code, stock, lead)
        self._caps: dict[int, list[Decimal]] = {}  # per work center: minutes on day offset 0, 1, 2…
        self._next_work: list[int] = []  # offset of the first working day after each offset
        self._days: list[dt.date] = []  # the date of each offset
        self._plain: dict[int, tuple[int, bool, list[tuple[Decimal, str, Decimal, int]],
                                     list[tuple[int, Decimal, Decimal]]]] = {}
        self._leads: dict[tuple[int, Decimal], tuple[int, str | None]] = {}
        self._work: dict[tuple[int, Decimal], tuple[tuple[tuple[int, Decimal], ...], int | None, Decimal]] = {}
        # per work center: (day offset, minutes already used that day) where new work may start
        self.cursor: dict[int, tuple[int, Decimal]] = {}
        for wc, minutes in open_load(session, exclude_order_id=exclude_order_id,
                                     exclude_order_ids=exclude_order_ids).items():
            self.cursor[wc] = self._consume(wc, 0, ZERO, minutes)
        self.load_end = dict(self.cursor)  # where the open load ends, with no gaps (see ``queue``)
        self._booked = {wc for wc, (day, _used) in self.load_end.items() if day >= HORIZON_DAYS}
        self._centers: dict[int, frozenset[int]] = {}  # the work centers of each product's routing
        self._making: dict[tuple[int, Decimal], tuple[Any, ...]] = {}  # ``_make_facts`` by (product, quantity)

    # -- what the promises are made of, read once per product ----------------------------------
    def load(self, product_ids: Iterable[int]) -> None:
        """Read the products, their routings and bills of material in bulk (a bulk import's lines);
        otherwise each is read the first time a line needs it."""
        ids = sorted(set(product_ids) - set(self._products))
        for i in range(0, len(ids), 500):
            self._read(ids[i:i + 500])

    def _read(self, ids: list[int]) -> None:
        s = self.session
        for p in s.execute(select(Product).where(Product.id.in_(ids))).scalars():
            self._products[p.id] = p
            self._routing[p.id] = []
            self._bom[p.id] = []
        for pid, wc, setup, run in s.execute(
                select(RoutingOperation.product_id, RoutingOperation.work_center_id, RoutingOperation.setup_minutes,
                       RoutingOperation.run_minutes).where(RoutingOperation.product_id.in_(ids))
                .order_by(RoutingOperation.product_id, RoutingOperation.seq, RoutingOperation.id)):
            self._routing[pid].append((wc, setup, run))
        for pid, q, code, stock, lead in s.execute(
                select(BomLine.product_id, BomLine.quantity, Material.code, Material.stock_on_hand,
                       Material.lead_time_days)
                .join(Material, Material.id == BomLine.material_id).where(BomLine.product_id.in_(ids))):
            self._bom[pid].append((q, code, stock, lead))

    def _product(self, product_id: int) -> Product:
        product = self._products.get(product_id)
        if product is None:
            self._read([product_id])
            product = self._products.get(product_id)
            if product is None:
                raise LookupError(f"product {product_id} does not exist")
        return product

    # -- days --------------------------------------------------------------------------------
    def _more_days(self, upto: int) -> None:
        """Dates and next working days for every offset up to ``upto`` (and a month beyond)."""
        days, nxt = self._days, self._next_work
        target = upto + 32
        while len(days) <= target + 32:
            days.append(self.today + len(days) * DAY)
        working = self.cal.is_working_day
        while len(nxt) <= target:
            off = len(nxt)
            d = off + 1
            while not working(days[d]):
                d += 1
                if d >= len(days):
                    days.extend(self.today + k * DAY for k in range(len(days), len(days) + 32))
            nxt.append(d)

    def _cap_list(self, wc: int, upto: int) -> list[Decimal]:
        """The work center's minutes per day offset, built at least up to ``upto``."""
        caps = self._caps.get(wc)
        if caps is None:
            caps = self._caps[wc] = []
        if len(caps) <= upto:
            if len(self._days) <= upto + 64:
                self._more_days(upto + 64)
            minutes, days = self.cal.minutes, self._days
            caps.extend(Decimal(minutes(wc, days[k])) for k in range(len(caps), upto + 64))
        return caps

    def next_working(self, offset: int) -> int:
        """The offset of the first working day after ``offset``."""
        if offset >= len(self._next_work):
            self._more_days(offset)
        return self._next_work[offset]

    def date(self, offset: int) -> dt.date:
        if offset >= len(self._days):
            self._more_days(offset)
        return self._days[offset]

    # -- capacity ----------------------------------------------------------------------------
    def _consume(self, wc: int, day: int, used: Decimal, minutes: Decimal) -> tuple[int, Decimal]:
        """Book ``minutes`` from (day, used) on; return where the booking ends (at most
        ``HORIZON_DAYS`` days on)."""
        left = minutes
        caps = self._caps.get(wc)
        if caps is None or day >= len(caps):
            caps = self._cap_list(wc, day)
        n = len(caps)
        for _ in range(HORIZON_DAYS):
            if day >= n:
                caps = self._cap_list(wc, day + HORIZON_DAYS // 8)
                n = len(caps)
            room = caps[day] - used
            if room > ZERO:
                if left <= room:
                    return day, used + left
                left -= room
            day, used = day + 1, ZERO
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
        rows = self._bom[product.id]
        own = product.lead_time_days
        short = [(lead, code) for q, code, stock, lead in rows if stock < q * to_make] if rows else ()
        if short and max(short)[0] > own:
            lead, code = max(short)
            return lead, f"{code} short"
        if not own:
            return 0, None
        return own, "made to order" if rows else "bought in"

    # -- the promise -------------------------------------------------------------------------
    def _facts(self, product_id: int) -> tuple[int, bool, list[tuple[Decimal, str, Decimal, int]],
                                                  list[tuple[int, Decimal, Decimal]]]:
        """(own lead time, stock item?, bill of material, routing) of a product, as plain values."""
        facts = self._plain.get(product_id)
        if facts is None:
            product = self._product(product_id)
            facts = self._plain[product_id] = (product.lead_time_days, product.make_to_stock,
                                               self._bom[product_id], self._routing[product_id])
        return facts

    def _lead(self, product_id: int, to_make: Decimal) -> tuple[int, str | None]:
        """The material lead time for making ``to_make`` (materials' stock is not changed by
        promising, so each product and quantity is looked at once)."""
        key = (product_id, to_make)
        got = self._leads.get(key)
        if got is None:
            own, _mts, bom, _ops = self._plain.get(product_id) or self._facts(product_id)
            if bom:
                got = self._material_lead(self._product(product_id), to_make)
            else:
                got = (own, "bought in") if own else (0, None)
            self._leads[key] = got
        return got

    def _steps(self, product_id: int, quantity: Decimal) -> tuple[tuple[tuple[int, Decimal], ...], int | None,
                                                                  Decimal]:
        """Making ``quantity``: each operation's (work center, minutes: set-up + run × quantity) in
        routing order, the work center of the longest (the first of equals) and its minutes."""
        key = (product_id, quantity)
        got = self._work.get(key)
        if got is None:
            steps, pacer, longest = [], None, ZERO
            for wc, setup, run in (self._plain.get(product_id) or self._facts(product_id))[3]:
                minutes = setup + run * quantity
                steps.append((wc, minutes))
                if minutes > longest:
                    longest, pacer = minutes, wc
            got = self._work[key] = (tuple(steps), pacer, longest)
        return got

    def _make_facts(self, product_id: int, to_make: Decimal) -> tuple[Any, ...]:
        """Making ``to_make``: (material lead days, why, the first day work may start — the first
        working day after the material arrives —, the operations, the longest one's work center,
        its minutes), worked out once per product and quantity."""
        lead, lead_why = self._lead(product_id, to_make)
        earliest = self.next_working(lead)
        return (lead, lead_why, earliest, *self._steps(product_id, to_make))

    def _line(self, product_id: int, qty: Decimal) -> tuple[Any, ...]:
        """The rule for one line, in plain values: (kind — 0 from stock, 1 made without a routing,
        2 made on work centers —, ship day offset, free, take, to make, lead, why, wait days,
        bottleneck, pacer, longest operation, finish day offset). It takes the stock and its place
        in the queues; ``promise`` and ``order_dates`` dress it."""
        free = self.free.get(product_id)
        if free is None:
            free = self._free_stock(self._product(product_id))
        if free:
            take = free if free < qty else qty
            self.free[product_id] = free - take
            to_make = qty - take
            if to_make <= 0:
                return 0, self.next_working(0), free, take, to_make, 0, None, 0, None, None, ZERO, 0
        else:  # no stock: the quantity itself (its hash, once worked out, is kept with it)
            take, to_make = ZERO, qty
        key = (product_id, to_make)
        making = self._making.get(key)
        if making is None:
            making = self._making[key] = self._make_facts(product_id, to_make)
        lead, lead_why, earliest, steps, pacer, longest = making
        if not steps:
            return 1, earliest, free, take, to_make, lead, lead_why, 0, None, None, ZERO, earliest
        nxt = self._next_work
        worst_wait, bottleneck = 0, None
        finish = earliest
        cursor, caps_of = self.cursor, self._caps
        for wc, minutes in steps:
            at = cursor.get(wc)
            if at is None or at[0] < earliest:  # nothing queued there before this can start
                day, used = earliest, ZERO
            else:
                day, used = at
            caps = caps_of.get(wc)
            if caps is None or day + 1 >= len(caps):
                caps = self._cap_list(wc, day + 1)
            if caps[day] <= used:  # a full or closed day: on to the first day the work center has room
                for _ in range(HORIZON_DAYS):
                    if day >= len(caps):
                        caps = self._cap_list(wc, day + HORIZON_DAYS // 8)
                    if caps[day] > used:
                        break
                    day, used = day + 1, ZERO
            if day - earliest > worst_wait:
                worst_wait, bottleneck = day - earliest, wc
            room = caps[day] - used
            if room > ZERO and minutes <= room:  # it fits in the day: ``_consume``'s first step
                end = (day, used + minutes)
            else:
                end = self._consume(wc, day, used, minutes)
            cursor[wc] = end
            finish = end[0]
            earliest = nxt[finish] if finish < len(nxt) else self.next_working(finish)
        return 2, self.next_working(finish), free, take, to_make, lead, lead_why, worst_wait, bottleneck, pacer, \
            longest, finish

    def promise(self, product_id: int, quantity: Decimal | int, *, explain: bool = True) -> Promise:
        """The line's promise; it takes its stock and its place in the queues. ``explain=False``
        leaves the explanation empty."""
        qty = quantity if quantity.__class__ is Decimal else Decimal(quantity)
        kind, ship, free, take, to_make, lead, lead_why, wait, bottleneck, pacer, longest, finish = \
            self._line(product_id, qty)
        today, date, name = self.today, self.date(ship), self.cal.wc_name.get
        if kind == 0:
            text = f"{_q(qty)} from stock ({_q(free)} free): {ships_text(date, today)}" if explain else ""
            return Promise(date, "stock", None, text, from_stock=take)
        parts = []
        if explain:
            parts.append(f"{_q(take)} from stock, {_q(to_make)} to make" if take else f"{_q(to_make)} to make")
            if lead:
                parts.append(f"material {lead} days ({lead_why})" if lead_why else f"material {lead} days")
        if kind == 1:
            if explain:
                parts.append(ships_text(date, today))
            return Promise(date, "production", None, "; ".join(parts), from_stock=take, to_make=to_make)
        waited = None if bottleneck is None else name(bottleneck)
        if waited:
            bottleneck = waited
            if explain:
                parts.append(f"waits {wait} day{'s' if wait != 1 else ''} in the queue for {bottleneck}")
        elif pacer is not None and name(pacer):
            bottleneck = name(pacer)
            if explain:
                parts.append(f"longest operation: {bottleneck}, {_hours(longest)}")
        else:
            bottleneck = waited
        if explain:
            parts.append(f"made by {self.date(finish):%a %d %b}, {ships_text(date, today)}")
        return Promise(date, "production", bottleneck, "; ".join(parts), from_stock=take, to_make=to_make,
                       wait_days=wait)

    def order(self, lines: Iterable[tuple[int, Decimal | int]], *, explain: bool = True) -> OrderPromise:
        """Promise every (product id, quantity) line of one order against shared stock and queues:
        the order's date is its latest line's, its bottleneck that line's bottleneck."""
        promises = tuple(self.promise(pid, qty, explain=explain) for pid, qty in lines)
        if not promises:
            return OrderPromise(None, None, "no lines", ())
        latest = max(promises, key=_latest)
        text = ""
        if explain:
            text = f"complete {ships_text(latest.date, self.today)}"
            if latest.bottleneck:
                text += f"; bottleneck: {latest.bottleneck}"
        return OrderPromise(latest.date, latest.bottleneck, text, promises)

    def order_dates(self, lines: Iterable[tuple[int, Decimal]]) -> tuple[dt.date | None, str | None,
                                                                           list[dt.date]]:
        """``order`` in plain values, for bulk imports: (the order's date, its bottleneck, each
        line's date) — the same rule, the same promises, without the texts."""
        dates = []
        best_ship, best_wait, best_line = -1, 0, None
        days, line = self._days, self._line
        for pid, qty in lines:
            got = line(pid, qty)
            ship = got[1]
            if ship >= len(days):
                self._more_days(ship)
            dates.append(days[ship])
            # the first of the latest (date, then days waited), as ``order`` picks with ``max``
            if ship > best_ship or (ship == best_ship and got[7] > best_wait):
                best_ship, best_wait, best_line = ship, got[7], got
        if best_line is None:
            return None, None, dates
        kind, ship, *_rest, bottleneck, pacer, _longest, _finish = best_line
        return days[ship], _bottleneck(self.cal.wc_name.get, bottleneck, pacer) if kind == 2 else None, dates

    def quote(self, lines: Iterable[tuple[int, Decimal | int]], *, explain: bool = True) -> OrderPromise:
        """``order`` for a quote in a batch: promised against the same stock and queues, but it
        takes neither (a quote reserves nothing and loads no work center)."""
        free = dict(self.free)
        try:
            return self.order(lines, explain=explain)
        finally:
            self.free, self.cursor = free, dict(self.load_end)

    def quote_dates(self, lines: Iterable[tuple[int, Decimal]]) -> tuple[dt.date | None, str | None,
                                                                           list[dt.date]]:
        """``order_dates`` for a quote in a batch (see ``quote``)."""
        free = dict(self.free)
        try:
            return self.order_dates(lines)
        finally:
            self.free, self.cursor = free, dict(self.load_end)

    def hold(self) -> None:
        """The order just promised (with ``order``/``order_dates``) is held (credit): it keeps the
        stock it took but joins no work queue, so the next order queues from the open load as it
        was, as ``open_load`` leaves held orders out."""
        self.cursor = dict(self.load_end)

    def queue(self, lines: Iterable[tuple[int, Decimal, Decimal]]) -> None:
        """An order just confirmed (promised with ``order``) joins the open load: (product id,
        quantity still to ship, quantity reserved) per line, counted as ``open_load`` counts it.
        The next order is promised as if this planner had been made after the confirmation: its
        lines queue from the end of the whole open load — booked without gaps, and no further
        than the horizon ``open_load`` is booked to (a work center booked that far stays there) —
        with the stock this order took gone."""
        end, horizon, booked = self.load_end, HORIZON_DAYS, self._booked
        full = (horizon, ZERO)
        for pid, quantity_open, reserved in lines:
            _lead, mts, _bom, ops = self._plain.get(pid) or self._facts(pid)
            wcs = self._centers.get(pid)
            if wcs is None:
                wcs = self._centers[pid] = frozenset(wc for wc, _s, _r in ops)
            if booked.issuperset(wcs):
                continue  # nothing to book, or every work center it uses is booked to the horizon
            left = work_left(quantity_open, reserved, mts)
            if left <= 0:
                continue
            for wc, minutes in (self._work.get((pid, left)) or self._steps(pid, left))[0]:
                day, used = end.get(wc, (0, ZERO))
                if day >= horizon:
                    continue
                day, used = self._consume(wc, day, used, minutes)
                if day < horizon:
                    end[wc] = (day, used)
                else:
                    end[wc] = full
                    booked.add(wc)
        self.cursor = dict(end)


def _bottleneck(name: Any, waited: int | None, pacer: int | None) -> str | None:
    """The work center whose queue made the line wait longest, else the one with the longest
    operation (``_line`` names them by id)."""
    waited_name = None if waited is None else name(waited)
    if waited_name:
        return waited_name
    return name(pacer) if pacer is not None and name(pacer) else waited_name


def _latest(p: Promise) -> tuple[dt.date, int]:
    return p.date, p.wait_days


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
    return Planner(session, today, exclude_order_id=exclude_order_id).order(lines)
