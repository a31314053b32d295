"""The schedule from the demo company's database: problem building, versions, move-and-lock with
its refusals, publishing (release), work lists, and the expedite preview. SQLite file and, when
configured, PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app import clock
from app.demo import FIRM_CALENDAR
from app.errors import PermissionDenied, UserError
from app.models import ScheduledOperation, ScheduleVersion, SalesOrder
from app.models.enums import OrderStatus
from app.scheduling.model import Assignment
from app.scheduling.validate import violations
from app.services import priorities, scheduling

from tests.support import TODAY  # noqa: E402


def _as_solution(built: scheduling.Built, plan: scheduling.ScheduleView):
    from app.scheduling.model import evaluate

    key = {(ref.line_id, ref.routing_operation_id): k for k, ref in built.refs.items()}
    return evaluate(built.problem, [Assignment(key[(o.line_id, o.routing_operation_id)][0],
                                               key[(o.line_id, o.routing_operation_id)][1],
                                               built.minute(o.start), built.minute(o.end), o.work_center_id,
                                               o.staff_id) for o in plan.ops])


def test_the_plan_respects_machines_staff_calendars_and_routing_order(demo) -> None:
    db, actor = demo
    prod = actor("production")
    with pytest.raises(PermissionDenied):
        scheduling.compute(db, actor("marketing"))
    plan = scheduling.compute(db, prod)
    assert plan.ops and plan.method.startswith("rule:") and not plan.unscheduled
    built = scheduling.problem_for(db, prod)
    assert built.problem.operation_count == len(plan.ops)
    assert violations(built.problem, _as_solution(built, plan)) == []
    # welding operations are done by welders on their shift, 07:00–16:00 on working days
    welds = [o for o in plan.ops if "Weld" in o.name]
    assert welds and all(o.staff in ("Mick Rowe", "Jas Singh", "Ryan Cole") for o in welds)
    for o in welds:
        local = o.start.astimezone(clock.zone())
        assert local.weekday() < 5 and 7 * 60 <= local.hour * 60 + local.minute
        assert o.end.astimezone(clock.zone()).hour * 60 + o.end.astimezone(clock.zone()).minute <= 16 * 60
    # the queue's weights feed the schedule: accepted expedites weigh most
    q = priorities.queue(db, prod)
    w = priorities.schedule_weights(q)
    by_order = {}
    for job in built.problem.jobs:
        by_order[built.refs[(job.id, 0)].order_id] = job.weight
    accepted = [r.order_id for r in q.rows if r.expedite == "accepted" and r.order_id in by_order]
    others = [oid for oid in by_order if oid not in accepted]
    assert accepted and min(by_order[o] for o in accepted) > max(by_order[o] for o in others)
    assert all(by_order[o] == max(1, round(10 * w[o])) for o in by_order if o in w)


def test_move_locks_and_rescheduling_keeps_the_lock(demo) -> None:
    db, actor = demo
    prod = actor("production")
    plan = scheduling.compute(db, prod)
    weld = next(o for o in plan.ops if "Weld" in o.name)
    tomorrow_8 = clock.at(FIRM_CALENDAR.add_business_days(TODAY, 1), 8)
    moved_plan = scheduling.move(db, prod, weld.id, weld.version, tomorrow_8)
    moved = next(o for o in moved_plan.ops if (o.line_id, o.routing_operation_id) == (weld.line_id,
                                                                                      weld.routing_operation_id))
    assert moved.locked and moved.start == tomorrow_8.astimezone(dt.timezone.utc)
    again = scheduling.compute(db, prod)  # rescheduling keeps the lock
    kept = next(o for o in again.ops if (o.line_id, o.routing_operation_id) == (weld.line_id,
                                                                                weld.routing_operation_id))
    assert kept.locked and kept.start == moved.start and kept.staff_id == moved.staff_id
    built = scheduling.problem_for(db, prod)
    assert violations(built.problem, _as_solution(built, again)) == []
    # unlock: the next plan may move it again
    scheduling.set_locked(db, prod, kept.id, kept.version, False)
    assert not next(o for o in scheduling.view(db, prod).ops if o.id == kept.id).locked


@pytest.mark.parametrize("where, reason", [
    ("sunday", "outside the working hours"),
    ("night", "outside the working hours"),
    ("laser", "cannot run on Laser cutter"),
    ("past", "into the past"),
])
def test_a_move_that_breaks_a_rule_is_refused_and_nothing_is_saved(demo, where, reason) -> None:
    db, actor = demo
    prod = actor("production")
    plan = scheduling.compute(db, prod)
    weld = next(o for o in plan.ops if "Weld" in o.name)
    wc = weld.work_center_id
    sunday = TODAY + dt.timedelta(days=(6 - TODAY.weekday()) % 7 or 7)
    workday = FIRM_CALENDAR.add_business_days(TODAY, 1)
    start = {"sunday": clock.at(sunday, 9), "night": clock.at(workday, 2), "laser": clock.at(workday, 9),
             "past": clock.at(TODAY - dt.timedelta(days=1), 9)}[where]
    if where == "laser":
        wc = next(m for m, name in plan.machines if name == "Laser cutter")
    with db.read() as s:
        before = (s.scalar(select(func.count()).select_from(ScheduleVersion)),
                  s.scalar(select(func.count()).select_from(ScheduledOperation)))
    with pytest.raises(UserError, match=reason):
        scheduling.move(db, prod, weld.id, weld.version, start, wc)
    with db.read() as s:
        after = (s.scalar(select(func.count()).select_from(ScheduleVersion)),
                 s.scalar(select(func.count()).select_from(ScheduledOperation)))
    assert after == before


def test_a_move_before_the_work_that_must_come_first_is_refused(demo) -> None:
    db, actor = demo
    prod = actor("production")
    plan = scheduling.compute(db, prod)
    # the last operation of a line whose earlier work takes hours, locked at 07:00 today: the shop
    # opens at 06:00, so the work that must come first cannot be done by then
    lines = {}
    for o in plan.ops:
        lines.setdefault(o.line_id, []).append(o)
    ops = next(sorted(v, key=lambda o: o.seq) for v in lines.values()
               if len(v) >= 3 and sum((o.end - o.start).total_seconds() for o in sorted(v, key=lambda o: o.seq)[:-1])
               > 3 * 3600)
    seven = clock.at(TODAY, 7, 0)
    with pytest.raises(UserError, match="before its earlier operations|cannot go there"):
        scheduling.move(db, prod, ops[-1].id, ops[-1].version, seven)


def test_publish_releases_the_week_and_work_lists_are_per_person_and_day(demo) -> None:
    db, actor = demo
    prod = actor("production")
    plan = scheduling.compute(db, prod)
    with db.read() as s:
        confirmed = {o.id for o in s.scalars(select(SalesOrder).where(SalesOrder.status == OrderStatus.CONFIRMED))}
    starting = {o.order_id for o in plan.ops if o.start.astimezone(clock.zone()).date() < TODAY + dt.timedelta(days=7)}
    released = scheduling.publish(db, prod, plan.version_id)
    assert released == len(confirmed & starting) > 0
    with db.read() as s:
        for oid in confirmed & starting:
            assert s.get(SalesOrder, oid).status is OrderStatus.IN_PRODUCTION
    view = scheduling.view(db, prod)
    assert view.published_at is not None and view.published_by == "production"
    welder = next(o.staff_id for o in plan.ops if o.staff == "Mick Rowe")
    day = next(o.start.astimezone(clock.zone()).date() for o in plan.ops if o.staff_id == welder)
    mine = scheduling.work_list(view, day=day, staff_id=welder)
    assert mine and all(o.staff_id == welder and o.start.astimezone(clock.zone()).date() == day for o in mine)
    assert [o.start for o in mine] == sorted(o.start for o in mine)


def test_the_expedite_preview_is_the_same_for_everyone_and_costs_nothing_for_stock_orders(demo) -> None:
    db, actor = demo
    with db.read() as s:
        ts = s.scalars(select(SalesOrder).where(SalesOrder.customer_reference == "NEC stand - Logistics Show")).one()
        p1 = scheduling.preview_expedite(s, ts.id, TODAY + dt.timedelta(days=5), TODAY)
        p2 = scheduling.preview_expedite(s, ts.id, TODAY + dt.timedelta(days=5), TODAY)
    assert p1 == p2
    assert p1.finish is not None and p1.before_finish is not None and p1.finish <= p1.before_finish
    assert all(days >= 1 for _oid, _n, _c, days, _late in p1.slips)
    assert (p1.overtime_minutes > 0) == bool(p1.slips)


def test_production_finished_makes_a_made_to_order_line_pickable(demo) -> None:
    from app.services import shipping

    db, actor = demo
    prod = actor("production")
    plan = scheduling.compute(db, prod)
    with db.read() as s:
        order = s.scalars(select(SalesOrder).where(SalesOrder.customer_reference == "NEC stand - Logistics Show")).one()
    before = {r.order_id: r for r in shipping.ready_orders(db, actor("shipping"))}
    mto_before = before[order.id].pickable if order.id in before else 0
    with pytest.raises(PermissionDenied):
        scheduling.finish_production(db, actor("shipping"), order.id)
    assert scheduling.finish_production(db, prod, order.id) == order.number
    after = {r.order_id: r for r in shipping.ready_orders(db, actor("shipping"))}
    assert after[order.id].status == "ready" and after[order.id].pickable > mto_before
    assert all(o.done for o in scheduling.view(db, prod).ops if o.order_id == order.id)
    assert plan.ops
    with pytest.raises(UserError, match="nothing is in production"):
        scheduling.finish_production(db, prod, order.id)
