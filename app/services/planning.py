"""The planning board: one number instead of two guesses (story 1).

    board(db, actor, today=...)                      -> Board      # products x coming months
    set_figure(db, actor, pid, period, "marketing", qty, version=v) -> Cell
    set_figures(db, actor, "production", [(pid, period, qty), ...]) -> int
    set_consensus(db, actor, pid, period, qty, version=v)          -> Cell
    sign_off(db, actor, pid, period, version=v)                    -> Cell
    sign_off_range(db, actor, period, family_id=None)              -> SignOffResult
    bias(db, actor, today=...)                       -> list[BiasRow]   # (lives in plans.py)

The board shows the ``periods`` months after today's month (today's month is already running).
Marketing edits only ``marketing_qty``, production only ``production_qty``; both may set the
consensus (status ``agreed``), each signs for its own department, and the period is
``signed_off`` once both have.
Editing a figure after agreement or sign-off reopens the period (status ``open``, sign-offs
cleared; a new consensus clears the sign-offs too); the unit of work audits every change. Problems name the field
(``marketing_qty``, ``production_qty``, ``consensus_qty``); in ``set_figures`` also ``row`` (index
in ``cells``) and ``column`` (``YYYY-MM``). ``None`` clears a department's figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, overload

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import format as fmt
from app import clock
from app.db.uow import Actor, Database, UnitOfWork
from app.errors import PermissionDenied, Problem, ValidationError
from app.models import DemandHistory, Forecast, Product, ProductFamily
from app.models.base import utcnow
from app.models.enums import ForecastStatus
from app.services.permissions import require
from app.services.settings import load_settings
from app.services.plans import BiasPoint, BiasRow, add_months, bias, horizon, month_start  # noqa: F401

ZERO = Decimal(0)
DEPARTMENTS = ("marketing", "production")
EDIT_ACTION = {"marketing": "planning.edit_marketing", "production": "planning.edit_production"}
MAX_QTY = Decimal("99999999999")  # Numeric(14, 3)


GRANULARITIES = ("month", "week")


def week_start(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def periods_ahead(today: dt.date, periods: int, granularity: str) -> list[dt.date]:
    """The coming periods: months after today's month, or ISO weeks (Mondays) after this week."""
    if granularity == "week":
        first = week_start(today) + dt.timedelta(days=7)
        return [first + dt.timedelta(days=7 * k) for k in range(periods)]
    return horizon(today, periods)


def _check_granularity(granularity: str) -> None:
    if granularity not in GRANULARITIES:
        raise ValidationError(f"unknown period length {granularity!r}: month or week", field="granularity")


def weekly_history(session: Session, weeks: Sequence[dt.date],
                   product_ids: Any = None) -> dict[tuple[int, dt.date], Decimal]:
    """Actual demand in the same ISO week a year earlier (52 weeks back), from the order lines of
    orders that went ahead (``demand_history`` is monthly, so weeks come from the orders)."""
    from sqlalchemy import func as sqlfunc

    from app.models import SalesOrder, SalesOrderLine
    from app.models.enums import OrderStatus

    if not weeks:
        return {}
    back = dt.timedelta(weeks=52)
    lo, hi = weeks[0] - back, weeks[-1] - back + dt.timedelta(days=7)
    q = (select(SalesOrderLine.product_id, SalesOrder.order_date, sqlfunc.sum(SalesOrderLine.quantity))
         .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
         .where(SalesOrder.order_date >= lo, SalesOrder.order_date < hi,
                SalesOrder.status.notin_([OrderStatus.CANCELLED, OrderStatus.LOST, OrderStatus.QUOTE]))
         .group_by(SalesOrderLine.product_id, SalesOrder.order_date))
    if product_ids is not None:
        q = q.where(SalesOrderLine.product_id.in_(product_ids))
    out: dict[tuple[int, dt.date], Decimal] = {}
    for pid, day, qty in session.execute(q):
        key = (pid, week_start(day) + back)
        out[key] = out.get(key, ZERO) + Decimal(qty)
    return out


def gap_threshold(session: Session) -> Decimal:
    """The firm setting ``planning_gap_threshold`` (a fraction, e.g. 0.15; declared with the other
    settings in ``services.settings``, whose default and checks apply to a bad stored value)."""
    return load_settings(session).planning_gap_threshold


def gap_ratio(marketing: Decimal | None, production: Decimal | None) -> Decimal | None:
    """|marketing - production| / max(marketing, production); None unless both are entered."""
    if marketing is None or production is None:
        return None
    top = max(marketing, production)
    return abs(marketing - production) / top if top > 0 else ZERO


@dataclass(frozen=True)
class Cell:
    product_id: int
    period_start: dt.date
    forecast_id: int | None  # None: no forecast row yet
    version: int | None
    history: Decimal | None  # actual demand in the same month a year earlier
    baseline: Decimal | None
    baseline_method: str | None
    marketing: Decimal | None
    marketing_by: str | None
    marketing_at: dt.datetime | None
    production: Decimal | None
    production_by: str | None
    production_at: dt.datetime | None
    consensus: Decimal | None
    status: str  # open | agreed | signed_off
    marketing_signed_by: str | None
    marketing_signed_at: dt.datetime | None
    production_signed_by: str | None
    production_signed_at: dt.datetime | None
    gap: bool  # marketing and production differ by more than the threshold
    gap_ratio: Decimal | None


@dataclass(frozen=True)
class BoardRow:
    product_id: int
    sku: str
    name: str
    family_id: int
    family_code: str
    family_name: str
    cells: tuple[Cell, ...]

    @property
    def gaps(self) -> int:
        return sum(1 for c in self.cells if c.gap)


@dataclass(frozen=True)
class Board:
    today: dt.date
    periods: tuple[dt.date, ...]
    gap_threshold: Decimal
    rows: tuple[BoardRow, ...]
    granularity: str = "month"


_FC_COLS = (Forecast.id, Forecast.version, Forecast.product_id, Forecast.period_start, Forecast.baseline_qty,
            Forecast.baseline_method, Forecast.marketing_qty, Forecast.marketing_by, Forecast.marketing_at,
            Forecast.production_qty, Forecast.production_by, Forecast.production_at, Forecast.consensus_qty,
            Forecast.status, Forecast.marketing_signed_by, Forecast.marketing_signed_at,
            Forecast.production_signed_by, Forecast.production_signed_at)


def _cell(pid: int, period: dt.date, f: Any, history: Decimal | None, threshold: Decimal) -> Cell:
    if f is None:
        return Cell(pid, period, None, None, history, None, None, None, None, None, None, None, None, None,
                    ForecastStatus.OPEN.value, None, None, None, None, False, None)
    ratio = gap_ratio(f.marketing_qty, f.production_qty)
    return Cell(pid, period, f.id, f.version, history, f.baseline_qty, f.baseline_method, f.marketing_qty,
                f.marketing_by, f.marketing_at, f.production_qty, f.production_by, f.production_at,
                f.consensus_qty, ForecastStatus(f.status).value, f.marketing_signed_by, f.marketing_signed_at,
                f.production_signed_by, f.production_signed_at, ratio is not None and ratio > threshold, ratio)


def board(db: Database, actor: Actor, *, periods: int = 12, family_id: int | None = None,
          granularity: str = "month") -> Board:
    """The planning board in four queries (products, forecasts, last year's actuals, setting);
    ``granularity`` "week" shows ISO weeks (Mondays) instead of months."""
    today = clock.today()
    require(actor, "planning.view")
    _check_granularity(granularity)
    months = periods_ahead(today, periods, granularity)
    lo = months[0]
    hi = add_months(months[-1], 1) if granularity == "month" else months[-1] + dt.timedelta(days=7)
    with db.read() as s:
        threshold = gap_threshold(s)
        q = (select(Product.id, Product.sku, Product.name, Product.family_id, ProductFamily.code,
                    ProductFamily.name.label("family_name"))
             .join(ProductFamily, ProductFamily.id == Product.family_id).where(Product.active.is_(True)))
        if family_id is not None:
            q = q.where(Product.family_id == family_id)
        products = s.execute(q.order_by(ProductFamily.code, Product.sku)).all()
        fq = select(*_FC_COLS).where(Forecast.granularity == granularity, Forecast.period_start >= lo,
                                     Forecast.period_start < hi)
        hq = select(DemandHistory.product_id, DemandHistory.period_start, DemandHistory.quantity).where(
            DemandHistory.period_start >= add_months(lo, -12), DemandHistory.period_start < add_months(hi, -12))
        if family_id is not None:
            ids = select(Product.id).where(Product.family_id == family_id).scalar_subquery()
            fq, hq = fq.where(Forecast.product_id.in_(ids)), hq.where(DemandHistory.product_id.in_(ids))
        conn = s.connection()  # Core rows: no ORM row processing for the 6,000 cells of a big board
        forecasts = {(f.product_id, f.period_start): f for f in conn.execute(fq)}
        if granularity == "month":
            history = {(pid, add_months(p, 12)): qty for pid, p, qty in conn.execute(hq)}
        else:
            history = weekly_history(s, months, [p.id for p in products] if family_id is not None else None)
    rows = tuple(
        BoardRow(p.id, p.sku, p.name, p.family_id, p.code, p.family_name,
                 tuple(_cell(p.id, m, forecasts.get((p.id, m)), history.get((p.id, m)), threshold) for m in months))
        for p in products)
    return Board(today, tuple(months), threshold, rows, granularity)


# --- edits -------------------------------------------------------------------------------------

def parse_qty(value: Any, field: str, *, allow_none: bool = True,
              **where: Any) -> tuple[Decimal | None, Problem | None]:
    """A quantity from user input (number or text, "," as decimal point allowed)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, (None if allow_none else Problem("a quantity is required", field=field, **where))
    try:
        d = fmt.decimal_of(value)
    except (InvalidOperation, ValueError):
        d = Decimal("NaN")
    if isinstance(value, bool) or not d.is_finite():
        return None, Problem("must be a number", field=field, value=value, **where)
    if d < 0:
        return None, Problem("cannot be negative", field=field, value=value, **where)
    if d > MAX_QTY:
        return None, Problem("is too large", field=field, value=value, **where)
    return d.quantize(Decimal("0.001")), None


def _period(value: Any, granularity: str = "month", **where: Any) -> tuple[dt.date | None, Problem | None]:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        return None, Problem(f"a {granularity} (date) is required", field="period_start", value=value, **where)
    return (month_start(value) if granularity == "month" else week_start(value)), None


def _department_of(actor: Actor, department: str) -> None:
    if department not in DEPARTMENTS:
        raise ValidationError(f"unknown department {department!r}: marketing or production", field="department")
    role = str(getattr(actor, "role", ""))
    if role in DEPARTMENTS and role != department:
        raise PermissionDenied(
            f"The {department} row is {department}'s figure; you enter only {role}'s row.",
            hint=f"Agree a number with {department} as the consensus instead.")
    require(actor, EDIT_ACTION[department])


@overload
def _load(uow: UnitOfWork, product_id: int, period: dt.date, version: int | None, *, create: Literal[True],
          granularity: str = "month") -> Forecast: ...
@overload
def _load(uow: UnitOfWork, product_id: int, period: dt.date, version: int | None, *, create: Literal[False],
          granularity: str = "month") -> Forecast | None: ...
def _load(uow: UnitOfWork, product_id: int, period: dt.date, version: int | None, *, create: bool,
          granularity: str = "month") -> Forecast | None:
    """The forecast row of a product and period (checked against the version the user saw); a new
    one when there is none and ``create``, else None."""
    fid = uow.session.execute(select(Forecast.id).where(
        Forecast.product_id == product_id, Forecast.period_start == period,
        Forecast.granularity == granularity)).scalar()
    if fid is not None:
        return uow.get(Forecast, fid, expected_version=version)
    if not create:
        return None
    if uow.session.get(Product, product_id) is None:
        raise ValidationError("unknown product", field="product")
    return uow.add(Forecast(product_id=product_id, period_start=period, granularity=granularity,
                            status=ForecastStatus.OPEN))


def _reopen(f: Forecast) -> None:
    if f.status != ForecastStatus.OPEN or f.marketing_signed_by or f.production_signed_by:
        f.status = ForecastStatus.OPEN
        f.marketing_signed_by = f.marketing_signed_at = None
        f.production_signed_by = f.production_signed_at = None


def _apply_figure(f: Forecast, department: str, qty: Decimal | None, actor: Actor, now: dt.datetime) -> bool:
    old = getattr(f, f"{department}_qty")
    if (None if old is None else Decimal(old)) == qty:
        return False
    setattr(f, f"{department}_qty", qty)
    setattr(f, f"{department}_by", actor.username)
    setattr(f, f"{department}_at", now)
    _reopen(f)
    return True


def _view(uow: UnitOfWork, f: Forecast) -> Cell:
    uow.flush()
    if f.granularity == "week":
        hist = weekly_history(uow.session, [f.period_start], [f.product_id]).get((f.product_id, f.period_start))
    else:
        hist = uow.session.execute(select(DemandHistory.quantity).where(
            DemandHistory.product_id == f.product_id,
            DemandHistory.period_start == add_months(f.period_start, -12))).scalar()
    return _cell(f.product_id, f.period_start, f, hist, gap_threshold(uow.session))


def set_figure(db: Database, actor: Actor, product_id: int, period_start: dt.date, department: str,
               qty: Any, *, version: int | None = None, granularity: str = "month") -> Cell:
    """One department's figure for one product and month (or week); creates the forecast row if
    missing."""
    _department_of(actor, department)
    _check_granularity(granularity)
    value, problem = parse_qty(qty, f"{department}_qty")
    period, p2 = _period(period_start, granularity)
    problems = [p for p in (problem, p2) if p]
    if problems:
        raise ValidationError(problems)
    assert period is not None, "_period gives a date or a problem"

    def run(uow: UnitOfWork) -> Cell:
        f = _load(uow, product_id, period, version, create=True, granularity=granularity)
        _apply_figure(f, department, value, actor, utcnow())
        return _view(uow, f)

    return db.write(actor, run)


def set_figures(db: Database, actor: Actor, department: str,
                cells: Sequence[tuple[int, dt.date, Any]], *, granularity: str = "month") -> int:
    """Many cells of one department (e.g. a product's twelve months) in one unit of work: every
    cell is validated first and nothing is saved when any is wrong. Returns the cells changed."""
    _department_of(actor, department)
    _check_granularity(granularity)
    problems: list[Problem] = []
    clean: dict[tuple[int, dt.date], Decimal | None] = {}
    for i, cell in enumerate(cells):
        try:
            pid, when, qty = cell
        except (TypeError, ValueError):
            problems.append(Problem("expected (product, month, quantity)", row=i))
            continue
        period, pp = _period(when, granularity, row=i)
        column = (period.strftime("%Y-%m") if granularity == "month" else period.isoformat()) if period else None
        value, qp = parse_qty(qty, f"{department}_qty", row=i, column=column)
        if not isinstance(pid, int) or isinstance(pid, bool):
            problems.append(Problem("unknown product", field="product", row=i, column=column, value=pid))
        problems += [p for p in (pp, qp) if p]
        if period is not None and not qp:
            clean[(pid, period)] = value
    if not problems and clean:
        with db.read() as s:
            known = set(s.scalars(select(Product.id).where(Product.id.in_({k[0] for k in clean}))))
        problems += [Problem("unknown product", field="product", row=i, value=c[0])
                     for i, c in enumerate(cells) if c[0] not in known]
    if problems:
        raise ValidationError(problems)

    def run(uow: UnitOfWork) -> int:
        now = utcnow()
        existing = {(f.product_id, f.period_start): f for f in uow.session.scalars(select(Forecast).where(
            Forecast.granularity == granularity, Forecast.product_id.in_({k[0] for k in clean}),
            Forecast.period_start.in_({k[1] for k in clean})))}
        changed = 0
        for (pid, period), value in clean.items():
            f = existing.get((pid, period)) or uow.add(Forecast(
                product_id=pid, period_start=period, granularity=granularity, status=ForecastStatus.OPEN))
            changed += _apply_figure(f, department, value, actor, now)
        return changed

    return db.write(actor, run)


def set_consensus(db: Database, actor: Actor, product_id: int, period_start: dt.date, qty: Any, *,
                  version: int | None, granularity: str = "month") -> Cell:
    """The number both departments agreed; a new consensus needs both sign-offs again."""
    require(actor, "planning.consensus")
    _check_granularity(granularity)
    value, problem = parse_qty(qty, "consensus_qty", allow_none=False)
    period, p2 = _period(period_start, granularity)
    problems = [p for p in (problem, p2) if p]
    if problems:
        raise ValidationError(problems)
    assert period is not None, "_period gives a date or a problem"

    def run(uow: UnitOfWork) -> Cell:
        f = _load(uow, product_id, period, version, create=True, granularity=granularity)
        if f.consensus_qty is None or Decimal(f.consensus_qty) != value or f.status == ForecastStatus.OPEN:
            f.consensus_qty = value
            _reopen(f)
            f.status = ForecastStatus.AGREED
        return _view(uow, f)

    return db.write(actor, run)


def _sign(f: Forecast, actor: Actor, now: dt.datetime) -> None:
    dept = str(actor.role)
    if getattr(f, f"{dept}_signed_by") is None:
        setattr(f, f"{dept}_signed_by", actor.username)
        setattr(f, f"{dept}_signed_at", now)
    both = f.marketing_signed_by is not None and f.production_signed_by is not None
    f.status = ForecastStatus.SIGNED_OFF if both else ForecastStatus.AGREED


def _signing_department(actor: Actor) -> None:
    require(actor, "planning.consensus")
    if str(actor.role) not in DEPARTMENTS:
        raise PermissionDenied("Only marketing and production sign off forecasts.")


def sign_off(db: Database, actor: Actor, product_id: int, period_start: dt.date, *, version: int | None,
             granularity: str = "month") -> Cell:
    """The actor's department signs the consensus; once both have, the period is signed off."""
    _signing_department(actor)
    _check_granularity(granularity)
    period, problem = _period(period_start, granularity)
    if problem:
        raise ValidationError(problem)
    assert period is not None, "_period gives a date or a problem"

    def run(uow: UnitOfWork) -> Cell:
        f = _load(uow, product_id, period, version, create=False, granularity=granularity)
        if f is None or f.consensus_qty is None or f.status == ForecastStatus.OPEN:
            raise ValidationError("Agree the consensus before signing off (a changed figure reopens it).",
                                  field="consensus_qty")
        _sign(f, actor, utcnow())
        return _view(uow, f)

    return db.write(actor, run)


@dataclass(frozen=True)
class SignOffResult:
    period_start: dt.date
    signed: int  # forecasts this department signed now
    signed_off: int  # of the period's forecasts in scope, how many are signed by both
    skipped: tuple[tuple[int, str], ...]  # (product id, reason): no agreed consensus


def sign_off_range(db: Database, actor: Actor, period_start: dt.date, *, family_id: int | None = None,
                   product_ids: Iterable[int] | None = None, granularity: str = "month") -> SignOffResult:
    """Sign a family's (or all products') forecasts for one month (or week) in one unit of work;
    forecasts without a consensus are skipped and listed."""
    _signing_department(actor)
    _check_granularity(granularity)
    period, problem = _period(period_start, granularity)
    if problem:
        raise ValidationError(problem)
    assert period is not None, "_period gives a date or a problem"
    ids = None if product_ids is None else list(product_ids)

    def run(uow: UnitOfWork) -> SignOffResult:
        q = select(Forecast).join(Product, Product.id == Forecast.product_id).where(
            Forecast.granularity == granularity, Forecast.period_start == period, Product.active.is_(True))
        if family_id is not None:
            q = q.where(Product.family_id == family_id)
        if ids is not None:
            q = q.where(Forecast.product_id.in_(ids))
        now, signed, skipped = utcnow(), 0, []
        rows = list(uow.session.scalars(q.order_by(Forecast.product_id)))
        for f in rows:
            if f.consensus_qty is None or f.status == ForecastStatus.OPEN:
                skipped.append((f.product_id, "no agreed consensus"))
                continue
            signed += getattr(f, f"{actor.role}_signed_by") is None
            _sign(f, actor, now)
        done = sum(1 for f in rows if f.status == ForecastStatus.SIGNED_OFF)
        return SignOffResult(period, signed, done, tuple(skipped))

    return db.write(actor, run)
