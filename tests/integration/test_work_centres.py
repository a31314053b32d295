"""Work centres (issue 20): create, edit, the checks that name a field (code, name, calendar, rate,
hostile text), two desks on one work centre, who may change them, archive refused while a routing or
the current schedule needs the centre, restore, and what the schedule then reads. On the demo
company, SQLite and, when configured, PostgreSQL (the ``demo`` fixture)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app import clock
from app.errors import ConflictError, PermissionDenied, UserError, ValidationError
from app.models import AuditLog, ScheduledOperation, ScheduleVersion, WorkCenter
from app.services import scheduling
from app.services import work_centres as svc
from app.services.schedule_problem import build
from app.services.work_centres import WorkCentreForm


def _fields(exc: ValidationError) -> set[str | None]:
    return {p.field for p in exc.problems}


def _calendar(db, actor) -> int:
    return svc.calendars(db, actor)[0].id


def _new(db, actor, **kw) -> svc.WorkCentreView:
    form = WorkCentreForm(**{"code": " weld3 ", "name": "Welding station 3", "calendar_id": _calendar(db, actor),
                             "hourly_rate": "57.50", **kw})
    return svc.save_work_centre(db, actor, form)


def test_production_creates_edits_and_finds_a_work_centre_and_the_schedule_books_it(demo) -> None:
    db, actor = demo
    prod = actor("production")
    made = _new(db, prod)
    assert (made.code, made.name, made.hourly_rate, made.active) == ("WELD3", "Welding station 3", D("57.50"), True)
    assert svc.work_centre(db, prod, made.id) == made
    assert [r.code for r in svc.work_centres(db, prod, "weld")] == ["WELD1", "WELD2", "WELD3"]
    assert [r.code for r in svc.work_centres(db, prod, "station 3")] == ["WELD3"]
    assert svc.work_centres(db, actor("sales"), "%") == []  # LIKE's % is literal
    two = [c for c in svc.calendars(db, prod) if c.id != made.calendar_id][0]
    saved = svc.save_work_centre(db, prod, replace(made.form(), name="Robot welder", calendar_id=two.id,
                                                   hourly_rate=D(90)))
    assert saved.version > made.version and saved.calendar == two.name and saved.hourly_rate == D("90.00")
    with db.read() as s:
        audit = {(a.action, a.field) for a in s.execute(select(AuditLog).where(
            AuditLog.entity == "work_center", AuditLog.entity_id == made.id)).scalars()}
        assert {("insert", None), ("update", "name"), ("update", "calendar_id"), ("update", "hourly_rate")} <= audit
        built = build(s, clock.today())
        machine = next(m for m in built.problem.machines if m.id == made.id)
        assert machine.windows and built.machine_codes[made.id] == "WELD3"


def test_every_problem_is_named_at_its_field(demo) -> None:
    db, actor = demo
    prod = actor("production")
    with pytest.raises(ValidationError) as err:
        svc.save_work_centre(db, prod, WorkCentreForm("", " ", None, "-3"))
    assert _fields(err.value) == {"code", "name", "calendar_id", "hourly_rate"}
    with pytest.raises(ValidationError) as err:
        _new(db, prod, code="a b", calendar_id=999_999, hourly_rate="lots")
    assert _fields(err.value) == {"code", "calendar_id", "hourly_rate"}
    assert "'lots' is not an amount" in str(err.value)
    with pytest.raises(ValidationError) as err:
        _new(db, prod, code="laser")
    assert err.value.problems[0].field == "code" and "already taken by Laser cutter" in str(err.value)


def test_hostile_text_is_refused_at_the_field(demo) -> None:
    db, actor = demo
    prod = actor("production")
    with pytest.raises(ValidationError) as err:
        _new(db, prod, code="X\x00Y", name="Weld\nstation" + "x" * 10)
    assert _fields(err.value) == {"code", "name"}
    with pytest.raises(ValidationError) as err:
        _new(db, prod, name="W" * 5000)
    assert _fields(err.value) == {"name"} and "at most 200 characters" in str(err.value)
    with pytest.raises(ValidationError) as err:
        _new(db, prod, code="C" * 33)
    assert _fields(err.value) == {"code"}


def test_who_may_change_work_centres(demo) -> None:
    db, actor = demo
    for role in ("management", "admin"):
        assert _new(db, actor(role), code=f"T{role[:3]}").code == f"T{role[:3].upper()}"
    sales = actor("sales")
    assert svc.work_centres(db, sales)  # everyone sees them
    with pytest.raises(PermissionDenied):
        _new(db, sales)
    with db.read() as s:
        laser = s.execute(select(WorkCenter).where(WorkCenter.code == "LASER")).scalar_one()
        laser_id, version = laser.id, laser.version
    with pytest.raises(PermissionDenied):
        svc.archive_work_centre(db, sales, laser_id, version=version)


def test_two_desks_the_second_save_is_refused_and_nothing_is_overwritten(demo) -> None:
    db, actor = demo
    made = _new(db, actor("production"))
    first = svc.save_work_centre(db, actor("management"), replace(made.form(), hourly_rate="60"))
    with pytest.raises(ConflictError) as err:
        svc.save_work_centre(db, actor("production"), replace(made.form(), name="Stale"))
    assert "management" in str(err.value)
    with pytest.raises(ConflictError):
        svc.archive_work_centre(db, actor("production"), made.id, version=made.version)
    assert svc.work_centre(db, actor("production"), made.id) == first


def test_archive_is_refused_while_a_routing_uses_the_centre(demo) -> None:
    db, actor = demo
    prod = actor("production")
    laser = next(r for r in svc.work_centres(db, prod) if r.code == "LASER")
    with pytest.raises(UserError) as err:
        svc.archive_work_centre(db, prod, laser.id)
    assert "LASER (Laser cutter) cannot be archived: the routing of" in err.value.message
    assert "active products uses it" in err.value.message or "active product uses it" in err.value.message
    assert " and " in err.value.message and "more" in err.value.message  # named, then counted
    assert svc.work_centre(db, prod, laser.id).active


def test_archive_is_refused_while_the_current_schedule_has_future_work_on_it_then_allowed(demo) -> None:
    db, actor = demo
    prod = actor("production")
    made = _new(db, prod)
    plan = scheduling.compute(db, prod)
    future = [o for o in plan.ops if o.start > clock.utcnow() and not o.done]
    assert future
    op = future[0]

    def move_to_new_centre(uow) -> None:
        row = uow.session.get(ScheduledOperation, op.id)
        row.work_center_id = made.id
        uow.flush()

    db.write(prod, move_to_new_centre)
    with pytest.raises(UserError) as err:
        svc.archive_work_centre(db, prod, made.id, version=made.version)
    assert f"the current schedule has operations on it for 1 order: {op.order_number}." in err.value.message

    def mark_done(uow) -> None:
        uow.session.get(ScheduledOperation, op.id).done = True
        uow.flush()

    db.write(prod, mark_done)
    archived = svc.archive_work_centre(db, prod, made.id, version=made.version)
    assert not archived.active and archived.version > made.version
    assert [r.code for r in svc.work_centres(db, prod, "weld3")] == []
    assert [r.code for r in svc.work_centres(db, prod, "weld3", include_archived=True)] == ["WELD3"]
    with db.read() as s:
        assert made.id not in {m.id for m in build(s, clock.today()).problem.machines}
        assert s.scalar(select(ScheduleVersion.id)) is not None
    restored = svc.restore_work_centre(db, prod, made.id, version=archived.version)
    assert restored.active
    with db.read() as s:
        assert made.id in {m.id for m in build(s, clock.today()).problem.machines}
        audit = [a.new_value for a in s.execute(select(AuditLog).where(
            AuditLog.entity == "work_center", AuditLog.entity_id == made.id, AuditLog.field == "active")).scalars()]
        assert audit == ["False", "True"]
