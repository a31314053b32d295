"""`ordercycle demo` and the firm settings behind the clock and the calendar: bad input gets one
plain line, a failure leaves no file and no traceback (issue 17)."""

from __future__ import annotations

import datetime as dt

import pytest

from app import clock
from app.db.uow import Actor
from app.errors import ValidationError
from app.main import main as app_main
from app.services import firm_calendar, settings

ADMIN = Actor("admin", "admin", "Ada Admin")


def test_demo_refuses_a_bad_date_in_one_line(tmp_path, capsys) -> None:
    target = tmp_path / "demo.db"
    assert app_main(["demo", "--db", str(target), "--today", "31/12/2026"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "ordercycle: --today '31/12/2026' is not a date; use YYYY-MM-DD, e.g. 2026-12-07."
    assert not target.exists()


def test_demo_builds_as_of_the_given_day_and_refuses_an_existing_file(tmp_path, capsys) -> None:
    target = tmp_path / "demo.db"
    assert app_main(["demo", "--db", str(target), "--today", "2026-12-07"]) == 0
    assert "Demo company written" in capsys.readouterr().out
    from app.db.open import open_database
    from app.services.orders import ORDER_LIST, order_filters

    db = open_database(target, create=False)
    try:
        from sqlalchemy import func, select

        from app.models import SalesOrder

        with db.read() as s:
            assert s.scalar(select(func.max(SalesOrder.order_date))) <= dt.date(2026, 12, 7)
        assert ORDER_LIST.ids(db, order_filters(statuses=["confirmed"]), "number", False)
        assert settings.get_settings(db).time_zone == "Europe/London"
    finally:
        db.dispose()
    before = target.stat().st_mtime_ns
    assert app_main(["demo", "--db", str(target)]) == 1
    err = capsys.readouterr().err
    assert "exists already" in err and "Traceback" not in err
    assert target.stat().st_mtime_ns == before


def test_a_failing_demo_leaves_no_file_and_no_traceback(tmp_path, capsys, monkeypatch) -> None:
    from app.demo import build as demo

    def boom(db, **kw):  # type: ignore[no-untyped-def]
        raise RuntimeError("UNIQUE constraint failed: calendar_exception.calendar_id, calendar_exception.day")

    monkeypatch.setattr(demo, "build_demo", boom)
    target = tmp_path / "demo.db"
    assert app_main(["demo", "--db", str(target)]) == 1
    err = capsys.readouterr().err
    assert "could not be built" in err and "nothing was written" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # not the file, not its temporary sibling


def test_unknown_zone_country_or_region_is_refused_with_the_valid_ones(sqlite_db) -> None:
    from app.services import auth

    auth.create_first_admin(sqlite_db, "admin", "Ada Admin", "correct horse")
    with pytest.raises(ValidationError) as err:
        settings.set_setting(sqlite_db, ADMIN, "time_zone", "Europe/Londn")
    assert "unknown time zone 'Europe/Londn'" in str(err.value) and "Europe/London" in str(err.value)
    with pytest.raises(ValidationError) as err:
        settings.set_setting(sqlite_db, ADMIN, "country", "XX")
    assert "unknown country code 'XX'" in str(err.value) and "GB" in str(err.value) and "DE" in str(err.value)
    settings.set_setting(sqlite_db, ADMIN, "country", "gb")
    with pytest.raises(ValidationError) as err:
        settings.set_setting(sqlite_db, ADMIN, "region", "BY")
    assert "unknown region 'BY' for GB" in str(err.value) and "ENG" in str(err.value)
    settings.set_settings(sqlite_db, ADMIN, {"country": "DE", "region": "BY", "time_zone": "Europe/Berlin"})
    s = settings.get_settings(sqlite_db)
    assert (s.country, s.region, s.time_zone) == ("DE", "BY", "Europe/Berlin")
    # the firm calendar follows: Epiphany is a holiday in Bavaria, not in England
    assert firm_calendar.get_calendar(sqlite_db).holiday(dt.date(2027, 1, 6)) is not None
    try:
        assert settings.use_firm_clock(sqlite_db) == "Europe/Berlin"
        assert clock.now().tzinfo is not None and str(clock.zone()) == "Europe/Berlin"
    finally:
        clock.set_zone(None)


def test_payment_terms_in_business_days(sqlite_db) -> None:
    from app.services import auth
    from app.services.billing import due_date

    auth.create_first_admin(sqlite_db, "admin", "Ada Admin", "correct horse")
    settings.set_settings(sqlite_db, ADMIN, {"country": "GB", "region": "ENG"})
    with sqlite_db.read() as s:
        calendar_days = due_date(s, dt.date(2026, 12, 21), 7, settings.load_settings(s))
    settings.set_setting(sqlite_db, ADMIN, "payment_terms_basis", "business")
    with sqlite_db.read() as s:
        business = due_date(s, dt.date(2026, 12, 21), 7, settings.load_settings(s))
    assert calendar_days == dt.date(2026, 12, 28)
    # Mon 21 Dec + 7 business days: 22, 23, 24, (25, 26, 27, 28 off), 29, 30, 31, (1 Jan off), 4 Jan
    assert business == dt.date(2027, 1, 4)
