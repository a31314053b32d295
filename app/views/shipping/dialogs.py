"""Dialogs of the shipping/returns tab. Each calls a service through ``submit``, off the GUI thread
(``Actions``); the dialog closes with the result only when the call succeeded. A known error shows
in the dialog (which keeps what was typed) and nothing is saved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import format as fmt
from app import clock
from app.services import returns, shipping
from app.views.common.submit import SubmitDialog
from app.views.common.table import cell

CARRIERS = ("DHL Freight", "DPD", "Palletways", "Own van", "Collected by customer")
DISPOSITIONS = (("restock", "Restock"), ("repair", "Repair (service job)"), ("scrap", "Scrap"),
                ("replace", "Replace (free replacement order)"))
RETURN_METHODS = (("carrier_pickup", "Carrier pickup"), ("label", "Return label (customer sends)"),
                  ("no_return", "Refund without return"))


def _grid(headers: Sequence[str], rows: Sequence[Sequence[Any]], editable: set[int]) -> QTableWidget:
    t = QTableWidget(len(rows), len(headers))
    _fill(t, headers, rows, editable)
    return t


def _fill(t: QTableWidget, headers: Sequence[str], rows: Sequence[Sequence[Any]], editable: set[int]) -> None:
    t.clear()
    t.setRowCount(len(rows))
    t.setColumnCount(len(headers))
    t.setHorizontalHeaderLabels(list(headers))
    t.verticalHeader().hide()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem("" if value is None else str(value))
            if c not in editable:
                item.setFlags(item.flags() & ~item.flags().ItemIsEditable)
            t.setItem(r, c, item)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    t.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)


class ConfirmPickDialog(SubmitDialog):
    """The picker's counts: the quantity column starts at what was asked; less is a short pick."""

    def __init__(self, parent: QWidget | None, view: shipping.PickListView,
                 submit: Callable[[dict[int, str]], Any]) -> None:
        super().__init__(parent, f"Confirm picks — {view.number}", "confirmPickDialog")
        self.view, self.submit = view, submit
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Enter what was actually picked. Less than asked makes a backorder and tells sales."))
        self.table = _grid(["Location", "SKU", "Product", "Order", "To pick", "Picked"],
                           [(r.location or "—", r.sku, r.name, r.order_number, fmt.quantity(r.to_pick),
                             fmt.quantity(r.to_pick)) for r in view.rows], {5})
        self.table.setObjectName("pickTable")
        lay.addWidget(self.table)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons("Confirm picks", self.send))
        self.resize(760, 380)

    def set_picked(self, row: int, value: str) -> None:
        cell(self.table, row, 5).setText(value)

    def send(self) -> None:
        picked = {r.pick_line_id: cell(self.table, i, 5).text() for i, r in enumerate(self.view.rows)}
        self.attempt(lambda: self.submit(picked))


class ShipDialog(SubmitDialog):
    """Carrier, tracking number, packages with weights, and the quantities (partial shipments)."""

    def __init__(self, parent: QWidget | None, order: shipping.ReadyOrder,
                 submit: Callable[[str, str, list[tuple[str, str | None]], dict[int, str], str], Any]) -> None:
        super().__init__(parent, f"Ship {order.number} — {order.customer}", "shipDialog")
        self.order, self.submit = order, submit
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.carrier = QComboBox()
        self.carrier.setObjectName("carrier")
        self.carrier.setEditable(True)
        self.carrier.addItems(CARRIERS)
        self.carrier.setCurrentText("")
        self.tracking = QLineEdit()
        self.tracking.setObjectName("tracking")
        self.weights = QLineEdit()
        self.weights.setObjectName("packageWeights")
        self.weights.setPlaceholderText("one weight in kg per package, e.g. 12.5, 8")
        self.dimensions = QLineEdit()
        self.dimensions.setObjectName("packageDimensions")
        self.dimensions.setPlaceholderText("optional, e.g. 120x80x40 (applies to each package)")
        self.note = QLineEdit()
        form.addRow("Carrier", self.carrier)
        form.addRow("Tracking number", self.tracking)
        form.addRow("Package weights", self.weights)
        form.addRow("Dimensions", self.dimensions)
        form.addRow("Note", self.note)
        lay.addLayout(form)
        lines = [ln for ln in order.lines if ln.picked_not_shipped > 0]
        self.lines = lines
        self.table = _grid(["SKU", "Product", "Ordered", "Shipped before", "Picked, to ship", "Ship now"],
                           [(ln.sku, ln.name, fmt.quantity(ln.ordered), fmt.quantity(ln.shipped),
                             fmt.quantity(ln.picked_not_shipped), fmt.quantity(ln.picked_not_shipped))
                            for ln in lines], {5})
        self.table.setObjectName("shipTable")
        self.work.fields.update({"carrier": self.carrier, "packages": self.weights})
        lay.addWidget(self.table)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons("Ship", self.send))
        self.resize(760, 420)

    def send(self) -> None:
        raw = [w for w in self.weights.text().replace(";", ",").replace(" ", ",").split(",") if w.strip()]
        dims = self.dimensions.text().strip() or None
        packages = [(w.strip(), dims) for w in raw]
        qty = {ln.order_line_id: cell(self.table, i, 5).text() for i, ln in enumerate(self.lines)}
        carrier, tracking, note = self.carrier.currentText(), self.tracking.text(), self.note.text()
        self.attempt(lambda: self.submit(carrier, tracking, packages, qty, note))


class AmountDialog(SubmitDialog):
    """A payment (amount, date, method, reference) or a credit note (amount, reason)."""

    def __init__(self, parent: QWidget | None, title: str, name: str, intro: str, amount: Decimal,
                 submit: Callable[[str, dt.date, str, str], Any], *, with_date: bool, text_label: str) -> None:
        super().__init__(parent, title, name)
        self.submit = submit
        form = QFormLayout(self)
        form.addRow(QLabel(intro))
        self.amount = QLineEdit(f"{amount:.2f}")
        self.amount.setObjectName("amount")
        form.addRow("Amount", self.amount)
        today = clock.today()
        self.date = QDateEdit(QDate(today.year, today.month, today.day))
        self.date.setObjectName("receivedOn")
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.method = QComboBox()
        self.method.setObjectName("method")
        self.method.addItems(["bank transfer", "card", "cheque", "cash"])
        if with_date:
            form.addRow("Received on", self.date)
            form.addRow("Method", self.method)
        self.text = QLineEdit()
        self.text.setObjectName("text")
        form.addRow(text_label, self.text)
        self.work.fields.update({"amount": self.amount, "reason": self.text})
        form.addRow(self.error)
        form.addRow(self.buttons("Save", self.send))

    def send(self) -> None:
        d = self.date.date()
        amount, day, method, text = (self.amount.text(), dt.date(d.year(), d.month(), d.day()),
                                     self.method.currentText(), self.text.text())
        self.attempt(lambda: self.submit(amount, day, method, text))


class TextDialog(SubmitDialog):
    def __init__(self, parent: QWidget | None, title: str, name: str, label: str, submit: Callable[[str], Any]) -> None:
        super().__init__(parent, title, name)
        self.submit = submit
        form = QFormLayout(self)
        self.text = QLineEdit()
        self.text.setObjectName("text")
        form.addRow(label, self.text)
        form.addRow(self.error)
        form.addRow(self.buttons("Save", self.send))
        self.resize(520, 120)

    def send(self) -> None:
        text = self.text.text()  # read here: the call runs off the GUI thread
        self.attempt(lambda: self.submit(text))


class OpenClaimDialog(SubmitDialog):
    """A claim from a phone call: the customer, what they say, and the shipped lines it is about —
    from any of their orders."""

    def __init__(self, parent: QWidget | None, customers: list[tuple[int, str, str]],
                 lines_for: Callable[[int], list[returns.ReturnableLine]],
                 submit: Callable[[int, list[tuple[int, str, str]], str, str], Any]) -> None:
        super().__init__(parent, "Open a claim", "openClaimDialog")
        self.lines_for, self.submit = lines_for, submit
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.customer = QComboBox()
        self.customer.setObjectName("claimCustomer")
        for cid, code, name in customers:
            self.customer.addItem(f"{code} — {name}", cid)
        self.customer.currentIndexChanged.connect(lambda _i: self.load_lines())
        self.channel = QComboBox()
        self.channel.setObjectName("channel")
        self.channel.addItems(["phone", "email", "visit"])
        self.complaint = QPlainTextEdit()
        self.complaint.setObjectName("complaint")
        self.complaint.setTabChangesFocus(True)
        self.complaint.setFixedHeight(60)
        form.addRow("Customer", self.customer)
        form.addRow("Channel", self.channel)
        form.addRow("What the customer says", self.complaint)
        lay.addLayout(form)
        lay.addWidget(QLabel("Lines (set the quantity returned and a reason on each line the claim is about):"))
        self.table = QTableWidget(0, 7)
        self.table.setObjectName("claimLines")
        self.work.fields.update({"complaint": self.complaint, "lines": self.table})
        lay.addWidget(self.table)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons("Open claim", self.send))
        self.rows: list[returns.ReturnableLine] = []
        self.load_lines()
        self.resize(860, 480)

    def load_lines(self) -> None:
        cid = self.customer.currentData()
        self.rows = [r for r in (self.lines_for(cid) if cid is not None else []) if r.returnable > 0]
        _fill(self.table, ["Order", "SKU", "Product", "Shipped", "Shipped on", "Return qty", "Reason"],
              [(r.order_number, r.sku, r.name, fmt.quantity(r.shipped), fmt.date(r.shipped_on), "", "")
               for r in self.rows], {5, 6})
        self.table.resizeColumnsToContents()

    def set_line(self, order_number: str, sku: str, qty: str, reason: str) -> None:
        i = next(k for k, r in enumerate(self.rows) if r.order_number == order_number and r.sku == sku)
        cell(self.table, i, 5).setText(qty)
        cell(self.table, i, 6).setText(reason)

    def send(self) -> None:
        chosen = [(r.order_line_id, cell(self.table, i, 5).text().strip(), cell(self.table, i, 6).text())
                  for i, r in enumerate(self.rows) if cell(self.table, i, 5).text().strip()]
        customer, complaint, channel = (self.customer.currentData(), self.complaint.toPlainText(),
                                        self.channel.currentText())
        self.attempt(lambda: self.submit(customer, chosen, complaint, channel))


class DecideClaimDialog(SubmitDialog):
    def __init__(self, parent: QWidget | None, claim: returns.ClaimView, approve: Callable[[str, str, str], Any],
                 reject: Callable[[str], Any]) -> None:
        super().__init__(parent, f"Decide claim {claim.number}", "decideClaimDialog")
        form = QFormLayout(self)
        form.addRow(QLabel(f"<b>{claim.customer}</b>: {claim.complaint}<br>" + "<br>".join(
            f"{fmt.quantity(ln.quantity)} × {ln.sku} ({ln.order_number}): {ln.reason}" for ln in claim.lines)))
        self.method = QComboBox()
        self.method.setObjectName("returnMethod")
        for key, label in RETURN_METHODS:
            self.method.addItem(label, key)
        self.details = QLineEdit()
        self.details.setObjectName("pickupDetails")
        self.details.setPlaceholderText("e.g. collect from goods-in, Mon–Fri before 10:00")
        self.reason = QLineEdit()
        self.reason.setObjectName("decisionReason")
        form.addRow("Return", self.method)
        form.addRow("Pickup / label details", self.details)
        form.addRow("Reason / note", self.reason)
        self.work.fields.update({"reason": self.reason, "details": self.details})
        form.addRow(self.error)
        row = QHBoxLayout()
        self.approve_button = QPushButton("&Approve")
        self.approve_button.setObjectName("approveClaim")
        self.approve, self.refuse = approve, reject
        self.approve_button.clicked.connect(self.send_approval)
        self.reject_button = QPushButton("&Reject")
        self.reject_button.setObjectName("rejectClaim")
        self.reject_button.clicked.connect(self.send_rejection)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.action_buttons += [self.approve_button, self.reject_button, cancel]
        row.addStretch(1)
        for b in (self.approve_button, self.reject_button, cancel):
            row.addWidget(b)
        form.addRow(row)
        self.resize(620, 280)

    # the values are read here, on the GUI thread; the call runs off it
    def send_approval(self) -> None:
        method, details, reason = self.method.currentData(), self.details.text(), self.reason.text()
        self.attempt(lambda: self.approve(method, details, reason))

    def send_rejection(self) -> None:
        reason = self.reason.text()
        self.attempt(lambda: self.refuse(reason))


class InspectDialog(SubmitDialog):
    def __init__(self, parent: QWidget | None, claim: returns.ClaimView,
                 submit: Callable[[dict[int, tuple[str, str]]], Any]) -> None:
        super().__init__(parent, f"Inspect {claim.number}", "inspectDialog")
        self.claim, self.submit = claim, submit
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Per line: what was found, and what happens to it. Restock and scrap are credited; "
                             "the refund goes to finance."))
        self.table = QTableWidget(len(claim.lines), 5)
        self.table.setObjectName("inspectTable")
        self.table.setHorizontalHeaderLabels(["Order", "SKU", "Qty", "Disposition", "Condition found"])
        self.table.verticalHeader().hide()
        self.combos: list[QComboBox] = []
        for i, ln in enumerate(claim.lines):
            for c, v in enumerate((ln.order_number, ln.sku, fmt.quantity(ln.quantity))):
                item = QTableWidgetItem(v)
                item.setFlags(item.flags() & ~item.flags().ItemIsEditable)
                self.table.setItem(i, c, item)
            combo = QComboBox()
            combo.addItem("— choose —", None)
            for key, label in DISPOSITIONS:
                combo.addItem(label, key)
            self.table.setCellWidget(i, 3, combo)
            self.combos.append(combo)
            self.table.setItem(i, 4, QTableWidgetItem(""))
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.resizeColumnsToContents()
        lay.addWidget(self.table)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons("Save inspection", self.send))
        self.resize(760, 320)

    def set_line(self, row: int, disposition: str, condition: str) -> None:
        self.combos[row].setCurrentIndex(self.combos[row].findData(disposition))
        cell(self.table, row, 4).setText(condition)

    def send(self) -> None:
        findings = {ln.id: (self.combos[i].currentData() or "", cell(self.table, i, 4).text())
                    for i, ln in enumerate(self.claim.lines)}
        self.attempt(lambda: self.submit(findings))
