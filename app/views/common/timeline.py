"""The customer timeline window, reachable from every tab (Customer → Customer timeline…,
Ctrl+Shift+T): every department's part of the customer's business in time order."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QHBoxLayout, QLabel, QTableView, QVBoxLayout, QWidget

from app import format as fmt
from app.desk import Desk
from app.services import queries
from app.services.timeline import STAGE_LABEL, CustomerTimeline, Entry, customer_timeline
from app.views.common.export import enable_export
from app.views.common.table import Column, RowsTableModel

COLUMNS: list[Column[Entry]] = [
    Column("When", lambda e: fmt.local_time(e.at)), Column("Department", lambda e: e.department),
    Column("Order", lambda e: e.order_number or ""), Column("What", lambda e: e.summary),
    Column("Who", lambda e: e.user),
]


class CustomerTimelineDialog(QDialog):
    def __init__(self, desk: Desk, customer_id: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor = db, actor
        self.setObjectName("customerTimeline")
        self.setWindowTitle("Customer timeline")
        self.timeline: CustomerTimeline | None = None
        lay = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.customer = QComboBox()
        self.customer.setObjectName("timelineCustomer")
        for cid, code, name in queries.customers(db, actor):
            self.customer.addItem(f"{code} — {name}", cid)
        self.customer.setEditable(True)
        self.customer.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.department = QComboBox()
        self.department.setObjectName("timelineDepartment")
        self.department.addItem("All departments", None)
        for stage, label in STAGE_LABEL.items():
            if stage not in ("admin", "planning"):
                self.department.addItem(label, stage)
        bar.addWidget(QLabel("Customer"))
        bar.addWidget(self.customer, 1)
        bar.addWidget(self.department)
        lay.addLayout(bar)
        self.head = QLabel()
        self.head.setObjectName("timelineHead")
        self.head.setWordWrap(True)
        lay.addWidget(self.head)
        self.model: RowsTableModel[Entry] = RowsTableModel(COLUMNS, self)
        self.table = QTableView()
        self.table.setObjectName("timelineTable")
        self.table.setModel(self.model)
        enable_export(self.table, "Customer timeline", self)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(True)
        lay.addWidget(self.table, 1)
        if customer_id is not None:
            i = self.customer.findData(customer_id)
            if i >= 0:
                self.customer.setCurrentIndex(i)
        self.customer.currentIndexChanged.connect(lambda _i: self.load())
        self.department.currentIndexChanged.connect(lambda _i: self.show_entries())
        self.resize(1100, 680)
        self.load()

    def load(self) -> None:
        cid = self.customer.currentData()
        if cid is None:
            return
        self.timeline = customer_timeline(self.db, self.actor, cid)
        self.show_entries()

    def show_entries(self) -> None:
        t = self.timeline
        if t is None:
            return
        stage = self.department.currentData()
        entries = [e for e in reversed(t.entries) if stage is None or e.stage == stage]  # newest first
        self.model.set_rows(entries)
        counts: dict[str, int] = {}
        for e in t.entries:
            counts[e.department] = counts.get(e.department, 0) + 1
        self.head.setText(f"<b>{t.name}</b> ({t.code}), tier {t.tier}{' · strategic' if t.strategic else ''} — "
                          f"{len(t.entries)} entries: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(3, 620)
