"""Skills and shifts (issue 20): one window with two small lists side by side — the skills (code,
name, how many people have each, how many routing steps need it) and the shifts (times and
weekdays, how many people are on each) — each with New / Edit / Delete. A delete is asked first
and refused, naming who or what, while people have the skill (or a routing needs it) or are on
the shift. The forms are ``MasterDialog``s (problems at their fields, drafts); the rules are the
service's (app/services/skills_shifts.py). Production, management and the administrator change
them (``production.master``); everyone else sees them read-only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.actor import Actor
from app.desk import Desk
from app.errors import ConflictError, UserError
from app.services import skills_shifts as svc
from app.services.changes import Changes
from app.services.permissions import allowed
from app.services.skills_shifts import DAY_NAMES, ShiftForm, ShiftView, SkillForm, SkillRow
from app.views.common.action import Actions
from app.views.common.conflict import FieldSpec
from app.views.common.live import LiveUpdates
from app.views.common.master import MasterDialog
from app.views.common.table import Column, RowsTableModel, list_view
from app.views.production.work_centres import EDIT_DENIED, upper_as_typed

TABLES = ("skill", "shift", "staff_skill", "staff", "routing_operation")


class SkillsTableModel(RowsTableModel[SkillRow]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__([
            Column("Code", lambda k: k.code),
            Column("Name", lambda k: k.name),
            Column("People", lambda k: str(k.staff), align_right=True),
            Column("Routing steps", lambda k: str(k.operations), align_right=True),
        ], parent, key=lambda k: k.id)


class ShiftsTableModel(RowsTableModel[ShiftView]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__([
            Column("Name", lambda s: s.name),
            Column("Start", lambda s: s.start),
            Column("End", lambda s: s.end),
            Column("Days", lambda s: s.days),
            Column("People", lambda s: str(s.staff), align_right=True),
        ], parent, key=lambda s: s.id)


# --- the forms ------------------------------------------------------------------------------------
class SkillDialog(MasterDialog):
    """Create (``view`` None) or rename a skill. The skill has no version: the form sends the code
    and name it read, and a rename by someone else meanwhile is said in the error line."""

    kind = "skill"
    fields = [FieldSpec("code", "Code"), FieldSpec("name", "Name")]
    view: SkillRow | None
    saved: SkillRow | None

    def __init__(self, desk: Desk, view: SkillRow | None, parent: QWidget | None = None) -> None:
        super().__init__(desk, view, parent)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.code = QLineEdit()
        self.code.setMaxLength(32)
        self.code.setPlaceholderText("e.g. GRIND")
        self.code.textEdited.connect(lambda text: upper_as_typed(self.code, text))
        self.name = QLineEdit()
        self.code.setObjectName("code")
        self.name.setObjectName("name")
        form.addRow("&Code", self.code)
        form.addRow("&Name", self.name)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)
        self.finish({"code": self.code, "name": self.name})
        self.on_conflict = self._renamed
        self.resize(420, 150)

    def _renamed(self, exc: ConflictError) -> None:
        self.error.setText(f"{exc.message} Close the form and open the skill again.")
        self.error.show()

    def values(self) -> dict[str, Any]:
        return {"code": self.code.text(), "name": self.name.text()}

    def set_values(self, values: dict[str, Any]) -> None:
        self.code.setText(str(values["code"]))
        self.name.setText(str(values["name"]))

    def form(self) -> SkillForm:
        v, view = self.values(), self.view
        if view is None:
            return SkillForm(v["code"], v["name"])
        return SkillForm(v["code"], v["name"], view.id, view.code, view.name)

    def save_call(self, db: Any, actor: Actor, form: SkillForm) -> SkillRow:
        return svc.save_skill(db, actor, form)

    def reread(self, db: Any, actor: Actor, id: int) -> SkillRow:
        return next(k for k in svc.skills(db, actor) if k.id == id)

    def view_values(self, view: SkillRow) -> dict[str, Any]:
        return {"code": view.code, "name": view.name}

    def title_for(self, view: SkillRow | None) -> str:
        return "New skill" if view is None else f"Skill {view.code} — {view.name}"


class ShiftDialog(MasterDialog):
    """Create (``view`` None) or edit a shift: name, start and end ("HH:MM"), weekdays."""

    kind = "shift"
    fields = [FieldSpec("name", "Name"), FieldSpec("start", "Start"), FieldSpec("end", "End"),
              FieldSpec("weekdays", "Days", lambda v: svc.days_text(v) if isinstance(v, (set, frozenset, tuple))
                        else str(v))]
    view: ShiftView | None
    saved: ShiftView | None

    def __init__(self, desk: Desk, view: ShiftView | None, parent: QWidget | None = None) -> None:
        super().__init__(desk, view, parent)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setMaxLength(40)
        self.start = QLineEdit("07:00")
        self.end = QLineEdit("16:00")
        for edit in (self.start, self.end):
            edit.setPlaceholderText("HH:MM")
            edit.setMaximumWidth(90)
        self.start.setToolTip("When the shift starts, HH:MM")
        self.end.setToolTip("When it ends, HH:MM (a shift ends before midnight)")
        self.weekdays = QGroupBox()
        self.weekdays.setFlat(True)
        days = QHBoxLayout(self.weekdays)
        days.setContentsMargins(4, 2, 4, 2)
        self.day_boxes: list[QCheckBox] = []
        for i, day in enumerate(DAY_NAMES):
            box = QCheckBox(day)
            box.setObjectName(f"day_{i}")
            box.setChecked(i < 5)
            days.addWidget(box)
            self.day_boxes.append(box)
        for attr in ("name", "start", "end", "weekdays"):
            getattr(self, attr).setObjectName(attr)
        form.addRow("&Name", self.name)
        form.addRow("&Start", self.start)
        form.addRow("&End", self.end)
        form.addRow("Days", self.weekdays)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)
        self.finish({"name": self.name, "start": self.start, "end": self.end, "weekdays": self.weekdays})
        self.resize(480, 220)

    def values(self) -> dict[str, Any]:
        return {"name": self.name.text(), "start": self.start.text(), "end": self.end.text(),
                "weekdays": tuple(i for i, b in enumerate(self.day_boxes) if b.isChecked())}

    def set_values(self, values: dict[str, Any]) -> None:
        self.name.setText(str(values["name"]))
        self.start.setText(str(values["start"]))
        self.end.setText(str(values["end"]))
        chosen = set(values["weekdays"])
        for i, b in enumerate(self.day_boxes):
            b.setChecked(i in chosen)

    def form(self) -> ShiftForm:
        v = self.values()
        return ShiftForm(v["name"], v["start"], v["end"], frozenset(v["weekdays"]),
                         self.view.id if self.view is not None else None, self.version)

    def save_call(self, db: Any, actor: Actor, form: ShiftForm) -> ShiftView:
        return svc.save_shift(db, actor, form)

    def reread(self, db: Any, actor: Actor, id: int) -> ShiftView:
        return svc.shift(db, actor, id)

    def view_values(self, view: ShiftView) -> dict[str, Any]:
        return {"name": view.name, "start": view.start, "end": view.end, "weekdays": tuple(sorted(view.weekdays))}

    def title_for(self, view: ShiftView | None) -> str:
        return "New shift" if view is None else f"Shift {view.name}"


# --- the window -----------------------------------------------------------------------------------
class SkillsShiftsWindow(QWidget):
    """The skills and the shifts side by side, each with New / Edit / Delete."""

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.db, self.actor = desk.db, desk.actor
        self.may_edit = allowed(self.actor.role, "production.master")
        self.dialog: MasterDialog | None = None
        self.last_dialog: MasterDialog | None = None
        #: asked before a delete (tests answer it)
        self.confirm: Callable[[str], bool] = lambda text: QMessageBox.question(
            self, "Delete", text) == QMessageBox.StandardButton.Yes
        self.setObjectName("skillsShiftsWindow")
        self.setWindowFlag(Qt.WindowType.Window)
        self.setWindowTitle("Skills and shifts")
        self.work = Actions(self)
        self.work.busy_changed.connect(lambda _busy: self.update_buttons())
        lay = QHBoxLayout(self)

        self.skills_model = SkillsTableModel(self)
        self.skills_table = list_view("skillsTable", self.skills_model, "Skills")
        self.skills_table.doubleClicked.connect(lambda _i: self.edit_skill())
        self.new_skill_button, self.edit_skill_button, self.delete_skill_button = self._buttons(
            "Skill", self.new_skill, self.edit_skill, self.delete_skill)
        lay.addWidget(self._side("S&kills — what people can do; routing steps need one", self.skills_table,
                                 (self.new_skill_button, self.edit_skill_button, self.delete_skill_button)), 1)

        self.shifts_model = ShiftsTableModel(self)
        self.shifts_table = list_view("shiftsTable", self.shifts_model, "Shifts")
        self.shifts_table.doubleClicked.connect(lambda _i: self.edit_shift())
        self.new_shift_button, self.edit_shift_button, self.delete_shift_button = self._buttons(
            "Shift", self.new_shift, self.edit_shift, self.delete_shift)
        lay.addWidget(self._side("S&hifts — when people work (the schedule's hours for them)", self.shifts_table,
                                 (self.new_shift_button, self.edit_shift_button, self.delete_shift_button)), 1)

        for table, wide in ((self.skills_table, 1), (self.shifts_table, 3)):  # the name, the days take the room
            table.selectionModel().selectionChanged.connect(lambda *_: self.update_buttons())
            table.horizontalHeader().setStretchLastSection(False)
            table.horizontalHeader().setSectionResizeMode(wide, QHeaderView.ResizeMode.Stretch)
        live = LiveUpdates.current
        if live is not None:
            live.changed.connect(self._changed)
        self.resize(1000, 420)
        self.reload()

    def _buttons(self, noun: str, new: Callable[[], None], edit: Callable[[], None],
                 delete: Callable[[], None]) -> tuple[QPushButton, QPushButton, QPushButton]:
        out = []
        for label, name, slot in (("New…", f"new{noun}", new), ("Edit…", f"edit{noun}", edit),
                                  ("Delete", f"delete{noun}", delete)):
            b = QPushButton(label)
            b.setObjectName(name)
            b.clicked.connect(lambda _c=False, f=slot: f())
            if not self.may_edit and name != f"edit{noun}":
                b.setToolTip(EDIT_DENIED)
            out.append(b)
        return out[0], out[1], out[2]

    @staticmethod
    def _side(title: str, table: QWidget, buttons: tuple[QPushButton, ...]) -> QGroupBox:
        box = QGroupBox(title.replace("&", ""))
        lay = QVBoxLayout(box)
        lay.addWidget(table, 1)
        row = QHBoxLayout()
        for b in buttons:
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        return box

    # --- the lists ------------------------------------------------------------------------------
    def settled(self) -> bool:
        return self.work.settled()

    def reload(self) -> None:
        db, actor = self.db, self.actor
        skill, shift = self.selected_skill(), self.selected_shift()

        def show(lists: tuple[list[SkillRow], list[ShiftView]]) -> None:
            self.skills_model.set_rows(lists[0])
            self.shifts_model.set_rows(lists[1])
            for table in (self.skills_table, self.shifts_table):
                table.resizeColumnsToContents()
            if skill is not None:
                self._select(self.skills_table, self.skills_model.rows, skill.id)
            if shift is not None:
                self._select(self.shifts_table, self.shifts_model.rows, shift.id)
            self.update_buttons()

        self.work.run(lambda: (svc.skills(db, actor), svc.shifts(db, actor)), done=show, write=False)

    @staticmethod
    def _select(table: Any, rows: list[Any], ident: int) -> None:
        for i, row in enumerate(rows):
            if row.id == ident:
                table.selectRow(i)

    def _changed(self, changes: Changes) -> None:
        if changes.touches(*TABLES) and self.work.settled() and self.dialog is None:
            self.reload()

    def selected_skill(self) -> SkillRow | None:
        rows = self.skills_table.selectionModel().selectedRows()
        return self.skills_model.row_at(rows[0].row()) if rows else None

    def selected_shift(self) -> ShiftView | None:
        rows = self.shifts_table.selectionModel().selectedRows()
        return self.shifts_model.row_at(rows[0].row()) if rows else None

    def update_buttons(self) -> None:
        idle = self.work.settled()
        for new, edit, delete, row in (
                (self.new_skill_button, self.edit_skill_button, self.delete_skill_button, self.selected_skill()),
                (self.new_shift_button, self.edit_shift_button, self.delete_shift_button, self.selected_shift())):
            new.setEnabled(idle and self.may_edit)
            edit.setEnabled(idle and row is not None)
            delete.setEnabled(idle and self.may_edit and row is not None)

    # --- the forms ------------------------------------------------------------------------------
    def _open(self, dlg: MasterDialog) -> None:
        if not self.may_edit:
            dlg.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
        dlg.finished.connect(lambda result: self._closed(dlg, result))
        self.dialog = dlg
        dlg.open()

    def _closed(self, dlg: MasterDialog, result: int) -> None:
        self.dialog = None
        if self.last_dialog is not None:
            self.last_dialog.deleteLater()
        self.last_dialog = dlg
        if result == QDialog.DialogCode.Accepted:
            self.reload()

    def new_skill(self) -> None:
        if self.work.settled():
            self._open(SkillDialog(self.desk, None, self))

    def edit_skill(self) -> None:
        row = self.selected_skill()
        if row is not None and self.work.settled():
            self._open(SkillDialog(self.desk, row, self))

    def new_shift(self) -> None:
        if self.work.settled():
            self._open(ShiftDialog(self.desk, None, self))

    def edit_shift(self) -> None:
        row = self.selected_shift()
        if row is not None and self.work.settled():
            self._open(ShiftDialog(self.desk, row, self))

    def open_skill(self, record_id: int | None, values: dict[str, Any] | None = None) -> None:
        """Open the skill form (``record_id`` None: a new skill) with a draft's ``values`` put back
        (the main window's "You have unsaved work…"); the skill is read off the GUI thread."""
        self._reopen(lambda view: SkillDialog(self.desk, view, self),
                     (lambda: next((k for k in svc.skills(self.db, self.actor) if k.id == record_id), None))
                     if record_id is not None else None, values)

    def open_shift(self, record_id: int | None, values: dict[str, Any] | None = None) -> None:
        """As ``open_skill``, for a shift."""
        db, actor = self.db, self.actor
        self._reopen(lambda view: ShiftDialog(self.desk, view, self),
                     (lambda: svc.shift(db, actor, record_id)) if record_id is not None else None, values)

    def _reopen(self, make: Callable[[Any], MasterDialog], read: Callable[[], Any] | None,
                values: dict[str, Any] | None) -> None:
        def show(view: Any) -> None:
            dlg = make(view)
            if values is not None:
                dlg.restore(values)
            self._open(dlg)

        if read is None:
            show(None)
        else:
            self.work.run(read, done=show, write=False)

    # --- deleting -------------------------------------------------------------------------------
    def delete_skill(self) -> None:
        row = self.selected_skill()
        if row is None or not self.work.settled() or not self.confirm(f"Delete the skill {row.code} ({row.name})?"):
            return
        db, actor = self.db, self.actor
        self.work.run(lambda: svc.delete_skill(db, actor, row.id, expected_name=row.name),
                      done=lambda _r: self.reload(), failed=self._failed)

    def delete_shift(self) -> None:
        row = self.selected_shift()
        if row is None or not self.work.settled() or not self.confirm(f"Delete the shift {row.name}?"):
            return
        db, actor = self.db, self.actor
        self.work.run(lambda: svc.delete_shift(db, actor, row.id, version=row.version),
                      done=lambda _r: self.reload(), failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, (ConflictError, UserError)):
            self.reload()
