"""The quotes and orders list: search and filters become SQL WHERE, header clicks SQL ORDER BY;
the model holds ids and fetches only the visible rows."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import clock
from app.desk import Desk
from app.services import orders, queries
from app.services.changes import Changes
from app.services.paging import Filter
from app.views.common.export import enable_export
from app.views.common.lazy import LazyTableModel

STATUS_FILTERS: list[tuple[str, list[str] | None]] = [
    ("Open quotes and orders", ["quote", "confirmed", "in_production", "ready", "partially_shipped", "shipped",
                                "invoiced", "on_hold"]),
    ("Quotes", ["quote"]),
    ("Confirmed, not shipped", ["confirmed", "in_production", "ready", "partially_shipped"]),
    ("Shipped or invoiced", ["shipped", "invoiced"]),
    ("On hold", ["on_hold"]),
    ("Closed, cancelled, lost", ["closed", "cancelled", "lost"]),
    ("All", None),
]


class OrdersListPanel(QWidget):
    order_selected = Signal(int)

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor = db, actor
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("orderSearch")
        self.search.setPlaceholderText("Search number, customer…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.status = QComboBox()
        self.status.setObjectName("statusFilter")
        for label, _ in STATUS_FILTERS:
            self.status.addItem(label)
        self.salesperson = QComboBox()
        self.salesperson.setObjectName("salespersonFilter")
        self.salesperson.addItem("All salespeople", None)
        if actor.user_id is not None:
            self.salesperson.addItem("Mine", actor.user_id)
        for uid, name in queries.salespeople(db, actor):
            if uid != actor.user_id:
                self.salesperson.addItem(name, uid)
        self.use_dates = QCheckBox("From")
        self.use_dates.setToolTip("Only orders dated in this range")
        self.date_from = QDateEdit(_qdate(clock.today()).addMonths(-3))
        self.date_from.setCalendarPopup(True)
        self.date_to = QDateEdit(_qdate(clock.today()))
        self.date_to.setCalendarPopup(True)
        self.search.setMinimumWidth(100)
        self.status.setMinimumContentsLength(10)
        self.status.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        bar.addWidget(self.search, 2)
        bar.addWidget(self.status, 1)
        dates = QHBoxLayout()
        dates.addWidget(self.salesperson)
        dates.addWidget(self.use_dates)
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.date_to)
        dates.addStretch(1)
        lay.addLayout(bar)
        lay.addLayout(dates)
        self.model = LazyTableModel(desk, orders.ORDER_LIST, self)
        self.model.sort_key, self.model.descending = "number", True  # newest first
        self.model.where = self.filters()
        self.table = QTableView()
        self.table.setObjectName("ordersTable")
        self.table.setModel(self.model)
        enable_export(self.table, "Orders", self)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)  # sorts once (the first load), by the indicator
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 96)
        self.table.setColumnWidth(2, 200)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        lay.addWidget(self.table)
        self.count = QLabel()
        self.count.setObjectName("orderCount")
        lay.addWidget(self.count)
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(250)
        self.debounce.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _t: self.debounce.start())
        for sig in (self.status.currentIndexChanged, self.salesperson.currentIndexChanged, self.use_dates.toggled,
                    self.date_from.dateChanged, self.date_to.dateChanged):
            sig.connect(lambda *_a: self.debounce.start())
        self.count.setText(f"{self.model.rowCount():,} quotes and orders")

    def filters(self) -> list[Filter]:
        statuses = STATUS_FILTERS[self.status.currentIndex()][1]
        return orders.order_filters(
            search=self.search.text().strip(), statuses=statuses,
            salesperson_id=self.salesperson.currentData(),
            date_from=_day(self.date_from.date()) if self.use_dates.isChecked() else None,
            date_to=_day(self.date_to.date()) if self.use_dates.isChecked() else None)

    def apply_filter(self) -> None:
        self.model.set_filter(self.filters())
        self.count.setText(f"{self.model.rowCount():,} quotes and orders")

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.order_selected.emit(self.model.id_at(current.row()))

    def select_order(self, order_id: int) -> None:
        try:
            row = self.model.ids.index(order_id)
        except ValueError:
            self.search.clear()
            self.status.setCurrentIndex(len(STATUS_FILTERS) - 1)
            self.apply_filter()
            try:
                row = self.model.ids.index(order_id)
            except ValueError:
                return
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))

    def on_changes(self, changes: Changes) -> None:
        if changes.everything:
            self.apply_filter()
            return
        changed = changes.entities.get("sales_order", frozenset())
        if changed and any(i not in self.model.ids for i in changed):
            current = self.table.currentIndex()
            keep = self.model.id_at(current.row()) if current.isValid() else None
            self.apply_filter()  # a new order on another desk: the id list changes
            if keep is not None:
                self.select_order(keep)
        elif changed:
            self.model.refresh_ids(changed)


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(day: QDate) -> dt.date:
    return dt.date(day.year(), day.month(), day.day())
