"""The one clock: "today" and "now" for every service, view, printed document and command.

Nothing else in ``app/`` reads the system clock as a date (``tests/unit/test_clock.py`` enforces
it). Dates are the firm's: ``today()`` is the date in the firm's time zone (the firm setting
``time_zone``; until a database sets it, the workstation's own zone), so two desks in different
zones, or a desk whose zone is set wrongly, agree on what day it is.

The clock can be *pinned*: moved to another moment and left ticking from there. That is how the
demo company is built "as of" a date (``ordercycle demo --today``), how tests fix the date
(``pin()`` in ``tests/conftest.py``), and how a child process inherits a pinned clock
(``ORDERCYCLE_CLOCK=2027-12-11`` or ``…T10:30``, read at import). Elapsed-time measurements
(timeouts, benchmarks) use ``time.monotonic``/``perf_counter``, which the clock never touches.

Qt-free and database-free: the desk sets the zone once it has read the firm's settings.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import threading
import time
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager

ENV = "ORDERCYCLE_CLOCK"
OFFSET_ENV = "ORDERCYCLE_CLOCK_OFFSET"  # seconds; set by pin() so child processes share the pinned clock
_lock = threading.Lock()
_zone: dt.tzinfo | None = None  # None: the workstation's zone
_zone_name = ""
_offset = dt.timedelta(0)  # pinned clock = real clock + offset
_followed = dt.timedelta(0)  # the part of the offset that follows the database server (follow())


def _real_utc() -> dt.datetime:
    return dt.datetime.fromtimestamp(time.time(), dt.timezone.utc)


@functools.lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())  # a scan of the zone files: once per process


def valid_zones() -> list[str]:
    return sorted(_zone_names())


def parse_zone(name: str) -> dt.tzinfo | None:
    """The zone called ``name`` ('' = the workstation's). ValueError names the valid ones."""
    name = (name or "").strip()
    if not name:
        return None
    if name.upper() == "UTC":
        return dt.timezone.utc
    try:
        if name not in _zone_names():
            raise zoneinfo.ZoneInfoNotFoundError(name)
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{name}'; use one of the {len(valid_zones())} IANA names such as "
                         "Europe/London, Europe/Berlin, America/New_York or UTC, or leave it empty for each "
                         "workstation's own") from None


def set_zone(name: str | None) -> None:
    """Use the firm's time zone (an IANA name; '' or None = the workstation's zone)."""
    global _zone, _zone_name
    zone = parse_zone(name or "")
    with _lock:
        _zone, _zone_name = zone, (name or "").strip()


def _workstation_zone() -> dt.tzinfo:
    try:
        import tzlocal

        return tzlocal.get_localzone()
    except Exception:  # noqa: BLE001 - an odd system set-up: the current UTC offset will do
        return dt.datetime.fromtimestamp(time.time()).astimezone().tzinfo or dt.timezone.utc


def zone() -> dt.tzinfo:
    """The firm's time zone (the workstation's when the firm has not set one)."""
    z = _zone
    return z if z is not None else _workstation_zone()


def zone_name() -> str:
    """The firm's zone as set, or the workstation's name for its own."""
    return _zone_name or str(getattr(zone(), "key", None) or zone())


def system_utcnow() -> dt.datetime:
    """This workstation's own clock, never pinned: only for comparing it with a server's."""
    return _real_utc()


def utcnow() -> dt.datetime:
    """Now, timezone-aware in UTC (what the database stores)."""
    return _real_utc() + _offset


def now() -> dt.datetime:
    """Now, timezone-aware in the firm's time zone."""
    return utcnow().astimezone(zone())


def today() -> dt.date:
    """The firm's date today."""
    return now().date()


def local_date(moment: dt.datetime) -> dt.date:
    """The firm's date at ``moment`` (a stored UTC timestamp, say)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(zone()).date()


def at(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    """``day`` at ``hour:minute`` on the firm's wall clock, aware (handles DST days)."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone())


def wall_minutes(origin: dt.datetime, moment: dt.datetime) -> int:
    """Minutes of wall-clock time in the firm's zone from ``origin`` to ``moment`` (a plan's axis:
    08:00 the day after a DST change is still 1,920 minutes after midnight the day before)."""
    local = moment.astimezone(origin.tzinfo)
    return int(round((local.replace(tzinfo=None) - origin.replace(tzinfo=None)).total_seconds() / 60))


def wall_plus(origin: dt.datetime, minutes: float) -> dt.datetime:
    """``origin`` plus ``minutes`` of wall-clock time, as an aware UTC moment."""
    naive = origin.replace(tzinfo=None) + dt.timedelta(minutes=minutes)
    return naive.replace(tzinfo=origin.tzinfo).astimezone(dt.timezone.utc)


def is_pinned() -> bool:
    return _offset != dt.timedelta(0)


def _moment(when: dt.date | dt.datetime | str) -> dt.datetime:
    if isinstance(when, str):
        text = when.strip()
        try:
            when = dt.datetime.fromisoformat(text) if "T" in text or " " in text else dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"'{when}' is not a date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    if isinstance(when, dt.datetime):
        return when if when.tzinfo else when.replace(tzinfo=zone())
    # a date alone: ten in the morning, a working hour on any day (a DST change happens at night)
    return at(when, 10, 0)


def pin(when: dt.date | dt.datetime | str | None) -> None:
    """Move the clock to ``when`` (a date: 10:00 firm time that day) and let it tick from there;
    ``None`` puts it back to the real time."""
    global _offset
    with _lock:
        _offset = dt.timedelta(0) if when is None else _moment(when) - _real_utc()
        _export()


def _export() -> None:
    if _offset:
        os.environ[OFFSET_ENV] = repr(_offset.total_seconds())
    else:
        os.environ.pop(OFFSET_ENV, None)


@contextmanager
def pinned(when: dt.date | dt.datetime | str | None) -> Iterator[None]:
    """``pin(when)`` for a block; the previous setting comes back afterwards."""
    global _offset
    before = _offset
    pin(when)
    try:
        yield
    finally:
        with _lock:
            _offset = before
            _export()


def follow(skew: dt.timedelta) -> None:
    """This workstation's clock is ``skew`` ahead of the firm's reference (the database server):
    from now on dates and times follow the reference, so documents carry the firm's date even on
    a desk whose clock is wrong by days. ``follow(timedelta(0))`` undoes it."""
    global _offset, _followed
    with _lock:
        _offset = _offset + _followed - skew
        _followed = skew
        _export()


def skew(reference: dt.datetime) -> dt.timedelta:
    """How far this desk's clock is from ``reference`` (e.g. the database server's now)."""
    if reference.tzinfo is None:
        reference = reference.replace(tzinfo=dt.timezone.utc)
    return utcnow() - reference


def _from_environment() -> None:
    global _offset
    text = os.environ.get(ENV, "").strip()
    try:
        if text:
            pin(text)
        elif os.environ.get(OFFSET_ENV):
            _offset = dt.timedelta(seconds=float(os.environ[OFFSET_ENV]))
    except ValueError:  # a bad value must not stop the program: the real clock applies
        pass


_from_environment()
