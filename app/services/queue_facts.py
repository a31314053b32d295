"""The facts each open order's priority score is made of, and a cache of them kept current
through the change feed, so re-ranking 10,000 orders does not re-read 30,000 order lines.

Per order: the customer's tier and strategic flag, working days to the promise date, the
production work still to do per work center (routing minutes of what is neither shipped nor
reserved from stock, less operations marked done), whether a material is short for it, value,
margin and age. Every part's value (0..1) depends only on these facts and on today, so a change
of strategy profile only re-weights and re-sorts.

The cache (one per database, per process) is refreshed on each ranking: the change feed since its
sequence number says which orders changed, and only those are read again. It is rebuilt from
scratch when the day changes, when a table that affects many orders changed (customers, routings,
schedules, materials, calendars), when the feed cannot say precisely what changed (a restore,
more than 500 rows in one save, a gap), and at least every ``MAX_AGE`` seconds as a safety net
against writes that bypass the unit of work.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
import weakref
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Float, func, select, type_coerce
from sqlalchemy.orm import Session

from app.services.firm_calendar import production_days
from app.models import (
    BomLine,
    CalendarHours,
    ChangeCounter,
    ChangeFeed,
    Customer,
    Material,
    Product,
    RoutingOperation,
    SalesOrder,
    SalesOrderLine,
    ScheduledOperation,
    User,
    WorkCenter,
)
from app.models.enums import OrderStatus

QUEUE_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.IN_PRODUCTION, OrderStatus.READY,
                  OrderStatus.PARTIALLY_SHIPPED)
LISTED = [st.value for st in (*QUEUE_STATUSES, OrderStatus.ON_HOLD)]
SLACK_HORIZON = 20  # working days of slack at which urgency reaches 0
AGE_FULL = 60  # days waiting at which age counts fully
MARGIN_FULL = 0.5
TIER_VALUE = {"A": 1.0, "B": 0.5, "C": 0.0}
MAX_AGE = 60.0  # seconds before a full rebuild regardless of the feed
REBUILD_TABLES = frozenset({"customer", "app_user", "routing_operation", "scheduled_operation", "bom_line",
                            "material", "work_center", "work_calendar", "calendar_hours", "calendar_exception"})
_CENT = Decimal("0.01")
_CHUNK = 500


class OrderFacts(NamedTuple):
    order_id: int
    number: str
    version: int
    status: str
    customer_id: int
    customer: str
    customer_code: str
    tier: str
    strategic: bool
    salesperson: str
    promise_date: dt.date | None
    total_net: Decimal
    margin: float | None
    values: tuple[float, ...]  # tier, strategic, urgency, availability, value (raw log), margin, age
    slack_days: float | None
    to_promise: int | None
    work_days: float
    work_minutes: float
    availability: str
    short_material: str | None
    age_days: int
    hold_reason: str | None
    work_by_center: tuple[tuple[int, float], ...]
    log_net: float  # log10(1 + net): the value part is this over the largest order's


class WorkingDays:
    """Working-day arithmetic (Mon–Fri less days every calendar is closed), by precomputed index."""

    BACK, AHEAD = 800, 1100

    def __init__(self, s: Session, today: dt.date) -> None:
        self.start = today - dt.timedelta(days=self.BACK)
        self.n = self.BACK + self.AHEAD
        _own, holidays = production_days(s, self.start, self.start + dt.timedelta(days=self.n))
        self.index = [0] * (self.n + 1)
        count = 0
        for i in range(self.n):
            d = self.start + dt.timedelta(days=i)
            self.index[i] = count
            if d.weekday() < 5 and d not in holidays:
                count += 1
        self.index[self.n] = count

    def between(self, day: dt.date) -> int:
        """Working days from today (exclusive) to ``day`` (inclusive). A day already past counts
        back: minus the working days from ``day`` (inclusive) to today (exclusive), at least one —
        a Friday promise seen on Saturday is a day late, not due "in 0 working days"."""
        i = min(max((day - self.start).days, 0), self.n - 1)
        if i < self.BACK:
            return -max(1, self.index[self.BACK] - self.index[i])
        return self.index[i + 1] - self.index[self.BACK + 1]


def daily_minutes(s: Session) -> dict[int, float]:
    """Average working minutes per working day, per work center (from its weekly calendar)."""
    weekly: dict[int, list[int]] = {}
    for cal, wd, start, end in s.execute(select(CalendarHours.calendar_id, CalendarHours.weekday,
                                                CalendarHours.start_minute, CalendarHours.end_minute)):
        weekly.setdefault(cal, [0] * 7)[wd] += end - start
    out = {}
    for wc, cal in s.execute(select(WorkCenter.id, WorkCenter.calendar_id)):
        days = [m for m in weekly.get(cal, []) if m > 0]
        out[wc] = sum(days) / len(days) if days else 480.0
    return out


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


@dataclass
class Context:
    """What every order's facts are computed against: products' stock flag, routings, bills of
    material, material stock, calendars. Kept by the cache between rebuilds (a change to any of
    these tables rebuilds it; a change to products only refreshes ``mts``)."""

    mts: dict[int, bool]  # product -> made to stock
    per_product: dict[int, dict[int, list[float]]]  # product -> work center -> [setup, run per unit]
    op_detail: dict[int, list[tuple[int, int, float, float]]]  # product -> (operation, work center, setup, run)
    bom: dict[int, list[tuple[float, int]]]  # product -> (quantity per unit, material)
    mat: dict[int, tuple[str, float]]  # material -> (code, stock on hand)
    daily: dict[int, float]  # work center -> working minutes per working day
    wd: WorkingDays


def context(s: Session, today: dt.date) -> Context:
    """The :class:`Context` as the database stands."""
    mts = dict(s.execute(select(Product.id, Product.make_to_stock)).all())
    per_product: dict[int, dict[int, list[float]]] = {}  # product -> work center -> [setup, run per unit]
    op_detail: dict[int, list[tuple[int, int, float, float]]] = {}
    for op_id, pid, wc, setup, run in s.execute(select(
            RoutingOperation.id, RoutingOperation.product_id, RoutingOperation.work_center_id,
            type_coerce(RoutingOperation.setup_minutes, Float), type_coerce(RoutingOperation.run_minutes, Float))):
        acc = per_product.setdefault(pid, {}).setdefault(wc, [0.0, 0.0])
        acc[0] += setup
        acc[1] += run
        op_detail.setdefault(pid, []).append((op_id, wc, setup, run))
    bom: dict[int, list[tuple[float, int]]] = {}
    for pid, qty, mid in s.execute(select(BomLine.product_id, type_coerce(BomLine.quantity, Float),
                                          BomLine.material_id)):
        bom.setdefault(pid, []).append((qty, mid))
    mat = {mid: (code, stock) for mid, code, stock in
           s.execute(select(Material.id, Material.code, type_coerce(Material.stock_on_hand, Float)))}
    daily = daily_minutes(s)
    wd = WorkingDays(s, today)

    return Context(mts, per_product, op_detail, bom, mat, daily, wd)


def load_facts(s: Session, today: dt.date, order_ids: Collection[int] | None = None, *,
               ctx: Context | None = None) -> dict[int, OrderFacts]:
    """Facts of every listed order (queued or on hold), or only of ``order_ids`` (those of them
    still listed). Numbers are read as floats: scores are not money, and converting 30,000 line
    quantities to Decimal would cost more than the scoring."""
    o, c, u = SalesOrder.__table__.c, Customer.__table__.c, User.__table__.c
    ln = SalesOrderLine.__table__.c
    head_q = (select(o.id, o.number, o.version, o.status, o.customer_id, c.name, c.code, c.tier, c.strategic,
                     func.coalesce(u.full_name, u.username), o.promise_date, o.order_date, o.confirmed_at,
                     type_coerce(o.total_net, Float), type_coerce(o.total_cost, Float), o.hold_reason)
              .select_from(SalesOrder.__table__.join(Customer.__table__, c.id == o.customer_id)
                           .outerjoin(User.__table__, u.id == o.salesperson_id))
              .where(o.status.in_(LISTED)))
    line_q = (select(ln.id, ln.order_id, ln.product_id, type_coerce(ln.quantity - ln.qty_shipped, Float),
                     type_coerce(ln.qty_reserved, Float))
              .select_from(SalesOrderLine.__table__.join(SalesOrder.__table__, o.id == ln.order_id))
              .where(o.status.in_(LISTED)))
    done_q = (select(ScheduledOperation.order_line_id, ScheduledOperation.routing_operation_id)
              .join(SalesOrderLine, SalesOrderLine.id == ScheduledOperation.order_line_id)
              .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
              .where(ScheduledOperation.done.is_(True), SalesOrder.status.in_(LISTED)))
    # rows of many columns come back from SQLAlchemy untyped (Row[*tuple[Any, ...]], which mypy unpacks to
    # object): say what they are
    heads: list[tuple[Any, ...]]
    lines: list[tuple[int, int, int, float, float]]
    done: set[tuple[int, int]]
    if order_ids is None:
        heads = list(s.execute(head_q).all())
        lines = list(s.execute(line_q).all())
        done = {(a, b) for a, b in s.execute(done_q)}
    else:
        heads, lines, done = [], [], set()
        for chunk in _chunks(sorted(order_ids)):
            heads += s.execute(head_q.where(o.id.in_(chunk))).all()
            lines += s.execute(line_q.where(o.id.in_(chunk))).all()
            done |= {(a, b) for a, b in s.execute(done_q.where(SalesOrder.id.in_(chunk)))}
    if not heads:
        return {}
    cx = ctx if ctx is not None else context(s, today)
    mts, per_product, op_detail, bom, mat = cx.mts, cx.per_product, cx.op_detail, cx.bom, cx.mat
    daily, wd = cx.daily, cx.wd
    done_lines = {line_id for line_id, _op in done}

    work: dict[int, dict[int, float]] = {}
    mat_need: dict[int, dict[int, float]] = {}
    for line_id, oid, pid, open_qty, reserved in lines:
        left = open_qty - (reserved if mts.get(pid, True) else 0.0)
        if left <= 1e-9:
            continue
        per = work.setdefault(oid, {})
        if line_id in done_lines:
            for op_id, wc, setup, run in op_detail.get(pid, ()):
                if (line_id, op_id) not in done:
                    per[wc] = per.get(wc, 0.0) + setup + run * left
        else:
            for wc, (setup, run) in per_product.get(pid, {}).items():
                per[wc] = per.get(wc, 0.0) + setup + run * left
        b = bom.get(pid)
        if b:
            need = mat_need.setdefault(oid, {})
            for q, mid in b:
                need[mid] = need.get(mid, 0.0) + q * left
    short: dict[int, str] = {}
    for oid, need in mat_need.items():
        for mid, q in need.items():
            code, stock = mat.get(mid, ("?", 0.0))
            if stock < q:
                short[oid] = code
                break

    out: dict[int, OrderFacts] = {}
    log10 = math.log10
    for (oid, number, version, status, cid, cname, ccode, tier, strategic, sp, promise, odate, confirmed,
         net, cost, hold) in heads:
        status = getattr(status, "value", status)
        tier = getattr(tier, "value", tier)
        order_work = work.get(oid)
        if order_work:
            minutes = sum(order_work.values())
            work_days = sum(m / (daily.get(wc) or 480.0) for wc, m in order_work.items())
        else:
            minutes = work_days = 0.0
        to_promise: int | None = None
        slack: float | None = None
        v_slack = 0.0
        if promise is not None:
            to_promise = wd.between(promise)
            slack = to_promise - work_days
            v_slack = 1.0 if slack <= 0 else max(0.0, 1.0 - slack / SLACK_HORIZON)
        if not order_work:
            avail, v_avail = "stock", 1.0
        elif oid in short:
            avail, v_avail = "materials short", 0.0
        else:
            avail, v_avail = "production", 0.5
        margin = (net - cost) / net if net > 0 else None
        age = max((today - (confirmed.date() if confirmed else odate)).days, 0)
        values = (TIER_VALUE.get(tier, 0.5), 1.0 if strategic else 0.0, v_slack, v_avail, 0.0,
                  min(max((margin or 0.0) / MARGIN_FULL, 0.0), 1.0), min(age / AGE_FULL, 1.0))
        out[oid] = OrderFacts(oid, number, version, status, cid, cname, ccode, tier, bool(strategic), sp or "",
                              promise, Decimal(repr(net)).quantize(_CENT), margin, values,
                              None if slack is None else round(slack, 2), to_promise, work_days, minutes, avail,
                              short.get(oid), age, hold, tuple(sorted(order_work.items())) if order_work else (),
                              log10(1 + max(net, 0.0)))
    return out


class FactsCache:
    """One per database in this process; see the module docstring for when it rebuilds."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seq: int | None = None
        self.today: dt.date | None = None
        self.built = 0.0
        self.facts: dict[int, OrderFacts] = {}
        self.mts: dict[int, bool] = {}
        self.full_builds = 0
        self.partial_updates = 0
        self.ctx: Context | None = None
        self.last: tuple[Any, Any] | None = None  # (key, ranked queue) for "nothing changed"

    def current(self, s: Session, today: dt.date) -> dict[int, OrderFacts]:
        with self.lock:
            seq = int(s.scalar(select(ChangeCounter.value).where(ChangeCounter.id == 1)) or 0)
            if (self.seq is None or self.today != today or seq < self.seq
                    or time.monotonic() - self.built > MAX_AGE):
                return self._rebuild(s, today, seq)
            if seq == self.seq:
                return self.facts
            feed: Sequence[tuple[int, list[str], dict[str, list[int]] | None]] = s.execute(
                select(ChangeFeed.seq, ChangeFeed.tables, ChangeFeed.entities)
                .where(ChangeFeed.seq > self.seq).order_by(ChangeFeed.seq).limit(201)).all()
            if len(feed) > 200 or not feed or feed[0][0] != self.seq + 1:
                return self._rebuild(s, today, seq)
            orders: set[int] = set()
            lines: set[int] = set()
            for _seq, tables, entities in feed:
                if REBUILD_TABLES.intersection(tables):
                    return self._rebuild(s, today, seq)
                entities = entities or {}
                for table in ("sales_order", "sales_order_line"):
                    if table in tables and len(entities.get(table, ())) >= 500:
                        return self._rebuild(s, today, seq)  # the feed keeps at most 500 ids per table
                orders.update(entities.get("sales_order", ()))
                lines.update(entities.get("sales_order_line", ()))
                if "product" in tables:
                    mts = dict(s.execute(select(Product.id, Product.make_to_stock)).all())
                    if mts != self.mts:
                        return self._rebuild(s, today, seq)
                    if self.ctx is not None:
                        self.ctx.mts = mts
            for chunk in _chunks(sorted(lines)):
                orders.update(s.scalars(select(SalesOrderLine.order_id).where(SalesOrderLine.id.in_(chunk))))
            if orders:
                fresh = load_facts(s, today, orders, ctx=self.ctx)
                for oid in orders:
                    if oid in fresh:
                        self.facts[oid] = fresh[oid]
                    else:
                        self.facts.pop(oid, None)  # shipped, cancelled, deleted: out of the queue
            self.seq = seq
            self.partial_updates += 1
            return self.facts

    def _rebuild(self, s: Session, today: dt.date, seq: int) -> dict[int, OrderFacts]:
        self.ctx = context(s, today)
        self.facts = load_facts(s, today, ctx=self.ctx)
        self.mts = dict(s.execute(select(Product.id, Product.make_to_stock)).all())
        self.seq, self.today, self.built = seq, today, time.monotonic()
        self.full_builds += 1
        return self.facts


_caches: weakref.WeakKeyDictionary[Any, FactsCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_for(db: Any) -> FactsCache:
    with _caches_lock:
        cache = _caches.get(db)
        if cache is None:
            cache = _caches[db] = FactsCache()
        return cache
