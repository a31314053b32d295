"""Service: installation, maintenance, repair and training jobs booked on technicians' calendars,
the debrief after each job, and management's product-feedback list with its trend."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import clock
from app import format as fmt
from app.desk import Desk
from app.services import queries, service_jobs
from app.services.changes import Changes
from app.services.permissions import allowed
from app.views.common.action import Actions
from app.views.common.table import Column, RowsTableModel, list_view
from app.views.common.gantt import Bar, GanttChart
from app.views.service.dialogs import BookDialog, DebriefDialog, DoneDialog, NewJobDialog

TITLE = "Service"
WATCHED = ("service_job", "service_debrief", "product_feedback", "lead", "shipment", "staff")
JOB_COLUMNS: list[Column[service_jobs.JobView]] = [
    Column("Job", lambda j: j.number), Column("Kind", lambda j: j.kind.capitalize()),
    Column("Status", lambda j: j.status.replace("_", " ")), Column("Customer", lambda j: j.customer),
    Column("Order", lambda j: j.order_number or ""), Column("Technician", lambda j: j.technician or ""),
    Column("When", lambda j: f"{j.start.astimezone(clock.zone()):%a %d %b %H:%M}" if j.start else "not booked"),
    Column("Every", lambda j: f"{j.recurrence_months} months" if j.recurrence_months else ""),
    Column("Description", lambda j: j.description),
]


_TITLE = {'jobsTable': 'Service jobs', 'feedbackTable': 'Product feedback', 'debriefsTable': 'Debriefs'}


def _table(name: str, model: RowsTableModel[Any]) -> QTableView:
    return list_view(name, model, _TITLE.get(name, name))


class ServiceTab(QWidget):
    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor = db, actor
        self.setObjectName("serviceTab")
        self.editable = allowed(actor.role, "service.edit")
        lay = QVBoxLayout(self)
        self.pages = QTabWidget()
        self.pages.setObjectName("servicePages")
        lay.addWidget(self.pages, 1)
        self.message = QLabel()
        self.message.setObjectName("serviceMessage")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        # jobs
        page = QWidget()
        pl = QVBoxLayout(page)
        self.jobs_model: RowsTableModel[service_jobs.JobView] = RowsTableModel(JOB_COLUMNS, self, key=lambda j: j.id)
        self.jobs_table = _table("jobsTable", self.jobs_model)
        pl.addWidget(self.jobs_table)
        row = QHBoxLayout()
        self.action_buttons: list[QPushButton] = []
        for text, name, slot in (("&New job…", "newJob", self.new_job), ("&Book technician…", "bookJob", self.book),
                                 ("&Done…", "jobDone", self.done), ("De&brief…", "debriefJob", self.debrief)):
            b = QPushButton(text)
            b.setObjectName(name)
            b.clicked.connect(lambda _c=False, f=slot: f())
            b.setVisible(self.editable)
            row.addWidget(b)
            self.action_buttons.append(b)
        self.report_button = QPushButton("Service &report…")
        self.report_button.setObjectName("serviceReport")
        self.report_button.clicked.connect(lambda: self.print_report())
        row.addWidget(self.report_button)
        self.action_buttons.append(self.report_button)
        row.addStretch(1)
        self.open_only = QCheckBox("Open jobs only")
        self.open_only.setChecked(True)
        self.open_only.toggled.connect(lambda _on: self.reload())
        row.addWidget(self.open_only)
        pl.addLayout(row)
        self.pages.addTab(page, "Jobs")
        # technicians' calendar
        self.calendar = GanttChart()
        self.calendar.setObjectName("technicianCalendar")
        self.calendar.px_per_min = 0.12
        self.pages.addTab(self.calendar, "Calendar")
        # debriefs and product feedback
        page = QWidget()
        fl = QVBoxLayout(page)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.feedback_model: RowsTableModel[service_jobs.FeedbackRow] = RowsTableModel([
            Column("Product", lambda r: f"{r.sku} {r.product}"), Column("Tag", lambda r: r.tag.replace("_", " ")),
            Column("Count", lambda r: str(r.count), True), Column("Latest", lambda r: fmt.local_time(r.latest))],
            self, key=lambda r: (r.sku, r.tag))
        self.feedback_table = _table("feedbackTable", self.feedback_model)
        split.addWidget(self.feedback_table)
        from app.views.common.charts import SeriesChart

        self.chart = SeriesChart("Product feedback per month, by tag")
        split.addWidget(self.chart.widget)
        fl.addWidget(split, 2)
        fl.addWidget(QLabel("<b>Recent debriefs</b>"))
        self.debriefs_model: RowsTableModel[service_jobs.DebriefView] = RowsTableModel([
            Column("Filed", lambda d: fmt.local_time(d.filed_at)), Column("Job", lambda d: d.job_number),
            Column("Customer", lambda d: d.customer), Column("By", lambda d: d.filed_by),
            Column("Satisfaction", lambda d: f"{d.satisfaction}/5", True),
            Column("Situation", lambda d: d.situation or ""), Column("Work done", lambda d: d.work_done)],
            self, key=lambda d: d.id)
        self.debriefs_table = _table("debriefsTable", self.debriefs_model)
        fl.addWidget(self.debriefs_table, 1)
        self.pages.addTab(page, "Debriefs && feedback")
        # the tab's own service calls (the service report) run off the GUI thread, failures mapped in one
        # place; the job dialogs submit through their own SubmitDialog
        self.work = Actions(self)
        self.work.busy_changed.connect(self._hold_buttons)
        self.reload()

    # --- loading -----------------------------------------------------------------------------
    def reload(self) -> None:
        self.jobs_model.set_rows(service_jobs.jobs(self.db, self.actor, open_only=self.open_only.isChecked()))
        self.jobs_table.resizeColumnsToContents()
        techs = service_jobs.technicians(self.db, self.actor)
        origin = clock.at(clock.today())
        bars = []
        for j in service_jobs.jobs(self.db, self.actor, open_only=False):
            if j.start and j.end and j.technician_id and j.end >= origin:
                bars.append(Bar(j.id, j.technician_id, clock.wall_minutes(origin, j.start),
                                clock.wall_minutes(origin, j.end), f"{j.number} {j.customer}",
                                f"{j.number} {j.kind} — {j.customer}\n{j.description}\n"
                                f"{j.start.astimezone(clock.zone()):%a %d %b %H:%M}–"
                                f"{j.end.astimezone(clock.zone()):%H:%M}",
                                False, False))
        self.calendar.set_plan(origin, 21, techs, bars, False)
        self.feedback_model.set_rows(service_jobs.feedback_summary(self.db, self.actor))
        self.feedback_table.resizeColumnsToContents()
        months, counts = service_jobs.feedback_by_month(self.db, self.actor)
        self.chart.show([f"{m:%b %y}" for m in months], {k: v for k, v in counts.items()})
        self.debriefs_model.set_rows(service_jobs.debriefs(self.db, self.actor, limit=100))

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*WATCHED):
            self.reload()

    def settled(self) -> bool:
        """No service call of this tab running or queued (tests wait for it)."""
        return self.work.settled()

    def _hold_buttons(self, busy: bool) -> None:
        """The action buttons wait while a call runs."""
        for b in self.action_buttons:
            b.setEnabled(not busy)

    def selected(self) -> service_jobs.JobView | None:
        idx = self.jobs_table.currentIndex()
        rows = self.jobs_model.rows
        if not idx.isValid() or idx.row() >= len(rows):
            self.message.setText("Select a job first.")
            return None
        return rows[idx.row()]

    def select_job(self, job_id: int) -> None:
        for i, j in enumerate(self.jobs_model.rows):
            if j.id == job_id:
                self.jobs_table.selectRow(i)
                return
        raise LookupError(job_id)

    def current_customer_id(self) -> int | None:
        idx = self.jobs_table.currentIndex()
        return self.jobs_model.rows[idx.row()].customer_id if idx.isValid() and idx.row() < len(
            self.jobs_model.rows) else None

    # --- actions -----------------------------------------------------------------------------
    def new_job(self) -> None:
        dlg = NewJobDialog(self, queries.customers(self.db, self.actor),
                           lambda cid, kind, text, every: service_jobs.create_job(
                               self.db, self.actor, cid, kind, text, recurrence_months=every))
        if dlg.exec():
            self.reload()
            j = dlg.result_value
            self.select_job(j.id)
            self.message.setText(f"{j.number} created for {j.customer}; book a technician.")

    def book(self) -> None:
        j = self.selected()
        if j is None:
            return
        dlg = BookDialog(self, j, service_jobs.technicians(self.db, self.actor),
                         service_jobs.next_booking_day(self.db),
                         lambda tech, start, end: service_jobs.assign(self.db, self.actor, j.id, j.version, tech,
                                                                      start, end))
        if dlg.exec():
            v = dlg.result_value
            self.reload()
            self.select_job(v.id)
            self.message.setText(f"{v.number} booked: {v.technician}, "
                                 f"{v.start.astimezone(clock.zone()):%a %d %b %H:%M}.")

    def done(self) -> None:
        j = self.selected()
        if j is None:
            return
        dlg = DoneDialog(self, j, lambda minutes, materials: service_jobs.complete(self.db, self.actor, j.id,
                                                                                    j.version, minutes, materials))
        if dlg.exec():
            self.reload()
            self.message.setText(f"{j.number} done." + (" The next visit is planned." if j.recurrence_months
                                                        else " File the debrief while it is fresh."))

    def debrief(self) -> None:
        j = self.selected()
        if j is None:
            return
        from app.services import orders

        products = [sku for _i, sku, _n in orders.search_products(self.db, self.actor, "", limit=500)]
        dlg = DebriefDialog(self, j, products, lambda **kw: service_jobs.file_debrief(self.db, self.actor, j.id,
                                                                                        j.version, **kw))
        if dlg.exec():
            d = dlg.result_value
            self.reload()
            self.message.setText(f"Debrief of {d.job_number} filed: {len(d.opportunities)} lead(s) sent to the "
                                 f"salesperson, {len(d.feedback)} feedback item(s) to management.")

    def print_report(self, target: Path | None = None, *, on_done: Callable[[Path], None] | None = None) -> None:
        """The selected job's service report, to PDF (or the print preview when no file is chosen). The
        report is read off the GUI thread; ``on_done(path)`` once the PDF is saved."""
        from app.views.common.pdf import save_or_preview
        from app.services import documents

        j = self.selected()
        if j is None:
            return

        def done(html: str) -> None:  # asked where once the report could be made, as before
            chosen = save_or_preview(self, html, target, suggested=f"{j.number}.pdf",
                                     title=f"Service report {j.number}", caption="Save service report")
            if chosen is None:
                return
            self.message.setText(f"Service report {j.number} saved to {chosen}.")
            if on_done:
                on_done(chosen)

        self.work.run(lambda: documents.kinds()["service-report"](self.db, self.actor, j.number), done=done,
                      write=False)
