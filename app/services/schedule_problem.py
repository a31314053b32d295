"""The scheduling problem from the database (one responsibility: reading orders, routings, calendars,
staff and the newest plan's done and locked operations into the Qt-free engine's ``Problem``), with
what is needed to map the engine's answer back to order lines. ``app/services/scheduling.py`` saves,
shows, moves and publishes the plans made from it.

What is scheduled: every line of a confirmed or in-production order (and the unshipped rest of a
partly shipped one) that still needs making — the quantity neither shipped nor reserved from
stock for stock items, everything unshipped for made-to-order items — through its product's
routing, one job per line. Operations marked done are left out. Due = the line's promise date
(else the order's) at the end of the day shift; weight = the priority queue's weight for the
order (``priorities.schedule_weights``), so the queue's order and strategy feed the schedule.

Time. Minutes from local midnight of the first day (``origin``); machines' windows come from
their calendar (weekly hours and exceptions), staff windows from their shift on its weekdays,
less the days every calendar is closed. Stored times are UTC.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.models import (
    CalendarHours,
    Customer,
    Product,
    RoutingOperation,
    SalesOrder,
    SalesOrderLine,
    ScheduledOperation,
    ScheduleVersion,
    Shift,
    Skill,
    Staff,
    StaffSkill,
    WorkCenter,
)
from app.models.enums import OrderStatus
from app.scheduling.model import Job, Lock, Machine, Operation, Problem
from app.scheduling.model import Staff as StaffRes
from app.services.firm_calendar import production_days

SCHEDULED_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.IN_PRODUCTION, OrderStatus.PARTIALLY_SHIPPED)
HORIZON_DAYS = 56
DUE_MINUTE = 16 * 60  # a promise date means ready by 16:00 that day


@dataclass(frozen=True)
class OpRef:
    line_id: int
    routing_operation_id: int
    order_id: int
    order_number: str
    customer: str
    sku: str
    name: str
    seq: int
    quantity: Decimal
    due: dt.date


@dataclass
class Built:
    """A problem built from the database, with what is needed to map the answer back."""

    problem: Problem
    origin: dt.datetime  # local midnight of the first day (aware)
    refs: dict[tuple[int, int], OpRef]  # (job id = line id, op index) -> what it is
    machine_names: dict[int, str]
    machine_codes: dict[int, str]
    staff_names: dict[int, str]
    staff_skills: dict[int, frozenset[str]]
    order_due: dict[int, dt.date] = field(default_factory=dict)
    order_number: dict[int, str] = field(default_factory=dict)
    order_customer: dict[int, str] = field(default_factory=dict)

    def at(self, minute: int) -> dt.datetime:
        return clock.wall_plus(self.origin, minute)

    def minute(self, when: dt.datetime) -> int:
        return clock.wall_minutes(self.origin, when)



# --- building the problem ---------------------------------------------------------------------
def _local_midnight(day: dt.date) -> dt.datetime:
    return clock.at(day)


def _machine_windows(s: Session, today: dt.date, days: int) -> tuple[dict[int, tuple[tuple[int, int], ...]],
                                                                       set[dt.date]]:
    weekly: dict[int, dict[int, list[tuple[int, int]]]] = {}
    for cal, wd, start, end in s.execute(select(CalendarHours.calendar_id, CalendarHours.weekday,
                                                CalendarHours.start_minute, CalendarHours.end_minute)):
        weekly.setdefault(cal, {}).setdefault(wd, []).append((start, end))
    exc, holidays = production_days(s, today, today + dt.timedelta(days=days))
    out: dict[int, tuple[tuple[int, int], ...]] = {}
    for wc, cal in s.execute(select(WorkCenter.id, WorkCenter.calendar_id).where(WorkCenter.active.is_(True))):
        wins: list[tuple[int, int]] = []
        for i in range(days):
            day = today + dt.timedelta(days=i)
            base = i * 1440
            if day in exc.get(cal, {}):
                minutes = exc[cal][day]
                if minutes > 0:  # an extra or shortened day: from the usual start (07:00 if none)
                    usual = sorted(weekly.get(cal, {}).get(day.weekday(), [(420, 960)]))
                    start = usual[0][0] if usual else 420
                    wins.append((base + start, base + min(1440, start + minutes)))
                continue
            for start, end in sorted(weekly.get(cal, {}).get(day.weekday(), [])):
                wins.append((base + start, base + end))
        out[wc] = tuple(wins)
    return out, holidays


def build(s: Session, today: dt.date, *, weights: dict[int, float] | None = None,
          overrides: dict[int, tuple[dt.date, float]] | None = None, locks: bool = True,
          days: int = HORIZON_DAYS) -> Built:
    """The scheduling problem as of ``today`` (origin: local midnight). ``overrides`` maps an
    order id to (due date, weight factor) — the expedite preview; ``weights`` by order id."""
    origin = _local_midnight(today)
    m_windows, holidays = _machine_windows(s, today, days)
    wcs = s.execute(select(WorkCenter.id, WorkCenter.code, WorkCenter.name)
                    .where(WorkCenter.active.is_(True)).order_by(WorkCenter.code)).all()
    machines = tuple(Machine(wid, m_windows.get(wid, ()), name) for wid, _c, name in wcs)
    skills_of: dict[int, set[str]] = {}
    for sid, code in s.execute(select(StaffSkill.staff_id, Skill.code).join(Skill, Skill.id == StaffSkill.skill_id)):
        skills_of.setdefault(sid, set()).add(code)
    staff_rows = s.execute(select(Staff.id, Staff.name, Shift.start_minute, Shift.end_minute, Shift.weekdays)
                           .join(Shift, Shift.id == Staff.shift_id).where(Staff.active.is_(True))
                           .order_by(Staff.code)).all()
    staff = []
    for sid, name, start, end, weekdays in staff_rows:
        wins = []
        for i in range(days):
            day = today + dt.timedelta(days=i)
            if weekdays & (1 << day.weekday()) and day not in holidays:
                wins.append((i * 1440 + start, i * 1440 + end))
        staff.append(StaffRes(sid, frozenset(skills_of.get(sid, ())), tuple(wins), name))

    routing: dict[int, list[tuple[int, int, str, float, float, str, int]]] = {}
    for rid, pid, wc, skill, setup_min, run_min, name, seq in s.execute(
            select(RoutingOperation.id, RoutingOperation.product_id, RoutingOperation.work_center_id, Skill.code,
                   RoutingOperation.setup_minutes, RoutingOperation.run_minutes, RoutingOperation.name,
                   RoutingOperation.seq).join(Skill, Skill.id == RoutingOperation.skill_id)
            .order_by(RoutingOperation.product_id, RoutingOperation.seq)):
        routing.setdefault(pid, []).append((rid, wc, skill, float(setup_min), float(run_min), name, seq))
    latest = _latest_version_id(s)
    done: set[tuple[int, int]] = set()
    locked: dict[tuple[int, int], tuple[dt.datetime, int, int | None]] = {}
    if latest is not None:
        for line_id, rid, is_done, is_locked, l_start, l_wc, l_sid in s.execute(
                select(ScheduledOperation.order_line_id, ScheduledOperation.routing_operation_id,
                       ScheduledOperation.done, ScheduledOperation.locked, ScheduledOperation.start_at,
                       ScheduledOperation.work_center_id, ScheduledOperation.staff_id)
                .where(ScheduledOperation.schedule_version_id == latest,
                       ScheduledOperation.done.is_(True) | ScheduledOperation.locked.is_(True))):
            if is_done:
                done.add((line_id, rid))
            elif is_locked and locks:
                locked[(line_id, rid)] = (l_start, l_wc, l_sid)
    # line, order, product, quantity, shipped, reserved, line's promise, order's promise, number, customer, sku,
    # made to stock (cast: SQLAlchemy types only the first ten columns of a select)
    rows = cast("Sequence[tuple[int, int, int, Decimal, Decimal, Decimal, dt.date | None, dt.date | None, str, str, "
                "str, bool]]", s.execute(
        select(SalesOrderLine.id, SalesOrderLine.order_id, SalesOrderLine.product_id, SalesOrderLine.quantity,
               SalesOrderLine.qty_shipped, SalesOrderLine.qty_reserved, SalesOrderLine.promise_date,
               SalesOrder.promise_date, SalesOrder.number, Customer.name, Product.sku, Product.make_to_stock)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .join(Customer, Customer.id == SalesOrder.customer_id)
        .join(Product, Product.id == SalesOrderLine.product_id)
        .where(SalesOrder.status.in_(SCHEDULED_STATUSES))
        .order_by(SalesOrder.promise_date, SalesOrderLine.id)).all())
    weights = weights or {}
    top = max(weights.values(), default=1.0)
    jobs: list[Job] = []
    refs: dict[tuple[int, int], OpRef] = {}
    built = Built(Problem((), machines, tuple(staff), days * 1440), origin, refs,
                  {wid: name for wid, _c, name in wcs}, {wid: code for wid, code, _n in wcs},
                  {sid: name for sid, name, *_shift in staff_rows},
                  {sid: frozenset(skills_of.get(sid, ())) for sid, *_rest in staff_rows})
    for line_id, oid, pid, qty, shipped, reserved, l_promise, o_promise, number, customer, sku, mts in rows:
        left = qty - shipped - (reserved if mts else Decimal(0))
        if left <= 0 or pid not in routing:
            continue
        due_day = l_promise or o_promise or today + dt.timedelta(days=days)
        factor = 1.0
        if overrides and oid in overrides:
            due_day, factor = overrides[oid][0], overrides[oid][1]
        built.order_due[oid] = due_day
        built.order_number[oid] = number
        built.order_customer[oid] = customer
        due = (due_day - today).days * 1440 + DUE_MINUTE
        ops: list[Operation] = []
        for rid, wc, skill, setup, run, name, seq in routing[pid]:
            if (line_id, rid) in done:
                continue
            lock = None
            if (line_id, rid) in locked:
                l_start, lwc, lsid = locked[(line_id, rid)]
                lock = Lock(built.minute(l_start), lwc, lsid)
            k = len(ops)
            ops.append(Operation(lock.machine if lock else wc, max(1, math.ceil(setup + run * float(left))), skill,
                                 lock, f"{number} {sku} {name}"))
            refs[(line_id, k)] = OpRef(line_id, rid, oid, number, customer, sku, name, seq, left, due_day)
        if not ops:
            continue
        weight = max(1, int(round(10 * weights.get(oid, 1.0) * factor)))
        if factor > 1.0:
            weight = max(weight, int(round(10 * top * factor)))
        jobs.append(Job(line_id, due, tuple(ops), weight))
    built.problem = Problem(tuple(jobs), machines, tuple(staff), days * 1440)
    return built


def _weights(s: Session, today: dt.date) -> dict[int, float]:
    from app.services.priorities import compute_queue, schedule_weights

    return schedule_weights(compute_queue(s, today))


def _latest_version_id(s: Session) -> int | None:
    return s.scalar(select(func.max(ScheduleVersion.id)))
