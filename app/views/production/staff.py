"""Staff (issue 20): the people the schedule assigns to operations — find one (by code, name or
skill), create one, edit one (shift, rate, hours per week, the user they sign in as, and their
skills in a small table: a skill and its level per row, rows added and removed), archive someone
with no planned future work and restore them. The list, search, archive/restore, change feed and
drafts are ``MasterWindow``'s and ``MasterDialog``'s; the rules are the service's
(app/services/staff.py). Production, management and the administrator change them
(``production.master``); everyone else sees them read-only (Save disabled)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QGridLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app import format as fmt
from app.actor import Actor
from app.desk import Desk
from app.services import staff as svc
from app.services.permissions import allowed
from app.services.staff import LEVELS, SkillLevel, StaffChoices, StaffForm, StaffRow, StaffView
from app.views.common.conflict import FieldSpec
from app.views.common.master import MasterDialog, MasterWindow
from app.views.common.table import Column, RowsTableModel, cell_widget
from app.views.production.work_centres import EDIT_DENIED, upper_as_typed

TABLES = ("staff", "staff_skill", "shift", "skill")
SKILL, LEVEL = 0, 1


def hours_text(value: Decimal) -> str:
    """40 → "40", 37.50 → "37.5"."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def skills_text(skills: tuple[SkillLevel, ...]) -> str:
    return ", ".join(k.text() for k in skills) or "—"


class StaffTableModel(RowsTableModel[StaffRow]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__([
            Column("Code", lambda p: p.code),
            Column("Name", lambda p: p.name),
            Column("Shift", lambda p: p.shift),
            Column("Skills (level)", lambda p: p.skills_text),
            Column("Hours / week", lambda p: hours_text(p.hours_per_week), align_right=True),
            Column("Rate / hour", lambda p: fmt.money(p.hourly_rate), align_right=True),
            Column("Status", lambda p: "active" if p.active else "archived"),
            Column("Signs in as", lambda p: p.user),  # last: stretched, so a name linked later is not cut
        ], parent, key=lambda p: p.id)


class StaffDialog(MasterDialog):
    """Create (``view`` None) or edit a staff member with their skills; ``saved`` holds them once saved."""

    kind = "staff"
    draft_types = (SkillLevel,)
    view: StaffView | None
    saved: StaffView | None

    def __init__(self, desk: Desk, view: StaffView | None, choices: StaffChoices,
                 parent: QWidget | None = None) -> None:
        super().__init__(desk, view, parent)
        self.choices = choices
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.code = QLineEdit()
        self.code.setMaxLength(32)
        self.code.setPlaceholderText("e.g. ST13")
        self.code.textEdited.connect(lambda text: upper_as_typed(self.code, text))
        self.name = QLineEdit()
        self.shift = QComboBox()
        for c in choices.shifts:
            self.shift.addItem(c.text(), c.id)
        self.shift.setToolTip("The schedule gives the person work only in their shift's hours and days")
        self.rate = QLineEdit("0.00")
        self.rate.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.hours = QLineEdit("40")
        self.hours.setAlignment(Qt.AlignmentFlag.AlignRight)
        for edit in (self.rate, self.hours):
            edit.setMaximumWidth(120)
        self.hours.setToolTip("Contracted hours per week, 0 to 80 (the headcount plan counts them)")
        self.user = QComboBox()
        self.user.addItem("(none)", None)
        for c in choices.users:
            self.user.addItem(f"{c.name} ({c.code})", c.id)
        self.user.setToolTip("The user this person signs in as (at most one staff member per user)")
        for attr in ("code", "name", "shift", "rate", "hours", "user"):
            getattr(self, attr).setObjectName(attr)
        form.addRow("&Code", self.code)
        form.addRow("&Name", self.name)
        form.addRow("S&hift", self.shift)
        form.addRow("&Rate per hour", self.rate)
        form.addRow("Hours per &week", self.hours)
        form.addRow("Signs in as &user", self.user)
        lay.addLayout(form)

        box = QGroupBox("Skills (the schedule gives them operations that need one of these)")
        grid = QGridLayout(box)
        self.skills = QTableWidget(0, 2)
        self.skills.setObjectName("skills")
        self.skills.setHorizontalHeaderLabels(["Skill", "Level"])
        self.skills.verticalHeader().hide()
        self.skills.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.skills.horizontalHeader().setSectionResizeMode(SKILL, QHeaderView.ResizeMode.Stretch)
        self.skills.horizontalHeader().setSectionResizeMode(LEVEL, QHeaderView.ResizeMode.Fixed)
        self.skills.setColumnWidth(LEVEL, 130)  # "2 able", "3 expert" in full (a cell widget is not measured)
        self.skills.setMinimumHeight(130)
        self.add_skill_button = QPushButton("&Add skill")
        self.add_skill_button.setObjectName("addSkill")
        self.add_skill_button.clicked.connect(lambda: self.add_skill(None, 2, user=True))
        self.remove_skill_button = QPushButton("Re&move skill")
        self.remove_skill_button.setObjectName("removeSkill")
        self.remove_skill_button.clicked.connect(self.remove_skill)
        if not allowed(self.actor.role, "production.master"):
            for b in (self.add_skill_button, self.remove_skill_button):
                b.setEnabled(False)
                b.setToolTip(EDIT_DENIED)
        grid.addWidget(self.skills, 0, 0, 3, 1)
        grid.addWidget(self.add_skill_button, 0, 1)
        grid.addWidget(self.remove_skill_button, 1, 1)
        lay.addWidget(box, 1)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)
        self.finish({"code": self.code, "name": self.name, "shift_id": self.shift, "hourly_rate": self.rate,
                     "hours_per_week": self.hours, "user_id": self.user, "skills": self.skills})
        self.resize(560, 520)

    # --- the skills table -----------------------------------------------------------------------
    def add_skill(self, skill_id: int | None, level: int = 2, *, user: bool = False) -> int:
        """A row with a skill picker and a level picker; ``user``: added by the Add button (the draft
        keeps it)."""
        taken = {k.skill_id for k in self.skill_rows()} if user else set()
        row = self.skills.rowCount()
        self.skills.insertRow(row)
        pick = QComboBox()
        pick.setObjectName(f"skill_{row}")
        for c in self.choices.skills:
            pick.addItem(c.text(), c.id)
        if skill_id is not None:
            index = pick.findData(skill_id)
            if index < 0:  # a skill deleted since the list was read: keep it shown as it was
                pick.addItem(f"skill #{skill_id}", skill_id)
                index = pick.count() - 1
            pick.setCurrentIndex(index)
        elif user:  # the first skill the person does not have yet
            free = next((i for i in range(pick.count()) if pick.itemData(i) not in taken), 0)
            pick.setCurrentIndex(free)
        grade = QComboBox()
        grade.setObjectName(f"level_{row}")
        for value, label in LEVELS.items():
            grade.addItem(f"{value} {label}", value)
        grade.setCurrentIndex(max(grade.findData(level), 0))
        pick.currentIndexChanged.connect(self.touched)
        grade.currentIndexChanged.connect(self.touched)
        self.skills.setCellWidget(row, SKILL, pick)
        self.skills.setCellWidget(row, LEVEL, grade)
        self.skills.setCurrentCell(row, SKILL)
        return row

    def set_skill(self, row: int, skill_id: int, level: int) -> None:
        """Choose a row's skill and level (as the user would, for tests)."""
        pick = cell_widget(self.skills, row, SKILL, QComboBox)
        pick.setCurrentIndex(pick.findData(skill_id))
        grade = cell_widget(self.skills, row, LEVEL, QComboBox)
        grade.setCurrentIndex(grade.findData(level))

    def remove_skill(self) -> None:
        rows = sorted({i.row() for i in self.skills.selectedIndexes()} or
                      ({self.skills.currentRow()} if self.skills.currentRow() >= 0 else set()), reverse=True)
        for row in rows:
            self.skills.removeRow(row)

    def skill_rows(self) -> tuple[SkillLevel, ...]:
        out = []
        for row in range(self.skills.rowCount()):
            skill = cell_widget(self.skills, row, SKILL, QComboBox).currentData()
            level = cell_widget(self.skills, row, LEVEL, QComboBox).currentData()
            if isinstance(skill, int):
                out.append(SkillLevel(skill, level if isinstance(level, int) else 2))
        return tuple(out)

    # --- values ---------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        shift, user = self.shift.currentData(), self.user.currentData()
        return {"code": self.code.text(), "name": self.name.text(),
                "shift_id": shift if isinstance(shift, int) else None,
                "hourly_rate": self.rate.text(), "hours_per_week": self.hours.text(),
                "user_id": user if isinstance(user, int) else None, "skills": self.skill_rows()}

    def set_values(self, values: dict[str, Any]) -> None:
        self.code.setText(str(values["code"]))
        self.name.setText(str(values["name"]))
        self.shift.setCurrentIndex(max(self.shift.findData(values["shift_id"]), 0))
        self.rate.setText(str(values["hourly_rate"]))
        self.hours.setText(str(values["hours_per_week"]))
        user = values["user_id"]
        index = self.user.findData(user)
        if index < 0 and user is not None:  # a disabled user still linked
            self.user.addItem(f"user #{user}", user)
            index = self.user.count() - 1
        self.user.setCurrentIndex(max(index, 0))
        self.skills.setRowCount(0)
        for k in values["skills"]:
            self.add_skill(k.skill_id, k.level)

    def form(self) -> StaffForm:
        v = self.values()
        return StaffForm(v["code"], v["name"], v["shift_id"], v["hourly_rate"], v["hours_per_week"], v["user_id"],
                         v["skills"], self.view.id if self.view is not None else None, self.version)

    # --- the service -------------------------------------------------------------------------------
    def save_call(self, db: Any, actor: Actor, form: StaffForm) -> StaffView:
        return svc.save_person(db, actor, form)

    def reread(self, db: Any, actor: Actor, id: int) -> StaffView:
        return svc.person(db, actor, id)

    def view_values(self, view: StaffView) -> dict[str, Any]:
        return {"code": view.code, "name": view.name, "shift_id": view.shift_id,
                "hourly_rate": f"{view.hourly_rate:.2f}", "hours_per_week": hours_text(view.hours_per_week),
                "user_id": view.user_id, "skills": tuple(SkillLevel(k.skill_id, k.level) for k in view.skills)}

    def title_for(self, view: StaffView | None) -> str:
        return "New staff member" if view is None else f"Staff {view.code} — {view.name}"

    def conflict_fields(self) -> list[FieldSpec]:
        def picked(combo: QComboBox) -> Callable[[object], str]:
            def show(ident: object) -> str:
                index = combo.findData(ident)
                return combo.itemText(index) if index >= 0 else "—"
            return show

        names = {c.id: c.code for c in self.choices.skills}

        def skills(value: object) -> str:
            rows = value if isinstance(value, tuple) else ()
            return ", ".join(f"{names.get(k.skill_id, k.skill_id)} ({LEVELS.get(k.level, k.level)})"
                             for k in rows if isinstance(k, SkillLevel)) or "—"

        return [FieldSpec("code", "Code"), FieldSpec("name", "Name"),
                FieldSpec("shift_id", "Shift", picked(self.shift)),
                FieldSpec("hourly_rate", "Rate per hour"), FieldSpec("hours_per_week", "Hours per week"),
                FieldSpec("user_id", "User", picked(self.user)), FieldSpec("skills", "Skills", skills)]


class StaffWindow(MasterWindow):
    """The staff list; opens ``StaffDialog`` to create or edit a person."""

    object_name = "staffWindow"
    title = "Staff"
    noun, nouns = "person", "people"
    search_hint = "Find: code, name or skill"
    tables = TABLES
    edit_permission = "production.master"
    edit_denied = EDIT_DENIED
    new_label = "&New staff member…"
    archive_tip = "Take the person out of the schedule (only when no planned future work is theirs)"
    window_size = (1060, 480)

    def make_model(self) -> StaffTableModel:
        return StaffTableModel(self)

    def fetch(self, text: str, archived: bool) -> list[StaffRow]:
        return svc.staff(self.db, self.actor, text, archived)

    def load_form(self, record_id: int | None) -> tuple[StaffView | None, StaffChoices]:
        view = svc.person(self.db, self.actor, record_id) if record_id is not None else None
        return view, svc.choices(self.db, self.actor)

    def make_dialog(self, loaded: tuple[StaffView | None, StaffChoices]) -> StaffDialog:
        view, choices = loaded
        return StaffDialog(self.desk, view, choices, self)

    def archive(self, row: StaffRow) -> StaffView:
        return svc.archive_person(self.db, self.actor, row.id)

    def restore(self, row: StaffRow) -> StaffView:
        return svc.restore_person(self.db, self.actor, row.id)
