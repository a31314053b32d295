"""Admin → Firm calendar: the public holidays of the firm's country and region (from the firm
settings) and the firm's own closing days, by year. Management and administrators add a closing
day (or open on a public holiday) and remove their own entries; everyone else reads."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import clock
from app.desk import Desk
from app.services import firm_calendar as svc
from app.services.permissions import allowed
from app.services.settings import get_settings
from app.views.admin.settings import FormActions
from app.views.common.messages import error_label
from app.views.common.table import Column, RowsTableModel, list_view

COLUMNS: list[Column[svc.CalendarDay]] = [
    Column("Date", lambda d: d.day.isoformat()),
    Column("Day", lambda d: f"{d.day:%A}"),
    Column("What", lambda d: d.name),
    Column("Kind", lambda d: d.source),
]


class FirmCalendarDialog(QDialog):
    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor = db, actor
        self.setObjectName("firmCalendarDialog")
        self.setWindowTitle("Firm calendar")
        self.editable = allowed(actor.role, svc.EDIT)
        lay = QVBoxLayout(self)
        settings = get_settings(db)
        where = (f"Public holidays of {settings.country}" + (f" ({settings.region})" if settings.region else "")
                 if settings.country else "No country is set in the firm settings: no public holidays apply")
        zone = settings.time_zone or f"each workstation's own ({clock.zone_name()})"
        self.intro = QLabel(f"{where}, plus the firm's own closing days. Business days are Monday to Friday "
                            f"except these. Time zone: {zone}. Country, region and time zone are set in "
                            "Firm settings.")
        self.intro.setWordWrap(True)
        lay.addWidget(self.intro)
        top = QHBoxLayout()
        top.addWidget(QLabel("Year"))
        self.year = QSpinBox()
        self.year.setObjectName("year")
        self.year.setRange(1990, 2100)
        self.year.setValue(clock.today().year)
        self.year.valueChanged.connect(self.reload)
        top.addWidget(self.year)
        top.addStretch(1)
        lay.addLayout(top)
        self.model: RowsTableModel[svc.CalendarDay] = RowsTableModel(COLUMNS, self, key=lambda d: d.day)
        self.table = list_view("calendarDays", self.model, "Firm calendar")
        lay.addWidget(self.table, 1)
        # add a day: date, note, open-on-a-holiday
        add = QHBoxLayout()
        today = clock.today()
        self.day = QDateEdit(QDate(today.year, today.month, today.day))
        self.day.setObjectName("day")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.note = QLineEdit()
        self.note.setObjectName("note")
        self.note.setPlaceholderText("Why, e.g. Stocktaking")
        self.open_day = QCheckBox("Open on this public holiday")
        self.open_day.setObjectName("openOnHoliday")
        self.add_button = QPushButton("Add day")
        self.add_button.setObjectName("addDay")
        self.add_button.clicked.connect(self.add_day)
        self.remove_button = QPushButton("Remove the firm's entry")
        self.remove_button.setObjectName("removeDay")
        self.remove_button.clicked.connect(self.remove_selected)
        for w in (QLabel("Date"), self.day, self.note, self.open_day, self.add_button, self.remove_button):
            add.addWidget(w)
            w.setEnabled(self.editable)
        add.setStretch(2, 1)
        lay.addLayout(add)
        self.error = error_label()
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.work = FormActions(self, self.error, fields={"day": self.day, "note": self.note})
        self.work.busy_changed.connect(self._hold)
        self.resize(760, 560)
        self.reload()

    def settled(self) -> bool:
        """No service call of this dialog is pending (tests wait for it)."""
        return self.work.settled()

    def _hold(self, busy: bool) -> None:
        for b in (self.add_button, self.remove_button):
            b.setEnabled(self.editable and not busy)

    def reload(self) -> None:
        self.model.set_rows(svc.holidays_of(self.db, self.actor, self.year.value()))
        self.table.resizeColumnsToContents()

    def add_day(self) -> None:
        d = self.day.date()
        day = dt.date(d.year(), d.month(), d.day())
        note, open_day = self.note.text(), self.open_day.isChecked()
        self.error.hide()
        self.work.run(lambda: svc.add_day(self.db, self.actor, day, note, open=open_day),
                      done=lambda _added: self._added(day))

    def _added(self, day: dt.date) -> None:
        self.note.clear()
        self.open_day.setChecked(False)
        if self.year.value() != day.year:
            self.year.setValue(day.year)
        else:
            self.reload()

    def remove_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.error.setText("Choose one of the firm's own days in the list first.")
            self.error.show()
            return
        entry = self.model.row_at(rows[0].row())
        if entry.source == "public holiday":
            self.error.setText(f"{entry.day.isoformat()} is a public holiday of the firm's country; to work on it, "
                               "add it with 'Open on this public holiday'.")
            self.error.show()
            return
        self.work.run(lambda: svc.remove_day(self.db, self.actor, entry.day), done=self._removed)

    def _removed(self, _result: object) -> None:
        self.error.hide()
        self.reload()
