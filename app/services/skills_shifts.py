"""Skills and shifts: what a person can do and when they work (issue 20). Qt-free.

Skills
- ``skills`` lists them by code; ``save_skill`` creates or renames one: the code is required,
  has no spaces, is unique (case-insensitively) and a new or changed code is stored upper-cased
  (a code whose only change is its case keeps the stored spelling: the demo's ``installation``,
  which the service jobs look for by name, stays as it is — and that code cannot be changed at
  all, see ``PINNED_CODES``). The table has no version column, so a form sends the code and name
  it read (``expected_code``, ``expected_name``): when they differ from what is stored now,
  someone else renamed the skill meanwhile and the save gets ``ConflictError`` — nothing is
  overwritten (the row is read ``FOR UPDATE`` on PostgreSQL, so two desks cannot both pass).
- ``delete_skill`` deletes a skill no staff member has and no routing operation uses; otherwise it
  is refused naming who and which products.
- The schedule matches people to operations by the skill's CODE (``schedule_problem.build``): a
  routing step needing ``WELDING`` goes to an active person who has ``WELDING``, whatever level;
  the level (1 learning, 2 able, 3 expert) is for the people planning. Renaming a code is safe:
  both sides refer to the skill row, not to the text.

Shifts
- ``shifts`` lists them by start; ``save_shift`` creates or updates one (versioned: a stale form
  gets ``ConflictError``): the name is required and unique; start and end come as "HH:MM" text or
  minutes since midnight, within the day (00:00–24:00), start before end (a shift does not run
  past midnight: the schedule gives a person the window start–end on each of the shift's days);
  weekdays is a set of 0 (Monday)…6 (Sunday) with at least one day.
- ``delete_shift`` deletes a shift nobody is on; otherwise it is refused naming them.

Reading needs ``schedule.view``; every change ``production.master``; the unit of work audits it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.actor import Actor
from app.db.hygiene import text_problem
from app.db.uow import Database, UnitOfWork
from app.errors import ConflictError, Problem, UserError, ValidationError
from app.models import AuditLog, Product, RoutingOperation, Shift, Skill, Staff, StaffSkill
from app.services.master_data import listed, plural
from app.services.permissions import require
from app.services.work_centres import EDIT, VIEW, code_problem

#: skill codes other parts of the program look for by name: they cannot be renamed
PINNED_CODES = frozenset({"installation"})  # service_jobs.TECHNICIAN_SKILL: who may be sent to a site
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ALL_DAYS = 0b1111111


# --- skills -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SkillRow:
    """A skill as the list and the form show it (the form sends ``code``/``name`` back as expected)."""

    id: int
    code: str
    name: str
    staff: int  # how many people have it
    operations: int  # how many routing operations need it


@dataclass(frozen=True)
class SkillForm:
    """What the skill form sends. ``id`` None: a new one; else ``expected_code``/``expected_name``
    are what the form read (the table has no version: this is how a rename race is seen)."""

    code: str
    name: str
    id: int | None = None
    expected_code: str | None = None
    expected_name: str | None = None


def _skill_rows(s: Session, only: int | None = None) -> list[SkillRow]:
    staff = dict(s.execute(select(StaffSkill.skill_id, func.count()).group_by(StaffSkill.skill_id)).all())
    ops = dict(s.execute(select(RoutingOperation.skill_id, func.count()).group_by(RoutingOperation.skill_id)).all())
    q = select(Skill).order_by(Skill.code)
    if only is not None:
        q = q.where(Skill.id == only)
    return [SkillRow(k.id, k.code, k.name, int(staff.get(k.id, 0)), int(ops.get(k.id, 0)))
            for k in s.execute(q).scalars()]


def skills(db: Database, actor: Actor) -> list[SkillRow]:
    """Every skill, by code, with how many people have it and how many routing steps need it."""
    require(actor, VIEW)
    with db.read() as s:
        return _skill_rows(s)


def _skill_conflict(s: Session, id: int) -> ConflictError:
    """The conflict for a skill renamed by someone else: who and when from its newest audit row."""
    row = s.execute(select(AuditLog.username, AuditLog.at).where(AuditLog.entity == "skill", AuditLog.entity_id == id)
                    .order_by(AuditLog.id.desc()).limit(1)).first()
    return ConflictError("skill", id, row[0] if row else None, row[1] if row else None)


def save_skill(db: Database, actor: Actor, form: SkillForm) -> SkillRow:
    """Create (``form.id`` None) or rename a skill; returns it as saved."""
    require(actor, EDIT)

    def run(uow: UnitOfWork) -> SkillRow:
        s = uow.session
        current: Skill | None = None
        if form.id is not None:
            current = uow.lock(Skill, form.id)
            if (form.expected_name is not None and current.name != form.expected_name) or \
                    (form.expected_code is not None and current.code != form.expected_code):
                raise _skill_conflict(s, form.id)
        problems: list[Problem] = []
        code = form.code.strip().upper()
        if current is not None and code == current.code.upper():
            code = current.code  # only the case differs: the stored spelling stays
        why = code_problem(code, "skill")
        if why:
            problems.append(Problem(why, field="code"))
        else:
            q = select(Skill.name).where(func.upper(Skill.code) == code.upper())
            if current is not None:
                q = q.where(Skill.id != current.id)
            taken = s.execute(q).scalar()
            if taken is not None:
                problems.append(Problem(f"skill code {code} is already taken by {taken}", field="code"))
        if current is not None and current.code in PINNED_CODES and code != current.code:
            problems.append(Problem(f"the code {current.code} cannot be changed: service jobs send the people "
                                    "with this skill to customers' sites", field="code"))
        name = form.name.strip()
        if not name:
            problems.append(Problem("the name is required", field="name"))
        elif why := text_problem(name, 200):
            problems.append(Problem(why, field="name"))
        if problems:
            raise ValidationError(problems)
        k = current or uow.add(Skill(code=code, name=name))
        if k.code != code:
            k.code = code
        if k.name != name:
            k.name = name
        uow.flush()
        return _skill_rows(s, k.id)[0]

    return db.write(actor, run)


def skill_users(s: Session, skill_id: int) -> tuple[list[str], list[str]]:
    """Who has the skill (names) and which products' routings need it (SKUs)."""
    people = list(s.execute(select(Staff.name).join(StaffSkill, StaffSkill.staff_id == Staff.id)
                            .where(StaffSkill.skill_id == skill_id).order_by(Staff.name)).scalars())
    skus = list(s.execute(select(Product.sku).distinct().join(RoutingOperation, RoutingOperation.product_id ==
                                                               Product.id)
                          .where(RoutingOperation.skill_id == skill_id).order_by(Product.sku)).scalars())
    return people, skus


def delete_skill(db: Database, actor: Actor, id: int, *, expected_name: str | None = None) -> None:
    """Delete a skill nobody has and no routing needs (refused naming them otherwise)."""
    require(actor, EDIT)

    def run(uow: UnitOfWork) -> None:
        s = uow.session
        k = uow.lock(Skill, id)
        if expected_name is not None and k.name != expected_name:
            raise _skill_conflict(s, id)
        people, skus = skill_users(s, id)
        if people or skus:
            parts = []
            if people:
                parts.append(f"{plural(len(people), 'person', 'people')} {'has' if len(people) == 1 else 'have'} it "
                             f"({listed(people)})")
            if skus:
                parts.append(f"the routing of {plural(len(skus), 'product')} needs it ({listed(skus)})")
            raise UserError(f"The skill {k.code} ({k.name}) cannot be deleted: {' and '.join(parts)}.",
                            hint="Take it off those people and routing steps first.")
        s.delete(k)
        uow.flush()

    db.write(actor, run)


# --- shifts -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ShiftView:
    """A shift as the list and the form show it; ``version`` goes back with the save."""

    id: int
    version: int
    name: str
    start_minute: int
    end_minute: int
    weekdays: frozenset[int]  # 0 = Monday
    staff: int  # how many people are on it

    @property
    def start(self) -> str:
        return hhmm(self.start_minute)

    @property
    def end(self) -> str:
        return hhmm(self.end_minute)

    @property
    def days(self) -> str:
        return days_text(self.weekdays)

    def form(self) -> ShiftForm:
        return ShiftForm(self.name, self.start, self.end, self.weekdays, self.id, self.version)


@dataclass(frozen=True)
class ShiftForm:
    """What the shift form sends: times as "HH:MM" text or minutes since midnight."""

    name: str
    start: str | int
    end: str | int
    weekdays: frozenset[int] | set[int] | tuple[int, ...] = frozenset(range(5))
    id: int | None = None
    version: int | None = None


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def days_text(days: Iterable[int]) -> str:
    """ "Mon–Fri", "Mon, Wed, Sat", "every day"."""
    ds = sorted(set(days))
    if len(ds) == 7:
        return "every day"
    if len(ds) >= 3 and ds == list(range(ds[0], ds[-1] + 1)):
        return f"{DAY_NAMES[ds[0]]}–{DAY_NAMES[ds[-1]]}"
    return ", ".join(DAY_NAMES[d] for d in ds if 0 <= d <= 6)


def weekdays_of(mask: int) -> frozenset[int]:
    return frozenset(d for d in range(7) if mask & (1 << d))


_TIME = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?$")


def parse_minute(value: str | int, what: str) -> tuple[int, str | None]:
    """Minutes since midnight from "HH:MM" (also "7", "07.30", "7h30") or a number of minutes."""
    if isinstance(value, bool):
        return 0, f"'{value}' is not a time"
    if isinstance(value, int):
        minute = value
    else:
        text = value.strip()
        if not text:
            return 0, f"the {what} time is required (HH:MM)"
        m = _TIME.match(text)
        if m is None:
            return 0, f"'{text[:20]}' is not a time: type HH:MM, e.g. 06:00"
        hours, minutes = int(m.group(1)), int(m.group(2) or 0)
        if minutes >= 60 or hours > 24:
            return 0, f"'{text}' is not a time of day"
        minute = hours * 60 + minutes
    if not 0 <= minute <= 1440:
        return minute, f"the {what} time must be within the day (00:00 to 24:00)"
    return minute, None


def _shift_view(s: Session, sh: Shift) -> ShiftView:
    n = s.scalar(select(func.count()).select_from(Staff).where(Staff.shift_id == sh.id)) or 0
    return ShiftView(sh.id, sh.version, sh.name, sh.start_minute, sh.end_minute, weekdays_of(sh.weekdays), int(n))


def shifts(db: Database, actor: Actor) -> list[ShiftView]:
    """Every shift, by start time and name."""
    require(actor, VIEW)
    with db.read() as s:
        return [_shift_view(s, sh) for sh in s.execute(select(Shift).order_by(Shift.start_minute, Shift.name))
                .scalars()]


def shift(db: Database, actor: Actor, id: int) -> ShiftView:
    require(actor, VIEW)
    with db.read() as s:
        sh = s.get(Shift, id)
        if sh is None:
            raise UserError(f"Shift #{id} does not exist (any more).")
        return _shift_view(s, sh)


def save_shift(db: Database, actor: Actor, form: ShiftForm) -> ShiftView:
    """Create (``form.id`` None) or update a shift; returns it as saved."""
    require(actor, EDIT)

    def run(uow: UnitOfWork) -> ShiftView:
        s = uow.session
        current = None if form.id is None else uow.get(Shift, form.id, expected_version=form.version)
        problems: list[Problem] = []
        name = form.name.strip()
        if not name:
            problems.append(Problem("the name is required", field="name"))
        elif why := text_problem(name, 40):
            problems.append(Problem(why, field="name"))
        else:
            q = select(Shift.id).where(func.lower(Shift.name) == name.lower())
            if current is not None:
                q = q.where(Shift.id != current.id)
            if s.execute(q).first() is not None:
                problems.append(Problem(f"there is already a shift called {name}", field="name"))
        start, why_start = parse_minute(form.start, "start")
        if why_start:
            problems.append(Problem(why_start, field="start"))
        end, why_end = parse_minute(form.end, "end")
        if why_end:
            problems.append(Problem(why_end, field="end"))
        if not why_start and not why_end and start >= end:
            problems.append(Problem(f"the shift must end after it starts ({hhmm(start)}); a shift cannot run past "
                                    "midnight", field="end"))
        days = set(form.weekdays)
        if not days:
            problems.append(Problem("tick at least one weekday", field="weekdays"))
        elif any(not isinstance(d, int) or not 0 <= d <= 6 for d in days):
            problems.append(Problem("weekdays are 0 (Monday) to 6 (Sunday)", field="weekdays"))
        if problems:
            raise ValidationError(problems)
        mask = sum(1 << d for d in days)
        sh = current or uow.add(Shift(name=name, start_minute=start, end_minute=end, weekdays=mask))
        for key, value in (("name", name), ("start_minute", start), ("end_minute", end), ("weekdays", mask)):
            if getattr(sh, key) != value:
                setattr(sh, key, value)
        uow.flush()
        return _shift_view(s, sh)

    return db.write(actor, run)


def delete_shift(db: Database, actor: Actor, id: int, *, version: int | None = None) -> None:
    """Delete a shift nobody is on (refused naming them otherwise)."""
    require(actor, EDIT)

    def run(uow: UnitOfWork) -> None:
        s = uow.session
        sh = uow.get(Shift, id, expected_version=version)
        people = list(s.execute(select(Staff.name).where(Staff.shift_id == id).order_by(Staff.name)).scalars())
        if people:
            raise UserError(f"The shift {sh.name} cannot be deleted: {plural(len(people), 'person', 'people')} "
                            f"{'is' if len(people) == 1 else 'are'} on it ({listed(people)}).",
                            hint="Move them to another shift first (archived staff count too).")
        s.delete(sh)
        uow.flush()

    db.write(actor, run)
