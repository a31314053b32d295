"""Sign-in throttling (issue 18 item 5): a growing wait after wrong passwords, a lock after
``sign_in_lock_after`` of them, unlocked by time or by an administrator; every try obeys it, even
with the right password; all of it audited. On SQLite and PostgreSQL; the clock is pinned and
moved, never slept on."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from app import clock
from app.db.engine import DatabaseReadOnly
from app.db.open import open_database
from app.db.uow import Actor, Database
from app.errors import PermissionDenied, ValidationError
from app.models import AuditLog, SignInEvent, User
from app.services import auth
from app.services import settings as firm

T0 = dt.datetime(2026, 12, 8, 14, 0, tzinfo=dt.timezone.utc)  # 14:00 in London too (winter)
RIGHT = "sales-pass-1"
WRONG = "not-the-password"


@pytest.fixture
def t0() -> Iterator[dt.datetime]:
    clock.set_zone("Europe/London")
    try:
        with clock.pinned(T0):
            yield T0
    finally:
        clock.set_zone(None)


@pytest.fixture
def admin(db: Database, t0: dt.datetime) -> Actor:
    auth.create_first_admin(db, "root", "Ruth Admin", "correct horse")
    actor = auth.sign_in(db, "root", "correct horse", workstation="desk-1")
    auth.create_user(db, actor, "sales", "Sam Carter", "sales", RIGHT)
    return actor


def move(to: dt.datetime | dt.timedelta) -> None:
    """Move the pinned clock to a moment, or forward by a time."""
    clock.pin(clock.utcnow() + to if isinstance(to, dt.timedelta) else to)


def fail(db: Database, password: str = WRONG, username: str = "sales") -> auth.SignInFailed:
    with pytest.raises(auth.SignInFailed) as info:
        auth.sign_in(db, username, password, workstation="desk-2")
    return info.value


def state(db: Database, username: str = "sales") -> tuple[int, dt.datetime | None]:
    with db.read() as s:
        row = s.execute(select(User.failed_sign_ins, User.locked_until).where(User.username == username)).one()
    return row.failed_sign_ins, row.locked_until


def shown(until: dt.datetime, *, seconds: bool) -> str:
    """The wall-clock time a message names: rounded up, London time."""
    local = until.astimezone(clock.zone())
    if seconds:
        return (local.replace(microsecond=0) + dt.timedelta(seconds=1)).strftime("%H:%M:%S")
    return (local.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)).strftime("%H:%M")


def timed_fail(db: Database, wait: dt.timedelta) -> auth.SignInFailed:
    """A wrong password whose wait must be ``wait`` from the moment the service counted it."""
    before = clock.utcnow()
    exc = fail(db)
    after = clock.utcnow()
    assert exc.wrong and exc.until is not None
    assert before + wait <= exc.until <= after + wait
    return exc


def test_each_wrong_password_from_the_third_waits_longer_then_the_account_locks(db: Database, admin: Actor) -> None:
    assert fail(db).until is None and fail(db).until is None  # two mistakes cost nothing
    exc = timed_fail(db, dt.timedelta(seconds=1))  # the 3rd: the next try waits 1 s
    assert not exc.locked and exc.message == auth.WRONG

    refused = fail(db, RIGHT)  # even the right password, at once
    assert not refused.wrong and refused.until == exc.until and not refused.locked
    assert refused.message == f"Too many wrong passwords for 'sales': try again after {shown(exc.until, seconds=True)}."
    assert state(db)[0] == 3, "a refused try is not a wrong password: it was never checked"

    move(exc.until + dt.timedelta(milliseconds=1))
    exc = timed_fail(db, dt.timedelta(seconds=2))  # the 4th: 2 s
    assert fail(db, RIGHT).until == exc.until
    move(exc.until + dt.timedelta(milliseconds=1))
    exc = timed_fail(db, dt.timedelta(minutes=15))  # the 5th (sign_in_lock_after): locked for 15 minutes
    assert exc.locked
    assert exc.message == (f"{auth.WRONG} Too many wrong passwords for 'sales': try again after "
                           f"{shown(exc.until, seconds=False)}, or ask an administrator to unlock the account.")
    assert shown(exc.until, seconds=False) == "14:16"

    move(dt.timedelta(minutes=14))
    refused = fail(db, RIGHT)
    assert refused.locked and not refused.wrong
    assert refused.message == ("Too many wrong passwords for 'sales': try again after 14:16, or ask an "
                               "administrator to unlock the account.")
    assert state(db) == (5, exc.until)

    move(exc.until + dt.timedelta(seconds=1))  # unlocked by time
    actor = auth.sign_in(db, "sales", RIGHT, workstation="desk-2")
    assert actor.username == "sales" and actor.role == "sales"
    assert state(db) == (0, None)


def test_the_delays_double_up_to_a_cap_when_the_lock_comes_late(db: Database, admin: Actor) -> None:
    firm.set_setting(db, admin, "sign_in_lock_after", 30)
    waits: list[int | None] = []
    until: dt.datetime | None = None
    for _ in range(14):
        if until is not None:
            move(until + dt.timedelta(milliseconds=1))
        until = fail(db).until
        waits.append(None if until is None else round((until - clock.utcnow()).total_seconds()))
    assert waits == [None, None, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    refused = fail(db, RIGHT)
    assert not refused.locked and "administrator" not in refused.message  # a delay, not the lock


def test_the_lock_follows_the_firm_settings_and_relocks_after_one_more_mistake(db: Database, admin: Actor) -> None:
    firm.set_settings(db, admin, {"sign_in_lock_after": 2, "sign_in_lock_minutes": 30})
    fail(db)
    exc = timed_fail(db, dt.timedelta(minutes=30))
    assert exc.locked
    move(dt.timedelta(minutes=29))
    assert fail(db, RIGHT).locked
    move(exc.until + dt.timedelta(seconds=1))
    exc = timed_fail(db, dt.timedelta(minutes=30))  # the lock ran out, but the count did not: locked again
    assert exc.locked and state(db)[0] == 3
    move(exc.until + dt.timedelta(seconds=1))
    auth.sign_in(db, "sales", RIGHT)
    assert state(db) == (0, None)


def test_a_success_resets_the_count(db: Database, admin: Actor) -> None:
    fail(db)
    fail(db)
    auth.sign_in(db, "sales", RIGHT)
    assert state(db) == (0, None)
    assert fail(db).until is None and fail(db).until is None  # counting starts again from nothing
    assert fail(db).until is not None


def test_an_administrator_unlocks_a_locked_account(db: Database, admin: Actor) -> None:
    firm.set_setting(db, admin, "sign_in_lock_after", 1)
    exc = fail(db)
    assert exc.locked
    info = next(u for u in auth.list_users(db, admin) if u.username == "sales")
    assert info.locked() and info.locked_until == exc.until and info.failed_sign_ins == 1
    sales_desk = Actor("sales2", "sales", "Priya Shah")
    with pytest.raises(PermissionDenied):
        auth.unlock_user(db, sales_desk, "sales")
    with pytest.raises(ValidationError, match="no user 'nobody'"):
        auth.unlock_user(db, admin, "nobody")
    info = auth.unlock_user(db, admin, "sales")
    assert not info.locked() and info.failed_sign_ins == 0 and info.locked_until is None
    assert auth.sign_in(db, "sales", RIGHT).username == "sales"
    with db.read() as s:
        rows = s.execute(select(AuditLog.username, AuditLog.field, AuditLog.old_value, AuditLog.new_value)
                         .where(AuditLog.action == "unlock").order_by(AuditLog.id)).all()
    assert rows == [("root", "locked_until", exc.until.isoformat(), None), ("root", "failed_sign_ins", "1", "0")]


def test_a_password_reset_by_the_administrator_also_unlocks(db: Database, admin: Actor) -> None:
    firm.set_setting(db, admin, "sign_in_lock_after", 1)
    assert fail(db).locked
    info = next(u for u in auth.list_users(db, admin) if u.username == "sales")
    auth.update_user(db, admin, info.id, version=info.version, password="a-new-password")
    assert state(db) == (0, None)
    assert auth.sign_in(db, "sales", "a-new-password").username == "sales"


def test_two_desks_failing_at_the_same_moment_both_count(db_url: str, db: Database, admin: Actor) -> None:
    firm.set_setting(db, admin, "sign_in_lock_after", 2)
    desks = [open_database(db_url), open_database(db_url)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def desk(d: Database, name: str) -> None:
        start.wait()
        try:
            auth.sign_in(d, "sales", WRONG, workstation=name)
        except BaseException as exc:  # noqa: BLE001 - collected and checked below
            errors.append(exc)

    threads = [threading.Thread(target=desk, args=(d, f"desk-{i}")) for i, d in enumerate(desks, 1)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        for d in desks:
            d.dispose()
    assert len(errors) == 2 and all(isinstance(e, auth.SignInFailed) and e.wrong for e in errors), errors
    failures, until = state(db)
    assert failures == 2, "a lost update: one desk's wrong password was not counted"
    assert until is not None and sum(e.locked for e in errors) == 1  # the second one locked it
    with db.read() as s:
        events = s.execute(select(SignInEvent.workstation).where(SignInEvent.username == "sales",
                                                                 SignInEvent.success.is_(False))).scalars().all()
    assert sorted(events) == ["desk-1", "desk-2"]
    assert fail(db, RIGHT).locked


def test_failures_locks_refusals_and_password_changes_are_audited_without_the_hash(db: Database,
                                                                                    admin: Actor) -> None:
    firm.set_setting(db, admin, "sign_in_lock_after", 2)
    fail(db)
    locked = fail(db)
    fail(db, RIGHT)  # refused
    fail(db, username="nobody")
    auth.unlock_user(db, admin, "sales")
    auth.sign_in(db, "sales", RIGHT)
    info = next(u for u in auth.list_users(db, admin) if u.username == "sales")
    info = auth.update_user(db, admin, info.id, version=info.version, password="reset-by-admin")
    info = auth.update_user(db, admin, info.id, version=info.version, role="finance")
    sales = auth.sign_in(db, "sales", "reset-by-admin")
    auth.change_own_password(db, sales, "reset-by-admin", "my-own-password")

    with db.read() as s:
        rows = s.execute(select(AuditLog).where(AuditLog.entity == "app_user").order_by(AuditLog.id)).scalars().all()
        hashes = s.execute(select(User.password_hash)).scalars().all()
    sales_id = info.id
    got = [(r.username, r.action, r.entity_id, r.field, r.old_value, r.new_value) for r in rows
           if r.action not in {"insert", "state"}]  # "state": the audit chain's digests, tested on their own
    assert got == [
        ("sales", "sign_in_failed", sales_id, "failed_sign_ins", "0", "1"),
        ("sales", "sign_in_failed", sales_id, "failed_sign_ins", "1", "2"),
        ("sales", "sign_in_locked", sales_id, "locked_until", None, locked.until.isoformat()),
        ("sales", "sign_in_refused", sales_id, "locked_until", locked.until.isoformat(), locked.until.isoformat()),
        ("nobody", "sign_in_failed", None, "username", None, "nobody"),
        ("root", "unlock", sales_id, "locked_until", locked.until.isoformat(), None),
        ("root", "unlock", sales_id, "failed_sign_ins", "2", "0"),
        ("root", "password_reset", sales_id, "password", None, "(set by an administrator)"),
        ("root", "update", sales_id, "role", "sales", "finance"),
        ("sales", "password_change", sales_id, "password", None, "(changed by the user)"),
    ]
    assert all(r.workstation for r in rows)
    for r in rows:
        for value in (r.old_value, r.new_value):
            assert value is None or ("scrypt$" not in value and not any(h in value for h in hashes))
            assert value is None or all(p not in value for p in (RIGHT, "reset-by-admin", "my-own-password", WRONG))


def test_a_read_only_desk_obeys_the_lock(db_url: str, db: Database, admin: Actor) -> None:
    firm.set_setting(db, admin, "sign_in_lock_after", 1)
    exc = fail(db)
    ro = open_database(db_url)
    try:
        ro.read_only = DatabaseReadOnly("another desk holds the database")
        refused = fail(ro, RIGHT)
        assert refused.locked and refused.until == exc.until
        move(exc.until + dt.timedelta(seconds=1))
        assert auth.sign_in(ro, "sales", RIGHT).username == "sales"
    finally:
        ro.dispose()


def test_throttle_settings_are_declared_and_checked(db: Database, admin: Actor) -> None:
    now = firm.get_settings(db)
    assert (now.sign_in_lock_after, now.sign_in_lock_minutes, now.demo_company) == (5, 15, False)
    for key, bad in (("sign_in_lock_after", 0), ("sign_in_lock_after", "2.5"), ("sign_in_lock_minutes", 0),
                     ("demo_company", "perhaps")):
        with pytest.raises(ValidationError) as info:
            firm.set_setting(db, admin, key, bad)
        assert info.value.problems[0].field == key
    with pytest.raises(PermissionDenied):
        firm.set_setting(db, Actor("sam", "sales"), "sign_in_lock_after", 3)


def test_the_demo_hint_only_on_the_demo_company(db: Database, admin: Actor) -> None:
    assert auth.sign_in_hint(db) is None
    firm.set_setting(db, admin, "demo_company", "true")
    hint = auth.sign_in_hint(db)
    assert hint is not None and "demo1234" in hint
    for name in ("sales", "production", "shipping", "finance", "service", "marketing", "management", "admin"):
        assert name in hint
    firm.set_setting(db, admin, "demo_company", False)
    assert auth.sign_in_hint(db) is None
