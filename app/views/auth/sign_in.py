"""Sign-in, and the first administrator account on an empty database."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.db.uow import Actor, Database
from app.errors import UserError, ValidationError
from app.services import auth
from app.views.common.messages import error_label


class SignInDialog(QDialog):
    def __init__(self, db: Database, *, username: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor: Actor | None = None
        self.setObjectName("signInDialog")
        self.setWindowTitle("Sign in to OrderCycle")
        self.setMinimumWidth(460)  # room for the demo hint and a refusal that says until when
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"Database: {db.location}"))
        try:
            hint = auth.sign_in_hint(db)  # the demo company's users; never on a real firm's database
        except UserError:
            hint = None
        self.demo_hint: QLabel | None = None
        if hint:
            self.demo_hint = QLabel(hint)
            self.demo_hint.setObjectName("demoHint")
            self.demo_hint.setWordWrap(True)
            self.demo_hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            lay.addWidget(self.demo_hint)
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
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        self.buttons.accepted.connect(self.try_sign_in)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        (self.password if username else self.username).setFocus()

    def try_sign_in(self) -> None:
        try:
            self.actor = auth.sign_in(self.db, self.username.text(), self.password.text())
        except UserError as exc:
            self.error.setText(exc.message)
            self.error.show()
            self.password.clear()
            self.password.setFocus()
            return
        self.accept()


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

    def create(self) -> None:
        if self.password.text() != self.repeat.text():
            self.error.setText("The two passwords differ.")
            self.error.show()
            return
        try:
            auth.create_first_admin(self.db, self.username.text(), self.full_name.text(), self.password.text())
            self.actor = auth.sign_in(self.db, self.username.text(), self.password.text())
        except ValidationError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return
        except UserError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.accept()
