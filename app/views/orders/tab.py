"""Order entry: the quotes and orders list on the left, the form with hints on the right."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSplitter, QVBoxLayout, QWidget

from app.desk import Desk
from app.services.changes import Changes
from app.services.permissions import allowed
from app.views.orders.form import OrderForm
from app.views.orders.list_panel import OrdersListPanel

if TYPE_CHECKING:
    from app.views.orders.leads import LeadsDialog

TITLE = "Order entry"


class OrdersTab(QWidget):
    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor = db, actor
        self.setObjectName("ordersTab")
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.new_button = QPushButton("&New quote")
        self.new_button.setObjectName("newQuote")
        self.new_button.setEnabled(allowed(actor.role, "orders.edit"))
        self.new_button.clicked.connect(self.new_quote)
        top.addWidget(self.new_button)
        top.addStretch(1)
        self.leads_button = QPushButton()
        self.leads_button.setObjectName("leadsButton")
        self.leads_button.setToolTip("Opportunities and what the technicians learned at your customers")
        self.leads_button.clicked.connect(lambda: self.show_leads())
        top.addWidget(self.leads_button)
        self.refresh_leads()
        lay.addLayout(top)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.list = OrdersListPanel(desk)
        self.form = OrderForm(desk)
        self.list.setMinimumWidth(260)  # narrow screens squeeze the list first (its filters wrap)
        split.addWidget(self.list)
        split.addWidget(self.form)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([470, 930])
        lay.addWidget(split)
        self.list.order_selected.connect(self.open_order)
        self.form.saved.connect(self._saved)
        QShortcut(QKeySequence.StandardKey.Find, self, lambda: self.list.search.setFocus())
        QShortcut(QKeySequence("Ctrl+N"), self, self.new_quote)

    def refresh_leads(self) -> None:
        from app.views.orders.leads import new_lead_count

        n = new_lead_count(self.desk)
        self.leads_button.setText(f"&Leads from service ({n} new)" if n else "&Leads from service")
        self.leads_button.setStyleSheet("font-weight: bold" if n else "")

    def show_leads(self) -> LeadsDialog:
        from app.views.orders.leads import LeadsDialog

        self.leads_dialog = LeadsDialog(self.desk, self)
        self.leads_dialog.finished.connect(lambda _r: self.refresh_leads())
        self.leads_dialog.show()
        return self.leads_dialog

    def current_customer_id(self) -> int | None:
        o = self.form.order
        return o.customer_id if o is not None else None

    def new_quote(self) -> None:
        if allowed(self.actor.role, "orders.edit"):
            self.list.table.clearSelection()
            self.form.clear()
            self.form.customer.setFocus()

    def open_order(self, order_id: int) -> None:
        if self.form.order is not None and self.form.order.id == order_id and not self.form.dirty:
            return
        self.form.load(order_id)

    def _saved(self, order_id: int) -> None:
        self.list.apply_filter()
        self.list.select_order(order_id)

    def on_changes(self, changes: Changes) -> None:
        self.list.on_changes(changes)
        if changes.touches("lead", "service_debrief"):
            self.refresh_leads()
        o = self.form.order
        if o is not None and (changes.everything or o.id in changes.entities.get("sales_order", frozenset())):
            if not self.form.dirty:
                self.form.load(o.id)  # someone else changed the order we are looking at
        if o is not None:
            self.form.show_others()
