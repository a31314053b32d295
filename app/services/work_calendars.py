"""Production calendars (issue 20): the weekly working hours of the machines and the days that
differ from them. Qt-free.

A production calendar (``WorkCalendar``) is what a work centre works to: its weekly hours
(``CalendarHours``: weekday, start and end minute; several ranges a day for shifts with a gap) and
its exceptions (``CalendarException``: one per day, the working minutes that day, 0 = closed). The
scheduler reads exactly these rows (``schedule_problem._machine_windows``): on an ordinary day a
machine is open in the weekday's ranges; on an exception day it is closed (0) or open for the
exception's minutes from the weekday's usual start (07:00 when the weekday has no hours). The
firm's public holidays and closing days (``firm_calendar``, their own dialog) close every
production calendar on top of this, unless the calendar has its own exception that day.

- ``calendars`` lists them (name, weekly hours in words — "Mon–Fri 06:00–22:00" —, how many
  exceptions lie ahead, how many work centres use it); ``calendar`` reads one for the form, with
  the ``version`` the form sends back.
- ``save_calendar`` creates or updates one with its hours and exceptions in ONE unit of work (rows
  kept by id, new ones added, missing ones removed). Every problem names the form's field
  (``name``, ``hours``, ``exceptions``; a row's problem also its ``row``, 1-based as the table
  shows it): a name missing or taken; a time not typed as HH:MM or outside 00:00–24:00; a range
  that does not end after it starts; two ranges of one weekday that overlap (naming the weekday
  and both rows); an exception's working time outside 0–24 hours, or longer than fits between
  the weekday's usual start and midnight (the scheduler would cut it there); two exceptions on
  one day (naming the date); a hostile note (``hygiene.text_problem``).
- ``add_exception`` adds one day without the whole form ("close the machines on 24 Dec");
  refused, naming the date and what is there already, when the day has an exception. It holds the
  calendar row while it looks (``uow.lock``), so two desks adding the same day at the same moment
  get one exception and one refusal. ``remove_exception`` takes one away.
- ``delete_calendar`` deletes one that no work centre uses (else the refusal names them);
  ``copy_calendar`` makes a new calendar with the same hours and exceptions under a new name.
- Writes need ``production.master``, reads ``schedule.view``. Every change of the hours or the
  exceptions moves the calendar's version, so a form opened before gets ``ConflictError`` instead
  of silently putting back what another desk changed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import format as fmt
from app import clock
from app.actor import Actor
from app.db.hygiene import text_problem
from app.db.uow import Database, UnitOfWork
from app.errors import ConflictError, Problem, UserError, ValidationError
from app.models import CalendarException, CalendarHours, WorkCalendar, WorkCenter
from app.models.base import utcnow
from app.services.master_data import like, listed, plural
from app.services.permissions import require

EDIT = "production.master"
VIEW = "schedule.view"
DAY_MINUTES = 1440
DEFAULT_START = 420  # 07:00: where the scheduler starts an extra day on a weekday without hours
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NAME_MAX = 60  # work_calendar.name String(60)
NOTE_MAX = 200  # calendar_exception.note (the model's default String length)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


# --- what the screens get and send ----------------------------------------------------------------
@dataclass(frozen=True)
class CalendarRow:
    """One line of the calendars list."""

    id: int
    name: str
    hours: str  # "Mon–Fri 07:00–16:00; Sat 07:00–12:00", "no working hours"
    weekly_minutes: int
    future_exceptions: int  # exceptions from today on
    work_centres: int  # how many work centres (archived ones too) work to it
    active: bool = True  # calendars are not archived; the master window wants the attribute


@dataclass(frozen=True)
class HoursForm:
    """One weekly range as typed: ``weekday`` 0 = Monday (or "Mon"/"Monday"), times "HH:MM"."""

    weekday: int | str
    start: str
    end: str
    id: int | None = None


@dataclass(frozen=True)
class ExceptionForm:
    """One exception day as typed. ``day`` a date or "YYYY-MM-DD"; ``working`` the working time
    that day: minutes as a number, or hours as text — "7.5", "7,5", "07:30"; "", "0" or "closed"
    for a closed day."""

    day: dt.date | str
    working: int | str = 0
    note: str = ""
    id: int | None = None


@dataclass(frozen=True)
class CalendarForm:
    """What the calendar form sends. ``id`` None: a new calendar; else ``version`` is the version
    the form was opened at."""

    name: str
    hours: Sequence[HoursForm] = ()
    exceptions: Sequence[ExceptionForm] = ()
    id: int | None = None
    version: int | None = None


@dataclass(frozen=True)
class HoursView:
    id: int
    weekday: int
    start: str  # "06:00"
    end: str  # "22:00", "24:00"


@dataclass(frozen=True)
class ExceptionView:
    id: int
    day: dt.date
    minutes: int  # 0 = closed
    note: str

    @property
    def working(self) -> str:
        """The working time as the form shows it: "closed" or "H:MM"."""
        return hours_text(self.minutes)


@dataclass(frozen=True)
class CalendarView:
    """One calendar as the form shows it; ``version`` goes back with the save."""

    id: int
    version: int
    name: str
    hours: tuple[HoursView, ...]  # by weekday, then start
    exceptions: tuple[ExceptionView, ...]  # by day
    work_centres: tuple[str, ...]  # "LASER — Laser cutter", by code
    updated_by: str
    active: bool = True

    def form(self) -> CalendarForm:
        """The same calendar as the form would send it unchanged."""
        return CalendarForm(
            name=self.name, id=self.id, version=self.version,
            hours=tuple(HoursForm(h.weekday, h.start, h.end, h.id) for h in self.hours),
            exceptions=tuple(ExceptionForm(e.day, e.minutes, e.note, e.id) for e in self.exceptions))


# --- words and numbers ---------------------------------------------------------------------------------
def clock_text(minute: int) -> str:
    """Minutes after midnight as "HH:MM" (1440: "24:00")."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def hours_text(minutes: int) -> str:
    """Working minutes as the exception table shows them: "closed", "7:30"."""
    return "closed" if minutes <= 0 else f"{minutes // 60}:{minutes % 60:02d}"


def day_text(day: dt.date) -> str:
    """ "24 Dec 2026" (the same in every locale: a refusal's text)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def describe_exception(minutes: int, note: str | None) -> str:
    """ "closed — Christmas Eve", "4:00 working — stocktaking"."""
    what = "closed" if minutes <= 0 else f"{hours_text(minutes)} working"
    return f"{what} — {note}" if note else what


def parse_time(text: str) -> int | None:
    """ "06:00" -> 360, "24:00" -> 1440; None when it is not a time of day."""
    m = _TIME.match(text.strip())
    if m is None:
        return None
    h, mi = int(m.group(1)), int(m.group(2))
    if mi > 59 or h > 24 or (h == 24 and mi):
        return None
    return h * 60 + mi


def parse_working(value: int | str) -> tuple[int, str | None]:
    """An exception's working time -> (minutes, why it is wrong). A number is minutes; text is
    hours ("7.5", "7,5", "8") or "H:MM"; "", "closed" or "0" is a closed day."""
    if isinstance(value, bool):
        return 0, "say the working time"
    if isinstance(value, int):
        minutes = value
    else:
        text = str(value).strip().lower()
        if text in ("", "closed", "-", "—"):
            return 0, None
        if ":" in text:
            m = _TIME.match(text)
            if m is None or int(m.group(2)) > 59:
                return 0, f"'{value}' is not a working time: type hours (7.5) or H:MM (7:30)"
            minutes = int(m.group(1)) * 60 + int(m.group(2))
        else:
            try:
                hours = fmt.parse_decimal(text)
            except InvalidOperation:
                return 0, f"'{value}' is not a working time: type hours (7.5) or H:MM (7:30)"
            if not hours.is_finite():
                return 0, f"'{value}' is not a working time: type hours (7.5) or H:MM (7:30)"
            minutes = int((hours * 60).to_integral_value())
    if not 0 <= minutes <= DAY_MINUTES:
        return minutes, "the working time must be between 0 (closed) and 24 hours"
    return minutes, None


def parse_weekday(value: int | str) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= 6 else None
    text = str(value).strip().lower()
    for i, (short, long) in enumerate(zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)):
        if text in (short.lower(), long.lower(), str(i)):
            return i
    return None


def parse_day(value: dt.date | str) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def usual_start(hours: Sequence[tuple[int, int, int]], weekday: int) -> int:
    """Where a shortened or extra day starts, as the scheduler places it: the weekday's first
    start, 07:00 when the weekday has no hours. ``hours``: (weekday, start, end)."""
    return min((s for w, s, _e in hours if w == weekday), default=DEFAULT_START)


def longest_day(hours: Sequence[tuple[int, int, int]], day: dt.date, minutes: int) -> str | None:
    """Why ``minutes`` of work do not fit on ``day`` (None: they do): the scheduler opens the
    machines from the weekday's usual start for that long, and not past midnight."""
    start = usual_start(hours, day.weekday())
    if minutes > DAY_MINUTES - start:
        why = (f"{WEEKDAY_NAMES[day.weekday()]}'s hours start at {clock_text(start)}"
               if any(w == day.weekday() for w, _s, _e in hours)
               else f"{WEEKDAY_NAMES[day.weekday()]} has no weekly hours, so the day starts at {clock_text(start)}")
        return f"{day_text(day)}: at most {hours_text(DAY_MINUTES - start)} hours ({why}; a day ends at 24:00)"
    return None


def summary(hours: Sequence[tuple[int, int, int]]) -> str:
    """Weekly hours in words: consecutive weekdays with the same ranges are one group —
    "Mon–Fri 07:00–16:00; Sat 07:00–12:00". ``hours``: (weekday, start, end)."""
    per_day: dict[int, tuple[tuple[int, int], ...]] = {}
    for wd in range(7):
        per_day[wd] = tuple(sorted((s, e) for w, s, e in hours if w == wd))
    groups: list[tuple[int, int, tuple[tuple[int, int], ...]]] = []
    for wd in range(7):
        ranges = per_day[wd]
        if not ranges:
            continue
        if groups and groups[-1][1] == wd - 1 and groups[-1][2] == ranges:
            groups[-1] = (groups[-1][0], wd, ranges)
        else:
            groups.append((wd, wd, ranges))
    if not groups:
        return "no working hours"
    parts = []
    for first, last, ranges in groups:
        days = WEEKDAYS[first] if first == last else f"{WEEKDAYS[first]}–{WEEKDAYS[last]}"
        parts.append(days + " " + ", ".join(f"{clock_text(s)}–{clock_text(e)}" for s, e in ranges))
    return "; ".join(parts)


# --- reading ------------------------------------------------------------------------------------------
def calendars(db: Database, actor: Actor, search: str = "", include_archived: bool = False) -> list[CalendarRow]:
    """The calendars whose name contains ``search``, by name (``include_archived``: calendars are
    never archived; the master window asks anyway)."""
    require(actor, VIEW)
    text = like(search.strip().lower())
    today = clock.today()
    with db.read() as s:
        q = select(WorkCalendar.id, WorkCalendar.name).order_by(func.lower(WorkCalendar.name), WorkCalendar.id)
        if text:
            q = q.where(func.lower(WorkCalendar.name).like(f"%{text}%", escape="\\"))
        found = s.execute(q).all()
        hours: dict[int, list[tuple[int, int, int]]] = {}
        for cal, wd, start, end in s.execute(select(CalendarHours.calendar_id, CalendarHours.weekday,
                                                    CalendarHours.start_minute, CalendarHours.end_minute)):
            hours.setdefault(cal, []).append((wd, start, end))
        ahead = dict(s.execute(select(CalendarException.calendar_id, func.count())
                               .where(CalendarException.day >= today).group_by(CalendarException.calendar_id)).all())
        used = dict(s.execute(select(WorkCenter.calendar_id, func.count())
                              .group_by(WorkCenter.calendar_id)).all())
    return [CalendarRow(cid, name, summary(hours.get(cid, [])), sum(e - st for _w, st, e in hours.get(cid, [])),
                        int(ahead.get(cid, 0)), int(used.get(cid, 0))) for cid, name in found]


def _view(s: Session, c: WorkCalendar) -> CalendarView:
    centres = s.execute(select(WorkCenter.code, WorkCenter.name).where(WorkCenter.calendar_id == c.id)
                        .order_by(WorkCenter.code)).all()
    return CalendarView(
        id=c.id, version=c.version, name=c.name, updated_by=c.updated_by,
        hours=tuple(HoursView(h.id, h.weekday, clock_text(h.start_minute), clock_text(h.end_minute))
                    for h in sorted(c.hours, key=lambda h: (h.weekday, h.start_minute, h.id))),
        exceptions=tuple(ExceptionView(e.id, e.day, e.working_minutes, e.note or "")
                         for e in sorted(c.exceptions, key=lambda e: e.day)),
        work_centres=tuple(f"{code} — {name}" for code, name in centres))


def calendar(db: Database, actor: Actor, id: int) -> CalendarView:
    """One calendar with its hours and exceptions."""
    require(actor, VIEW)
    with db.read() as s:
        c = s.get(WorkCalendar, id)
        if c is None:
            raise UserError(f"Production calendar #{id} does not exist (any more).")
        return _view(s, c)


# --- checking what was typed ----------------------------------------------------------------------
@dataclass
class _Checked:
    name: str
    hours: list[tuple[HoursForm, int, int, int]] = field(default_factory=list)  # form, weekday, start, end
    exceptions: list[tuple[ExceptionForm, dt.date, int, str | None]] = field(default_factory=list)


def _check_name(s: Session, name: str, current_id: int | None, problems: list[Problem]) -> str:
    text = " ".join(name.split())
    if not text:
        problems.append(Problem("the calendar's name is required", field="name"))
    elif why := text_problem(name.strip(), NAME_MAX):
        problems.append(Problem(why, field="name"))
    else:
        q = select(WorkCalendar.id).where(func.lower(WorkCalendar.name) == text.lower())
        if current_id is not None:
            q = q.where(WorkCalendar.id != current_id)
        if s.execute(q).first() is not None:
            problems.append(Problem(f"there is already a calendar called '{text}'", field="name", value=text))
    return text


def _check_hours(rows: Sequence[HoursForm], problems: list[Problem], out: _Checked) -> None:
    for i, row in enumerate(rows, start=1):
        wd = parse_weekday(row.weekday)
        start, end = parse_time(str(row.start)), parse_time(str(row.end))
        bad = False
        if wd is None:
            problems.append(Problem(f"row {i}: '{row.weekday}' is not a weekday", field="hours", row=i))
            bad = True
        for what, typed, value in (("start", row.start, start), ("end", row.end, end)):
            if value is None:
                problems.append(Problem(f"row {i}: the {what} '{typed}' is not a time between 00:00 and 24:00 "
                                        "(type HH:MM, e.g. 06:00)", field="hours", row=i, value=typed))
                bad = True
        if start is not None and end is not None and start >= end:
            problems.append(Problem(f"row {i}: the end ({clock_text(end)}) must be after the start "
                                    f"({clock_text(start)}); a night shift is two rows, to 24:00 and from 00:00",
                                    field="hours", row=i))
            bad = True
        if not bad:
            assert wd is not None and start is not None and end is not None
            out.hours.append((row, wd, start, end))
    # overlaps, per weekday: rows numbered as the table shows them
    numbered = [(rows.index(r) + 1, wd, st, e) for r, wd, st, e in out.hours]
    for wd in range(7):
        ranges = sorted((st, e, n) for n, w, st, e in numbered if w == wd)
        for (s1, e1, n1), (s2, e2, n2) in zip(ranges, ranges[1:], strict=False):
            if s2 < e1:
                first, second = sorted((n1, n2))
                problems.append(Problem(
                    f"{WEEKDAY_NAMES[wd]}: rows {first} and {second} overlap ({clock_text(s1)}–{clock_text(e1)} "
                    f"and {clock_text(s2)}–{clock_text(e2)})", field="hours", row=second))


def _check_exceptions(rows: Sequence[ExceptionForm], problems: list[Problem], out: _Checked) -> None:
    seen: dict[dt.date, int] = {}
    for i, row in enumerate(rows, start=1):
        day = parse_day(row.day)
        minutes, why = parse_working(row.working)
        note = (row.note or "").strip()
        bad = False
        if day is None:
            problems.append(Problem(f"row {i}: '{row.day}' is not a date", field="exceptions", row=i))
            bad = True
        elif day in seen:
            problems.append(Problem(f"{day_text(day)} is in the exceptions twice (rows {seen[day]} and {i}): "
                                    "one exception a day", field="exceptions", row=i, value=day.isoformat()))
            bad = True
        else:
            seen[day] = i
        if why:
            problems.append(Problem(f"row {i}: {why}", field="exceptions", row=i, value=row.working))
            bad = True
        if note and (why := text_problem(note, NOTE_MAX)):
            problems.append(Problem(f"row {i} note: {why}", field="exceptions", row=i))
            bad = True
        if not bad:
            assert day is not None
            out.exceptions.append((row, day, minutes, note or None))


def check(s: Session, form: CalendarForm) -> _Checked:
    """The calendar as it will be stored, or ``ValidationError`` with every problem of the form."""
    problems: list[Problem] = []
    out = _Checked(_check_name(s, form.name, form.id, problems))
    _check_hours(list(form.hours), problems, out)
    _check_exceptions(list(form.exceptions), problems, out)
    if not any(p.field == "hours" for p in problems):
        weekly = [(wd, start, end) for _f, wd, start, end in out.hours]
        number = {id(row): i for i, row in enumerate(form.exceptions, start=1)}
        for row, day, minutes, _note in out.exceptions:
            if why := longest_day(weekly, day, minutes):
                problems.append(Problem(f"row {number[id(row)]}: {why}", field="exceptions", row=number[id(row)]))
    if problems:
        raise ValidationError(problems)
    return out


# --- writing --------------------------------------------------------------------------------------
def _apply_hours(c: WorkCalendar, checked: _Checked) -> bool:
    by_id = {h.id: h for h in c.hours}
    kept: set[int] = set()
    changed = False
    for typed, wd, start, end in checked.hours:
        h = by_id.get(typed.id) if typed.id is not None else None
        if h is None or h.id in kept:
            h = CalendarHours()
            c.hours.append(h)
            changed = True
        else:
            kept.add(h.id)
        if (h.weekday, h.start_minute, h.end_minute) != (wd, start, end):
            h.weekday, h.start_minute, h.end_minute = wd, start, end
            changed = True
    for ident, h in by_id.items():
        if ident not in kept:
            c.hours.remove(h)
            changed = True
    return changed


def _apply_exceptions(uow: UnitOfWork, c: WorkCalendar, checked: _Checked) -> bool:
    """Exceptions kept by id. One exception a day is a database rule checked row by row, so rows
    go first (removed ones, and kept ones whose day moved — re-added with their new day), then
    the rest: a day given up by one row and taken by another never exists twice."""
    by_id = {e.id: e for e in c.exceptions}
    keep: dict[int, tuple[dt.date, int, str | None]] = {}
    new: list[tuple[dt.date, int, str | None]] = []
    for typed, day, minutes, note in checked.exceptions:
        e = by_id.get(typed.id) if typed.id is not None else None
        if e is not None and e.id not in keep and e.day == day:
            keep[e.id] = (day, minutes, note)
        else:
            new.append((day, minutes, note))
    # a new row on the day of a removed one takes that row over (no delete + insert of the same day)
    spare = {e.day: e for ident, e in by_id.items() if ident not in keep}
    for day, minutes, note in list(new):
        if day in spare:
            keep[spare.pop(day).id] = (day, minutes, note)
            new.remove((day, minutes, note))
    changed = False
    for ident, e in by_id.items():
        if ident not in keep:
            c.exceptions.remove(e)
            changed = True
    uow.flush()
    for ident, (day, minutes, note) in keep.items():
        e = by_id[ident]
        if (e.day, e.working_minutes, e.note) != (day, minutes, note):
            e.day, e.working_minutes, e.note = day, minutes, note
            changed = True
    for day, minutes, note in new:
        c.exceptions.append(CalendarException(day=day, working_minutes=minutes, note=note))
        changed = True
    return changed


def save_calendar(db: Database, actor: Actor, form: CalendarForm) -> CalendarView:
    """Create (``form.id`` None) or update a calendar with its hours and exceptions; returns it as
    saved (see the module's text for the rules)."""
    require(actor, EDIT)

    def run(uow: UnitOfWork) -> CalendarView:
        s = uow.session
        current = None if form.id is None else uow.lock(WorkCalendar, form.id, expected_version=form.version)
        checked = check(s, form)
        c = current or uow.add(WorkCalendar(name=checked.name))
        changed = c.name != checked.name
        if changed:
            c.name = checked.name
        if current is None:
            uow.flush()  # the calendar's id, for its rows
        changed = _apply_hours(c, checked) | changed
        changed = _apply_exceptions(uow, c, checked) | changed
        if current is not None and changed:
            c.updated_at = utcnow()  # the hours or exceptions changed: the calendar's version moves
        uow.flush()
        return _view(s, c)

    return db.write(actor, run)


def add_exception(db: Database, actor: Actor, calendar_id: int, day: dt.date | str, working: int | str,
                  note: str = "", *, version: int | None = None) -> CalendarView:
    """Add one exception day to a calendar ("closed on 24 Dec"); ``working`` as in
    ``ExceptionForm``. Refused, naming the date and the exception there, when the day has one
    already; ``ConflictError`` when ``version`` is given and the calendar changed since."""
    require(actor, EDIT)
    problems: list[Problem] = []
    parsed = parse_day(day)
    if parsed is None:
        problems.append(Problem(f"'{day}' is not a date", field="day", value=day))
    minutes, why = parse_working(working)
    if why:
        problems.append(Problem(why, field="working", value=working))
    text = (note or "").strip()
    if text and (why := text_problem(text, NOTE_MAX)):
        problems.append(Problem(why, field="note"))
    if problems:
        raise ValidationError(problems)
    assert parsed is not None

    def run(uow: UnitOfWork) -> CalendarView:
        s = uow.session
        c = uow.lock(WorkCalendar, calendar_id)  # held till the commit: a second desk waits, then sees this day
        there = s.execute(select(CalendarException.working_minutes, CalendarException.note).where(
            CalendarException.calendar_id == calendar_id, CalendarException.day == parsed)).first()
        if there is not None:
            raise ValidationError(Problem(
                f"{day_text(parsed)} already has an exception: {describe_exception(there[0], there[1])}",
                field="day", value=parsed.isoformat()))
        if version is not None and c.version != version:
            raise ConflictError("work_calendar", calendar_id, c.updated_by, c.updated_at)
        if why := longest_day([(h.weekday, h.start_minute, h.end_minute) for h in c.hours], parsed, minutes):
            raise ValidationError(Problem(why, field="working", value=working))
        c.exceptions.append(CalendarException(day=parsed, working_minutes=minutes, note=text or None))
        c.updated_at = utcnow()
        uow.flush()
        return _view(s, c)

    return db.write(actor, run)


def remove_exception(db: Database, actor: Actor, calendar_id: int, exception_id: int, *,
                     version: int | None = None) -> CalendarView:
    """Take one exception day away: the calendar's weekly hours hold that day again."""
    require(actor, EDIT)

    def run(uow: UnitOfWork) -> CalendarView:
        c = uow.lock(WorkCalendar, calendar_id, expected_version=version)
        e = next((e for e in c.exceptions if e.id == exception_id), None)
        if e is None:
            raise UserError("This exception is no longer in the calendar (someone removed it meanwhile).")
        c.exceptions.remove(e)
        c.updated_at = utcnow()
        uow.flush()
        return _view(uow.session, c)

    return db.write(actor, run)


def delete_calendar(db: Database, actor: Actor, id: int, *, version: int | None = None) -> None:
    """Delete a calendar no work centre uses, with its hours and exceptions."""
    require(actor, EDIT)

    def run(uow: UnitOfWork) -> None:
        s = uow.session
        c = uow.lock(WorkCalendar, id, expected_version=version)
        users = [f"{code} ({name})" for code, name in s.execute(
            select(WorkCenter.code, WorkCenter.name).where(WorkCenter.calendar_id == id).order_by(WorkCenter.code))]
        if users:
            raise UserError(f"'{c.name}' cannot be deleted: {plural(len(users), 'work centre')} "
                            f"{'works' if len(users) == 1 else 'work'} to it: {listed(users)}.",
                            hint="Give those work centres another calendar first (Production → Work centres).")
        s.delete(c)
        uow.flush()

    db.write(actor, run)


def copy_calendar(db: Database, actor: Actor, id: int, name: str) -> CalendarView:
    """A new calendar called ``name`` with the same weekly hours and exceptions as calendar ``id``."""
    require(actor, EDIT)
    original = calendar(db, actor, id)
    form = original.form()
    return save_calendar(db, actor, CalendarForm(
        name=name, hours=tuple(HoursForm(h.weekday, h.start, h.end) for h in form.hours),
        exceptions=tuple(ExceptionForm(e.day, e.working, e.note) for e in form.exceptions)))
