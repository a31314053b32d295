"""The firm calendar: which days are business days, for every "business day" rule.

A business day is a Monday to Friday that is neither a public holiday of the firm's country (and
region), from the ``holidays`` package, nor one of the firm's own closing days; the firm can also
open on a public holiday (``FirmClosingDay.open``). Used by the refund target, payment terms
counted in business days, promise dates, service bookings and — under their own exceptions —
the production calendars.

    get_calendar(db) / load_calendar(session) -> FirmCalendar   # frozen, cheap to build
    holidays_of(db, actor, year) -> list[CalendarDay]            # for the calendar dialog
    add_day(db, actor, day, note, open=False)                   # management / admin, audited
    remove_day(db, actor, day)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.uow import Actor, Database, UnitOfWork
from app.errors import Problem, UserError, ValidationError
from app.models import FirmClosingDay, Setting
from app.services.permissions import require

EDIT = "calendar.edit"
NOTE_MAX = 120


@lru_cache(maxsize=1)
def supported_countries() -> Mapping[str, list[str]]:
    """Country code -> its region codes, as the ``holidays`` package knows them."""
    import holidays

    return MappingProxyType({k: list(v) for k, v in holidays.list_supported_countries().items() if len(k) == 2})


@lru_cache(maxsize=256)
def public_holidays(country: str, region: str, year: int) -> Mapping[dt.date, str]:
    """The public holidays of ``country`` (and ``region``) in ``year``: day -> name."""
    if not country:
        return MappingProxyType({})
    import holidays

    h = holidays.country_holidays(country, subdiv=region or None, years=year)
    return MappingProxyType({d: str(name) for d, name in sorted(h.items())})


@dataclass(frozen=True)
class CalendarDay:
    day: dt.date
    name: str
    source: str  # "public holiday", "closed by the firm", "open on a public holiday"
    open: bool


@dataclass(frozen=True)
class FirmCalendar:
    country: str = ""
    region: str = ""
    closed: Mapping[dt.date, str] = field(default_factory=lambda: MappingProxyType({}))
    opened: frozenset[dt.date] = frozenset()

    def holiday(self, day: dt.date) -> str | None:
        """Why ``day`` is not worked, if it is a holiday or closing day (weekends aside)."""
        if day in self.closed:
            return self.closed[day]
        if day in self.opened:
            return None
        return public_holidays(self.country, self.region, day.year).get(day)

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and self.holiday(day) is None

    def next_business_day(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a business day, else the next one."""
        for _ in range(400):
            if self.is_business_day(day):
                return day
            day += dt.timedelta(days=1)
        raise UserError("The firm calendar has no business day in more than a year; check its closing days.")

    def previous_business_day(self, day: dt.date) -> dt.date:
        for _ in range(400):
            if self.is_business_day(day):
                return day
            day -= dt.timedelta(days=1)
        raise UserError("The firm calendar has no business day in more than a year; check its closing days.")

    def add_business_days(self, day: dt.date, n: int) -> dt.date:
        """The ``n``-th business day after ``day`` (``n`` = 0: ``day`` rolled forward to a business day)."""
        if n <= 0:
            return self.next_business_day(day)
        d = day
        while n > 0:
            d += dt.timedelta(days=1)
            if self.is_business_day(d):
                n -= 1
        return d

    def business_days_between(self, start: dt.date, end: dt.date) -> int:
        """Business days after ``start`` up to and including ``end`` (0 if ``end`` <= ``start``)."""
        n, d = 0, start
        while d < end:
            d += dt.timedelta(days=1)
            n += self.is_business_day(d)
        return n

    def days_off(self, start: dt.date, end: dt.date) -> dict[dt.date, str]:
        """Holidays and closing days from ``start`` to ``end`` inclusive (weekends aside): day -> name."""
        out: dict[dt.date, str] = {}
        for year in range(start.year, end.year + 1):
            for d, name in public_holidays(self.country, self.region, year).items():
                if start <= d <= end and d not in self.opened:
                    out[d] = name
        for d, name in self.closed.items():
            if start <= d <= end:
                out[d] = name
        return dict(sorted(out.items()))


def load_calendar(session: Session) -> FirmCalendar:
    keys = {key: value for key, value in session.execute(select(Setting.key, Setting.value)
                                                         .where(Setting.key.in_(("country", "region"))))}
    closed: dict[dt.date, str] = {}
    opened: set[dt.date] = set()
    for row in session.scalars(select(FirmClosingDay)):
        if row.open:
            opened.add(row.day)
        else:
            closed[row.day] = row.note
    return FirmCalendar(str(keys.get("country") or "").upper(), str(keys.get("region") or "").upper(),
                        MappingProxyType(closed), frozenset(opened))


def get_calendar(db: Database) -> FirmCalendar:
    with db.read() as s:
        return load_calendar(s)


def holidays_of(db: Database, actor: Actor, year: int) -> list[CalendarDay]:
    """Every public holiday and firm day of ``year``, in date order, for the calendar dialog."""
    with db.read() as s:
        cal = load_calendar(s)
        own = {r.day: r for r in s.scalars(select(FirmClosingDay).where(
            FirmClosingDay.day >= dt.date(year, 1, 1), FirmClosingDay.day <= dt.date(year, 12, 31)))}
    out = [CalendarDay(d, name, "public holiday", d in cal.opened)
           for d, name in public_holidays(cal.country, cal.region, year).items() if d not in own]
    for d, row in own.items():
        public = public_holidays(cal.country, cal.region, year).get(d)
        if row.open:
            out.append(CalendarDay(d, f"{public or 'public holiday'} — {row.note}", "open on a public holiday", True))
        else:
            out.append(CalendarDay(d, row.note, "closed by the firm", False))
    return sorted(out, key=lambda c: c.day)


def _clean_note(note: str) -> str:
    text = " ".join((note or "").split())
    if not text:
        raise ValidationError(Problem("say why (e.g. 'Stocktaking', 'Works holiday')", field="note"))
    if len(text) > NOTE_MAX:
        raise ValidationError(Problem(f"at most {NOTE_MAX} characters", field="note", value=text[:20] + "…"))
    return text


def add_day(db: Database, actor: Actor, day: dt.date, note: str, *, open: bool = False) -> CalendarDay:
    """Close the firm on ``day`` (``open`` True: open on a public holiday). One entry per day."""
    require(actor, EDIT)
    text = _clean_note(note)
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise ValidationError(Problem("a date is required", field="day", value=day))

    def run(uow: UnitOfWork) -> CalendarDay:
        s = uow.session
        existing = s.scalars(select(FirmClosingDay).where(FirmClosingDay.day == day)).first()
        if existing is not None:
            what = "open" if existing.open else "closed"
            raise ValidationError(Problem(f"{day.isoformat()} already has an entry ({what}: {existing.note}); "
                                          "remove it first", field="day", value=day.isoformat()))
        cal = load_calendar(s)
        public = public_holidays(cal.country, cal.region, day.year).get(day)
        if open and public is None:
            raise ValidationError(Problem(f"{day.isoformat()} is not a public holiday; the firm is open on it anyway",
                                          field="day", value=day.isoformat()))
        if not open and public is not None:
            raise ValidationError(Problem(f"{day.isoformat()} is already a public holiday ({public})",
                                          field="day", value=day.isoformat()))
        uow.add(FirmClosingDay(day=day, open=open, note=text))
        uow.flush()
        return CalendarDay(day, text, "open on a public holiday" if open else "closed by the firm", open)

    return db.write(actor, run)


def remove_day(db: Database, actor: Actor, day: dt.date) -> None:
    require(actor, EDIT)

    def run(uow: UnitOfWork) -> None:
        row = uow.session.scalars(select(FirmClosingDay).where(FirmClosingDay.day == day)).first()
        if row is None:
            raise UserError(f"{day.isoformat()} has no entry of the firm's own.")
        uow.session.delete(row)
        uow.flush()

    db.write(actor, run)



def production_days(session: Session, start: dt.date, end: dt.date
                    ) -> tuple[dict[int, dict[dt.date, int]], set[dt.date]]:
    """The production calendars' exceptions with the firm calendar underneath, from ``start`` to
    ``end``: per calendar id, day -> working minutes (0 = closed). A firm day off (public holiday
    or closing day) closes every production calendar unless the calendar has its own exception
    that day (Saturday overtime on a holiday, say), which wins. Also returns the days on which
    every calendar is closed: nobody works then (staff shifts, working-day counts)."""
    from app.models import CalendarException, CalendarHours, WorkCalendar

    off = load_calendar(session).days_off(start, end)
    cal_ids = set(session.scalars(select(WorkCalendar.id))) | set(
        session.scalars(select(CalendarHours.calendar_id).distinct()))
    own: dict[int, dict[dt.date, int]] = {}
    for cal, day, minutes in session.execute(select(CalendarException.calendar_id, CalendarException.day,
                                                    CalendarException.working_minutes)):
        own.setdefault(cal, {})[day] = minutes
    cal_ids |= set(own)
    out: dict[int, dict[dt.date, int]] = {}
    for cal in cal_ids:
        days = {d: 0 for d in off}
        days.update(own.get(cal, {}))
        out[cal] = days
    closed = [{d for d, m in days.items() if m == 0} for days in out.values()]
    everyone = set.intersection(*closed) if closed else set(off)
    return out, everyone
