"""Sign-in, and the first administrator account on an empty database.

Nothing here imports SQLAlchemy, the models or the services at module level: the sign-in dialog
is the first thing a desk paints, while the database is still opening on a worker thread
(``app/views/app.py``). Until ``set_database`` it shows where the database is and that it is being
opened; "Sign in" is enabled once it is open."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.errors import UserError, ValidationError
from app.views.common.action import Actions
from app.views.common.messages import error_label

if TYPE_CHECKING:
    from app.actor import Actor
    from app.desk import Database

_UNKNOWN = object()  # set_database(): work the demo hint out from the database


class SignInDialog(QDialog):
    """``SignInDialog(db)`` on an open database, or ``SignInDialog(None, location=…)`` while it
    opens: then ``set_database(db, hint)`` (or ``show_open_error(exc)``) once it is known."""

    first_painted = Signal()

    def __init__(self, db: Database | None, *, username: str = "", location: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db: Database | None = None
        self.actor: Actor | None = None
        self._painted = False
        self._sign_in_when_open = False  # Return pressed while the database was still opening
        self.setObjectName("signInDialog")
        self.setWindowTitle("Sign in to OrderCycle")
        self.setMinimumWidth(460)  # room for the demo hint and a refusal that says until when
        self.lay = lay = QVBoxLayout(self)
        self.location = QLabel(f"Database: {db.location if db is not None else location}")
        self.location.setObjectName("databaseLocation")
        lay.addWidget(self.location)
        self.status = QLabel("Opening the database…")
        self.status.setObjectName("openStatus")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self.demo_hint: QLabel | None = None
        form = QFormLayout()
        self.username = QLineEdit(username)
        self.username.setObjectName("username")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("&User name", self.username)
        form.addRow("&Password", self.password)
        lay.addLayout(form)
        self.error = error_label()
        lay.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.sign_in_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.sign_in_button.setText("Sign in")
        self.sign_in_button.setEnabled(False)
        self.buttons.accepted.connect(self.try_sign_in)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        for field in (self.username, self.password):
            field.returnPressed.connect(self._return_while_opening)
        (self.password if username else self.username).setFocus()
        # the password check (scrypt, a database write) runs off the GUI thread; a refusal is said
        # in the dialog's own error line
        self.work = Actions(self, show_error=self._refused)
        self.work.busy_changed.connect(lambda busy: self.sign_in_button.setEnabled(not busy and self.db is not None))
        if db is not None:
            self.set_database(db)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.first_painted.emit()

    def set_database(self, db: Database, hint: object = _UNKNOWN) -> None:
        """The database is open: show the demo hint (``hint``, or read from ``db``) and enable
        "Sign in"; a sign-in asked for while it was opening goes ahead now."""
        self.db = db
        self.location.setText(f"Database: {db.location}")
        self.status.hide()
        if hint is _UNKNOWN:
            hint = self.read_hint(db)
        if hint:
            self.demo_hint = QLabel(str(hint))
            self.demo_hint.setObjectName("demoHint")
            self.demo_hint.setWordWrap(True)
            self.demo_hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.lay.insertWidget(self.lay.indexOf(self.status) + 1, self.demo_hint)
            if self.isVisible():
                self.adjustSize()
        self.sign_in_button.setEnabled(True)
        if self._sign_in_when_open:
            self._sign_in_when_open = False
            QTimer.singleShot(0, self.try_sign_in)

    @staticmethod
    def read_hint(db: Database) -> str | None:
        """The demo company's users; never on a real firm's database (any thread)."""
        from app.services import auth

        try:
            return auth.sign_in_hint(db)
        except UserError:
            return None

    def show_open_error(self, exc: UserError) -> None:
        """The database could not be opened: say so in place of "Opening the database…"."""
        self._sign_in_when_open = False
        self.status.hide()
        self.error.setText(exc.message + (f"\n{exc.hint}" if exc.hint else ""))
        self.error.show()

    def _return_while_opening(self) -> None:
        if self.db is None and not self.error.isVisible():
            self._sign_in_when_open = True
            self.status.setText("Opening the database… you are signed in as soon as it is open.")

    def try_sign_in(self) -> None:
        if self.db is None or not self.work.settled():
            return
        db, username, password = self.db, self.username.text(), self.password.text()

        def check() -> Actor:
            from app.services import auth

            return auth.sign_in(db, username, password)

        self.work.run(check, done=self._signed_in, write=False)

    def _signed_in(self, actor: Actor) -> None:
        self.actor = actor
        self.accept()

    def _refused(self, exc: UserError) -> None:
        self.error.setText(exc.message)
        self.error.show()
        self.password.clear()
        self.password.setFocus()


class FirstAdminDialog(QDialog):
    """First start on an empty database: create the administrator account."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor: Actor | None = None
        self.setObjectName("firstAdminDialog")
        self.setWindowTitle("Create the administrator account")
        lay = QVBoxLayout(self)
        intro = QLabel("This database has no users yet. Create the administrator account; the "
                       "administrator then adds the other users and their roles (Admin → Users).")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        form = QFormLayout()
        self.username = QLineEdit("admin")
        self.username.setObjectName("username")
        self.full_name = QLineEdit()
        self.full_name.setObjectName("full_name")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setObjectName("repeat")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("&User name", self.username)
        form.addRow("&Full name", self.full_name)
        form.addRow("&Password", self.password)
        form.addRow("&Repeat password", self.repeat)
        lay.addLayout(form)
        self.error = error_label()
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.create)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.full_name.setFocus()
        self.work = Actions(self, show_error=self._refused)

    # OK creates the account (tests call it too); the name hides QWidget.create() (the native window),
    # which nothing calls on this dialog
    def create(self) -> None:  # type: ignore[override]
        from app.services import auth

        if self.password.text() != self.repeat.text():
            self.error.setText("The two passwords differ.")
            self.error.show()
            return
        if not self.work.settled():
            return
        db, username, full_name, password = self.db, self.username.text(), self.full_name.text(), self.password.text()

        def create_and_sign_in() -> Actor:
            auth.create_first_admin(db, username, full_name, password)
            return auth.sign_in(db, username, password)

        self.work.run(create_and_sign_in, done=self._created)

    def _created(self, actor: Actor) -> None:
        self.actor = actor
        self.accept()

    def _refused(self, exc: UserError) -> None:
        self.error.setText(exc.message if isinstance(exc, ValidationError) else str(exc))
        self.error.show()
