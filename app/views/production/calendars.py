"""Production calendars (issue 20): the weekly working hours of the machines and the days that
differ from them (a machine closed on 24 December, a Saturday of overtime, a short Friday).

``CalendarsWindow`` lists the calendars (weekly hours in words, exceptions ahead, how many work
centres work to each) with New / Edit, Copy…, Add day… (one exception without opening the form:
``work_calendars.add_exception``) and Delete (only a calendar no work centre uses).
``CalendarDialog`` edits one: its name, the weekly hours as a table (weekday, start, end; several
rows a day for shifts with a break) and the exceptions as a table (date, working hours — "closed",
"7.5" or "7:30" —, note). A problem is said in the dialog's error line, the table is framed red and
the row named gets a red background with the reason as its tooltip.

The list, its search, the change feed and the drafts are ``MasterWindow``'s and ``MasterDialog``'s
(app/views/common/master.py); the rules are the service's (app/services/work_calendars.py), which
writes exactly the rows the scheduler reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import clock
from app.actor import Actor
from app.desk import Desk
from app.errors import UserError, ValidationError
from app.services import work_calendars as svc
from app.services.work_calendars import CalendarForm, CalendarRow, CalendarView, ExceptionForm, HoursForm
from app.views.common.action import Actions
from app.views.common.conflict import FieldSpec
from app.views.common.master import INVALID_STYLE, MasterDialog, MasterWindow
from app.views.common.messages import error_label
from app.views.common.table import Column, RowsTableModel, cell, cell_widget

TABLES = ("work_calendar", "calendar_hours", "calendar_exception", "work_center", "firm_closing_day")
HOURS_COLUMNS = ("Weekday", "Start", "End")
WEEKDAY, START, END = range(len(HOURS_COLUMNS))
EXCEPTION_COLUMNS = ("Date", "Working hours", "Note")
DAY, WORKING, NOTE = range(len(EXCEPTION_COLUMNS))
ROW_PROBLEM = QColor("#fde0dc")
DATE_FORMAT = "ddd d MMM yyyy"
EXCEPTIONS_HINT = ("A day that differs from the weekly hours, for these machines only: \"closed\" (or 0), fewer "
                   "hours (4 or 4:00: from the weekday's usual start), or an extra day (a Saturday's overtime). "
                   "Public holidays and the firm's closing days close every calendar already (Settings → Firm "
                   "calendar).")


def _hours_text(hours: tuple[HoursForm, ...]) -> str:
    """The weekly hours in words ("Mon–Fri 06:00–22:00"); rows not yet valid as typed."""
    valid: list[tuple[int, int, int]] = []
    typed: list[str] = []
    for h in hours:
        wd, start, end = svc.parse_weekday(h.weekday), svc.parse_time(str(h.start)), svc.parse_time(str(h.end))
        if wd is not None and start is not None and end is not None:
            valid.append((wd, start, end))
        else:
            typed.append(f"{h.weekday} {h.start}–{h.end}")
    return "; ".join(([svc.summary(valid)] if valid else []) + typed) or "—"


def _exceptions_text(rows: tuple[ExceptionForm, ...]) -> str:
    return "; ".join(f"{r.day} {r.working or 'closed'}" + (f" ({r.note})" if r.note else "") for r in rows) or "—"


#: what the compare dialog shows when someone else saved the calendar meanwhile
CALENDAR_FIELDS = [
    FieldSpec("name", "Name"),
    FieldSpec("hours", "Weekly hours", _hours_text),
    FieldSpec("exceptions", "Exceptions", _exceptions_text),
]


def view_values(view: CalendarView) -> dict[str, Any]:
    """A saved calendar as the form's values (dates as ISO text and working time as the table
    shows it, so the values are plain JSON for drafts and compare the same as typed ones)."""
    return {"name": view.name,
            "hours": tuple(HoursForm(h.weekday, h.start, h.end, h.id) for h in view.hours),
            "exceptions": tuple(ExceptionForm(e.day.isoformat(), e.working, e.note, e.id) for e in view.exceptions)}


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> dt.date:
    return dt.date(day.year(), day.month(), day.day())


# --- the form -------------------------------------------------------------------------------------
def _picker_cell(table: QTableWidget, row: int, column: int, picker: QWidget, ident: int | None) -> None:
    """A row's first cell: the picker (weekday, date) over an item that keeps the row's id."""
    table.setCellWidget(row, column, picker)
    table.blockSignals(True)
    first = QTableWidgetItem()
    first.setData(Qt.ItemDataRole.UserRole, ident)
    first.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    table.setItem(row, column, first)
    table.blockSignals(False)


class CalendarDialog(MasterDialog):
    """Create (``view`` None) or edit a production calendar; ``saved`` holds it once saved."""

    kind = "work_calendar"
    fields = CALENDAR_FIELDS
    draft_types = (HoursForm, ExceptionForm)
    view: CalendarView | None
    saved: CalendarView | None

    def __init__(self, desk: Desk, view: CalendarView | None, parent: QWidget | None = None) -> None:
        super().__init__(desk, view, parent)
        outer = QVBoxLayout(self)
        top = QFormLayout()
        self.name = QLineEdit()
        self.name.setObjectName("name")
        self.name.setMaxLength(svc.NAME_MAX)
        self.name.setPlaceholderText("e.g. Two shifts (Mon–Fri 06:00–22:00)")
        top.addRow("&Name", self.name)
        used = ", ".join(view.work_centres) if view is not None and view.work_centres else "no work centre yet"
        self.used_by = QLabel(used)
        self.used_by.setObjectName("usedBy")
        self.used_by.setWordWrap(True)
        top.addRow("Used by", self.used_by)
        outer.addLayout(top)

        tables = QHBoxLayout()
        # --- the weekly hours
        week = QGroupBox("&Weekly hours")
        grid = QGridLayout(week)
        self.hours = QTableWidget(0, len(HOURS_COLUMNS))
        self.hours.setObjectName("hours")
        self.hours.setHorizontalHeaderLabels(list(HOURS_COLUMNS))
        self.hours.verticalHeader().setDefaultSectionSize(28)
        self.hours.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.hours.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.hours.setToolTip("Times as HH:MM, 00:00 to 24:00. Two rows on one day for shifts with a break; "
                              "a night shift is two rows: to 24:00 and, the next day, from 00:00.")
        self.add_hours_button = QPushButton("&Add hours")
        self.add_hours_button.setObjectName("addHours")
        self.add_hours_button.setToolTip("A new row: the day after the last row, with its times")
        self.add_hours_button.clicked.connect(lambda: self.add_hours_row(edit=True))
        self.remove_hours_button = QPushButton("Remove hours")
        self.remove_hours_button.setObjectName("removeHours")
        self.remove_hours_button.clicked.connect(lambda: self._remove_rows(self.hours))
        grid.addWidget(self.hours, 0, 0, 1, 2)
        grid.addWidget(self.add_hours_button, 1, 0)
        grid.addWidget(self.remove_hours_button, 1, 1)
        tables.addWidget(week, 2)

        # --- the exceptions
        days = QGroupBox("E&xceptions")
        grid = QGridLayout(days)
        hint = QLabel(EXCEPTIONS_HINT)
        hint.setWordWrap(True)
        hint.setObjectName("exceptionsHint")
        self.exceptions = QTableWidget(0, len(EXCEPTION_COLUMNS))
        self.exceptions.setObjectName("exceptions")
        self.exceptions.setHorizontalHeaderLabels(list(EXCEPTION_COLUMNS))
        self.exceptions.verticalHeader().setDefaultSectionSize(28)
        self.exceptions.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.exceptions.horizontalHeader()
        header.setSectionResizeMode(DAY, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(WORKING, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(NOTE, QHeaderView.ResizeMode.Stretch)
        self.add_exception_button = QPushButton("Add &day")
        self.add_exception_button.setObjectName("addException")
        self.add_exception_button.clicked.connect(lambda: self.add_exception_row(edit=True))
        self.remove_exception_button = QPushButton("Remove day")
        self.remove_exception_button.setObjectName("removeException")
        self.remove_exception_button.clicked.connect(lambda: self._remove_rows(self.exceptions))
        grid.addWidget(hint, 0, 0, 1, 2)
        grid.addWidget(self.exceptions, 1, 0, 1, 2)
        grid.addWidget(self.add_exception_button, 2, 0)
        grid.addWidget(self.remove_exception_button, 2, 1)
        tables.addWidget(days, 3)
        outer.addLayout(tables, 1)

        outer.addWidget(self.error)
        outer.addWidget(self.buttons)
        self.finish({"name": self.name, "hours": self.hours, "exceptions": self.exceptions})
        self.resize(1020, 560)

    # --- the weekly hours table -------------------------------------------------------------------
    def add_hours_row(self, hours: HoursForm | None = None, *, edit: bool = False) -> int:
        """A row of weekly hours; without ``hours``: the day after the last row, with its times
        (Monday 07:00–16:00 on an empty table) — five clicks make a working week."""
        if hours is None:
            last = self.hours.rowCount() - 1
            if last >= 0:
                wd = (cell_widget(self.hours, last, WEEKDAY, QComboBox).currentIndex() + 1) % 7
                hours = HoursForm(wd, cell(self.hours, last, START).text(), cell(self.hours, last, END).text())
            else:
                hours = HoursForm(0, "07:00", "16:00")
        row = self.hours.rowCount()
        self.hours.insertRow(row)
        day = QComboBox()
        day.setObjectName(f"weekday{row}")
        day.addItems(list(svc.WEEKDAY_NAMES))
        weekday = svc.parse_weekday(hours.weekday)
        day.setCurrentIndex(weekday if weekday is not None else 0)
        day.setEnabled(self.hours.editTriggers() != QAbstractItemView.EditTrigger.NoEditTriggers)
        day.currentIndexChanged.connect(self.touched)
        _picker_cell(self.hours, row, WEEKDAY, day, hours.id)
        self.hours.blockSignals(True)
        for col, text in ((START, hours.start), (END, hours.end)):
            item = QTableWidgetItem(str(text))
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.hours.setItem(row, col, item)
        self.hours.blockSignals(False)
        if edit:
            self.hours.setCurrentCell(row, START)
            self.touched()
        return row

    def set_hours(self, row: int, column: int, value: str | int) -> None:
        """Type into a cell of the weekly hours (the weekday: its index, 0 = Monday)."""
        if column == WEEKDAY:
            cell_widget(self.hours, row, WEEKDAY, QComboBox).setCurrentIndex(int(value))
        else:
            cell(self.hours, row, column).setText(str(value))

    def hours_values(self) -> tuple[HoursForm, ...]:
        out = []
        for row in range(self.hours.rowCount()):
            start, end = cell(self.hours, row, START).text().strip(), cell(self.hours, row, END).text().strip()
            if not start and not end:
                continue  # a row added and emptied
            ident = cell(self.hours, row, WEEKDAY).data(Qt.ItemDataRole.UserRole)
            wd = cell_widget(self.hours, row, WEEKDAY, QComboBox).currentIndex()
            out.append(HoursForm(wd, start, end, ident if isinstance(ident, int) else None))
        return tuple(out)

    # --- the exceptions table ---------------------------------------------------------------------
    def add_exception_row(self, exception: ExceptionForm | None = None, *, edit: bool = False) -> int:
        """An exception row; without ``exception``: a closed day, the day after the last row (today
        on an empty table)."""
        if exception is None:
            last = self.exceptions.rowCount() - 1
            day = (_pydate(cell_widget(self.exceptions, last, DAY, QDateEdit).date()) + dt.timedelta(days=1)
                   if last >= 0 else clock.today())
            exception = ExceptionForm(day.isoformat(), "closed", "")
        row = self.exceptions.rowCount()
        self.exceptions.insertRow(row)
        picker = QDateEdit()
        picker.setObjectName(f"day{row}")
        picker.setCalendarPopup(True)
        picker.setDisplayFormat(DATE_FORMAT)
        picker.setDate(_qdate(svc.parse_day(exception.day) or clock.today()))
        picker.setEnabled(self.exceptions.editTriggers() != QAbstractItemView.EditTrigger.NoEditTriggers)
        picker.dateChanged.connect(self.touched)
        _picker_cell(self.exceptions, row, DAY, picker, exception.id)
        self.exceptions.blockSignals(True)
        working = exception.working
        text = svc.hours_text(working) if isinstance(working, int) else str(working)
        item = QTableWidgetItem(text)
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        item.setToolTip("closed, or the working hours: 7.5 or 7:30")
        self.exceptions.setItem(row, WORKING, item)
        self.exceptions.setItem(row, NOTE, QTableWidgetItem(exception.note))
        self.exceptions.blockSignals(False)
        if edit:
            self.exceptions.setCurrentCell(row, NOTE)
            self.exceptions.editItem(cell(self.exceptions, row, NOTE))
            self.touched()
        return row

    def set_exception(self, row: int, column: int, value: str | dt.date) -> None:
        """Type into a cell of the exceptions (the date: a ``date``)."""
        if column == DAY:
            assert isinstance(value, dt.date)
            cell_widget(self.exceptions, row, DAY, QDateEdit).setDate(_qdate(value))
        else:
            cell(self.exceptions, row, column).setText(str(value))

    def exception_values(self) -> tuple[ExceptionForm, ...]:
        out = []
        for row in range(self.exceptions.rowCount()):
            ident = cell(self.exceptions, row, DAY).data(Qt.ItemDataRole.UserRole)
            day = _pydate(cell_widget(self.exceptions, row, DAY, QDateEdit).date())
            out.append(ExceptionForm(day.isoformat(), cell(self.exceptions, row, WORKING).text().strip(),
                                     cell(self.exceptions, row, NOTE).text().strip(),
                                     ident if isinstance(ident, int) else None))
        return tuple(out)

    def _remove_rows(self, table: QTableWidget) -> None:
        rows = sorted({i.row() for i in table.selectedIndexes()} or
                      ({table.currentRow()} if table.currentRow() >= 0 else set()), reverse=True)
        for row in rows:
            table.removeRow(row)
        self._renumber(table)

    def _renumber(self, table: QTableWidget) -> None:
        prefix = "weekday" if table is self.hours else "day"
        for row in range(table.rowCount()):
            widget = table.cellWidget(row, 0)
            if widget is not None:
                widget.setObjectName(f"{prefix}{row}")

    def set_read_only(self, read_only: bool) -> None:
        """For a role that may look, not change: nothing can be typed or added (Save is off too)."""
        triggers = (QAbstractItemView.EditTrigger.NoEditTriggers if read_only else
                    QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                    | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.name.setReadOnly(read_only)
        for table in (self.hours, self.exceptions):
            table.setEditTriggers(triggers)
            for row in range(table.rowCount()):
                widget = table.cellWidget(row, 0)
                if widget is not None:
                    widget.setEnabled(not read_only)
        for b in (self.add_hours_button, self.remove_hours_button, self.add_exception_button,
                  self.remove_exception_button):
            b.setEnabled(not read_only)

    # --- problems at their rows -------------------------------------------------------------------
    def _show_problems(self, exc: UserError) -> None:
        super()._show_problems(exc)
        if not isinstance(exc, ValidationError):
            return
        for framed in (self.hours, self.exceptions):
            if framed.property("problem"):  # the frame on the table only, not on every date and weekday picker in it
                framed.setStyleSheet(f"QTableWidget#{framed.objectName()} {{ {INVALID_STYLE} }}")
        for p in exc.problems:
            table = {"hours": self.hours, "exceptions": self.exceptions}.get(p.field or "")
            if table is None or p.row is None or not 1 <= p.row <= table.rowCount():
                continue
            table.clearSelection()  # the row's colour shows, not the selection's
            for col in range(table.columnCount()):
                item = table.item(p.row - 1, col)
                if item is not None:
                    item.setBackground(QBrush(ROW_PROBLEM))
                    item.setToolTip(p.reason)
            first = table.cellWidget(p.row - 1, 0)
            if first is not None:
                first.setToolTip(p.reason)
                first.setProperty("problem", p.reason)

    def _clear_problems(self) -> None:
        super()._clear_problems()
        for table in (self.hours, self.exceptions):
            for row in range(table.rowCount()):
                for col in range(table.columnCount()):
                    item = table.item(row, col)
                    if item is not None and item.toolTip():
                        item.setBackground(QBrush())
                        item.setToolTip("closed, or the working hours: 7.5 or 7:30"
                                        if table is self.exceptions and col == WORKING else "")
                first = table.cellWidget(row, 0)
                if first is not None and first.property("problem"):
                    first.setProperty("problem", None)
                    first.setToolTip("")

    def row_problem(self, table: QTableWidget, row: int) -> str:
        """The reason shown at a row (0-based; "" when none; tests read it)."""
        item = table.item(row, table.columnCount() - 1)
        return item.toolTip() if item is not None and item.background().color() == ROW_PROBLEM else ""

    # --- values ---------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        return {"name": self.name.text(), "hours": self.hours_values(), "exceptions": self.exception_values()}

    def set_values(self, values: dict[str, Any]) -> None:
        self.name.setText(str(values["name"]))
        for table, rows, add in ((self.hours, values["hours"], self.add_hours_row),
                                 (self.exceptions, values["exceptions"], self.add_exception_row)):
            table.setRowCount(0)
            for row in rows:
                add(row)

    def form(self) -> CalendarForm:
        v = self.values()
        return CalendarForm(name=v["name"], hours=v["hours"], exceptions=v["exceptions"],
                            id=self.view.id if self.view is not None else None, version=self.version)

    # --- the service -------------------------------------------------------------------------------
    def save_call(self, db: Any, actor: Actor, form: CalendarForm) -> CalendarView:
        return svc.save_calendar(db, actor, form)

    def reread(self, db: Any, actor: Actor, id: int) -> CalendarView:
        return svc.calendar(db, actor, id)

    def view_values(self, view: CalendarView) -> dict[str, Any]:
        return view_values(view)

    def title_for(self, view: CalendarView | None) -> str:
        return "New production calendar" if view is None else f"Production calendar — {view.name}"


# --- one exception day without the form -------------------------------------------------------------
class AddDayDialog(QDialog):
    """Date, working hours and note for ``work_calendars.add_exception`` ("close the machines on
    24 Dec"): ``send(day, working, note)`` runs on a worker; a refusal is said here, at its field,
    and the dialog stays open; ``added`` carries the calendar as saved."""

    added = Signal(object)

    def __init__(self, calendar_name: str, send: Callable[[dt.date, str, str], CalendarView],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.send = send
        self.setObjectName("addDayDialog")
        self.setWindowTitle(f"Add a day — {calendar_name}")
        lay = QFormLayout(self)
        self.day = QDateEdit()
        self.day.setObjectName("day")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat(DATE_FORMAT)
        self.day.setDate(_qdate(clock.today()))
        self.working = QLineEdit("closed")
        self.working.setObjectName("working")
        self.working.setToolTip("closed, or the working hours that day: 7.5 or 7:30 (from the weekday's usual start)")
        self.note = QLineEdit()
        self.note.setObjectName("note")
        self.note.setPlaceholderText("why, e.g. Christmas Eve, laser service")
        self.error = error_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        lay.addRow("&Date", self.day)
        lay.addRow("&Working hours", self.working)
        lay.addRow("&Note", self.note)
        lay.addRow(self.error)
        lay.addRow(self.buttons)
        self.work = Actions(self, fields={"day": self.day, "working": self.working, "note": self.note},
                            show_error=self._refused, inline=UserError)
        self.work.busy_changed.connect(lambda busy: self.buttons.setEnabled(not busy))
        self.resize(460, 150)

    def entered(self) -> tuple[dt.date, str, str]:
        return _pydate(self.day.date()), self.working.text(), self.note.text()

    def settled(self) -> bool:
        return self.work.settled()

    def submit(self) -> None:
        if not self.work.settled():
            return
        self.error.hide()
        day, working, note = self.entered()
        send = self.send
        self.work.run(lambda: send(day, working, note), done=self._added)

    def _added(self, view: CalendarView) -> None:
        self.added.emit(view)
        self.accept()

    def _refused(self, exc: UserError) -> None:
        problems = exc.problems if isinstance(exc, ValidationError) else []
        self.error.setText("\n".join(p.reason for p in problems) if problems else str(exc))
        self.error.show()


# --- the list -------------------------------------------------------------------------------------
class CalendarsTableModel(RowsTableModel[CalendarRow]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__([
            Column("Name", lambda c: c.name),
            Column("Hours a week", lambda c: f"{c.weekly_minutes / 60:g}", align_right=True),
            Column("Exceptions ahead", lambda c: str(c.future_exceptions), align_right=True),
            Column("Work centres", lambda c: str(c.work_centres), align_right=True),
            Column("Weekly hours", lambda c: c.hours),
        ], parent, key=lambda c: c.id)


class CalendarsWindow(MasterWindow):
    """The production calendars with their weekly hours; opens ``CalendarDialog`` to create or
    edit one. Open it with ``CalendarsWindow(desk, parent)`` and ``show()``."""

    object_name = "calendarsWindow"
    title = "Production calendars"
    noun, nouns = "calendar", "calendars"
    search_hint = "Find: name"
    tables = TABLES
    edit_permission = svc.EDIT
    edit_denied = "Production, management and the administrator keep the production calendars."
    new_label = "&New calendar…"
    archivable = False
    window_size = (960, 420)

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.add_day_button = self.add_button(QPushButton("Add &day…"))
        self.add_day_button.setObjectName("addDay")
        self.add_day_button.setToolTip("One day that differs for the selected calendar (closed, fewer hours, "
                                       "overtime) without opening the whole form")
        self.add_day_button.clicked.connect(lambda: self.add_day())
        self.copy_button = self.add_button(QPushButton("Co&py…"))
        self.copy_button.setObjectName("copyCalendar")
        self.copy_button.setToolTip("A new calendar with the selected one's hours and exceptions")
        self.copy_button.clicked.connect(lambda: self.copy_selected())
        self.delete_button = self.add_button(QPushButton("&Delete"))
        self.delete_button.setObjectName("deleteCalendar")
        self.delete_button.setToolTip("Delete the selected calendar (only one no work centre uses)")
        self.delete_button.clicked.connect(lambda: self.delete_selected())
        self.add_day_dialog: AddDayDialog | None = None
        for b in (self.add_day_button, self.copy_button, self.delete_button):
            b.setVisible(self.may_edit)
        self.update_buttons()

    def make_model(self) -> CalendarsTableModel:
        return CalendarsTableModel(self)

    def fetch(self, text: str, archived: bool) -> list[CalendarRow]:
        return svc.calendars(self.db, self.actor, text, archived)

    def load_form(self, record_id: int | None) -> CalendarView | None:
        return svc.calendar(self.db, self.actor, record_id) if record_id is not None else None

    def make_dialog(self, loaded: CalendarView | None) -> CalendarDialog:
        dlg = CalendarDialog(self.desk, loaded, self)
        if not self.may_edit:
            dlg.set_read_only(True)
        return dlg

    def archive(self, row: CalendarRow) -> Any:
        raise UserError("Production calendars are not archived: delete one no work centre uses.")

    def restore(self, row: CalendarRow) -> Any:
        raise UserError("Production calendars are not archived.")

    # --- delete, copy, one day --------------------------------------------------------------------
    def delete_selected(self, *, confirm: Callable[[str], bool] | None = None) -> None:
        """Delete the selected calendar after asking (``confirm(text)``: a question box by default);
        refused, naming them, while work centres use it."""
        row = self.selected()
        if row is None or not self.work.settled():
            return
        ask = confirm or (lambda text: QMessageBox.question(self, "Delete calendar", text)
                          == QMessageBox.StandardButton.Yes)
        if not ask(f"Delete the calendar '{row.name}' with its hours and exceptions?"):
            return
        db, actor, ident = self.db, self.actor, row.id

        def deleted(_result: object) -> None:
            self.message.setText(f"Deleted '{row.name}'.")
            self.reload()

        self.work.run(lambda: svc.delete_calendar(db, actor, ident), done=deleted)

    def copy_selected(self, name: str | None = None) -> None:
        """A copy of the selected calendar under a new name (asked for unless given)."""
        row = self.selected()
        if row is None or not self.work.settled():
            return
        if name is None:
            text, ok = QInputDialog.getText(self, "Copy calendar", f"Name of the copy of '{row.name}':",
                                            text=f"{row.name} (copy)"[:svc.NAME_MAX])
            if not ok:
                return
            name = text
        db, actor, ident, new_name = self.db, self.actor, row.id, name

        def copied(view: CalendarView) -> None:
            self.message.setText(f"Copied as '{view.name}'.")
            self.reload(view.id)

        self.work.run(lambda: svc.copy_calendar(db, actor, ident, new_name), done=copied)

    def add_day(self) -> None:
        """Ask for one exception day of the selected calendar and add it (``add_exception``); the
        dialog says a refusal (the day has one already) and stays open."""
        row = self.selected()
        if row is None or not self.work.settled():
            return
        db, actor, ident = self.db, self.actor, row.id
        dlg = AddDayDialog(row.name, lambda day, working, note: svc.add_exception(db, actor, ident, day, working, note),
                           self)

        def added(view: CalendarView) -> None:
            self.message.setText(f"Added {svc.day_text(dlg.entered()[0])} to '{view.name}'.")
            self.reload(view.id)

        def closed(_result: int) -> None:
            self.add_day_dialog = None

        dlg.added.connect(added)
        dlg.finished.connect(closed)
        self.add_day_dialog = dlg
        dlg.open()

    def update_buttons(self) -> None:
        super().update_buttons()
        if hasattr(self, "delete_button"):  # not yet while the base class builds the window
            for b in (self.add_day_button, self.copy_button, self.delete_button):
                b.setEnabled(b.isEnabled() and self.may_edit)
