"""Expedite requests, rationed: a quota per month per department (or per requester) set by
management; production accepts or declines, seeing the impact first; requests beyond the quota
need management's agreement before production decides. Statistics per requester make abuse visible.

State machine (``ExpediteStatus``)::

    request ──within quota──> PENDING ──production──> ACCEPTED | DECLINED
            └─over quota───> NEEDS_MANAGEMENT ──management agrees──> PENDING
                                             └─management refuses──> DECLINED
    PENDING / NEEDS_MANAGEMENT ──requester──> WITHDRAWN

Impact: the schedule's preview (``scheduling.preview_expedite``) — the dispatching plan with and
without the expedite, locks kept. An order slips when it would finish on a later day than
planned (flagged when that is after its promise); overtime that avoids it is the expedited
order's own work on the machines where those orders lose time, done outside the shifts. The
numbers production sees are the numbers stored on the request and shown to the requester.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import SQLCoreOperations

from app import clock
from app import format as fmt
from app.db.uow import Actor, Database, UnitOfWork
from app.errors import Problem, UserError, ValidationError
from app.models import Customer, ExpediteQuota, ExpediteRequest, SalesOrder, User
from app.models.base import utcnow
from app.models.enums import ExpediteStatus, Role
from app.services.permissions import allowed, require
from app.services.priorities import QUEUE_STATUSES, _event, compute_queue
from app.services.queue_facts import FactsCache, cache_for

OPEN = (ExpediteStatus.PENDING, ExpediteStatus.NEEDS_MANAGEMENT)
STATUS_LABEL = {ExpediteStatus.PENDING: "Waiting for production", ExpediteStatus.NEEDS_MANAGEMENT: "Over quota: "
                "waiting for management", ExpediteStatus.ACCEPTED: "Accepted", ExpediteStatus.DECLINED: "Declined",
                ExpediteStatus.WITHDRAWN: "Withdrawn"}


@dataclass(frozen=True)
class Slip:
    order_id: int
    number: str
    customer: str
    days: int  # finishes this many days later than planned
    late: bool = False  # and then after its promise date


@dataclass(frozen=True)
class Impact:
    order_number: str
    overtakes: int  # orders the expedited one moves ahead of
    slips: tuple[Slip, ...]
    overtime_hours: Decimal  # overtime on the contested work centers that avoids every slip
    earliest: dt.date | None  # earliest the order can be done at the top of the queue
    requested_date: dt.date
    method: str = "schedule preview"

    @property
    def slipped_orders(self) -> int:
        return len(self.slips)

    @property
    def slipped_days(self) -> int:
        return sum(s.days for s in self.slips)

    def summary(self) -> str:
        if not self.slips:
            text = "No other order would finish later."
        else:
            names = ", ".join(f"{s.number} by {s.days} day{'s' if s.days != 1 else ''}"
                              + (" (then late)" if s.late else "") for s in self.slips[:5])
            more = f" and {len(self.slips) - 5} more" if len(self.slips) > 5 else ""
            text = (f"{len(self.slips)} order{'s' if len(self.slips) != 1 else ''} would slip: {names}{more}; "
                    f"or {fmt.quantity(self.overtime_hours)} overtime hours avoid it.")
        if self.earliest and self.earliest > self.requested_date:
            text += (f" Even first in line it is done {fmt.date(self.earliest)} at the earliest, "
                     f"after the requested {fmt.date(self.requested_date)}.")
        elif self.earliest:
            text += f" Expedited, it is done {fmt.date(self.earliest)}."
        return text


@dataclass(frozen=True)
class ExpediteView:
    id: int
    version: int
    order_id: int
    order_number: str
    customer: str
    requested_by: str
    department: str
    requested_date: dt.date
    promise_date: dt.date | None
    reason: str
    status: str
    status_label: str
    over_quota: bool
    created_at: dt.datetime
    management_by: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_comment: str | None
    overtime_hours: Decimal | None
    slipped_orders: int | None
    slipped_days: int | None


@dataclass(frozen=True)
class QuotaView:
    id: int
    version: int
    department: str
    username: str | None  # None: the whole department
    per_month: int


@dataclass(frozen=True)
class QuotaUse:
    limit: int | None  # None: no quota set
    used: int  # requests this month counted against it
    scope: str  # "department marketing" | "requester ana"

    @property
    def over(self) -> bool:
        return self.limit is not None and self.used >= self.limit


@dataclass(frozen=True)
class RequesterStats:
    requested_by: str
    department: str
    requests: int
    accepted: int
    declined: int
    open: int
    over_quota: int
    slipped_orders: int
    slipped_days: int
    overtime_hours: Decimal
    this_month: int
    quota: int | None

    @property
    def acceptance(self) -> float | None:
        decided = self.accepted + self.declined
        return self.accepted / decided if decided else None


def _month_start(today: dt.date) -> dt.datetime:
    return dt.datetime(today.year, today.month, 1, tzinfo=dt.timezone.utc)


def _view(s: Session, e: ExpediteRequest) -> ExpediteView:
    number, promise, customer = s.execute(
        select(SalesOrder.number, SalesOrder.promise_date, Customer.name)
        .join(Customer, Customer.id == SalesOrder.customer_id).where(SalesOrder.id == e.order_id)).one()
    return ExpediteView(e.id, e.version, e.order_id, number, customer, e.requested_by, e.department.value,
                        e.requested_date, promise, e.reason, e.status.value, STATUS_LABEL[e.status], e.over_quota,
                        e.created_at, e.management_by, e.decided_by, e.decided_at, e.decision_comment,
                        e.overtime_hours, e.slipped_orders, e.slipped_days)


# --- quotas -----------------------------------------------------------------------------------
def quota_use(s: Session, username: str, department: str, today: dt.date) -> QuotaUse:
    """The quota that applies to this requester (their own, else their department's) and how
    many requests this month count against it (withdrawn ones do not)."""
    uid = s.scalar(select(User.id).where(User.username == username))
    own = s.scalar(select(ExpediteQuota.per_month).where(ExpediteQuota.user_id == uid)) if uid else None
    counted = select(func.count()).select_from(ExpediteRequest).where(
        ExpediteRequest.created_at >= _month_start(today), ExpediteRequest.status != ExpediteStatus.WITHDRAWN)
    if own is not None:
        used = s.scalar(counted.where(ExpediteRequest.requested_by == username)) or 0
        return QuotaUse(own, used, f"requester {username}")
    dept = s.scalar(select(ExpediteQuota.per_month).where(ExpediteQuota.department == department,
                                                          ExpediteQuota.user_id.is_(None)))
    used = s.scalar(counted.where(ExpediteRequest.department == department)) or 0
    return QuotaUse(dept, used, f"department {department}")


def quotas(db: Database, actor: Actor) -> list[QuotaView]:
    require(actor, "priorities.view")
    with db.read() as s:
        rows = s.execute(select(ExpediteQuota, User.username).outerjoin(User, User.id == ExpediteQuota.user_id)
                         .order_by(ExpediteQuota.department, User.username)).all()
        return [QuotaView(q.id, q.version, q.department.value, name, q.per_month) for q, name in rows]


def set_quota(db: Database, actor: Actor, department: str, per_month: object, *, username: str | None = None
              ) -> QuotaView:
    """Set (or change) the monthly quota of a department, or of one requester. Management only."""
    require(actor, "priorities.profile")
    try:
        dept = Role(department)
    except ValueError:
        raise ValidationError(Problem(f"'{department}' is not a department", field="department")) from None
    try:
        n = int(str(per_month).strip())
    except ValueError:
        raise ValidationError(Problem(f"'{per_month}' is not a whole number", field="per month")) from None
    if n < 0:
        raise ValidationError(Problem("a quota cannot be negative", field="per month", value=per_month))
    if not allowed(dept, "expedite.request"):
        raise ValidationError(Problem(f"{dept.value} cannot request expedites, so needs no quota",
                                      field="department"))

    def run(uow: UnitOfWork) -> QuotaView:
        s = uow.session
        uid = None
        if username:
            uid = s.scalar(select(User.id).where(User.username == username))
            if uid is None:
                raise ValidationError(Problem(f"no user '{username}'", field="requester"))
        q = s.scalar(select(ExpediteQuota).where(ExpediteQuota.department == dept,
                                                 ExpediteQuota.user_id.is_(None) if uid is None
                                                 else ExpediteQuota.user_id == uid))
        if q is None:
            q = uow.add(ExpediteQuota(department=dept, user_id=uid, per_month=n))
        else:
            q.per_month = n
        uow.flush()
        return QuotaView(q.id, q.version, dept.value, username, n)

    return db.write(actor, run)


# --- requests ---------------------------------------------------------------------------------
def request_expedite(db: Database, actor: Actor, order_id: int, requested_date: dt.date | None,
                     reason: str) -> ExpediteView:
    """Ask production to deliver an order earlier. Beyond the quota the request waits for management."""
    require(actor, "expedite.request")
    today = clock.today()
    problems = []
    if not isinstance(requested_date, dt.date):
        problems.append(Problem("give the date the customer needs the goods", field="requested date"))
    elif requested_date < today:
        problems.append(Problem(f"{fmt.date(requested_date)} is in the past", field="requested date",
                                value=requested_date))
    if not (reason or "").strip():
        problems.append(Problem("say why (production and management read it)", field="reason"))
    if problems:
        raise ValidationError(problems)
    assert isinstance(requested_date, dt.date)

    def run(uow: UnitOfWork) -> ExpediteView:
        s = uow.session
        order = uow.get(SalesOrder, order_id)
        if order.status not in QUEUE_STATUSES:
            raise UserError(f"{order.number} is {order.status.value.replace('_', ' ')}: only confirmed orders not "
                            "yet shipped can be expedited.")
        if order.promise_date is not None and requested_date >= order.promise_date:
            raise ValidationError(Problem(
                f"{order.number} is already promised for {fmt.date(order.promise_date)}; an expedite needs an "
                "earlier date", field="requested date", value=requested_date))
        dup = s.scalar(select(ExpediteRequest.id).where(ExpediteRequest.order_id == order.id,
                                                        ExpediteRequest.status.in_(OPEN)))
        if dup is not None:
            raise UserError(f"{order.number} already has an expedite request waiting for a decision.")
        use = quota_use(s, actor.username, actor.role, today)
        e = uow.add(ExpediteRequest(order_id=order.id, requested_by=actor.username, department=Role(actor.role),
                                    requested_date=requested_date, reason=reason.strip(), over_quota=use.over,
                                    status=ExpediteStatus.NEEDS_MANAGEMENT if use.over else ExpediteStatus.PENDING))
        uow.flush()
        quota_text = (f" — request {use.used + 1} this month against a quota of {use.limit}: management must agree"
                      if use.over else "")
        _event(uow, order, "expedite_requested",
               f"{actor.display} asked to expedite {order.number} to {fmt.date(requested_date)}: {reason.strip()}"
               + quota_text, ref=("expedite_request", e.id))
        return _view(s, e)

    return db.write(actor, run)


def agree_over_quota(db: Database, actor: Actor, request_id: int, version: int, agree: bool, comment: str = ""
                     ) -> ExpediteView:
    """Management lets an over-quota request go to production, or turns it down."""
    require(actor, "expedite.over_quota")
    if not agree and not comment.strip():
        raise ValidationError(Problem("say why the request is turned down", field="comment"))

    def run(uow: UnitOfWork) -> ExpediteView:
        e = uow.get(ExpediteRequest, request_id, expected_version=version)
        if e.status is not ExpediteStatus.NEEDS_MANAGEMENT:
            raise UserError(f"This request is {STATUS_LABEL[e.status].lower()}; it does not wait for management.")
        e.management_by, e.management_at = actor.username, utcnow()
        order = uow.get(SalesOrder, e.order_id)
        if agree:
            e.status = ExpediteStatus.PENDING
            text = f"Management agreed to the over-quota expedite of {order.number}"
        else:
            e.status = ExpediteStatus.DECLINED
            e.decided_by, e.decided_at, e.decision_comment = actor.username, utcnow(), comment.strip()
            text = f"Management turned down the over-quota expedite of {order.number}"
        _event(uow, order, "expedite_management", text + (f": {comment.strip()}" if comment.strip() else ""),
               ref=("expedite_request", e.id))
        uow.flush()
        return _view(uow.session, e)

    return db.write(actor, run)


def _impact(s: Session, order_id: int, requested_date: dt.date, today: dt.date, cache: FactsCache | None = None
            ) -> Impact:
    """The schedule's preview (``scheduling.preview_expedite``): plan with and without the expedite."""
    from app.services.scheduling import preview_expedite

    q = compute_queue(s, today, cache)
    target = q.by_id.get(order_id)
    if target is None or not target.rank:
        raise UserError("This order is not in the priority queue (shipped, cancelled or on hold).")
    p = preview_expedite(s, order_id, requested_date, today)
    slips = tuple(Slip(oid, number, customer, days, late) for oid, number, customer, days, late in p.slips)
    hours = Decimal(math.ceil(p.overtime_minutes / 30 - 1e-9)) / 2  # in half hours, rounded up
    overtakes = sum(1 for r in q.rows if r.rank < target.rank and r.expedite != "accepted")
    earliest = p.finish.astimezone(clock.zone()).date() if p.finish else None
    return Impact(target.number, overtakes, slips, hours, earliest, requested_date)


def impact(db: Database, actor: Actor, request_id: int) -> Impact:
    """What accepting the request would do to other orders — what production and the requester see."""
    require(actor, "priorities.view")
    with db.read() as s:
        e = s.get(ExpediteRequest, request_id)
        if e is None:
            raise UserError("This expedite request no longer exists.")
        return _impact(s, e.order_id, e.requested_date, clock.today(), cache_for(db))


def decide(db: Database, actor: Actor, request_id: int, version: int, accept: bool, comment: str = "", *,
           overtime: bool = False) -> ExpediteView:
    """Production accepts (optionally with overtime so nothing slips) or declines with a comment.
    Accepting moves the order's promise date to the requested date and puts it at the top."""
    require(actor, "expedite.decide")
    today = clock.today()
    if not accept and not comment.strip():
        raise ValidationError(Problem("say why the expedite is declined (the requester reads it)", field="comment"))

    def run(uow: UnitOfWork) -> ExpediteView:
        s = uow.session
        e = uow.get(ExpediteRequest, request_id, expected_version=version)
        if e.status is ExpediteStatus.NEEDS_MANAGEMENT:
            raise UserError("This request is over the quota: management must agree before production decides.")
        if e.status is not ExpediteStatus.PENDING:
            raise UserError(f"This request is already {STATUS_LABEL[e.status].lower()}.")
        order = uow.get(SalesOrder, e.order_id)
        if order.status not in QUEUE_STATUSES:
            raise UserError(f"{order.number} is {order.status.value.replace('_', ' ')} now; the expedite cannot be "
                            "accepted.")
        e.decided_by, e.decided_at, e.decision_comment = actor.username, utcnow(), comment.strip() or None
        if accept:
            imp = _impact(s, order.id, e.requested_date, today)
            e.status = ExpediteStatus.ACCEPTED
            if overtime:
                e.overtime_hours, e.slipped_orders, e.slipped_days = imp.overtime_hours, 0, 0
            else:
                e.overtime_hours, e.slipped_orders, e.slipped_days = Decimal(0), imp.slipped_orders, imp.slipped_days
            old = order.promise_date
            if old is None or e.requested_date < old:
                order.promise_date = e.requested_date
            order.updated_at = utcnow()
            how = (f"with {fmt.quantity(e.overtime_hours)} overtime hours" if overtime
                   else f"{imp.slipped_orders} other orders slip {imp.slipped_days} days in total")
            text = (f"Production accepted the expedite of {order.number} ({how}); promise moved from "
                    f"{fmt.date(old)} to {fmt.date(order.promise_date)}")
        else:
            e.status = ExpediteStatus.DECLINED
            text = f"Production declined the expedite of {order.number}"
        _event(uow, order, "expedite_decided", text + (f": {comment.strip()}" if comment.strip() else ""),
               ref=("expedite_request", e.id))
        uow.flush()
        return _view(s, e)

    return db.write(actor, run)


def withdraw(db: Database, actor: Actor, request_id: int, version: int) -> ExpediteView:
    """The requester takes back an undecided request (it no longer counts against the quota)."""
    require(actor, "expedite.request")

    def run(uow: UnitOfWork) -> ExpediteView:
        e = uow.get(ExpediteRequest, request_id, expected_version=version)
        if e.requested_by != actor.username:
            raise UserError("Only the requester can withdraw an expedite request.")
        if e.status not in OPEN:
            raise UserError(f"This request is already {STATUS_LABEL[e.status].lower()}.")
        e.status = ExpediteStatus.WITHDRAWN
        order = uow.get(SalesOrder, e.order_id)
        _event(uow, order, "expedite_withdrawn", f"{actor.display} withdrew the expedite request for {order.number}",
               ref=("expedite_request", e.id))
        uow.flush()
        return _view(uow.session, e)

    return db.write(actor, run)


def requests(db: Database, actor: Actor, *, open_only: bool = False, order_id: int | None = None,
             limit: int = 500) -> list[ExpediteView]:
    require(actor, "priorities.view")
    with db.read() as s:
        q = select(ExpediteRequest).order_by(ExpediteRequest.created_at.desc()).limit(limit)
        if open_only:
            q = q.where(ExpediteRequest.status.in_(OPEN))
        if order_id is not None:
            q = q.where(ExpediteRequest.order_id == order_id)
        return [_view(s, e) for e in s.scalars(q)]


# a row of requester_stats's query, spelt out: select() types its first ten columns only (the
# counts are NULL for no rows, the coalesced sums never)
_StatsRow = tuple[str, Role, int, int | None, int | None, int | None, int | None, int, int, Decimal, int | None]


def _count_if(condition: SQLCoreOperations[bool]) -> ColumnElement[int | None]:
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END): how many rows of the group meet ``condition``
    (NULL for no rows at all)."""
    return func.sum(case((condition, 1), else_=0))


def requester_stats(db: Database, actor: Actor, *, months: int = 12
                    ) -> list[RequesterStats]:
    """Per requester over the last ``months``: requests, decisions, over-quota requests and what
    other orders paid for the accepted ones (slipped orders and days, overtime hours)."""
    require(actor, "priorities.view")
    today = clock.today()
    y, m = today.year, today.month - months + 1
    while m <= 0:
        y, m = y - 1, m + 12
    since = dt.datetime(y, m, 1, tzinfo=dt.timezone.utc)
    e = ExpediteRequest
    with db.read() as s:
        rows = s.execute(
            select(e.requested_by, e.department, func.count(),
                   _count_if(e.status == ExpediteStatus.ACCEPTED),
                   _count_if(e.status == ExpediteStatus.DECLINED),
                   _count_if(e.status.in_(OPEN)),
                   _count_if(e.over_quota),
                   func.coalesce(func.sum(e.slipped_orders), 0), func.coalesce(func.sum(e.slipped_days), 0),
                   func.coalesce(func.sum(e.overtime_hours), 0),
                   _count_if(e.created_at >= _month_start(today)))
            .where(e.created_at >= since, e.status != ExpediteStatus.WITHDRAWN)
            .group_by(e.requested_by, e.department).order_by(func.count().desc(), e.requested_by)).all()
        out = []
        for who, dept, n, acc, dec, op, over, so, sd, ot, month in cast(Sequence[_StatsRow], rows):
            dept = getattr(dept, "value", dept)
            use = quota_use(s, who, dept, today)
            out.append(RequesterStats(who, dept, n, int(acc or 0), int(dec or 0), int(op or 0), int(over or 0),
                                      int(so), int(sd), Decimal(ot), int(month or 0), use.limit))
    return out


def open_for_order(s: Session, order_id: int) -> ExpediteRequest | None:
    return s.scalar(select(ExpediteRequest).where(ExpediteRequest.order_id == order_id,
                                                  ExpediteRequest.status.in_(OPEN)))



def my_quota(db: Database, actor: Actor) -> QuotaUse:
    """The quota the signed-in requester is counted against, and this month's use (shown before asking)."""
    require(actor, "priorities.view")
    with db.read() as s:
        return quota_use(s, actor.username, actor.role, clock.today())
