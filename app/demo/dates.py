"""The demo's dates: the firm calendar and the helpers every generated working date goes through."""

from __future__ import annotations

import datetime as dt

from app.demo.firm import FIRM_COUNTRY, FIRM_REGION
from app.services.firm_calendar import FirmCalendar

UTC = dt.timezone.utc
_MINUTES = [dt.timedelta(minutes=i) for i in range(1440)]
_WORKDAY: dict[dt.date, dt.date] = {}


def _month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def _add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, 1)


def _month_index(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


# The demo firm's calendar: England's public holidays (the settings below say GB / ENG). Every
# date the demo generates for work (promises, shipments, refunds, bookings, overtime) is a
# business day of this calendar, whatever day the demo is built on.
FIRM_CALENDAR = FirmCalendar(FIRM_COUNTRY, FIRM_REGION)


def _working_days(month: dt.date) -> int:
    """Business days of the firm calendar in the month starting ``month``."""
    d, n = month, 0
    while d.month == month.month:
        n += FIRM_CALENDAR.is_business_day(d)
        d += dt.timedelta(days=1)
    return n


def overtime_saturday(today: dt.date) -> dt.date:
    """The demo's Saturday of overtime: two weeks ahead, moved on past public holidays."""
    sat = today + dt.timedelta(days=(5 - today.weekday()) % 7 + 14)
    while FIRM_CALENDAR.holiday(sat) is not None:
        sat += dt.timedelta(days=7)
    return sat


def _workday(d: dt.date) -> dt.date:
    """``d`` or the next business day of the firm calendar."""
    r = _WORKDAY.get(d)
    if r is None:
        r = _WORKDAY[d] = FIRM_CALENDAR.next_business_day(d)
    return r


def _workday_back(d: dt.date) -> dt.date:
    """``d`` or the business day before it."""
    return FIRM_CALENDAR.previous_business_day(d)


def _add_business_days(d: dt.date, n: int) -> dt.date:
    return FIRM_CALENDAR.add_business_days(d, n)


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    d = dt.date(year, month, 28)
    while d.month == month:
        d += dt.timedelta(days=1)
    d -= dt.timedelta(days=1)
    while d.weekday() != weekday:
        d -= dt.timedelta(days=1)
    return d


def _first_weekday(year: int, month: int, weekday: int) -> dt.date:
    d = dt.date(year, month, 1)
    while d.weekday() != weekday:
        d += dt.timedelta(days=1)
    return d
