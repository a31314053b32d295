"""Cycle overview: where the firm's orders are, stage by stage, and which department acts next."""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from app import format as fmt
from app.desk import Desk
from app.services.changes import Changes
from app.services.overview import StageRow, cycle_overview
from app.views.common.export import enable_export
from app.views.common.table import Column, RowsTableModel

TITLE = "Overview"


class OverviewTableModel(RowsTableModel[StageRow]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__([
            Column("Stage", lambda r: r.label),
            Column("Next department", lambda r: r.next_department),
            Column("Orders", lambda r: fmt.quantity(r.orders), align_right=True),
            Column("Net value", lambda r: fmt.money(r.value), align_right=True),
        ], parent, key=lambda r: r.status)


class OverviewTab(QWidget):
    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor = db, actor
        self.setObjectName("overviewTab")
        lay = QVBoxLayout(self)
        heading = QLabel("<b>Open orders by stage</b> — every department sees the same numbers.")
        lay.addWidget(heading)
        self.model = OverviewTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("overviewTable")
        self.table.setModel(self.model)
        enable_export(self.table, "Cycle overview", self)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        lay.addWidget(self.table)
        self.reload()

    def reload(self) -> None:
        self.model.set_rows(cycle_overview(self.db, self.actor))

    def on_changes(self, changes: Changes) -> None:
        """Live refresh: reload only when orders changed on any desk."""
        if changes.touches("sales_order", "sales_order_line"):
            self.reload()
