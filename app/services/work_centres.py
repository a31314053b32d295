"""Work centres: the machines and stations the schedule books (issue 20). Qt-free.

- ``work_centres`` lists them (search by code or name; archived ones only when asked),
  ``work_centre`` reads one with the ``version`` the form sends back; ``calendars`` is what the
  form's calendar picker offers.
- ``save_work_centre`` creates or updates one in ONE unit of work. Permission
  ``production.master``; reading needs ``schedule.view``. A form opened at version *n* of a work
  centre someone else has saved since gets ``ConflictError`` (nothing is overwritten); the unit of
  work audits every field.
- Every problem of the input is a ``Problem`` naming the form's field (``code``, ``name``,
  ``calendar_id``, ``hourly_rate``), all of them at once: the code is required, has no spaces, is
  stored upper-cased and is unique (case-insensitively); the calendar must exist; the hourly rate
  is money, 0 or more.
- How the schedule reads them (``schedule_problem.build``): every ACTIVE work centre is a machine
  with the working windows of its calendar (weekly hours and exceptions); a routing operation is
  booked on its own work centre. Moving an operation by hand (``scheduling.move``) may put it on
  another work centre "of the same kind": the same code without its trailing number (WELD1 and
  WELD2) — so a new welding station coded WELD3 stands in for the other two at once.
- ``archive_work_centre`` refuses while an active product's routing uses the centre (an archived
  machine would leave those operations with nowhere to run; the SKUs are named) or while the
  newest schedule has operations on it that are not done and start in the future (the orders
  are named); otherwise it sets ``active`` off. ``restore_work_centre`` brings one back.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app import clock
from app import format as fmt
from app.actor import Actor
from app.db.hygiene import text_problem
from app.db.uow import Database, UnitOfWork
from app.errors import Problem, UserError, ValidationError
from app.models import (
    Product,
    RoutingOperation,
    SalesOrder,
    SalesOrderLine,
    ScheduledOperation,
    ScheduleVersion,
    WorkCalendar,
    WorkCenter,
)
from app.services.master_data import like, listed, plural, set_active
from app.services.permissions import require

CENT = Decimal("0.01")
EDIT = "production.master"
VIEW = "schedule.view"


# --- what the screens get and send ----------------------------------------------------------------
@dataclass(frozen=True)
class WorkCentreRow:
    """One line of the work centres list."""

    id: int
    code: str
    name: str
    calendar: str
    hourly_rate: Decimal
    active: bool


@dataclass(frozen=True)
class WorkCentreForm:
    """What the work centre form sends. ``id`` None: a new one; else ``version`` is the version the
    form was opened at. The rate may come as typed (text); the service parses it."""

    code: str
    name: str
    calendar_id: int | None
    hourly_rate: Decimal | int | str = Decimal(0)
    id: int | None = None
    version: int | None = None


@dataclass(frozen=True)
class WorkCentreView:
    """One work centre as the form shows it; ``version`` goes back with the save."""

    id: int
    version: int
    code: str
    name: str
    calendar_id: int
    calendar: str
    hourly_rate: Decimal
    active: bool
    updated_by: str

    def form(self) -> WorkCentreForm:
        """The same work centre as a form would send it unchanged."""
        return WorkCentreForm(self.code, self.name, self.calendar_id, self.hourly_rate, self.id, self.version)


@dataclass(frozen=True)
class CalendarChoice:
    id: int
    name: str


# --- reading ------------------------------------------------------------------------------------------
def work_centres(db: Database, actor: Actor, search: str = "", include_archived: bool = False) -> list[WorkCentreRow]:
    """The work centres whose code or name contains ``search``, by code."""
    require(actor, VIEW)
    text = like(search.strip().lower())
    with db.read() as s:
        q = (select(WorkCenter, WorkCalendar.name).join(WorkCalendar, WorkCalendar.id == WorkCenter.calendar_id)
             .order_by(WorkCenter.code, WorkCenter.id))
        if not include_archived:
            q = q.where(WorkCenter.active.is_(True))
        if text:
            pattern = f"%{text}%"
            q = q.where(or_(func.lower(WorkCenter.code).like(pattern, escape="\\"),
                            func.lower(WorkCenter.name).like(pattern, escape="\\")))
        return [WorkCentreRow(w.id, w.code, w.name, cal, w.hourly_rate, w.active) for w, cal in s.execute(q).all()]


def _view(s: Session, w: WorkCenter) -> WorkCentreView:
    calendar = s.get(WorkCalendar, w.calendar_id)
    return WorkCentreView(w.id, w.version, w.code, w.name, w.calendar_id, calendar.name if calendar else "?",
                          w.hourly_rate, w.active, w.updated_by)


def work_centre(db: Database, actor: Actor, id: int) -> WorkCentreView:
    """One work centre."""
    require(actor, VIEW)
    with db.read() as s:
        w = s.get(WorkCenter, id)
        if w is None:
            raise UserError(f"Work centre #{id} does not exist (any more).")
        return _view(s, w)


def calendars(db: Database, actor: Actor) -> list[CalendarChoice]:
    """The production calendars a work centre can work to, by name."""
    require(actor, VIEW)
    with db.read() as s:
        return [CalendarChoice(i, n) for i, n in s.execute(
            select(WorkCalendar.id, WorkCalendar.name).order_by(WorkCalendar.name))]


# --- checking what was typed ----------------------------------------------------------------------
def money_problem(value: Decimal | int | str, what: str) -> tuple[Decimal, str | None]:
    """An amount of money typed or given (``what`` names it in the reason), 0 or more, to the cent."""
    if isinstance(value, str):
        try:  # as typed or shown: "1,250.00", "£55", "55.5"; empty: 0
            amount = fmt.parse_money(value) if value.strip() else Decimal(0)
        except (InvalidOperation, ValueError):
            return Decimal(0), f"'{value.strip()[:40]}' is not an amount"
    else:
        try:
            amount = Decimal(value)
        except (InvalidOperation, TypeError, ValueError):
            return Decimal(0), f"'{value}' is not an amount"
    if not amount.is_finite():
        return Decimal(0), f"'{value}' is not an amount"
    if amount < 0:
        return amount, f"{what} cannot be negative"
    if amount >= Decimal("1e12"):
        return amount, f"{what} is too large"
    return amount.quantize(CENT, rounding=ROUND_HALF_UP), None


def code_problem(code: str, what: str, limit: int = 32) -> str | None:
    """Why ``code`` (already trimmed and upper-cased) cannot be a ``what`` code (None: it can)."""
    if not code:
        return f"the {what} code is required"
    if any(ch.isspace() for ch in code):
        return f"a {what} code has no spaces"
    return text_problem(code, limit)


def _checked(s: Session, form: WorkCentreForm, current: WorkCenter | None) -> tuple[dict[str, object], list[Problem]]:
    problems: list[Problem] = []
    code = form.code.strip().upper()
    why = code_problem(code, "work centre")
    if why:
        problems.append(Problem(why, field="code"))
    else:
        q = select(WorkCenter.name).where(func.upper(WorkCenter.code) == code)
        if current is not None:
            q = q.where(WorkCenter.id != current.id)
        taken = s.execute(q).scalar()
        if taken is not None:
            problems.append(Problem(f"work centre code {code} is already taken by {taken}", field="code"))
    name = form.name.strip()
    if not name:
        problems.append(Problem("the name is required", field="name"))
    elif why := text_problem(name, 200):
        problems.append(Problem(why, field="name"))
    if form.calendar_id is None:
        problems.append(Problem("choose the calendar the work centre works to", field="calendar_id"))
    elif s.get(WorkCalendar, form.calendar_id) is None:
        problems.append(Problem("this calendar no longer exists", field="calendar_id"))
    rate, why = money_problem(form.hourly_rate, "the hourly rate")
    if why:
        problems.append(Problem(why, field="hourly_rate"))
    return {"code": code, "name": name, "calendar_id": form.calendar_id, "hourly_rate": rate}, problems


# --- writing --------------------------------------------------------------------------------------
def save_work_centre(db: Database, actor: Actor, form: WorkCentreForm) -> WorkCentreView:
    """Create (``form.id`` None) or update a work centre; returns it as saved."""
    require(actor, EDIT)

    def run(uow: UnitOfWork) -> WorkCentreView:
        s = uow.session
        current = None if form.id is None else uow.get(WorkCenter, form.id, expected_version=form.version)
        values, problems = _checked(s, form, current)
        if problems:
            raise ValidationError(problems)
        w = current or uow.add(WorkCenter(active=True, **values))
        for key, value in values.items():
            if getattr(w, key, None) != value:
                setattr(w, key, value)
        uow.flush()
        return _view(s, w)

    return db.write(actor, run)


def routing_users(s: Session, work_centre_id: int) -> list[str]:
    """The SKUs of the active products whose routing has a step on the work centre."""
    return list(s.execute(select(Product.sku).distinct().join(RoutingOperation, RoutingOperation.product_id ==
                                                               Product.id)
                          .where(RoutingOperation.work_center_id == work_centre_id, Product.active.is_(True))
                          .order_by(Product.sku)).scalars())


def planned_orders(s: Session, *, work_centre_id: int | None = None, staff_id: int | None = None) -> list[str]:
    """The order numbers with operations in the newest schedule that are not done and start in
    the future, on the work centre (or assigned to the person)."""
    latest = s.scalar(select(func.max(ScheduleVersion.id)))
    if latest is None:
        return []
    q = (select(SalesOrder.number).distinct()
         .join(SalesOrderLine, SalesOrderLine.order_id == SalesOrder.id)
         .join(ScheduledOperation, ScheduledOperation.order_line_id == SalesOrderLine.id)
         .where(ScheduledOperation.schedule_version_id == latest, ScheduledOperation.done.is_(False),
                ScheduledOperation.start_at > clock.utcnow())
         .order_by(SalesOrder.number))
    if work_centre_id is not None:
        q = q.where(ScheduledOperation.work_center_id == work_centre_id)
    if staff_id is not None:
        q = q.where(ScheduledOperation.staff_id == staff_id)
    return list(s.execute(q).scalars())


def _blocker(s: Session, w: WorkCenter) -> UserError | None:
    skus = routing_users(s, w.id)
    if skus:
        return UserError(f"{w.code} ({w.name}) cannot be archived: the routing of "
                         f"{plural(len(skus), 'active product')} uses it: {listed(skus)}.",
                         hint="Move those routing steps to another work centre (or archive the products) first.")
    orders = planned_orders(s, work_centre_id=w.id)
    if orders:
        return UserError(f"{w.code} ({w.name}) cannot be archived: the current schedule has operations on it for "
                         f"{plural(len(orders), 'order')}: {listed(orders)}.",
                         hint="Plan again without it (or finish those operations) first, then archive it.")
    return None


def archive_work_centre(db: Database, actor: Actor, id: int, *, version: int | None = None) -> WorkCentreView:
    """Archive a work centre nothing plans on any more: the schedule no longer books it."""
    return set_active(db, actor, WorkCenter, id, version, active=False, permission=EDIT, view=_view,
                      blocker=_blocker)


def restore_work_centre(db: Database, actor: Actor, id: int, *, version: int | None = None) -> WorkCentreView:
    """Bring an archived work centre back: the next plan books it again."""
    return set_active(db, actor, WorkCenter, id, version, active=True, permission=EDIT, view=_view)
