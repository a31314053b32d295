"""Staff, skills and shifts (issue 20): create, edit and archive people with their skills, skills and
shifts with their refusals (who and what still uses them), the checks that name a field, hostile
text, two desks (a stale version; a skill renamed meanwhile), who may change them — and that a
saved change reaches the schedule (``schedule_problem.build`` and the next "Plan now"). On the demo
company, SQLite and, when configured, PostgreSQL (the ``demo`` fixture)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app import clock
from app.errors import ConflictError, PermissionDenied, UserError, ValidationError
from app.models import AuditLog, Skill, Staff
from app.services import scheduling
from app.services import skills_shifts as sk
from app.services import staff as svc
from app.services.schedule_problem import build
from app.services.skills_shifts import ShiftForm, SkillForm
from app.services.staff import SkillLevel, StaffForm


def _fields(exc: ValidationError) -> set[str | None]:
    return {p.field for p in exc.problems}


def _skill(db, actor, code: str) -> int:
    return next(k.id for k in sk.skills(db, actor) if k.code.lower() == code.lower())


def _shift(db, actor, name: str) -> int:
    return next(s.id for s in sk.shifts(db, actor) if s.name == name)


def _new(db, actor, **kw) -> svc.StaffView:
    form = StaffForm(**{"code": " st99 ", "name": "Ana Kovač", "shift_id": _shift(db, actor, "Early"),
                        "hourly_rate": "18.75", "hours_per_week": "37.5",
                        "skills": [SkillLevel(_skill(db, actor, "welding"), 3),
                                   SkillLevel(_skill(db, actor, "laser"), 1)],
                        **kw})
    return svc.save_person(db, actor, form)


# --- staff ----------------------------------------------------------------------------------------
def test_a_new_welder_on_the_early_shift_is_in_the_schedule_problem_and_gets_welding_work(demo) -> None:
    db, actor = demo
    prod = actor("production")
    made = _new(db, prod)
    assert (made.code, made.shift, made.hourly_rate, made.hours_per_week) == ("ST99", "Early", D("18.75"), D("37.50"))
    assert [(k.code, k.level) for k in made.skills] == [("laser", 1), ("welding", 3)]
    assert svc.person(db, prod, made.id) == made
    with db.read() as s:
        built = build(s, clock.today())
    res = next(p for p in built.problem.staff if p.id == made.id)
    assert res.skills == frozenset({"welding", "laser"})
    assert res.windows and all(a % 1440 == 360 and b % 1440 == 840 for a, b in res.windows)  # 06:00–14:00
    welder = svc.save_person(db, prod, replace(made.form(), skills=[SkillLevel(_skill(db, prod, "welding"), 3)]))
    plan = scheduling.compute(db, prod)  # "Plan now"
    mine = [o for o in plan.ops if o.staff_id == made.id]
    assert mine and all("Weld" in o.name for o in mine)  # welding thin in the demo: the new welder gets work
    for o in mine:
        local = o.start.astimezone(clock.zone())
        assert 6 * 60 <= local.hour * 60 + local.minute < 14 * 60
    # a skill taken off reaches the next build as well
    less = svc.save_person(db, prod, replace(welder.form(), skills=[SkillLevel(_skill(db, prod, "laser"), 2)]))
    assert less.version > welder.version > made.version and [(k.code, k.level) for k in less.skills] == [("laser", 2)]
    with db.read() as s:
        assert next(p for p in build(s, clock.today()).problem.staff if p.id == made.id).skills == {"laser"}


def test_staff_list_finds_by_code_name_and_skill(demo) -> None:
    db, actor = demo
    prod = actor("production")
    _new(db, prod)
    welders = {r.code for r in svc.staff(db, prod, "weld")}
    assert {"ST04", "ST05", "ST10", "ST99"} <= welders
    row = next(r for r in svc.staff(db, prod, "kovač"))
    assert row.shift == "Early" and row.skills_text == "laser (learning), welding (expert)"
    assert svc.staff(db, prod, "_") == []


def test_every_staff_problem_is_named_at_its_field(demo) -> None:
    db, actor = demo
    prod = actor("production")
    weld = _skill(db, prod, "welding")
    with pytest.raises(ValidationError) as err:
        svc.save_person(db, prod, StaffForm("", "", None, "-1", "81", skills=[SkillLevel(weld, 4)]))
    assert _fields(err.value) == {"code", "name", "shift_id", "hourly_rate", "hours_per_week", "skills"}
    with pytest.raises(ValidationError) as err:
        _new(db, prod, code="st01", shift_id=999_999, hours_per_week="many",
             skills=[SkillLevel(weld, 2), SkillLevel(weld, 3), SkillLevel(999_999, 2)])
    assert _fields(err.value) == {"code", "shift_id", "hours_per_week", "skills"}
    text = str(err.value)
    assert "already taken by Dave Walsh" in text and "welding is listed twice" in text and "no longer exists" in text


def test_a_user_is_linked_to_one_staff_member_at_most(demo) -> None:
    db, actor = demo
    prod = actor("production")
    made = _new(db, prod, user_id=prod.user_id)
    assert made.user_id == prod.user_id and made.user
    with pytest.raises(ValidationError) as err:
        _new(db, prod, code="ST98", user_id=prod.user_id)
    assert _fields(err.value) == {"user_id"} and f"already linked to {made.name}" in str(err.value)
    with pytest.raises(ValidationError) as err:
        _new(db, prod, code="ST98", user_id=999_999)
    assert _fields(err.value) == {"user_id"}


def test_hostile_text_in_a_person_is_refused_at_the_field(demo) -> None:
    db, actor = demo
    with pytest.raises(ValidationError) as err:
        _new(db, actor("production"), code="ST\u200b9\x07", name="Ana\rKovač")
    assert _fields(err.value) == {"code", "name"}


def test_who_may_change_staff_and_two_desks(demo) -> None:
    db, actor = demo
    sales = actor("sales")
    assert svc.staff(db, sales)  # reading: everyone with schedule.view
    with pytest.raises(PermissionDenied):
        _new(db, sales)
    made = _new(db, actor("management"))
    svc.save_person(db, actor("production"), replace(made.form(), skills=()))  # skills only: the version moves
    with pytest.raises(ConflictError):
        svc.save_person(db, actor("admin"), replace(made.form(), name="Stale"))
    with pytest.raises(ConflictError):
        svc.archive_person(db, actor("production"), made.id, version=made.version)
    with db.read() as s:
        assert s.execute(select(AuditLog).where(AuditLog.entity == "staff_skill", AuditLog.action == "delete")).first()


def test_archive_is_refused_while_the_schedule_has_their_future_work_then_allowed(demo) -> None:
    db, actor = demo
    prod = actor("production")
    plan = scheduling.compute(db, prod)
    busy = next(o for o in plan.ops if o.staff_id is not None and o.start > clock.utcnow() and not o.done)
    with db.read() as s:
        person = s.get(Staff, busy.staff_id)
        pid, version, name = person.id, person.version, person.name
    with pytest.raises(PermissionDenied):
        svc.archive_person(db, actor("sales"), pid, version=version)
    with pytest.raises(UserError) as err:
        svc.archive_person(db, prod, pid, version=version)
    assert f"{name} (" in err.value.message and busy.order_number in err.value.message
    made = _new(db, prod)  # nothing planned for a new person yet
    archived = svc.archive_person(db, prod, made.id, version=made.version)
    assert not archived.active and "ST99" not in {r.code for r in svc.staff(db, prod)}
    with db.read() as s:
        assert made.id not in {p.id for p in build(s, clock.today()).problem.staff}
    restored = svc.restore_person(db, prod, made.id, version=archived.version)
    assert restored.active and "ST99" in {r.code for r in svc.staff(db, prod)}


# --- skills ---------------------------------------------------------------------------------------
def test_skills_create_rename_and_delete_with_refusals(demo) -> None:
    db, actor = demo
    prod = actor("production")
    made = sk.save_skill(db, prod, SkillForm(" grind ", "Grinding"))
    assert (made.code, made.name, made.staff, made.operations) == ("GRIND", "Grinding", 0, 0)
    renamed = sk.save_skill(db, prod, SkillForm("grind", "Grinding and deburring", made.id, made.code, made.name))
    assert renamed.code == "GRIND" and renamed.name == "Grinding and deburring"
    with pytest.raises(ConflictError):  # the form read the old name: someone renamed it meanwhile
        sk.save_skill(db, actor("management"), SkillForm("GRIND", "Polishing", made.id, made.code, made.name))
    with pytest.raises(ValidationError) as err:
        sk.save_skill(db, prod, SkillForm("Laser", "", None))
    assert _fields(err.value) == {"code", "name"} and "already taken by Laser cutting" in str(err.value)
    with pytest.raises(ValidationError) as err:
        sk.save_skill(db, prod, SkillForm("A\tB", "x\x1b"))
    assert _fields(err.value) == {"code", "name"}
    # installation: the service jobs look for it by its code
    inst = next(k for k in sk.skills(db, prod) if k.code == "installation")
    kept = sk.save_skill(db, prod, SkillForm("INSTALLATION", "Site installation", inst.id, inst.code, inst.name))
    assert kept.code == "installation"
    with pytest.raises(ValidationError) as err:
        sk.save_skill(db, prod, SkillForm("FITTING", kept.name, inst.id, kept.code, kept.name))
    assert _fields(err.value) == {"code"}
    # delete: refused while people have it or routings need it, naming them
    welding = next(k for k in sk.skills(db, prod) if k.code == "welding")
    with pytest.raises(UserError) as err:
        sk.delete_skill(db, prod, welding.id, expected_name=welding.name)
    assert "Mick Rowe" in err.value.message and "the routing of" in err.value.message
    person = _new(db, prod, skills=[SkillLevel(made.id, 2)])
    with pytest.raises(UserError) as err:
        sk.delete_skill(db, prod, made.id, expected_name=renamed.name)
    assert "1 person has it (Ana Kovač)" in err.value.message and "routing" not in err.value.message
    svc.save_person(db, prod, replace(person.form(), skills=()))
    with pytest.raises(PermissionDenied):
        sk.delete_skill(db, actor("sales"), made.id)
    with pytest.raises(ConflictError):
        sk.delete_skill(db, prod, made.id, expected_name="Grinding")
    sk.delete_skill(db, prod, made.id, expected_name=renamed.name)
    with db.read() as s:
        assert s.get(Skill, made.id) is None
        actions = [a.action for a in s.execute(select(AuditLog).where(
            AuditLog.entity == "skill", AuditLog.entity_id == made.id).order_by(AuditLog.id)).scalars()]
        assert actions == ["insert", "update", "delete"]


# --- shifts ---------------------------------------------------------------------------------------
def test_shifts_create_edit_and_delete_with_refusals(demo) -> None:
    db, actor = demo
    prod = actor("production")
    made = sk.save_shift(db, prod, ShiftForm(" Weekend ", "8:00", "12.30", {5, 6}))
    assert (made.name, made.start, made.end, made.days, made.weekdays) == ("Weekend", "08:00", "12:30", "Sat, Sun",
                                                                            frozenset({5, 6}))
    edited = sk.save_shift(db, prod, replace(made.form(), start=420, weekdays=frozenset(range(7))))
    assert edited.start == "07:00" and edited.days == "every day" and edited.version > made.version
    with pytest.raises(ConflictError):
        sk.save_shift(db, actor("management"), replace(made.form(), name="Stale"))
    with pytest.raises(ValidationError) as err:
        sk.save_shift(db, prod, ShiftForm("day", "25:00", "7:75", set()))
    assert _fields(err.value) == {"name", "start", "end", "weekdays"}
    with pytest.raises(ValidationError) as err:
        sk.save_shift(db, prod, ShiftForm("Night", "22:00", "06:00", {0}))
    assert _fields(err.value) == {"end"} and "cannot run past midnight" in str(err.value)
    with pytest.raises(ValidationError) as err:
        sk.save_shift(db, prod, ShiftForm("Ni\nght", 0, 1441, {7}))
    assert _fields(err.value) == {"name", "end", "weekdays"}
    with pytest.raises(PermissionDenied):
        sk.save_shift(db, actor("sales"), ShiftForm("Sales", "09:00", "17:00"))
    # a shift people are on cannot be deleted; they are named
    early = next(s for s in sk.shifts(db, prod) if s.name == "Early")
    with pytest.raises(UserError) as err:
        sk.delete_shift(db, prod, early.id, version=early.version)
    assert "1 person is on it (Dave Walsh)" in err.value.message
    # a person moved to the new shift works its hours in the next build
    person = _new(db, prod, shift_id=made.id)
    with db.read() as s:
        res = next(p for p in build(s, clock.today()).problem.staff if p.id == person.id)
        assert res.windows and all(a % 1440 == 420 and b % 1440 == 750 for a, b in res.windows)
    svc.save_person(db, prod, replace(person.form(), shift_id=early.id))
    sk.delete_shift(db, prod, made.id, version=edited.version)
    assert "Weekend" not in {s.name for s in sk.shifts(db, prod)}
    with db.read() as s:
        assert s.execute(select(AuditLog).where(AuditLog.entity == "shift", AuditLog.entity_id == made.id,
                                                AuditLog.action == "delete")).first()
