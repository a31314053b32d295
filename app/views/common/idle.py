"""Lock the session after a configurable idle time; the password unlocks it. What was on screen,
typed or not, stays as it was underneath the lock."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.desk import Desk
from app.errors import UserError
from app.services import auth
from app.views.common.action import Actions
from app.views.common.messages import error_label

ACTIVITY = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel}


class LockDialog(QDialog):
    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor = db, actor
        self.setObjectName("lockDialog")
        self.setWindowTitle("OrderCycle is locked")
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"Locked after a while without use. {actor.display}, enter your password to go on."))
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        lay.addWidget(self.password)
        self.error = error_label()
        lay.addWidget(self.error)
        buttons = QDialogButtonBox()
        self.unlock_button = buttons.addButton("&Unlock", QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_out_button = buttons.addButton("&Sign out and quit", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.try_unlock)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.work = Actions(self, show_error=self._refused)  # the password check runs off the GUI thread
        self.work.busy_changed.connect(lambda busy: self.unlock_button.setEnabled(not busy))

    def try_unlock(self) -> None:
        if not self.work.settled():
            return
        db, actor, password = self.db, self.actor, self.password.text()
        self.work.run(lambda: auth.sign_in(db, actor.username, password, workstation=actor.workstation),
                      done=lambda _actor: self.accept(), write=False)

    def _refused(self, exc: UserError) -> None:
        if isinstance(exc, auth.SignInFailed):
            # the idle lock obeys the same delay and lock as the sign-in dialog (the service decides)
            if not exc.wrong:
                text = exc.message  # refused without checking: too many wrong passwords
            elif exc.locked and exc.until is not None:
                text = "That is not your password. " + auth.throttle_message(self.actor.username, exc.until,
                                                                              locked=True)
            else:
                text = "That is not your password."
        else:  # the database cannot be reached, and the like
            text = exc.message
        self.show_error(text)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self.password.clear()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802  # Esc must not unlock
        if event.key() == 0x01000000:  # Qt.Key_Escape
            return
        super().keyPressEvent(event)


class IdleLock(QObject):
    locked = Signal()
    unlocked = Signal()
    signed_out = Signal()

    def __init__(self, desk: Desk, minutes: float, parent: QWidget) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor, self.window = db, actor, parent
        self.limit = minutes * 60.0
        self.last = time.monotonic()
        self.is_locked = False
        self.timer = QTimer(self)
        self.timer.setInterval(1000 if self.limit >= 5 else 50)
        self.timer.timeout.connect(self.check)
        if self.limit > 0:
            app = QApplication.instance()
            if app is None:
                raise RuntimeError("the idle lock watches the application's input: create the QApplication first")
            app.installEventFilter(self)
            self.timer.start()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in ACTIVITY and not self.is_locked:
            self.last = time.monotonic()
        return False

    def check(self) -> None:
        if not self.is_locked and time.monotonic() - self.last >= self.limit:
            self.lock()

    def lock(self) -> None:
        self.is_locked = True
        self.locked.emit()
        self.dialog = LockDialog(self.desk, self.window)
        result = self.dialog.exec()
        self.is_locked = False
        self.last = time.monotonic()
        if result == QDialog.DialogCode.Accepted:
            self.unlocked.emit()
        else:
            self.signed_out.emit()

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
