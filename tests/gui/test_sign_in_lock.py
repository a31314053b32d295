"""Sign-in throttling as the desks show it: the sign-in dialog and the idle lock say until when
(even the right password waits), the administrator sees the lock and lifts it, the audit viewer
lists the wrong passwords; the demo company's sign-in names its users, a real firm's does not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app import clock
from app.desk import Desk
from app.db.uow import Actor, Database
from app.services import auth
from app.services import settings as firm
from app.views.admin.audit import AuditDialog
from app.views.auth.sign_in import SignInDialog
from app.views.auth.users import UsersDialog
from app.views.common.idle import LockDialog

T0 = dt.datetime(2026, 12, 8, 14, 0, tzinfo=dt.timezone.utc)  # 14:00 in London (winter)
LOCKED = ("Too many wrong passwords for 'sam': try again after 14:31, or ask an administrator to unlock "
          "the account.")


@pytest.fixture
def sam(sqlite_db: Database, admin: Actor) -> Iterator[Actor]:
    """A salesperson whose account locks after 2 wrong passwords, for 30 minutes; the clock pinned."""
    clock.set_zone("Europe/London")
    try:
        with clock.pinned(T0):
            firm.set_settings(sqlite_db, admin, {"sign_in_lock_after": 2, "sign_in_lock_minutes": 30})
            auth.create_user(sqlite_db, admin, "sam", "Sam Seller", "sales", "sales-pass-1")
            yield auth.sign_in(sqlite_db, "sam", "sales-pass-1", workstation="desk-2")
    finally:
        clock.set_zone(None)


def type_and_enter(qtbot, dlg: SignInDialog, password: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dlg.password, password)
    qtbot.keyClick(dlg.password, Qt.Key.Key_Return)
    qtbot.waitUntil(dlg.work.settled)  # the check runs off the GUI thread


def click_unlock(qtbot, dlg: LockDialog) -> None:  # type: ignore[no-untyped-def]
    dlg.unlock_button.click()
    qtbot.waitUntil(dlg.work.settled)


def test_the_sign_in_dialog_refuses_even_the_right_password_and_says_until_when(
        qtbot, sqlite_db: Database, sam: Actor) -> None:
    dlg = SignInDialog(sqlite_db, username="sam")
    qtbot.addWidget(dlg)
    dlg.show()
    type_and_enter(qtbot, dlg, "wrong password")
    assert dlg.error.text() == auth.WRONG
    type_and_enter(qtbot, dlg, "wrong again")
    assert dlg.error.text() == f"{auth.WRONG} {LOCKED}"
    type_and_enter(qtbot, dlg, "sales-pass-1")
    assert dlg.error.isVisible() and dlg.error.text() == LOCKED
    assert dlg.result() == 0 and dlg.actor is None and dlg.password.text() == ""
    clock.pin(T0 + dt.timedelta(minutes=31))  # the lock runs out
    qtbot.keyClicks(dlg.password, "sales-pass-1")
    with qtbot.waitSignal(dlg.accepted, timeout=5000):
        qtbot.keyClick(dlg.password, Qt.Key.Key_Return)
    assert dlg.actor is not None and dlg.actor.username == "sam"


def test_the_idle_lock_obeys_the_same_lock(qtbot, sqlite_db: Database, sam: Actor) -> None:
    dlg = LockDialog(Desk(sqlite_db, sam))
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.keyClicks(dlg.password, "not my password")
    click_unlock(qtbot, dlg)
    assert dlg.error.text() == "That is not your password."
    qtbot.keyClicks(dlg.password, "still not it")
    click_unlock(qtbot, dlg)
    assert dlg.error.text() == f"That is not your password. {LOCKED}"
    qtbot.keyClicks(dlg.password, "sales-pass-1")
    click_unlock(qtbot, dlg)
    assert dlg.error.text() == LOCKED and dlg.result() == 0 and dlg.password.text() == ""
    clock.pin(T0 + dt.timedelta(minutes=31))
    qtbot.keyClicks(dlg.password, "sales-pass-1")
    with qtbot.waitSignal(dlg.accepted, timeout=5000):
        click_unlock(qtbot, dlg)


def test_the_administrator_sees_the_lock_unlocks_and_reads_the_audit(qtbot, sqlite_db: Database, admin: Actor,
                                                                      sam: Actor) -> None:
    for _ in range(2):
        with pytest.raises(auth.SignInFailed):
            auth.sign_in(sqlite_db, "sam", "wrong password", workstation="desk-2")
    dlg = UsersDialog(Desk(sqlite_db, admin))
    qtbot.addWidget(dlg)
    col = [dlg.model.headerData(i, Qt.Orientation.Horizontal) for i in range(dlg.model.columnCount())].index(
        "Sign-in lock")
    texts = {u.username: dlg.model.index(i, col).data() for i, u in enumerate(dlg.model.rows)}
    assert texts == {"root": "", "sam": "locked until 2026-12-08 14:30"}
    assert not dlg.unlock_button.isEnabled()  # nothing selected
    assert dlg.select_user(sam.user_id)
    assert dlg.unlock_button.isEnabled()
    click_unlock(qtbot, dlg)
    qtbot.waitUntil(dlg.settled)  # unlocked off the GUI thread
    assert dlg.model.index(1, col).data() == "" and not dlg.unlock_button.isEnabled()
    assert auth.sign_in(sqlite_db, "sam", "sales-pass-1").username == "sam"

    audit = AuditDialog(Desk(sqlite_db, admin))
    qtbot.addWidget(audit)
    qtbot.waitUntil(audit.settled, timeout=10000)  # the search runs off the GUI thread
    actions = [(r.username, r.action) for r in audit.model.rows if r.entity == "app_user"]
    assert ("sam", "sign_in_failed") in actions and ("sam", "sign_in_locked") in actions
    assert ("root", "unlock") in actions


def test_the_demo_company_names_its_users_on_the_sign_in_dialog(qtbot, sqlite_db: Database, admin: Actor) -> None:
    firm.set_setting(sqlite_db, admin, "demo_company", True)
    dlg = SignInDialog(sqlite_db)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.demo_hint is not None and dlg.demo_hint.isVisible()
    assert dlg.findChild(QLabel, "demoHint") is dlg.demo_hint
    text = dlg.demo_hint.text()
    assert "demo1234" in text
    for name in ("sales", "production", "shipping", "finance", "service", "marketing", "management", "admin"):
        assert name in text


def test_a_real_firm_shows_no_users_on_the_sign_in_dialog(qtbot, sqlite_db: Database, admin: Actor) -> None:
    dlg = SignInDialog(sqlite_db)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.demo_hint is None and dlg.findChild(QLabel, "demoHint") is None
    assert not any("demo1234" in label.text() for label in dlg.findChildren(QLabel))
