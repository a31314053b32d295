"""The schedule from the database: open orders' routings on work centers and staff, through the
Qt-free engine in ``app/scheduling``; schedule versions, moves and locks, publishing (releasing
the week), the day's work list, and the expedite impact preview. What is scheduled, and how time
is counted, is described in ``app/services/schedule_problem.py``, which builds the problem.

A move (drag in the Gantt chart) is a lock at the new place followed by a reschedule that keeps
every lock: the engine refuses a lock outside the machine's hours or the person's shift, to a
person without the skill, over another lock, or before the work that must come first — and the
refusal is the message the planner sees, with nothing saved.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import clock
from app import format as fmt
from app.db.uow import Actor, Database, UnitOfWork
from app.errors import UserError
from app.models import (
    Customer,
    Product,
    RoutingOperation,
    SalesOrder,
    SalesOrderLine,
    ScheduledOperation,
    ScheduleVersion,
    Staff,
    TimelineEvent,
    WorkCenter,
)
from app.models.base import utcnow
from app.models.enums import OrderStatus, Stage
from app.scheduling.model import Assignment, Id, Lock, Operation, Solution
from app.services.orders import AWAITING_APPROVAL
from app.services.permissions import require

# the problem's builder lives in schedule_problem; these names stay importable from here
from app.services.schedule_problem import DUE_MINUTE as DUE_MINUTE
from app.services.schedule_problem import HORIZON_DAYS as HORIZON_DAYS
from app.services.schedule_problem import SCHEDULED_STATUSES as SCHEDULED_STATUSES
from app.services.schedule_problem import Built as Built
from app.services.schedule_problem import OpRef as OpRef
from app.services.schedule_problem import _latest_version_id as _latest_version_id
from app.services.schedule_problem import _local_midnight as _local_midnight
from app.services.schedule_problem import _weights as _weights
from app.services.schedule_problem import build as build

KEEP_VERSIONS = 12  # unpublished versions kept; older ones are deleted when a new one is saved
RELEASE_DAYS = 7  # publishing releases the orders whose work starts within a week


@dataclass(frozen=True)
class PlannedOp:
    id: int
    version: int
    line_id: int
    routing_operation_id: int
    order_id: int
    order_number: str
    customer: str
    sku: str
    name: str
    seq: int
    work_center_id: int
    work_center: str
    staff_id: int | None
    staff: str | None
    start: dt.datetime
    end: dt.datetime
    locked: bool
    done: bool
    due: dt.date
    order_finish: dt.datetime  # when the order's last operation ends
    late: bool  # the order finishes after its promise

    @property
    def slack_minutes(self) -> int:
        due = dt.datetime.combine(self.due, dt.time(), tzinfo=self.start.tzinfo) + dt.timedelta(minutes=DUE_MINUTE)
        return int((due.astimezone(dt.timezone.utc) - self.order_finish).total_seconds() // 60)


@dataclass(frozen=True)
class ScheduleView:
    version_id: int
    method: str
    created_at: dt.datetime
    created_by: str
    published_at: dt.datetime | None
    published_by: str | None
    weighted_tardiness: Decimal | None
    makespan_minutes: int | None
    ops: list[PlannedOp]
    machines: list[tuple[int, str]]
    staff: list[tuple[int, str]]
    unscheduled: list[str]
    late_orders: list[tuple[str, str, dt.date, dt.datetime]]  # number, customer, promise, finish


# --- versions ---------------------------------------------------------------------------------
def _save(uow: UnitOfWork, built: Built, sol: Solution, method: str) -> int:
    s = uow.session
    v = uow.add(ScheduleVersion(created_by=uow.actor.username, method=method,
                                weighted_tardiness=Decimal(sol.weighted_tardiness) / 10,
                                makespan_minutes=sol.makespan))
    uow.flush()
    rows = []
    for a in sol.assignments:
        ref = built.refs[(int(a.job), a.op)]
        rows.append({"schedule_version_id": v.id, "order_line_id": ref.line_id,
                     "routing_operation_id": ref.routing_operation_id, "work_center_id": int(a.machine),
                     "staff_id": int(a.staff) if a.staff is not None else None,
                     "start_at": built.at(a.start), "end_at": built.at(a.end),
                     "locked": built.problem.job(a.job).operations[a.op].lock is not None, "done": False,
                     "version": 1, "updated_at": utcnow(), "updated_by": uow.actor.username})
    if rows:
        s.execute(ScheduledOperation.__table__.insert(), rows)
    uow.touched.setdefault("scheduled_operation", set()).add(v.id)
    # keep the published version and the newest few; drop older drafts
    keep = set(s.scalars(select(ScheduleVersion.id).order_by(ScheduleVersion.id.desc()).limit(KEEP_VERSIONS)))
    keep |= set(s.scalars(select(ScheduleVersion.id).where(ScheduleVersion.published_at.is_not(None))
                          .order_by(ScheduleVersion.published_at.desc()).limit(1)))
    old = [vid for vid in s.scalars(select(ScheduleVersion.id)) if vid not in keep]
    if old:
        s.execute(delete(ScheduledOperation).where(ScheduledOperation.schedule_version_id.in_(old)))
        s.execute(delete(ScheduleVersion).where(ScheduleVersion.id.in_(old)))
    return v.id


def _solve_fast(built: Built) -> Solution:
    from app.scheduling.rules import fast_plan

    return fast_plan(built.problem)


def compute(db: Database, actor: Actor, *,
            solver: Callable[[Built], Solution] | None = None, method: str | None = None) -> ScheduleView:
    """A new schedule version from the dispatching rules (or ``solver``), keeping every lock."""
    require(actor, "schedule.edit")
    today = clock.today()

    def run(uow: UnitOfWork) -> int:
        s = uow.session
        built = build(s, today, weights=_weights(s, today))
        sol = (solver or _solve_fast)(built)
        return _save(uow, built, sol, method or f"rule:{sol.method}")

    vid = db.write(actor, run)
    return _saved_view(db, actor, vid)


def save_solution(db: Database, actor: Actor, built: Built, sol: Solution, method: str) -> ScheduleView:
    """Save a plan computed elsewhere (the improve step in its background process)."""
    require(actor, "schedule.edit")
    vid = db.write(actor, lambda uow: _save(uow, built, sol, method))
    return _saved_view(db, actor, vid)


def problem_for(db: Database, actor: Actor) -> Built:
    """The problem as it stands (for the improve step, which runs in another process)."""
    require(actor, "schedule.view")
    today = clock.today()
    with db.read() as s:
        return build(s, today, weights=_weights(s, today))


def view(db: Database, actor: Actor, version_id: int | None = None) -> ScheduleView | None:
    """A schedule version (default: the newest) with names, lateness and what could not be planned."""
    require(actor, "schedule.view")
    today = clock.today()
    with db.read() as s:
        vid = version_id or _latest_version_id(s)
        if vid is None:
            return None
        v = s.get(ScheduleVersion, vid)
        if v is None:
            return None
        wc = dict(s.execute(select(WorkCenter.id, WorkCenter.name)).all())
        st = dict(s.execute(select(Staff.id, Staff.name)).all())
        rows = s.execute(
            select(ScheduledOperation, RoutingOperation.name, RoutingOperation.seq, SalesOrder.id, SalesOrder.number,
                   Customer.name, Product.sku, SalesOrderLine.promise_date, SalesOrder.promise_date)
            .join(RoutingOperation, RoutingOperation.id == ScheduledOperation.routing_operation_id)
            .join(SalesOrderLine, SalesOrderLine.id == ScheduledOperation.order_line_id)
            .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
            .join(Customer, Customer.id == SalesOrder.customer_id)
            .join(Product, Product.id == SalesOrderLine.product_id)
            .where(ScheduledOperation.schedule_version_id == vid)
            .order_by(ScheduledOperation.start_at, ScheduledOperation.id)).all()
        finish: dict[int, dt.datetime] = {}
        due: dict[int, dt.date] = {}
        for op, _n, _q, oid, _num, _c, _sku, lp, op_ in rows:
            finish[oid] = max(finish.get(oid, op.end_at), op.end_at)
            d = lp or op_
            if d is not None:
                due[oid] = min(due.get(oid, d), d)

        def is_late(oid: int) -> bool:
            d = due.get(oid)
            if d is None:
                return False
            limit = _local_midnight(d) + dt.timedelta(minutes=DUE_MINUTE)
            return finish[oid] > limit

        ops = [PlannedOp(op.id, op.version, op.order_line_id, op.routing_operation_id, oid, number, cust, sku, name,
                         seq, op.work_center_id, wc.get(op.work_center_id, "?"), op.staff_id,
                         st.get(op.staff_id) if op.staff_id else None, op.start_at, op.end_at, op.locked, op.done,
                         lp or op_ or op.end_at.date(), finish[oid], is_late(oid))
               for op, name, seq, oid, number, cust, sku, lp, op_ in rows]
        late = sorted({(o.order_number, o.customer, o.due, o.order_finish) for o in ops if o.late},
                      key=lambda t: t[3])
        machines = [(m, n) for m, n in s.execute(select(WorkCenter.id, WorkCenter.name)
                                                 .where(WorkCenter.active.is_(True)).order_by(WorkCenter.code))]
        staff = [(i, n) for i, n in s.execute(select(Staff.id, Staff.name).where(Staff.active.is_(True))
                                              .order_by(Staff.code))]
        # what the engine could not place (bad data), recomputed from the problem as it stands
        unscheduled: list[str] = []
        built = build(s, today)
        placed = {(o.line_id, o.routing_operation_id) for o in ops}
        missing = {(ref.line_id, ref.routing_operation_id): ref for ref in built.refs.values()}
        for key, ref in missing.items():
            if key not in placed:
                unscheduled.append(f"{ref.order_number} {ref.sku} {ref.name}")
        return ScheduleView(v.id, v.method, v.created_at, v.created_by, v.published_at, v.published_by,
                            v.weighted_tardiness, v.makespan_minutes, ops, machines, staff, sorted(set(unscheduled)),
                            late)


def _saved_view(db: Database, actor: Actor, version_id: int) -> ScheduleView:
    """The version just saved, shown. It can only be missing if other desks saved so many plans in between
    that it was cleared away as an old draft (``KEEP_VERSIONS``)."""
    sv = view(db, actor, version_id)
    if sv is None:
        raise UserError("The schedule just saved has already been replaced by newer ones.",
                        hint="Reload the schedule to see the current plan.")
    return sv


# --- moves, locks, publishing -----------------------------------------------------------------
def _alternatives(codes: dict[int, str], wc: int) -> set[int]:
    """Work centers that can stand in for ``wc``: the same code without its number (WELD1, WELD2)."""
    stem = re.sub(r"\d+$", "", codes.get(wc, ""))
    return {w for w, c in codes.items() if re.sub(r"\d+$", "", c) == stem}


def move(db: Database, actor: Actor, op_id: int, op_version: int, start: dt.datetime, work_center_id: int | None = None,
         *, staff_id: int | None = None) -> ScheduleView:
    """Move an operation to ``start`` (and another work center of the same kind), lock it there,
    and reschedule everything else around the locks. Refused, with nothing saved, when the place
    breaks a rule (hours, shift, skill, precedence, another lock)."""
    require(actor, "schedule.edit")
    today = clock.today()

    def run(uow: UnitOfWork) -> int:
        s = uow.session
        op = uow.get(ScheduledOperation, op_id, expected_version=op_version)
        if op.schedule_version_id != _latest_version_id(s):
            raise UserError("This schedule has been replaced by a newer one; it was reloaded.",
                            hint="Move the operation again on the current schedule.")
        built = build(s, today, weights=_weights(s, today))
        key = next((k for k, ref in built.refs.items()
                    if ref.line_id == op.order_line_id and ref.routing_operation_id == op.routing_operation_id), None)
        if key is None:
            raise UserError("This operation no longer needs planning (the order changed or it is done).")
        ref = built.refs[key]
        wc = work_center_id or op.work_center_id
        if wc not in _alternatives(built.machine_codes, op.work_center_id):
            raise UserError(f"{ref.name} cannot run on {built.machine_names.get(wc, wc)}: it needs "
                            f"{built.machine_names.get(op.work_center_id)} or a machine of the same kind.")
        minute = built.minute(start)
        if minute < 0:
            raise UserError("An operation cannot be moved into the past.")
        job = built.problem.job(key[0])
        o = job.operations[key[1]]
        who = staff_id if staff_id is not None else _free_person(s, built, op, o, minute)
        locks: dict[tuple[Id, int], Lock | None] = {key: Lock(minute, wc, who)}
        sol = _solve_fast(Built(built.problem.with_locks(locks), built.origin, built.refs, built.machine_names,
                                built.machine_codes, built.staff_names, built.staff_skills))
        bad = [u for u in sol.unscheduled if (u.job, u.op) == key] or \
              [u for u in sol.unscheduled if u.job == key[0]]
        if bad:
            raise UserError(f"{ref.order_number} {ref.name} cannot go there: {bad[0].reason}.",
                            hint="Nothing was changed.")
        new = Built(built.problem.with_locks(locks), built.origin, built.refs, built.machine_names,
                    built.machine_codes, built.staff_names, built.staff_skills)
        vid = _save(uow, new, sol, f"moved {ref.order_number} {ref.name}; rule:{sol.method}")
        order = uow.get(SalesOrder, ref.order_id)
        uow.add(TimelineEvent(customer_id=order.customer_id, order_id=order.id, stage=Stage.SCHEDULE, kind="scheduled",
                              summary=f"{ref.name} for {order.number} moved to "
                                      f"{start.astimezone(clock.zone()):%a %d %b %H:%M} on "
                                      f"{built.machine_names.get(wc)} and locked",
                              user=actor.username, ref_table="schedule_version", ref_id=vid))
        return vid

    vid = db.write(actor, run)
    return _saved_view(db, actor, vid)


def _free_person(s: Session, built: Built, op: ScheduledOperation, o: Operation, minute: int) -> Id | None:
    """The person for a moved operation: whoever had it if they are on shift then, else the first
    person with the skill whose shift covers it and who is not busy then in the current plan."""
    if o.skill is None:
        return None
    end = minute + o.duration
    busy: dict[Id, list[tuple[int, int]]] = {}
    for sid, a, b, oid in s.execute(select(ScheduledOperation.staff_id, ScheduledOperation.start_at,
                                           ScheduledOperation.end_at, ScheduledOperation.id)
                                    .where(ScheduledOperation.schedule_version_id == op.schedule_version_id)):
        if sid is not None and oid != op.id:
            busy.setdefault(sid, []).append((built.minute(a), built.minute(b)))
    cands = [st for st in built.problem.staff if o.skill in st.skills]
    cands.sort(key=lambda st: (st.id != op.staff_id, len(st.skills)))
    for st in cands:
        on_shift = any(a <= minute and end <= b for a, b in (st.windows or ()))
        free = not any(a < end and minute < b for a, b in busy.get(st.id, ()))
        if on_shift and free:
            return st.id
    return cands[0].id if cands else None  # the engine will say why it does not fit


def set_locked(db: Database, actor: Actor, op_id: int, op_version: int, locked: bool) -> None:
    require(actor, "schedule.edit")

    def run(uow: UnitOfWork) -> None:
        op = uow.get(ScheduledOperation, op_id, expected_version=op_version)
        op.locked = locked

    db.write(actor, run)


def publish(db: Database, actor: Actor, version_id: int) -> int:
    """Publish a version (what the shop floor works to) and release the week: confirmed orders whose
    work starts within ``RELEASE_DAYS`` go into production. Returns how many orders were released."""
    require(actor, "schedule.edit")
    today = clock.today()

    def run(uow: UnitOfWork) -> int:
        s = uow.session
        v = uow.get(ScheduleVersion, version_id)
        v.published_at, v.published_by = utcnow(), actor.username
        uow.touched.setdefault("schedule_version", set()).add(v.id)
        until = _local_midnight(today + dt.timedelta(days=RELEASE_DAYS)).astimezone(dt.timezone.utc)
        oids = set(s.scalars(select(SalesOrderLine.order_id)
                             .join(ScheduledOperation, ScheduledOperation.order_line_id == SalesOrderLine.id)
                             .where(ScheduledOperation.schedule_version_id == v.id,
                                    ScheduledOperation.start_at < until)))
        released = 0
        for order in s.scalars(select(SalesOrder).where(SalesOrder.id.in_(oids), ~AWAITING_APPROVAL,
                                                        SalesOrder.status == OrderStatus.CONFIRMED)):
            order.status = OrderStatus.IN_PRODUCTION
            order.updated_at = utcnow()
            uow.add(TimelineEvent(customer_id=order.customer_id, order_id=order.id, stage=Stage.SCHEDULE,
                                  kind="released", summary=f"{order.number} released to production",
                                  user=actor.username, ref_table="schedule_version", ref_id=v.id))
            released += 1
        return released

    return db.write(actor, run)


def work_list(sv: ScheduleView, *, day: dt.date, staff_id: int | None = None, work_center_id: int | None = None
              ) -> list[PlannedOp]:
    """A person's (or a machine's) operations starting on ``day`` (local), in time order."""
    return [o for o in sv.ops if o.start.astimezone(clock.zone()).date() == day
            and (staff_id is None or o.staff_id == staff_id)
            and (work_center_id is None or o.work_center_id == work_center_id)]


# --- the expedite impact preview ----------------------------------------------------------------
@dataclass(frozen=True)
class Preview:
    slips: list[tuple[int, str, str, int, bool]]  # order id, number, customer, days later, now late
    overtime_minutes: int
    finish: dt.datetime | None  # when the expedited order would be done
    before_finish: dt.datetime | None


def _finish_by_order(built: Built, sol: Solution) -> dict[int, int]:
    out: dict[int, int] = {}
    for a in sol.assignments:
        oid = built.refs[(int(a.job), a.op)].order_id
        out[oid] = max(out.get(oid, 0), a.end)
    return out


def preview_expedite(s: Session, order_id: int, requested_date: dt.date, today: dt.date) -> Preview:
    """Schedule with and without the expedite (the dispatching plan, locks kept): the orders that
    would finish later than promised because of it, by how many days, and the overtime that
    avoids it — the expedited order's own work on the machines where those orders lose time,
    done outside the shifts, leaves every other order where it was."""
    weights = _weights(s, today)
    base = build(s, today, weights=weights)
    exp = build(s, today, weights=weights, overrides={order_id: (requested_date, 4.0)})
    from app.scheduling.rules import dispatch

    sol0 = _solve_fast(base)
    sol1 = dispatch(exp.problem, sol0.method)  # the same rule, so only the expedite differs
    f0, f1 = _finish_by_order(base, sol0), _finish_by_order(exp, sol1)
    slips = []
    contested: set[int] = set()
    by_order_ops: dict[int, list[Assignment]] = {}
    for a in sol1.assignments:
        by_order_ops.setdefault(exp.refs[(int(a.job), a.op)].order_id, []).append(a)
    for oid, end1 in f1.items():
        if oid == order_id or oid not in f0:
            continue
        days = end1 // 1440 - f0[oid] // 1440  # finishes on a later day than planned
        if days > 0:
            due = (exp.order_due[oid] - today).days * 1440 + DUE_MINUTE
            slips.append((oid, exp.order_number[oid], exp.order_customer[oid], days, end1 > due))
            contested |= {int(a.machine) for a in by_order_ops[oid]}
    overtime = sum(a.end - a.start for a in by_order_ops.get(order_id, []) if int(a.machine) in contested)
    slips.sort(key=lambda t: (-t[3], t[1]))
    return Preview(slips, overtime, exp.at(f1[order_id]) if order_id in f1 else None,
                   base.at(f0[order_id]) if order_id in f0 else None)


def hours_text(minutes: int) -> str:
    return f"{fmt.quantity(Decimal(minutes) / 60)} h"



def finish_production(db: Database, actor: Actor, order_id: int) -> str:
    """Production reports an order's making done: its operations in the newest plan are marked
    done and the order is ready to pick (made-to-order goods can then be picked and shipped)."""
    require(actor, "schedule.edit")

    def run(uow: UnitOfWork) -> str:
        s = uow.session
        order = uow.get(SalesOrder, order_id)
        if order.status not in (OrderStatus.CONFIRMED, OrderStatus.IN_PRODUCTION):
            raise UserError(f"{order.number} is {order.status.value.replace('_', ' ')}: nothing is in production.")
        vid = _latest_version_id(s)
        if vid is not None:
            for op in s.scalars(select(ScheduledOperation).join(
                    SalesOrderLine, SalesOrderLine.id == ScheduledOperation.order_line_id)
                    .where(SalesOrderLine.order_id == order.id, ScheduledOperation.schedule_version_id == vid)):
                op.done = True
        order.status = OrderStatus.READY
        order.updated_at = utcnow()
        uow.add(TimelineEvent(customer_id=order.customer_id, order_id=order.id, stage=Stage.SCHEDULE,
                              kind="production_finished", summary=f"{order.number}: production finished, ready to pick",
                              user=actor.username, ref_table="sales_order", ref_id=order.id))
        return order.number

    return db.write(actor, run)
