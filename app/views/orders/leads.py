"""Leads from service debriefs, for the salesperson (order entry): what the technicians learned on
site about the salesperson's customers, and the opportunities to follow up."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import format as fmt
from app.actor import Actor
from app.desk import Desk
from app.services import service_jobs
from app.services.permissions import allowed
from app.views.common.action import Actions
from app.views.common.export import enable_export
from app.views.common.table import Column, RowsTableModel

LEAD_COLUMNS: list[Column[service_jobs.LeadView]] = [
    Column("Seen", lambda ld: fmt.local_time(ld.created_at)), Column("Customer", lambda ld: ld.customer),
    Column("Kind", lambda ld: ld.kind.replace("_", " ")), Column("Opportunity", lambda ld: ld.description),
    Column("Value", lambda ld: fmt.money(ld.estimated_value) if ld.estimated_value else "", True),
    Column("From", lambda ld: f"{ld.technician or '—'} ({ld.job_number or 'by hand'})"),
    Column("Salesperson", lambda ld: ld.salesperson or ""), Column("Status", lambda ld: ld.status),
]
DEBRIEF_COLUMNS: list[Column[service_jobs.DebriefView]] = [
    Column("Filed", lambda d: fmt.local_time(d.filed_at)), Column("Customer", lambda d: d.customer),
    Column("Job", lambda d: f"{d.job_number} {d.kind}"), Column("Satisfaction", lambda d: f"{d.satisfaction}/5"),
    Column("Situation and needs", lambda d: d.situation or ""), Column("Work done", lambda d: d.work_done),
]


def mine(actor: Actor) -> int | None:
    """Salespeople see their own customers' leads; management and others see everyone's."""
    return actor.user_id if actor.role == "sales" else None


def new_lead_count(desk: Desk) -> int:
    return sum(1 for ld in service_jobs.leads(desk.db, desk.actor, salesperson_id=mine(desk.actor))
               if ld.status == "new")


class LeadsDialog(QDialog):
    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor = db, actor
        self.setObjectName("leadsDialog")
        self.setWindowTitle("Leads and debriefs from service")
        self.work = Actions(self)
        self.work.busy_changed.connect(self._hold)
        lay = QVBoxLayout(self)
        who = "your customers" if mine(actor) else "all customers"
        lay.addWidget(QLabel(f"<b>Leads</b> — opportunities the technicians saw at {who}"))
        self.model: RowsTableModel[service_jobs.LeadView] = RowsTableModel(LEAD_COLUMNS, self, key=lambda ld: ld.id)
        self.table = QTableView()
        self.table.setObjectName("leadsTable")
        self.table.setModel(self.model)
        enable_export(self.table, "Leads", self)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.table, 2)
        row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for status, text in (("contacted", "&Contacted"), ("won", "&Won"), ("lost", "&Lost")):
            b = QPushButton(text)
            b.setObjectName(f"lead_{status}")
            b.clicked.connect(lambda _c=False, st=status: self.set_status(st))
            b.setVisible(allowed(actor.role, "leads.edit"))
            row.addWidget(b)
            self.buttons[status] = b
        self.all = QCheckBox("Include closed leads")
        self.all.toggled.connect(lambda _on: self.reload())
        row.addStretch(1)
        row.addWidget(self.all)
        lay.addLayout(row)
        lay.addWidget(QLabel(f"<b>Debriefs</b> at {who}"))
        self.debriefs: RowsTableModel[service_jobs.DebriefView] = RowsTableModel(DEBRIEF_COLUMNS, self,
                                                                                 key=lambda d: d.id)
        self.debrief_table = QTableView()
        self.debrief_table.setObjectName("debriefsTable")
        self.debrief_table.setModel(self.debriefs)
        enable_export(self.debrief_table, "Debriefs", self)
        self.debrief_table.verticalHeader().hide()
        self.debrief_table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.debrief_table, 1)
        self.resize(1100, 600)
        self.reload()

    def reload(self) -> None:
        self.model.set_rows(service_jobs.leads(self.db, self.actor, salesperson_id=mine(self.actor),
                                               open_only=not self.all.isChecked()))
        self.debriefs.set_rows(service_jobs.debriefs(self.db, self.actor, salesperson_id=mine(self.actor), limit=50))
        self.table.resizeColumnsToContents()
        self.debrief_table.resizeColumnsToContents()

    def settled(self) -> bool:
        """No service call of this dialog is pending (tests wait for it)."""
        return self.work.settled()

    def _hold(self, busy: bool) -> None:
        for b in self.buttons.values():
            b.setEnabled(not busy)

    def set_status(self, status: str) -> None:
        idx = self.table.currentIndex()
        if not idx.isValid() or not self.work.settled():
            return
        ld = self.model.rows[idx.row()]
        self.work.run(lambda: service_jobs.set_lead_status(self.db, self.actor, ld.id, ld.version, status),
                      done=lambda _lead: self.reload())
