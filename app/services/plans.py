"""What follows from the forecast: how much to build each month and who is needed to build it;
and, looking back, how far each department's figures were off (the bias tracker).

    inventory_plan(db, actor, today=...) -> PlanRows[InventoryRow]   # per product and month
    headcount_plan(db, actor, today=...) -> PlanRows[HeadcountRow]   # per skill and month
    bias(db, actor, today=...) -> list[BiasRow]    # also as app.services.planning.bias

The month arithmetic shared with the planning board (``horizon``: the months after today's) is
here too, so that planning.py can use this module without an import cycle.

Demand per month is the consensus, else production's figure, else marketing's, else the
statistical baseline (``demand_source`` says which); a month without any figure counts as no
demand. The plan covers the same months as the planning board (from the month after today's).

Inventory: the first month opens with the free stock today (on hand - reserved); each month
plans production so that it closes at the safety stock (``target_stock``), never negative:
``production = max(0, demand + target - opening)``, ``closing = opening + production - demand``.

Headcount: required hours of a skill = sum over products of planned production x run minutes of
the routing operations needing that skill, plus their set-up once per product and month with
production, / 60. Available hours = sum over active staff with the skill of hours per week x
working weeks in the month (working days of the default calendar - the one with the lowest id -
that is, its weekdays minus closed exception days, / 5; 4.33 weeks without a calendar). A person
with several skills counts in full for each (the plan shows where a skill is short, not a
roster). ``people_needed = required / (available / staff)``, ``shortfall = people_needed -
staff`` (positive: short, negative: spare).

Both results are lists with a ``skipped`` tuple of (product id, sku, reason) for products left
out: no forecast and no history (inventory), or production planned but no routing (headcount).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.services.firm_calendar import production_days
from app.db.uow import Actor, Database
from app.models import (CalendarHours, DemandHistory, Forecast, Product, ProductFamily,
                        RoutingOperation, Skill, Staff, StaffSkill, WorkCalendar)
from app.services.permissions import require

ZERO = Decimal(0)
DEFAULT_WEEKS = Decimal("4.33")
T = TypeVar("T")


def month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, 1)


def horizon(today: dt.date, periods: int) -> list[dt.date]:
    """The coming ``periods`` months: from the month after today's."""
    first = add_months(month_start(today), 1)
    return [add_months(first, k) for k in range(periods)]


class PlanRows(list[T], Generic[T]):
    """A plain list of rows that also says which products were left out and why."""

    def __init__(self, rows: list[T], skipped: list[tuple[int, str, str]]) -> None:
        super().__init__(rows)
        self.skipped: tuple[tuple[int, str, str], ...] = tuple(skipped)


@dataclass(frozen=True)
class InventoryRow:
    product_id: int
    sku: str
    name: str
    family: str
    period_start: dt.date
    opening: Decimal
    demand: Decimal
    demand_source: str  # consensus | production | marketing | baseline | none
    planned_production: Decimal
    closing: Decimal
    target_stock: Decimal


@dataclass(frozen=True)
class HeadcountRow:
    skill_id: int
    skill_code: str
    skill_name: str
    period_start: dt.date
    working_days: int
    required_hours: Decimal
    available_hours: Decimal
    staff: int  # active staff with the skill
    hours_per_person: Decimal  # available hours per person in this month
    people_needed: Decimal
    shortfall: Decimal  # people: > 0 short, < 0 to spare

    @property
    def short(self) -> bool:
        return self.shortfall > 0


def _demand(f: tuple) -> tuple[Decimal, str]:
    for value, source in zip(f, ("consensus", "production", "marketing", "baseline")):
        if value is not None:
            return Decimal(value), source
    return ZERO, "none"


def _inventory(s: Session, months: list[dt.date], product_id: int | None) -> PlanRows[InventoryRow]:
    q = (select(Product.id, Product.sku, Product.name, ProductFamily.name, Product.stock_on_hand,
                Product.stock_reserved, Product.target_stock)
         .join(ProductFamily, ProductFamily.id == Product.family_id).where(Product.active.is_(True)))
    fq = select(Forecast.product_id, Forecast.period_start, Forecast.consensus_qty, Forecast.production_qty,
                Forecast.marketing_qty, Forecast.baseline_qty).where(
        Forecast.granularity == "month", Forecast.period_start >= months[0],
        Forecast.period_start < add_months(months[-1], 1))
    hq = select(DemandHistory.product_id).group_by(DemandHistory.product_id)
    if product_id is not None:
        q, fq = q.where(Product.id == product_id), fq.where(Forecast.product_id == product_id)
        hq = hq.where(DemandHistory.product_id == product_id)
    forecasts = {(r[0], r[1]): r[2:] for r in s.execute(fq)}
    with_history = set(s.scalars(hq))
    with_forecast = {pid for pid, _ in forecasts}
    rows: list[InventoryRow] = []
    skipped: list[tuple[int, str, str]] = []
    for pid, sku, name, family, on_hand, reserved, target in s.execute(q.order_by(Product.sku)):
        if pid not in with_forecast and pid not in with_history:
            skipped.append((pid, sku, "no forecast and no demand history"))
            continue
        target = Decimal(target or 0)
        opening = max(ZERO, Decimal(on_hand or 0) - Decimal(reserved or 0))
        for m in months:
            f = forecasts.get((pid, m))
            demand, source = _demand(f) if f else (ZERO, "none")
            make = max(ZERO, demand + target - opening)
            closing = opening + make - demand
            rows.append(InventoryRow(pid, sku, name, family, m, opening, demand, source, make, closing, target))
            opening = closing
    return PlanRows(rows, skipped)


def inventory_plan(db: Database, actor: Actor, *, periods: int = 12,
                   product_id: int | None = None) -> PlanRows[InventoryRow]:
    today = clock.today()
    require(actor, "planning.view")
    with db.read() as s:
        return _inventory(s, horizon(today, periods), product_id)


def _working_days(s: Session, months: list[dt.date]) -> dict[dt.date, int | None]:
    """Working days per month on the default calendar; None for every month without a calendar."""
    cal_id = s.execute(select(func.min(WorkCalendar.id))).scalar()
    if cal_id is None:
        return {m: None for m in months}
    weekdays = set(s.scalars(select(CalendarHours.weekday).where(CalendarHours.calendar_id == cal_id))) \
        or {0, 1, 2, 3, 4}
    end = add_months(months[-1], 1)
    exceptions = production_days(s, months[0], end)[0].get(cal_id, {})
    out: dict[dt.date, int | None] = {}
    for m in months:
        days = 0
        for d in range(1, calendar.monthrange(m.year, m.month)[1] + 1):
            day = m.replace(day=d)
            if day.weekday() in weekdays and exceptions.get(day, 1) != 0:
                days += 1
        out[m] = days
    return out


def _q2(d: Decimal) -> Decimal:
    return d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def headcount_plan(db: Database, actor: Actor, *, periods: int = 12) -> PlanRows[HeadcountRow]:
    today = clock.today()
    require(actor, "planning.view")
    months = horizon(today, periods)
    with db.read() as s:
        inventory = _inventory(s, months, None)
        ops: dict[int, list[tuple[int, Decimal, Decimal]]] = defaultdict(list)
        for pid, skill_id, setup, run in s.execute(select(
                RoutingOperation.product_id, RoutingOperation.skill_id, RoutingOperation.setup_minutes,
                RoutingOperation.run_minutes)):
            ops[pid].append((skill_id, Decimal(setup or 0), Decimal(run or 0)))
        skills = s.execute(select(Skill.id, Skill.code, Skill.name).order_by(Skill.id)).all()
        staff: dict[int, list[Decimal]] = defaultdict(list)
        for skill_id, hours in s.execute(select(StaffSkill.skill_id, Staff.hours_per_week)
                                         .join(Staff, Staff.id == StaffSkill.staff_id)
                                         .where(Staff.active.is_(True))):
            staff[skill_id].append(Decimal(hours or 0))
        days = _working_days(s, months)
    minutes: dict[tuple[int, dt.date], Decimal] = defaultdict(lambda: ZERO)
    skipped = list(inventory.skipped)
    no_routing: set[int] = set()
    for row in inventory:
        if row.planned_production <= 0:
            continue
        if not ops.get(row.product_id):
            if row.product_id not in no_routing:
                no_routing.add(row.product_id)
                skipped.append((row.product_id, row.sku, "production planned but no routing: hours not counted"))
            continue
        for skill_id, setup, run in ops[row.product_id]:
            minutes[(skill_id, row.period_start)] += setup + run * row.planned_production
    out: list[HeadcountRow] = []
    for skill_id, code, name in skills:
        people = staff.get(skill_id, [])
        for m in months:
            work_days = days[m]
            weeks = DEFAULT_WEEKS if work_days is None else Decimal(work_days) / 5
            required = minutes[(skill_id, m)] / 60
            available = sum(people, ZERO) * weeks
            per_person = available / len(people) if people else Decimal(40) * weeks
            needed = required / per_person if per_person > 0 else ZERO
            out.append(HeadcountRow(skill_id, code, name, m, work_days if work_days is not None else round(weeks * 5),
                                    _q2(required), _q2(available), len(people), _q2(per_person), _q2(needed),
                                    _q2(needed - len(people))))
    return PlanRows(out, skipped)


# --- bias tracker ------------------------------------------------------------------------------

BIAS_SERIES = ("marketing", "production", "consensus", "baseline")


@dataclass(frozen=True)
class BiasPoint:
    period_start: dt.date
    forecast: Decimal
    actual: Decimal
    bias: Decimal | None  # (forecast - actual) / actual; None when the actual is 0


@dataclass(frozen=True)
class BiasRow:
    """One department's figures (or the consensus, or the baseline) against actual demand."""

    department: str  # marketing | production | consensus | baseline
    family_id: int | None  # None: all products
    family_name: str
    cells: int  # product-months with both a figure and an actual
    forecast_total: Decimal
    actual_total: Decimal
    bias: Decimal | None  # (sum forecast - sum actual) / sum actual, e.g. 0.18 = 18 % over
    mape: Decimal | None  # mean |f - a| / a over the cells with a > 0
    months: tuple[BiasPoint, ...]  # per month, oldest first, for the chart


def _bias_row(dept: str, fam_id: int | None, fam_name: str, cells: list[tuple[dt.date, Decimal, Decimal]]) -> BiasRow:
    f_total = sum((f for _, f, _ in cells), ZERO)
    a_total = sum((a for _, _, a in cells), ZERO)
    errors = [abs(f - a) / a for _, f, a in cells if a > 0]
    per: dict[dt.date, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for m, f, a in cells:
        per[m][0] += f
        per[m][1] += a
    months = tuple(BiasPoint(m, f, a, (f - a) / a if a > 0 else None) for m, (f, a) in sorted(per.items()))
    return BiasRow(dept, fam_id, fam_name, len(cells), f_total, a_total,
                   (f_total - a_total) / a_total if a_total > 0 else None,
                   sum(errors, ZERO) / len(errors) if errors else None, months)


def bias(db: Database, actor: Actor, *, months_back: int = 12,
         family_id: int | None = None) -> list[BiasRow]:
    """Forecast against actual for the ``months_back`` full months before today's month: per
    series (marketing, production, consensus, baseline), first over all products, then per family.
    A cell counts for a series when the forecast figure and the demand-history row both exist."""
    today = clock.today()
    require(actor, "planning.view")
    hi = month_start(today)
    lo = add_months(hi, -months_back)
    with db.read() as s:
        q = (select(Forecast.product_id, Forecast.period_start, Forecast.marketing_qty, Forecast.production_qty,
                    Forecast.consensus_qty, Forecast.baseline_qty, DemandHistory.quantity, Product.family_id,
                    ProductFamily.name)
             .join(DemandHistory, (DemandHistory.product_id == Forecast.product_id)
                   & (DemandHistory.period_start == Forecast.period_start))
             .join(Product, Product.id == Forecast.product_id)
             .join(ProductFamily, ProductFamily.id == Product.family_id)
             .where(Forecast.granularity == "month", Forecast.period_start >= lo, Forecast.period_start < hi))
        if family_id is not None:
            q = q.where(Product.family_id == family_id)
        rows = s.execute(q).all()
    overall: dict[str, list] = {d: [] for d in BIAS_SERIES}
    by_family: dict[tuple[int, str], dict[str, list]] = defaultdict(lambda: {d: [] for d in BIAS_SERIES})
    for r in rows:
        for dept, value in zip(BIAS_SERIES, (r[2], r[3], r[4], r[5])):
            if value is not None:
                cell = (r.period_start, Decimal(value), Decimal(r.quantity))
                overall[dept].append(cell)
                by_family[(r.family_id, r.name)][dept].append(cell)
    out = [_bias_row(d, None, "All products", overall[d]) for d in BIAS_SERIES]
    for (fid, name), series in sorted(by_family.items(), key=lambda kv: kv[0][1]):
        out += [_bias_row(d, fid, name, series[d]) for d in BIAS_SERIES]
    return out
