"""Production calendars (issue 20): create, edit and delete a calendar with its weekly hours and
exception days; the checks that name a field and row (overlapping ranges name the weekday, a day
twice names the date, a bad time, a used calendar); one exception added on its own; two desks on
one calendar; and that what is saved is what the scheduler reads (``schedule_problem``). On the
demo company, on SQLite and, when configured, PostgreSQL (the ``demo`` fixture)."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import replace

import pytest
from sqlalchemy import select

from app import clock
from app.db.open import open_database
from app.errors import ConflictError, PermissionDenied, UserError, ValidationError
from app.models import AuditLog, CalendarException, CalendarHours, WorkCalendar, WorkCenter
from app.services import schedule_problem
from app.services import work_calendars as svc
from app.services.work_calendars import CalendarForm, ExceptionForm, HoursForm

WEEK = tuple(HoursForm(wd, "06:00", "14:00") for wd in range(5))


def _fields(exc: ValidationError) -> set[str | None]:
    return {p.field for p in exc.problems}


def _new(db, actor, **kw) -> svc.CalendarView:
    return svc.save_calendar(db, actor, CalendarForm(**{"name": "Early shift", "hours": WEEK, **kw}))


def _laser(db) -> tuple[int, int]:
    """The demo's laser cutter (two shifts, Mon–Fri 06:00–22:00): work centre id, calendar id."""
    with db.read() as s:
        wc = s.execute(select(WorkCenter).where(WorkCenter.code == "LASER")).scalar_one()
        return wc.id, wc.calendar_id


def _windows_on(db, wc: int, day: dt.date) -> list[tuple[int, int]]:
    """The machine's windows on ``day`` as the scheduler builds them (minutes after that day's midnight)."""
    today = clock.today()
    i = (day - today).days
    with db.read() as s:
        windows, _closed = schedule_problem._machine_windows(s, today, 28)
        built = schedule_problem.build(s, today, days=28)
    machine = next(m for m in built.problem.machines if m.id == wc)
    assert machine.windows == windows[wc]  # build hands the same windows on
    return [(a - i * 1440, b - i * 1440) for a, b in windows[wc] if i * 1440 <= a < (i + 1) * 1440]


def _open_weekday(db, wc: int) -> dt.date:
    """A weekday ahead on which the machine works its usual hours (no holiday, no exception)."""
    today = clock.today()
    for k in range(3, 20):
        day = today + dt.timedelta(days=k)
        if day.weekday() < 5 and _windows_on(db, wc, day) == [(360, 1320)]:
            return day
    raise AssertionError("no ordinary weekday in the next weeks")


# --- create, read, list, edit, delete ---------------------------------------------------------------
def test_production_creates_a_calendar_and_sees_it_listed(demo) -> None:
    db, actor = demo
    prod = actor("production")
    day = clock.today() + dt.timedelta(days=30)
    made = _new(db, prod, hours=WEEK + (HoursForm("Sat", "7:00", "12:00"),),
                exceptions=[ExceptionForm(day.isoformat(), "closed", "Stocktaking"),
                            ExceptionForm(day + dt.timedelta(days=1), "7.5", "half team"),
                            ExceptionForm(day - dt.timedelta(days=400), "04:00", "long ago")])
    assert made.name == "Early shift" and made.version == 1
    assert [(h.weekday, h.start, h.end) for h in made.hours][-1] == (5, "07:00", "12:00")
    assert [(e.day, e.minutes, e.note) for e in made.exceptions] == [
        (day - dt.timedelta(days=400), 240, "long ago"), (day, 0, "Stocktaking"),
        (day + dt.timedelta(days=1), 450, "half team")]
    assert made.exceptions[2].working == "7:30" and made.exceptions[1].working == "closed"
    assert svc.calendar(db, actor("sales"), made.id) == made  # everyone may look
    rows = {r.name: r for r in svc.calendars(db, prod)}
    row = rows["Early shift"]
    assert row.hours == "Mon–Fri 06:00–14:00; Sat 07:00–12:00"
    assert row.future_exceptions == 2 and row.work_centres == 0 and row.weekly_minutes == 5 * 480 + 300
    assert rows["Two shifts (Mon-Fri 06:00-22:00)"].hours == "Mon–Fri 06:00–22:00"
    assert rows["Two shifts (Mon-Fri 06:00-22:00)"].work_centres == 1
    assert [r.name for r in svc.calendars(db, prod, "early")] == ["Early shift"]
    assert svc.calendars(db, prod, "%") == []  # LIKE's wildcards are plain characters
    with db.read() as s:  # audited as every unit of work audits
        entities = set(s.scalars(select(AuditLog.entity).where(AuditLog.username == "production")))
    assert {"work_calendar", "calendar_hours", "calendar_exception"} <= entities


def test_edit_keeps_updates_and_removes_rows_by_id(demo) -> None:
    db, actor = demo
    prod = actor("production")
    d1, d2 = clock.today() + dt.timedelta(days=10), clock.today() + dt.timedelta(days=11)
    made = _new(db, prod, exceptions=[ExceptionForm(d1, 0, "a"), ExceptionForm(d2, 0, "b")])
    mon = made.hours[0]
    form = made.form()
    saved = svc.save_calendar(db, prod, replace(
        form, name="Early shift (new)",
        hours=[HoursForm(0, "05:30", "13:30", mon.id), HoursForm(1, "06:00", "14:00", made.hours[1].id)],
        # d1's row moves to d2 and a new row takes d1: both days exist once at every moment
        exceptions=[ExceptionForm(d2, "2", "moved", made.exceptions[0].id), ExceptionForm(d1, 0, "new")]))
    assert saved.version > made.version and saved.name == "Early shift (new)"
    assert [(h.id, h.start) for h in saved.hours] == [(mon.id, "05:30"), (made.hours[1].id, "06:00")]
    assert [(e.day, e.minutes, e.note) for e in saved.exceptions] == [(d1, 0, "new"), (d2, 120, "moved")]
    with db.read() as s:
        assert s.scalars(select(CalendarHours.id).where(CalendarHours.calendar_id == made.id)).all().__len__() == 2
        assert len(s.scalars(select(CalendarException.id).where(CalendarException.calendar_id == made.id)).all()) == 2
    same = svc.save_calendar(db, prod, saved.form())  # nothing changed: the version stays
    assert same.version == saved.version


def test_delete_an_unused_calendar_and_the_refusal_for_a_used_one(demo) -> None:
    db, actor = demo
    prod = actor("production")
    made = _new(db, prod, exceptions=[ExceptionForm(clock.today(), 0, "x")])
    svc.delete_calendar(db, prod, made.id, version=made.version)
    with db.read() as s:
        assert s.get(WorkCalendar, made.id) is None
        assert not s.scalars(select(CalendarHours).where(CalendarHours.calendar_id == made.id)).all()
        assert s.execute(select(AuditLog).where(AuditLog.entity == "work_calendar", AuditLog.action == "delete",
                                                AuditLog.entity_id == made.id)).first() is not None
    _wc, cal = _laser(db)
    with pytest.raises(UserError) as err:
        svc.delete_calendar(db, prod, 1)
    assert "cannot be deleted" in err.value.message and "BRAKE (Press brake)" in err.value.message
    assert "5 work centres" in err.value.message
    with pytest.raises(UserError) as err:
        svc.delete_calendar(db, prod, cal)
    assert "1 work centre works to it: LASER (Laser cutter)" in err.value.message


def test_copy_a_calendar(demo) -> None:
    db, actor = demo
    prod = actor("production")
    _wc, cal = _laser(db)
    copy = svc.copy_calendar(db, prod, 1, "Standard week (copy)")
    original = svc.calendar(db, prod, 1)
    assert copy.id != original.id and copy.work_centres == ()
    assert [(h.weekday, h.start, h.end) for h in copy.hours] == [(h.weekday, h.start, h.end) for h in original.hours]
    assert [(e.day, e.minutes) for e in copy.exceptions] == [(e.day, e.minutes) for e in original.exceptions]
    with pytest.raises(ValidationError) as err:
        svc.copy_calendar(db, prod, cal, "standard week (COPY)")
    assert _fields(err.value) == {"name"} and "already a calendar" in str(err.value)


# --- the checks ------------------------------------------------------------------------------------
def test_overlapping_ranges_are_refused_naming_the_weekday_and_rows(demo) -> None:
    db, actor = demo
    with pytest.raises(ValidationError) as err:
        _new(db, actor("production"), hours=[HoursForm(0, "06:00", "14:00"), HoursForm(1, "06:00", "14:00"),
                                             HoursForm(1, "13:00", "22:00"), HoursForm(1, "14:00", "15:00")])
    problems = err.value.problems
    assert [(p.field, p.row) for p in problems] == [("hours", 3), ("hours", 4)]
    assert "Tuesday: rows 2 and 3 overlap (06:00–14:00 and 13:00–22:00)" in problems[0].reason
    assert "Tuesday: rows 3 and 4 overlap" in problems[1].reason
    # touching ranges are two shifts back to back, not an overlap
    made = _new(db, actor("production"), hours=[HoursForm(0, "06:00", "14:00"), HoursForm(0, "14:00", "22:00")])
    assert svc.calendars(db, actor("production"), "early")[0].hours == "Mon 06:00–14:00, 14:00–22:00"
    assert made.version == 1


@pytest.mark.parametrize(("start", "end", "says"), [
    ("6", "14:00", "the start '6' is not a time"),
    ("06:00", "24:30", "the end '24:30' is not a time between 00:00 and 24:00"),
    ("06:60", "14:00", "the start '06:60' is not a time"),
    ("14:00", "06:00", "the end (06:00) must be after the start (14:00)"),
    ("06:00", "06:00", "must be after the start"),
    ("-1:00", "06:00", "is not a time"),
])
def test_bad_times_are_refused_at_their_row(demo, start, end, says) -> None:
    db, actor = demo
    with pytest.raises(ValidationError) as err:
        _new(db, actor("production"), hours=[HoursForm(0, "06:00", "14:00"), HoursForm(2, start, end)])
    assert [(p.field, p.row) for p in err.value.problems] == [("hours", 2)]
    assert says in str(err.value)


def test_a_night_shift_to_midnight_and_a_bad_weekday(demo) -> None:
    db, actor = demo
    made = _new(db, actor("production"), hours=[HoursForm(0, "22:00", "24:00"), HoursForm(1, "00:00", "06:00")])
    assert [(h.start, h.end) for h in made.hours] == [("22:00", "24:00"), ("00:00", "06:00")]
    with pytest.raises(ValidationError) as err:
        _new(db, actor("production"), name="x", hours=[HoursForm("Funday", "06:00", "14:00")])
    assert "'Funday' is not a weekday" in str(err.value)


def test_two_exceptions_on_one_day_are_refused_naming_the_date(demo) -> None:
    db, actor = demo
    prod = actor("production")
    with pytest.raises(ValidationError) as err:
        _new(db, prod, exceptions=[ExceptionForm("2026-12-24", 0, "Christmas Eve"),
                                   ExceptionForm("2026-12-31", 0, "New Year's Eve"),
                                   ExceptionForm(dt.date(2026, 12, 24), "4", "half day")])
    assert [(p.field, p.row) for p in err.value.problems] == [("exceptions", 3)]
    assert "24 Dec 2026 is in the exceptions twice (rows 1 and 3)" in str(err.value)
    with db.read() as s:  # nothing saved
        assert s.execute(select(WorkCalendar).where(WorkCalendar.name == "Early shift")).first() is None


@pytest.mark.parametrize(("working", "says"), [
    ("25", "between 0 (closed) and 24 hours"),
    ("-1", "between 0 (closed) and 24 hours"),
    ("7h", "'7h' is not a working time"),
    ("7:75", "'7:75' is not a working time"),
    (1441, "between 0 (closed) and 24 hours"),
    ("nan", "'nan' is not a working time"),
])
def test_bad_working_times_are_refused(demo, working, says) -> None:
    db, actor = demo
    with pytest.raises(ValidationError) as err:
        _new(db, actor("production"), exceptions=[ExceptionForm("2026-12-24", working, "x")])
    assert [(p.field, p.row) for p in err.value.problems] == [("exceptions", 1)]
    assert says in str(err.value)


def test_working_time_as_hours_or_clock(demo) -> None:
    assert svc.parse_working("7.5") == (450, None) and svc.parse_working("7,5") == (450, None)
    assert svc.parse_working("07:30") == (450, None) and svc.parse_working("") == (0, None)
    assert svc.parse_working("closed") == (0, None) and svc.parse_working(90) == (90, None)
    assert svc.parse_working("24:00") == (1440, None)


def test_name_required_unique_and_every_problem_at_once(demo) -> None:
    db, actor = demo
    prod = actor("production")
    with pytest.raises(ValidationError) as err:
        svc.save_calendar(db, prod, CalendarForm(name="  ", hours=[HoursForm(0, "x", "14:00")],
                                                 exceptions=[ExceptionForm("not a day", 0)]))
    assert _fields(err.value) == {"name", "hours", "exceptions"}
    with pytest.raises(ValidationError) as err:
        svc.save_calendar(db, prod, CalendarForm(name="two SHIFTS (Mon-Fri 06:00-22:00)"))
    assert _fields(err.value) == {"name"}
    with pytest.raises(ValidationError) as err:
        svc.save_calendar(db, prod, CalendarForm(name="x" * 61))
    assert "at most 60 characters" in str(err.value)


@pytest.mark.parametrize("note", ["Christmas\x00Eve", "two\nlines", "bell\x07", "x" * 201])
def test_hostile_notes_are_refused(demo, note) -> None:
    db, actor = demo
    prod = actor("production")
    with pytest.raises(ValidationError) as err:
        _new(db, prod, exceptions=[ExceptionForm("2026-12-24", 0, note)])
    assert [(p.field, p.row) for p in err.value.problems] == [("exceptions", 1)]
    _wc, cal = _laser(db)
    with pytest.raises(ValidationError) as err:
        svc.add_exception(db, prod, cal, "2026-12-24", 0, note)
    assert _fields(err.value) == {"note"}
    with db.read() as s:
        assert s.execute(select(CalendarException).where(CalendarException.day == dt.date(2026, 12, 24))).first() \
            is None


# --- who may, and two desks ---------------------------------------------------------------------------
def test_sales_may_look_but_not_change(demo) -> None:
    db, actor = demo
    sales = actor("sales")
    _wc, cal = _laser(db)
    assert svc.calendars(db, sales)
    view = svc.calendar(db, sales, cal)
    for attempt in (lambda: _new(db, sales), lambda: svc.save_calendar(db, sales, view.form()),
                    lambda: svc.add_exception(db, sales, cal, "2026-12-24", 0, "x"),
                    lambda: svc.delete_calendar(db, sales, cal), lambda: svc.copy_calendar(db, sales, cal, "c")):
        with pytest.raises(PermissionDenied):
            attempt()
    for role in ("management", "admin"):
        svc.add_exception(db, actor(role), cal, dt.date(2026, 12, 20 + len(role) % 7), 0, role)


def test_a_stale_form_gets_a_conflict_and_nothing_is_overwritten(demo) -> None:
    db, actor = demo
    prod, boss = actor("production"), actor("management")
    made = _new(db, prod)
    svc.save_calendar(db, boss, replace(made.form(), name="Early shift (boss)"))
    with pytest.raises(ConflictError):
        svc.save_calendar(db, prod, replace(made.form(), name="Early shift (mine)"))
    # adding an exception moves the version too: a form opened before cannot put the day back away
    fresh = svc.calendar(db, prod, made.id)
    svc.add_exception(db, boss, made.id, "2026-12-24", 0, "Christmas Eve", version=fresh.version)
    with pytest.raises(ConflictError):
        svc.save_calendar(db, prod, fresh.form())
    with pytest.raises(ConflictError):
        svc.add_exception(db, prod, made.id, "2026-12-31", 0, "x", version=fresh.version)
    with pytest.raises(ConflictError):
        svc.delete_calendar(db, prod, made.id, version=fresh.version)
    assert [e.note for e in svc.calendar(db, prod, made.id).exceptions] == ["Christmas Eve"]


def test_add_exception_on_its_own_and_the_refusal_naming_what_is_there(demo) -> None:
    db, actor = demo
    prod = actor("production")
    _wc, cal = _laser(db)
    before = svc.calendar(db, prod, cal)
    added = svc.add_exception(db, prod, cal, dt.date(2026, 12, 24), "", "Christmas Eve", version=before.version)
    assert added.version > before.version
    assert [(e.day, e.minutes, e.note) for e in added.exceptions if e.day.month == 12 and e.day.day == 24] == [
        (dt.date(2026, 12, 24), 0, "Christmas Eve")]
    with pytest.raises(ValidationError) as err:
        svc.add_exception(db, prod, cal, "2026-12-24", "4", "half day")
    assert err.value.problems[0].field == "day"
    assert "24 Dec 2026 already has an exception: closed — Christmas Eve" in str(err.value)
    half = svc.add_exception(db, prod, cal, "2026-12-31", "4", "half day")
    with pytest.raises(ValidationError) as err:
        svc.add_exception(db, prod, cal, "2026-12-31", 0, "")
    assert "31 Dec 2026 already has an exception: 4:00 working — half day" in str(err.value)
    ident = next(e.id for e in half.exceptions if e.day == dt.date(2026, 12, 31))
    removed = svc.remove_exception(db, prod, cal, ident, version=half.version)
    assert dt.date(2026, 12, 31) not in [e.day for e in removed.exceptions]
    with pytest.raises(UserError):
        svc.remove_exception(db, prod, cal, ident)


def test_two_desks_adding_the_same_day_at_once_get_one_exception_and_one_refusal(demo, db_url) -> None:
    db, actor = demo
    prod, boss = actor("production"), actor("management")
    _wc, cal = _laser(db)
    version = svc.calendar(db, prod, cal).version
    desks = [open_database(db_url, create=False) for _ in range(2)]
    barrier = threading.Barrier(2, timeout=30)
    outcome: list[str] = []

    def add(d, who, note) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            svc.add_exception(d, who, cal, "2026-12-24", 0, note, version=version)
            outcome.append("added")
        except UserError as exc:
            outcome.append(str(exc))

    threads = [threading.Thread(target=add, args=(d, who, note))
               for d, who, note in zip(desks, (prod, boss), ("Christmas Eve", "Xmas"), strict=True)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        for d in desks:
            d.dispose()
    assert outcome.count("added") == 1 and len(outcome) == 2, outcome
    refusal = next(o for o in outcome if o != "added")
    assert "24 Dec 2026 already has an exception: closed — " in refusal, refusal
    with db.read() as s:
        assert len(s.scalars(select(CalendarException.id).where(
            CalendarException.calendar_id == cal, CalendarException.day == dt.date(2026, 12, 24))).all()) == 1


# --- what the scheduler reads --------------------------------------------------------------------------
def test_a_saved_exception_and_new_weekly_hours_change_the_machines_windows(demo) -> None:
    db, actor = demo
    prod = actor("production")
    wc, cal = _laser(db)
    day = _open_weekday(db, wc)
    view = svc.add_exception(db, prod, cal, day, 0, "Laser service")
    assert _windows_on(db, wc, day) == []  # closed: no window that day
    ident = next(e.id for e in view.exceptions if e.day == day)
    view = svc.remove_exception(db, prod, cal, ident)
    assert _windows_on(db, wc, day) == [(360, 1320)]
    # a short day through the form: 4 hours from the weekday's usual start
    form = view.form()
    view = svc.save_calendar(db, prod, replace(form, exceptions=(*form.exceptions, ExceptionForm(day, "4", "short"))))
    assert _windows_on(db, wc, day) == [(360, 600)]
    # the weekly hours: that weekday becomes two shifts with a break, the other days are untouched
    form = view.form()
    hours = [h for h in form.hours if h.weekday != day.weekday()]
    hours += [HoursForm(day.weekday(), "05:00", "13:00"), HoursForm(day.weekday(), "13:30", "21:30")]
    view = svc.save_calendar(db, prod, replace(form, hours=hours,
                                               exceptions=[e for e in form.exceptions if e.day != day]))
    assert _windows_on(db, wc, day) == [(300, 780), (810, 1290)]
    assert _windows_on(db, wc, day + dt.timedelta(days=7)) in ([(300, 780), (810, 1290)], [])  # [] on a holiday
    other = next(d for d in (day + dt.timedelta(days=k) for k in range(1, 7)) if d.weekday() < 5
                 and _windows_on(db, wc, d))
    assert _windows_on(db, wc, other) == [(360, 1320)]


def test_a_long_day_must_fit_between_the_usual_start_and_midnight(demo) -> None:
    """The scheduler opens the machines on a shortened or extra day from the weekday's usual start
    (07:00 without hours) for the exception's time, never past midnight: more is refused, not cut."""
    db, actor = demo
    prod = actor("production")
    thursday, saturday = dt.date(2026, 12, 24), dt.date(2026, 12, 26)
    assert thursday.weekday() == 3 and saturday.weekday() == 5
    with pytest.raises(ValidationError) as err:
        _new(db, prod, exceptions=[ExceptionForm(thursday, "18", "long"), ExceptionForm(saturday, "17.5", "extra")])
    assert [(p.field, p.row) for p in err.value.problems] == [("exceptions", 2)]
    assert ("26 Dec 2026: at most 17:00 hours (Saturday has no weekly hours, so the day starts at 07:00; "
            "a day ends at 24:00)") in str(err.value)
    made = _new(db, prod, exceptions=[ExceptionForm(thursday, "18"), ExceptionForm(saturday, "17")])
    assert [e.minutes for e in made.exceptions] == [1080, 1020]
    _wc, cal = _laser(db)  # two shifts: from 06:00
    with pytest.raises(ValidationError) as err:
        svc.add_exception(db, prod, cal, "2026-12-29", "18:30", "")
    assert _fields(err.value) == {"working"}
    assert "29 Dec 2026: at most 18:00 hours (Tuesday's hours start at 06:00; a day ends at 24:00)" in str(err.value)
