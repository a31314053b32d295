"""Admin → Users: list users, add one, change role, disable, reset a password, unlock after too
many wrong passwords."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import format as fmt
from app.desk import Desk
from app.drafts import DraftStore
from app.errors import ConflictError
from app.services import auth
from app.services.auth import UserInfo
from app.services.permissions import ROLES
from app.views.common.action import Actions
from app.views.common.drafts import DraftKeeper
from app.views.common.conflict import ConflictDialog, FieldSpec, resolve_conflict
from app.views.common.table import Column, RowsTableModel


class UsersTableModel(RowsTableModel[UserInfo]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__([
            Column("User name", lambda u: u.username),
            Column("Full name", lambda u: u.full_name),
            Column("Role", lambda u: u.role),
            Column("Active", lambda u: "yes" if u.active else "no"),
            Column("Last sign-in", lambda u: fmt.local_time(u.last_sign_in_at)),
            Column("Sign-in lock", sign_in_state),
        ], parent)


def sign_in_state(user: UserInfo) -> str:
    """"locked until 14:32" while the account must wait, else how many wrong passwords in a row."""
    if user.locked():
        return f"locked until {fmt.local_time(user.locked_until)}"
    if user.failed_sign_ins:
        return f"{user.failed_sign_ins} wrong password{'s' if user.failed_sign_ins != 1 else ''}"
    return ""


class UserEditDialog(QDialog):
    """Add a user (user is None) or edit one. OK saves through ``make_call`` (set by the users list:
    it reads what is typed and returns the service call), off the GUI thread; the dialog closes only
    once that is saved, and stays open with what was typed when it is refused."""

    def __init__(self, user: UserInfo | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("userEditDialog")
        self.setWindowTitle("Add user" if user is None else f"Edit {user.username}")
        form = QFormLayout(self)
        self.username = QLineEdit(user.username if user else "")
        self.username.setObjectName("username")
        self.username.setEnabled(user is None)
        self.full_name = QLineEdit(user.full_name if user else "")
        self.full_name.setObjectName("full_name")
        self.role = QComboBox()
        self.role.setObjectName("role")
        self.role.addItems(list(ROLES))
        if user:
            self.role.setCurrentText(user.role)
        self.active = QCheckBox("Account active")
        self.active.setChecked(user.active if user else True)
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("unchanged" if user else f"at least {auth.MIN_PASSWORD} characters")
        form.addRow("&User name", self.username)
        form.addRow("&Full name", self.full_name)
        form.addRow("&Role", self.role)
        form.addRow("", self.active)
        form.addRow("&Password" if user is None else "New &password", self.password)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.button_box = buttons
        form.addRow(buttons)
        self.make_call: Callable[[], Callable[[], Any]] | None = None
        self.on_conflict: Callable[[ConflictError], None] | None = None
        self.saved: UserInfo | None = None
        self.work = Actions(self, fields={"username": self.username, "full_name": self.full_name,
                                          "role": self.role, "password": self.password})
        self.work.busy_changed.connect(lambda busy: self.button_box.setEnabled(not busy))

    def settled(self) -> bool:
        """No save of this dialog is pending (tests wait for it)."""
        return self.work.settled()

    def accept(self) -> None:
        """OK: save; the dialog closes in ``_saved``."""
        if self.make_call is None:
            super().accept()
        elif self.work.settled():
            self.submit()

    def submit(self) -> None:
        """Send what is typed now (queued behind a call that is finishing, e.g. after a conflict)."""
        assert self.make_call is not None
        self.work.run(self.make_call(), done=self._saved, conflict=self.on_conflict)

    def _saved(self, user: UserInfo) -> None:
        self.saved = user
        super().accept()

    def reject(self) -> None:
        if self.work.settled():  # not while a save runs
            super().reject()

    def close_unsaved(self) -> None:
        """Close without saving, also from inside a result's callback (a conflict answered "reload")."""
        super().reject()

    def values(self) -> dict[str, object]:
        return {"full_name": self.full_name.text(), "role": self.role.currentText(),
                "active": self.active.isChecked()}

    def set_values(self, values: dict[str, object]) -> None:
        self.full_name.setText(str(values["full_name"]))
        self.role.setCurrentText(str(values["role"]))
        self.active.setChecked(bool(values["active"]))


USER_FIELDS = [
    FieldSpec("full_name", "Full name"),
    FieldSpec("role", "Role"),
    FieldSpec("active", "Active", lambda v: "yes" if v else "no"),
]


def _user_values(user: UserInfo) -> tuple[dict[str, object], int]:
    return {"full_name": user.full_name, "role": user.role, "active": user.active}, user.version


class UsersDialog(QDialog):
    def __init__(self, desk: Desk, parent: QWidget | None = None,
                 drafts: DraftStore | None = None) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor = db, actor
        self.drafts = drafts or desk.drafts
        self.setObjectName("usersDialog")
        self.setWindowTitle("Users")
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Each person signs in with their own account; the role decides what they may do "
                             "(see docs/roles.md)."))
        self.model = UsersTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("usersTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        lay.addWidget(self.table)
        row = QHBoxLayout()
        self.work = Actions(self)
        self.work.busy_changed.connect(lambda _busy: self.update_buttons())
        self.add_button = QPushButton("&Add user…")
        self.add_button.clicked.connect(self.add_user)
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.clicked.connect(self.edit_selected)
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setObjectName("unlockUser")
        self.unlock_button.setToolTip("Let the selected user sign in again now (clears the wrong passwords)")
        self.unlock_button.clicked.connect(self.unlock_selected)
        row.addWidget(self.add_button)
        row.addWidget(self.edit_button)
        row.addWidget(self.unlock_button)
        row.addStretch(1)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        row.addWidget(close)
        lay.addLayout(row)
        self.resize(820, 420)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.update_buttons())
        self.reload()

    def reload(self) -> None:
        self.model.set_rows(auth.list_users(self.db, self.actor))
        self.update_buttons()

    def selected_user(self) -> UserInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def settled(self) -> bool:
        """No service call of this dialog is pending (tests wait for it)."""
        return self.work.settled()

    def update_buttons(self) -> None:
        user = self.selected_user()
        idle = self.work.settled()
        self.add_button.setEnabled(idle)
        self.edit_button.setEnabled(idle)
        self.unlock_button.setEnabled(idle and user is not None and (user.locked() or user.failed_sign_ins > 0))

    def unlock_selected(self) -> None:
        user = self.selected_user()
        if user is None or not self.work.settled():
            return

        def show(_result: object = None) -> None:  # refused or not, the list shows how things are now
            self.reload()
            self.select_user(user.id)

        self.work.run(lambda: auth.unlock_user(self.db, self.actor, user.username), done=show, failed=show)

    def keep_drafts(self, dlg: UserEditDialog, record_id: int | None) -> DraftKeeper:
        """What is typed survives a crash of this desk (never the password)."""
        keeper = DraftKeeper(dlg, self.drafts, database=self.db.location, username=self.actor.username,
                             form="user", record_id=record_id,
                             title=lambda: f"User {dlg.username.text() or '(new)'}",
                             values=lambda: {"username": dlg.username.text(), **dlg.values()})
        for w in (dlg.username, dlg.full_name):
            w.textEdited.connect(keeper.touch)
        dlg.role.currentTextChanged.connect(keeper.touch)
        dlg.active.toggled.connect(keeper.touch)
        return keeper

    def add_user(self, *, dialog: UserEditDialog | None = None, values: dict[str, object] | None = None) -> None:
        dlg = dialog or UserEditDialog(None, self)
        if values:
            dlg.username.setText(str(values.get("username", "")))
            dlg.set_values(values)
        self.keeper = self.keep_drafts(dlg, None)

        def make_call() -> Callable[[], UserInfo]:  # what is typed, read here on the GUI thread
            typed = (dlg.username.text(), dlg.full_name.text(), dlg.role.currentText(), dlg.password.text())
            return lambda: auth.create_user(self.db, self.actor, *typed)

        dlg.make_call = make_call  # a refusal keeps the dialog open with what was typed
        dlg.exec()
        self.reload()

    def select_user(self, user_id: int) -> bool:
        for i, u in enumerate(self.model.rows):
            if u.id == user_id:
                self.table.selectRow(i)
                return True
        return False

    def edit_selected(self, *, conflict_hook: Callable[[ConflictDialog], None] | None = None,
                      values: dict[str, object] | None = None) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        user = self.model.row_at(rows[0].row())
        version = user.version
        dlg = UserEditDialog(user, self)
        if values:
            dlg.set_values(values)
        self.keeper = self.keep_drafts(dlg, user.id)

        def make_call() -> Callable[[], UserInfo]:  # what is typed, read here on the GUI thread
            full_name, role, active = dlg.full_name.text(), dlg.role.currentText(), dlg.active.isChecked()
            password, base = dlg.password.text() or None, version
            return lambda: auth.update_user(self.db, self.actor, user.id, version=base, full_name=full_name,
                                            role=role, active=active, password=password)

        def conflict(exc: ConflictError) -> None:
            """Someone saved this user first: compare, then keep editing, save the chosen mix on top
            of theirs (changed yet again: asked again), or close and show theirs."""
            nonlocal version
            decision, chosen, their_version = resolve_conflict(
                dlg, exc, USER_FIELDS, dlg.values(), lambda: _user_values(auth.get_user(self.db, self.actor, user.id)),
                dialog_hook=conflict_hook)
            if decision == "reload":
                dlg.close_unsaved()
                return
            dlg.set_values(chosen)
            if decision == "save":
                version = their_version
                dlg.submit()

        dlg.make_call, dlg.on_conflict = make_call, conflict
        dlg.exec()
        self.reload()
