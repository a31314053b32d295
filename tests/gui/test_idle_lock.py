"""The session locks after the idle time; only the password unlocks it; what was typed stays."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit

from app.desk import Desk
from app.config import WorkstationSettings
from app.db.uow import Actor, Database
from app.views.common.idle import IdleLock, LockDialog
from app.views.main_window import MainWindow
from tests.gui.conftest import when_modal


def test_idle_session_locks_and_needs_the_password(qtbot, sqlite_db: Database, admin: Actor) -> None:
    window = MainWindow(Desk(sqlite_db, admin), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    window.show()
    typed = QLineEdit(window)
    typed.setText("half-typed order note")
    steps: list[str] = []

    def unlock(dlg: LockDialog) -> None:
        qtbot.keyClicks(dlg.password, "not my password")
        dlg.unlock_button.click()
        qtbot.waitUntil(dlg.work.settled)  # the password is checked off the GUI thread
        steps.append(dlg.error.text())
        qtbot.keyClicks(dlg.password, "correct horse")
        dlg.unlock_button.click()

    lock = IdleLock(Desk(sqlite_db, admin), minutes=0.002, parent=window)  # 0.12 s
    when_modal(qtbot, unlock, LockDialog)
    with qtbot.waitSignal(lock.unlocked, timeout=5000):
        pass
    assert steps == ["That is not your password."]
    assert typed.text() == "half-typed order note"
    assert not lock.is_locked
    lock.stop()


def test_signing_out_from_the_lock_closes_the_window(qtbot, sqlite_db: Database, admin: Actor) -> None:
    window = MainWindow(Desk(sqlite_db, admin), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    window.show()
    lock = IdleLock(Desk(sqlite_db, admin), minutes=0.002, parent=window)
    lock.signed_out.connect(window.close)
    when_modal(qtbot, lambda dlg: dlg.sign_out_button.click(), LockDialog)
    with qtbot.waitSignal(lock.signed_out, timeout=5000):
        pass
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=3000)
    lock.stop()
