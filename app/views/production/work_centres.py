"""Work centres (issue 20): the machines and stations the schedule books — find one, create one,
edit one (code, name, the calendar it works to, the hourly rate), archive one nothing plans on any
more and restore it. The list, search, archive/restore, change feed and drafts are
``MasterWindow``'s and ``MasterDialog``'s (app/views/common/master.py); the rules are the
service's (app/services/work_centres.py). Production, management and the administrator change
them (``production.master``); everyone else sees them read-only (Save disabled)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app import format as fmt
from app.actor import Actor
from app.desk import Desk
from app.services import work_centres as svc
from app.services.work_centres import CalendarChoice, WorkCentreForm, WorkCentreRow, WorkCentreView
from app.views.common.conflict import FieldSpec
from app.views.common.master import MasterDialog, MasterWindow
from app.views.common.table import Column, RowsTableModel

TABLES = ("work_center", "work_calendar")
EDIT_DENIED = "Production, management and the administrator keep the production master data."


def upper_as_typed(edit: QLineEdit, text: str) -> None:
    """Codes are capitals: what is typed shows as it will be stored (the cursor stays)."""
    if text != text.upper():
        pos = edit.cursorPosition()
        edit.setText(text.upper())
        edit.setCursorPosition(pos)


def rate_text(value: Decimal) -> str:
    return f"{value:.2f}"


class WorkCentresTableModel(RowsTableModel[WorkCentreRow]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__([
            Column("Code", lambda w: w.code),
            Column("Name", lambda w: w.name),
            Column("Calendar", lambda w: w.calendar),
            Column("Rate / hour", lambda w: fmt.money(w.hourly_rate), align_right=True),
            Column("Status", lambda w: "active" if w.active else "archived"),
        ], parent, key=lambda w: w.id)


class WorkCentreDialog(MasterDialog):
    """Create (``view`` None) or edit a work centre; ``saved`` holds it once saved."""

    kind = "work_centre"
    fields = [FieldSpec("code", "Code"), FieldSpec("name", "Name"), FieldSpec("calendar_id", "Calendar"),
              FieldSpec("hourly_rate", "Hourly rate")]
    view: WorkCentreView | None
    saved: WorkCentreView | None

    def __init__(self, desk: Desk, view: WorkCentreView | None, calendars: list[CalendarChoice],
                 parent: QWidget | None = None) -> None:
        super().__init__(desk, view, parent)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.code = QLineEdit()
        self.code.setMaxLength(32)
        self.code.setPlaceholderText("e.g. WELD3")
        self.code.setToolTip("Machines of one kind share the code without its number (WELD1, WELD2): "
                             "the schedule may move an operation between them")
        self.code.textEdited.connect(lambda text: upper_as_typed(self.code, text))
        self.name = QLineEdit()
        self.calendar = QComboBox()
        for c in calendars:
            self.calendar.addItem(c.name, c.id)
        self.calendar.setToolTip("The hours the work centre runs: the schedule books it only then")
        self.rate = QLineEdit("0.00")
        self.rate.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.rate.setMaximumWidth(120)
        self.rate.setToolTip("The machine's cost per hour, for cost estimates")
        for attr in ("code", "name", "calendar", "rate"):
            getattr(self, attr).setObjectName(attr)
        form.addRow("&Code", self.code)
        form.addRow("&Name", self.name)
        form.addRow("C&alendar", self.calendar)
        form.addRow("&Rate per hour", self.rate)
        lay.addLayout(form)
        note = QLabel("The schedule books an active work centre in its calendar's hours; archive one that is "
                      "no longer used.")
        note.setWordWrap(True)
        note.setObjectName("note")
        lay.addWidget(note)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)
        self.finish({"code": self.code, "name": self.name, "calendar_id": self.calendar, "hourly_rate": self.rate})
        self.resize(480, 240)

    def values(self) -> dict[str, Any]:
        cal = self.calendar.currentData()
        return {"code": self.code.text(), "name": self.name.text(),
                "calendar_id": cal if isinstance(cal, int) else None, "hourly_rate": self.rate.text()}

    def set_values(self, values: dict[str, Any]) -> None:
        self.code.setText(str(values["code"]))
        self.name.setText(str(values["name"]))
        index = self.calendar.findData(values["calendar_id"])
        self.calendar.setCurrentIndex(max(index, 0))
        self.rate.setText(str(values["hourly_rate"]))

    def form(self) -> WorkCentreForm:
        v = self.values()
        return WorkCentreForm(v["code"], v["name"], v["calendar_id"], v["hourly_rate"],
                              self.view.id if self.view is not None else None, self.version)

    def save_call(self, db: Any, actor: Actor, form: WorkCentreForm) -> WorkCentreView:
        return svc.save_work_centre(db, actor, form)

    def reread(self, db: Any, actor: Actor, id: int) -> WorkCentreView:
        return svc.work_centre(db, actor, id)

    def view_values(self, view: WorkCentreView) -> dict[str, Any]:
        return {"code": view.code, "name": view.name, "calendar_id": view.calendar_id,
                "hourly_rate": rate_text(view.hourly_rate)}

    def title_for(self, view: WorkCentreView | None) -> str:
        return "New work centre" if view is None else f"Work centre {view.code} — {view.name}"

    def conflict_fields(self) -> list[FieldSpec]:
        def calendar(ident: object) -> str:
            index = self.calendar.findData(ident)
            return self.calendar.itemText(index) if index >= 0 else f"calendar #{ident}"

        return [FieldSpec(f.name, f.label, calendar) if f.name == "calendar_id" else f for f in self.fields]


class WorkCentresWindow(MasterWindow):
    """The work centres list; opens ``WorkCentreDialog`` to create or edit one."""

    object_name = "workCentresWindow"
    title = "Work centres"
    noun, nouns = "work centre", "work centres"
    search_hint = "Find: code or name"
    tables = TABLES
    edit_permission = "production.master"
    edit_denied = EDIT_DENIED
    new_label = "&New work centre…"
    archive_tip = "Take the work centre out of the schedule (only when no routing and no planned work uses it)"
    window_size = (760, 420)

    def make_model(self) -> WorkCentresTableModel:
        return WorkCentresTableModel(self)

    def fetch(self, text: str, archived: bool) -> list[WorkCentreRow]:
        return svc.work_centres(self.db, self.actor, text, archived)

    def load_form(self, record_id: int | None) -> tuple[WorkCentreView | None, list[CalendarChoice]]:
        view = svc.work_centre(self.db, self.actor, record_id) if record_id is not None else None
        return view, svc.calendars(self.db, self.actor)

    def make_dialog(self, loaded: tuple[WorkCentreView | None, list[CalendarChoice]]) -> WorkCentreDialog:
        view, calendars = loaded
        return WorkCentreDialog(self.desk, view, calendars, self)

    def archive(self, row: WorkCentreRow) -> WorkCentreView:
        return svc.archive_work_centre(self.db, self.actor, row.id)

    def restore(self, row: WorkCentreRow) -> WorkCentreView:
        return svc.restore_work_centre(self.db, self.actor, row.id)
