"""Staff: the people the schedule assigns to operations (issue 20). Qt-free. Skills and shifts
themselves are kept in ``app/services/skills_shifts.py``.

- ``staff`` lists them (search by code, name or a skill's code or name; archived ones only when
  asked), ``person`` reads one with their skills and the ``version`` the form sends back;
  ``choices`` is what the form's pickers offer (shifts, skills, users to link).
- ``save_person`` creates or updates one in ONE unit of work, with their skills (kept by skill,
  new ones added, missing ones removed; a change of the skills alone moves the person's version).
  Permission ``production.master``; reading needs ``schedule.view``. A form opened at version *n*
  someone else has saved since gets ``ConflictError``; the unit of work audits every field.
- Every problem of the input is a ``Problem`` naming the form's field (``code``, ``name``,
  ``shift_id``, ``hourly_rate``, ``hours_per_week``, ``user_id``, ``skills``), all at once: the
  code is required, upper-cased and unique; the shift must exist; the rate is money ≥ 0; hours per
  week 0…80; a linked user exists and is linked to no other staff member; each skill exists, at
  level 1 (learning), 2 (able) or 3 (expert), and no skill twice.
- How the schedule reads them (``schedule_problem.build``): every ACTIVE person is a resource with
  the windows of their shift (start–end on the shift's weekdays, less the days every calendar is
  closed) and the CODES of their skills; an operation needing a skill goes to someone who has it,
  at any level. So a new person with WELDING on the Early shift gets welding operations on the
  next "Plan now". Hours per week feed the headcount plan (``plans.headcount_plan``).
- ``archive_person`` refuses while the newest schedule has operations assigned to them that are
  not done and start in the future (the orders are named); otherwise it sets ``active`` off and the
  next plan leaves them out. ``restore_person`` brings them back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app import format as fmt
from app.actor import Actor
from app.db.hygiene import text_problem
from app.db.uow import Database, UnitOfWork
from app.errors import Problem, UserError, ValidationError
from app.models import Shift, Skill, Staff, StaffSkill, User
from app.models.base import utcnow
from app.services.master_data import like, listed, plural, set_active, sync_rows
from app.services.permissions import require
from app.services.skills_shifts import days_text, hhmm, weekdays_of
from app.services.work_centres import EDIT, VIEW, code_problem, money_problem, planned_orders

LEVELS = {1: "learning", 2: "able", 3: "expert"}
MAX_HOURS = Decimal(80)


# --- what the screens get and send ----------------------------------------------------------------
@dataclass(frozen=True)
class SkillLevel:
    """One of a person's skills: the skill's id (code and name for showing) and the level."""

    skill_id: int
    level: int = 2
    code: str = ""
    name: str = ""

    def text(self) -> str:
        return f"{self.code} ({LEVELS.get(self.level, self.level)})"


@dataclass(frozen=True)
class StaffRow:
    """One line of the staff list."""

    id: int
    code: str
    name: str
    shift: str
    skills: tuple[SkillLevel, ...]
    hours_per_week: Decimal
    hourly_rate: Decimal
    user: str  # the linked user's name, "" when none
    active: bool

    @property
    def skills_text(self) -> str:
        return ", ".join(k.text() for k in self.skills)


@dataclass(frozen=True)
class StaffForm:
    """What the staff form sends. ``id`` None: a new person; else ``version`` is the version the
    form was opened at. Numbers may come as typed (text)."""

    code: str
    name: str
    shift_id: int | None
    hourly_rate: Decimal | int | str = Decimal(0)
    hours_per_week: Decimal | int | str = Decimal(40)
    user_id: int | None = None
    skills: Sequence[SkillLevel] = ()
    id: int | None = None
    version: int | None = None


@dataclass(frozen=True)
class StaffView:
    """One person as the form shows them; ``version`` goes back with the save."""

    id: int
    version: int
    code: str
    name: str
    shift_id: int
    shift: str
    hourly_rate: Decimal
    hours_per_week: Decimal
    user_id: int | None
    user: str
    skills: tuple[SkillLevel, ...]
    active: bool
    updated_by: str

    def form(self) -> StaffForm:
        """The same person as a form would send them unchanged."""
        return StaffForm(self.code, self.name, self.shift_id, self.hourly_rate, self.hours_per_week, self.user_id,
                         self.skills, self.id, self.version)


@dataclass(frozen=True)
class Choice:
    id: int
    code: str
    name: str

    def text(self) -> str:
        return f"{self.code} — {self.name}" if self.code else self.name


@dataclass(frozen=True)
class StaffChoices:
    """What the staff form's pickers offer: shifts ("Early 06:00–14:00, Mon–Fri"), skills, users."""

    shifts: tuple[Choice, ...] = ()
    skills: tuple[Choice, ...] = ()
    users: tuple[Choice, ...] = field(default_factory=tuple)


# --- reading ------------------------------------------------------------------------------------------
def _skills_of(s: Session, ids: Sequence[int]) -> dict[int, tuple[SkillLevel, ...]]:
    out: dict[int, list[SkillLevel]] = {}
    if ids:
        for sid, kid, level, code, name in s.execute(
                select(StaffSkill.staff_id, StaffSkill.skill_id, StaffSkill.level, Skill.code, Skill.name)
                .join(Skill, Skill.id == StaffSkill.skill_id).where(StaffSkill.staff_id.in_(ids))
                .order_by(Skill.code)):
            out.setdefault(sid, []).append(SkillLevel(kid, level, code, name))
    return {k: tuple(v) for k, v in out.items()}


def staff(db: Database, actor: Actor, search: str = "", include_archived: bool = False) -> list[StaffRow]:
    """The people whose code, name or one of whose skills (code or name) contains ``search``, by code."""
    require(actor, VIEW)
    text = like(search.strip().lower())
    with db.read() as s:
        q = (select(Staff, Shift.name, User.full_name).join(Shift, Shift.id == Staff.shift_id)
             .outerjoin(User, User.id == Staff.user_id).order_by(Staff.code, Staff.id))
        if not include_archived:
            q = q.where(Staff.active.is_(True))
        if text:
            pattern = f"%{text}%"
            with_skill = (select(StaffSkill.staff_id).join(Skill, Skill.id == StaffSkill.skill_id)
                          .where(or_(func.lower(Skill.code).like(pattern, escape="\\"),
                                     func.lower(Skill.name).like(pattern, escape="\\"))))
            q = q.where(or_(func.lower(Staff.code).like(pattern, escape="\\"),
                            func.lower(Staff.name).like(pattern, escape="\\"), Staff.id.in_(with_skill)))
        found = s.execute(q).all()
        skills = _skills_of(s, [p.id for p, _sh, _u in found])
        return [StaffRow(p.id, p.code, p.name, sh, skills.get(p.id, ()), p.hours_per_week, p.hourly_rate, u or "",
                         p.active) for p, sh, u in found]


def _view(s: Session, p: Staff) -> StaffView:
    sh = s.get(Shift, p.shift_id)
    user = s.get(User, p.user_id) if p.user_id is not None else None
    return StaffView(p.id, p.version, p.code, p.name, p.shift_id, sh.name if sh else "?", p.hourly_rate,
                     p.hours_per_week, p.user_id, user.full_name if user else "", _skills_of(s, [p.id]).get(p.id, ()),
                     p.active, p.updated_by)


def person(db: Database, actor: Actor, id: int) -> StaffView:
    """One person with their skills."""
    require(actor, VIEW)
    with db.read() as s:
        p = s.get(Staff, id)
        if p is None:
            raise UserError(f"Staff member #{id} does not exist (any more).")
        return _view(s, p)


def choices(db: Database, actor: Actor) -> StaffChoices:
    """The shifts, skills and (active) users the staff form offers."""
    require(actor, VIEW)
    with db.read() as s:
        shifts = tuple(Choice(sh.id, "", f"{sh.name} {hhmm(sh.start_minute)}–{hhmm(sh.end_minute)}, "
                                         f"{days_text(weekdays_of(sh.weekdays))}")
                       for sh in s.execute(select(Shift).order_by(Shift.start_minute, Shift.name)).scalars())
        skills = tuple(Choice(i, c, n) for i, c, n in s.execute(
            select(Skill.id, Skill.code, Skill.name).order_by(Skill.code)))
        users = tuple(Choice(i, u, n) for i, u, n in s.execute(
            select(User.id, User.username, User.full_name).where(User.active.is_(True)).order_by(User.full_name)))
    return StaffChoices(shifts, skills, users)


# --- checking what was typed ----------------------------------------------------------------------
def _hours(value: Decimal | int | str) -> tuple[Decimal, str | None]:
    try:
        hours = (fmt.decimal_of(value) if value.strip() else Decimal(0)) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return Decimal(0), f"'{str(value).strip()[:20]}' is not a number of hours"
    if not hours.is_finite():
        return Decimal(0), f"'{value}' is not a number of hours"
    if not 0 <= hours <= MAX_HOURS:
        return hours, f"hours per week must be between 0 and {MAX_HOURS}"
    return hours.quantize(Decimal("0.01")), None


def _checked(s: Session, form: StaffForm, current: Staff | None) -> tuple[dict[str, object], dict[int, int],
                                                                          list[Problem]]:
    problems: list[Problem] = []
    code = form.code.strip().upper()
    why = code_problem(code, "staff")
    if why:
        problems.append(Problem(why, field="code"))
    else:
        q = select(Staff.name).where(func.upper(Staff.code) == code)
        if current is not None:
            q = q.where(Staff.id != current.id)
        taken = s.execute(q).scalar()
        if taken is not None:
            problems.append(Problem(f"staff code {code} is already taken by {taken}", field="code"))
    name = form.name.strip()
    if not name:
        problems.append(Problem("the name is required", field="name"))
    elif why := text_problem(name, 200):
        problems.append(Problem(why, field="name"))
    if form.shift_id is None:
        problems.append(Problem("choose the shift the person works", field="shift_id"))
    elif s.get(Shift, form.shift_id) is None:
        problems.append(Problem("this shift no longer exists", field="shift_id"))
    rate, why = money_problem(form.hourly_rate, "the hourly rate")
    if why:
        problems.append(Problem(why, field="hourly_rate"))
    hours, why = _hours(form.hours_per_week)
    if why:
        problems.append(Problem(why, field="hours_per_week"))
    if form.user_id is not None:
        user = s.get(User, form.user_id)
        if user is None or not user.active:
            problems.append(Problem("this user no longer exists or is disabled", field="user_id"))
        else:
            q2 = select(Staff.name).where(Staff.user_id == form.user_id)
            if current is not None:
                q2 = q2.where(Staff.id != current.id)
            other = s.execute(q2).scalar()
            if other is not None:
                problems.append(Problem(f"the user {user.full_name} is already linked to {other}", field="user_id"))
    levels: dict[int, int] = {}
    for i, k in enumerate(form.skills, start=1):
        skill = s.get(Skill, k.skill_id)
        label = skill.code if skill is not None else f"skill {i}"
        if skill is None:
            problems.append(Problem(f"skill {i} no longer exists", field="skills"))
        elif k.skill_id in levels:
            problems.append(Problem(f"{label} is listed twice", field="skills"))
        if k.level not in LEVELS:
            problems.append(Problem(f"{label}: the level is 1 (learning), 2 (able) or 3 (expert)", field="skills"))
        levels[k.skill_id] = k.level
    values: dict[str, object] = {"code": code, "name": name, "shift_id": form.shift_id, "hourly_rate": rate,
                                 "hours_per_week": hours, "user_id": form.user_id}
    return values, levels, problems


# --- writing --------------------------------------------------------------------------------------
def _apply_skills(s: Session, p: Staff, levels: dict[int, int]) -> bool:
    existing = {k.skill_id: k for k in s.execute(select(StaffSkill).where(StaffSkill.staff_id == p.id)).scalars()}
    return sync_rows(s, existing, levels, value=lambda k: k.level, update=lambda k, level: setattr(k, "level", level),
                     make=lambda skill_id, level: StaffSkill(staff_id=p.id, skill_id=skill_id, level=level))


def save_person(db: Database, actor: Actor, form: StaffForm) -> StaffView:
    """Create (``form.id`` None) or update a staff member with their skills; returns them as saved."""
    require(actor, EDIT)

    def run(uow: UnitOfWork) -> StaffView:
        s = uow.session
        current = None if form.id is None else uow.get(Staff, form.id, expected_version=form.version)
        if form.user_id is not None and s.get(User, form.user_id) is not None:
            # two desks linking one user at once: the second waits here (PostgreSQL; SQLite's write
            # transaction excludes it anyway) and then finds the first's link
            uow.lock(User, form.user_id)
        values, levels, problems = _checked(s, form, current)
        if problems:
            raise ValidationError(problems)
        p = current or uow.add(Staff(active=True, **values))
        for key, value in values.items():
            if getattr(p, key, None) != value:
                setattr(p, key, value)
        uow.flush()  # a new person's id, for their skills
        if _apply_skills(s, p, levels) and current is not None and not s.is_modified(p, include_collections=False):
            p.updated_at = utcnow()  # the skills changed: the person's version moves
        uow.flush()
        s.expire(p, ["skills"])
        return _view(s, p)

    return db.write(actor, run)


def _blocker(s: Session, p: Staff) -> UserError | None:
    orders = planned_orders(s, staff_id=p.id)
    if not orders:
        return None
    return UserError(f"{p.name} ({p.code}) cannot be archived: the current schedule has operations assigned to them "
                     f"for {plural(len(orders), 'order')}: {listed(orders)}.",
                     hint="Take their skills off and plan again (their work goes to others), or finish "
                          "those operations; then archive them.")


def archive_person(db: Database, actor: Actor, id: int, *, version: int | None = None) -> StaffView:
    """Archive a person with no planned future work: the next plan leaves them out."""
    return set_active(db, actor, Staff, id, version, active=False, permission=EDIT, view=_view, blocker=_blocker)


def restore_person(db: Database, actor: Actor, id: int, *, version: int | None = None) -> StaffView:
    """Bring an archived person back: the next plan assigns them again."""
    return set_active(db, actor, Staff, id, version, active=True, permission=EDIT, view=_view)
