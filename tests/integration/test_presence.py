"""Presence and edit leases between desks (Qt-free)."""

from __future__ import annotations

import datetime as dt

from app.db.uow import Actor, Database
from app.models.base import utcnow
from app.services import presence
from app.services.changes import changes_since
from tests.factories import ANN, make_product

PETE = Actor("pete", "production", "Pete Planner", workstation="desk-7")


def test_a_lease_tells_others_who_is_editing_and_since_when(db: Database) -> None:
    mine = presence.start_session(db, ANN)
    theirs = presence.start_session(db, PETE)
    presence.acquire_lease(db, theirs, "sales_order", 42)
    seen = presence.who_is_editing(db, "sales_order", 42, exclude_session=mine)
    assert len(seen) == 1
    text = seen[0].describe()
    assert text.startswith("Pete Planner (production) is editing this since ") and text.endswith("at desk-7")
    assert presence.who_is_editing(db, "sales_order", 42, exclude_session=theirs) == []
    assert presence.who_is_editing(db, "sales_order", 43) == []


def test_a_crashed_desk_stops_beating_and_its_lease_expires(db: Database) -> None:
    crashed = presence.start_session(db, PETE, now=utcnow() - dt.timedelta(minutes=10))
    presence.acquire_lease(db, crashed, "sales_order", 7)
    later = utcnow() + presence.STALE_AFTER + dt.timedelta(seconds=1)
    assert presence.who_is_editing(db, "sales_order", 7, now=later) == []
    assert all(d.username != "pete" for d in presence.active_desks(db))


def test_heartbeat_keeps_desk_and_leases_alive_and_close_ends_them(db: Database) -> None:
    sid = presence.start_session(db, PETE)
    lid = presence.acquire_lease(db, sid, "product", 1)
    soon = utcnow() + dt.timedelta(seconds=60)
    presence.heartbeat(db, sid, now=soon)
    assert [d.username for d in presence.active_desks(db, now=soon + dt.timedelta(seconds=30))] == ["pete"]
    assert len(presence.who_is_editing(db, "product", 1, now=soon + dt.timedelta(seconds=30))) == 1
    presence.release_lease(db, lid)
    assert presence.who_is_editing(db, "product", 1) == []
    presence.end_session(db, sid)
    assert presence.active_desks(db) == []


def test_presence_writes_do_not_touch_the_change_feed(db: Database) -> None:
    seq = db.change_seq()
    sid = presence.start_session(db, PETE)
    presence.acquire_lease(db, sid, "product", 1)
    presence.heartbeat(db, sid)
    assert db.change_seq() == seq


def test_changes_since_merges_what_other_desks_touched(db: Database) -> None:
    seq = db.change_seq()
    assert changes_since(db, seq).tables == frozenset()
    p1 = make_product(db, sku="A")
    p2 = make_product(db, sku="B")
    ch = changes_since(db, seq)
    assert ch.seq == seq + 2
    assert ch.touches("product") and not ch.touches("sales_order")
    assert ch.entities["product"] == frozenset({p1, p2}) and ch.by == ("ann",)


def test_clock_warning_only_beyond_tolerance(db: Database) -> None:
    assert presence.clock_warning(dt.timedelta(seconds=30)) is None
    msg = presence.clock_warning(dt.timedelta(minutes=-17))
    assert msg and "17 minutes behind" in msg
    presence.start_session(db, PETE)  # a write, so the file's time is the server's now
    skew = presence.clock_skew(db)
    assert skew is not None and abs(skew) < dt.timedelta(minutes=1)


def test_heartbeat_reports_a_lost_session(db: Database) -> None:
    sid = presence.start_session(db, PETE)
    assert presence.heartbeat(db, sid, username="pete")
    assert not presence.heartbeat(db, sid, username="someone-else")  # a restored row of another desk
    presence.end_session(db, sid)
    assert not presence.heartbeat(db, sid)
    assert not presence.heartbeat(db, 99999)


def test_a_counter_that_went_backwards_means_reload_everything(db: Database) -> None:
    make_product(db)
    ch = changes_since(db, db.change_seq() + 50)
    assert ch.everything and ch.touches("anything")


def test_a_desk_whose_clock_is_days_off_dates_by_the_servers_time(db: Database, monkeypatch) -> None:
    from app import clock

    presence.start_session(db, PETE)  # a write: the file's time (or the server's now) is the reference
    real_today = clock.today()
    three_days = dt.timedelta(days=3)
    real = clock._real_utc
    monkeypatch.setattr(clock, "_real_utc", lambda: real() + three_days)  # this desk's clock runs 3 days ahead
    try:
        warning = presence.check_clock(db)
        assert warning and "3 days ahead of the database server's" in warning and "server's time" in warning
        assert clock.today() == real_today  # the firm's date, not the wrong clock's
    finally:
        clock.follow(dt.timedelta(0))
    monkeypatch.undo()
    assert presence.check_clock(db) is None and clock.today() == real_today
