"""The one clock and the firm calendar, without Qt or a database."""

from __future__ import annotations

import ast
import datetime as dt
import os
import pathlib
import subprocess
import sys

import pytest

from app import clock
from app.services.firm_calendar import FirmCalendar, public_holidays

APP = pathlib.Path(__file__).resolve().parents[2] / "app"
FORBIDDEN = {("date", "today"), ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
             ("QDate", "currentDate"), ("QDateTime", "currentDateTime")}


def test_nothing_in_app_reads_the_system_clock_as_a_date_but_the_clock() -> None:
    """One clock: no date.today(), datetime.now(), QDate.currentDate() … anywhere else in app/."""
    found = []
    for path in APP.rglob("*.py"):
        if path.name == "clock.py" and path.parent == APP:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
                if (name, node.func.attr) in FORBIDDEN:
                    found.append(f"{path.relative_to(APP.parent)}:{node.lineno}: {name}.{node.func.attr}()")
    assert found == []


def test_the_test_suite_runs_on_its_pinned_day() -> None:
    from tests.support import TODAY

    assert clock.today() == TODAY


def test_pin_ticks_from_the_moment_and_is_put_back(pinned_clock) -> None:
    with clock.pinned(dt.datetime(2028, 2, 29, 23, 59, 59, tzinfo=dt.timezone.utc)):
        first = clock.utcnow()
        assert first.date() == dt.date(2028, 2, 29)
        assert clock.utcnow() >= first  # it ticks
        assert os.environ[clock.OFFSET_ENV]  # child processes inherit the pinned clock
    from tests.support import TODAY

    assert clock.today() == TODAY


def test_a_child_process_inherits_the_pinned_clock() -> None:
    with clock.pinned(dt.date(2027, 12, 11)):
        out = subprocess.run([sys.executable, "-c", "from app import clock; print(clock.today())"],
                             capture_output=True, text=True, check=True, env=dict(os.environ))
    assert out.stdout.strip() == "2027-12-11"


def test_the_firm_zone_decides_the_date() -> None:
    moment = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.timezone.utc)
    try:
        with clock.pinned(moment):
            clock.set_zone("Europe/Berlin")
            assert clock.today() == dt.date(2027, 1, 1)
            clock.set_zone("America/New_York")
            assert clock.today() == dt.date(2026, 12, 31)
            assert clock.now().utcoffset() == dt.timedelta(hours=-5)
    finally:
        clock.set_zone(None)


def test_a_dst_day_has_its_own_offsets() -> None:
    try:
        clock.set_zone("Europe/London")
        day = dt.date(2027, 3, 28)  # clocks go forward at 01:00
        assert clock.at(day, 0, 30).utcoffset() == dt.timedelta(0)
        assert clock.at(day, 10, 0).utcoffset() == dt.timedelta(hours=1)
        with clock.pinned(day):
            assert clock.now().hour == 10 and clock.today() == day
    finally:
        clock.set_zone(None)


def test_unknown_zone_is_refused_with_examples() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'.*Europe/London"):
        clock.set_zone("Mars/Olympus")


def test_bad_pin_says_what_a_date_looks_like() -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        clock.pin("next tuesday")


def test_public_holidays_by_country_and_region() -> None:
    eng = public_holidays("GB", "ENG", 2026)
    sct = public_holidays("GB", "SCT", 2026)
    assert eng[dt.date(2026, 12, 28)].startswith("Boxing Day")  # substitute day: 26th is a Saturday
    assert dt.date(2026, 4, 6) in eng and dt.date(2026, 4, 6) not in sct  # Easter Monday: not in Scotland
    assert dt.date(2026, 1, 2) in sct and dt.date(2026, 1, 2) not in eng
    assert public_holidays("", "", 2026) == {}


def test_business_days_skip_weekends_holidays_and_closing_days() -> None:
    cal = FirmCalendar("GB", "ENG", {dt.date(2026, 12, 29): "Works holiday"}, frozenset())
    assert cal.add_business_days(dt.date(2026, 11, 26), 3) == dt.date(2026, 12, 1)  # Thu -> Tue
    assert cal.add_business_days(dt.date(2026, 11, 28), 1) == dt.date(2026, 11, 30)  # Sat -> Mon
    assert cal.add_business_days(dt.date(2026, 11, 26), 0) == dt.date(2026, 11, 26)
    # Thu 24 Dec + 1: Fri 25 Christmas, Sat, Sun, Mon 28 Boxing Day (observed), Tue 29 closed
    assert cal.add_business_days(dt.date(2026, 12, 24), 1) == dt.date(2026, 12, 30)
    assert cal.holiday(dt.date(2026, 12, 29)) == "Works holiday"
    assert cal.next_business_day(dt.date(2026, 12, 25)) == dt.date(2026, 12, 30)
    assert cal.previous_business_day(dt.date(2026, 12, 29)) == dt.date(2026, 12, 24)
    assert cal.business_days_between(dt.date(2026, 12, 24), dt.date(2026, 12, 31)) == 2


def test_the_firm_can_open_on_a_public_holiday() -> None:
    cal = FirmCalendar("GB", "ENG", {}, frozenset({dt.date(2026, 12, 28)}))
    assert cal.is_business_day(dt.date(2026, 12, 28))
    assert dt.date(2026, 12, 28) not in cal.days_off(dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert list(cal.days_off(dt.date(2026, 12, 1), dt.date(2026, 12, 31))) == [dt.date(2026, 12, 25),
                                                                            dt.date(2026, 12, 26)]
