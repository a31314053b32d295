"""Shipping and returns: pick lists in walking order, shipments, invoices and payments, claims
and refunds — each department's part, on one tab, with the buttons its role may use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
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
from app.services import billing, queries, returns, shipping
from app.services.changes import Changes
from app.services.permissions import allowed
from app.views.common.action import Actions
from app.views.common.messages import ERROR_COLOUR
from app.views.common.table import Column, Index, RowsTableModel, list_view
from app.views.shipping.dialogs import (
    AmountDialog,
    ConfirmPickDialog,
    DecideClaimDialog,
    InspectDialog,
    OpenClaimDialog,
    ShipDialog,
    TextDialog,
)

TITLE = "Shipping/returns"
WATCHED = ("sales_order", "sales_order_line", "pick_list", "shipment", "invoice", "payment", "credit_note", "refund",
           "return_authorization", "product")


T = TypeVar("T")


class FlagModel(RowsTableModel[T]):
    """Rows where ``flag(row)`` is true are shown in red (overdue invoices and refunds)."""

    def __init__(self, columns: list[Column[T]], parent: QWidget | None, key: Callable[[T], object],
                 flag: Callable[[T], bool]) -> None:
        super().__init__(columns, parent, key=key)
        self.flag = flag

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid() and index.row() < len(self.rows) \
                and self.flag(self.rows[index.row()]):
            return QColor(ERROR_COLOUR)
        return super().data(index, role)


_TITLE = {'readyTable': 'Ready to pick or ship', 'pickListsTable': 'Pick lists', 'shipmentsTable': 'Shipments',
          'toInvoiceTable': 'To invoice', 'invoicesTable': 'Invoices', 'claimsTable': 'Claims',
          'refundsTable': 'Refunds'}


def _table(name: str, model: RowsTableModel[Any], *, multi: bool = False) -> QTableView:
    return list_view(name, model, _TITLE.get(name, name), multi=multi)


def _button(text: str, name: str, action: Callable[[], object], visible: bool, row: QHBoxLayout) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    b.clicked.connect(lambda: action())
    b.setVisible(visible)
    row.addWidget(b)
    return b


class ShippingTab(QWidget):
    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor = db, actor
        self.setObjectName("shippingTab")
        role = actor.role
        self.can_ship = allowed(role, "shipping.edit")
        self.can_bill = allowed(role, "billing.edit")
        self.sees_billing = allowed(role, "billing.view")
        self.action_buttons: list[QPushButton] = []  # held while a call runs
        self.work = Actions(self)
        self.work.busy_changed.connect(self._hold)
        self.pick_list: shipping.PickListView | None = None  # the last one made here
        self.printed: Path | None = None  # the last PDF saved here
        lay = QVBoxLayout(self)
        self.pages = QTabWidget()
        self.pages.setObjectName("shippingPages")
        lay.addWidget(self.pages, 1)
        self.message = QLabel()
        self.message.setObjectName("shippingMessage")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self._build_pick_ship()
        if self.sees_billing:
            self._build_billing()
        self._build_returns()
        self.reload()

    def settled(self) -> bool:
        """No service call of this tab is pending (tests wait for it)."""
        return self.work.settled()

    def _hold(self, busy: bool) -> None:
        for b in self.action_buttons:
            b.setEnabled(not busy)

    def _button(self, text: str, name: str, action: Callable[[], object], visible: bool,
                row: QHBoxLayout) -> QPushButton:
        """An action button: it calls a service, so it is held while a call runs."""
        b = _button(text, name, action, visible, row)
        self.action_buttons.append(b)
        return b

    # --- pages -------------------------------------------------------------------------------
    def _build_pick_ship(self) -> None:
        page = QWidget()
        pl = QVBoxLayout(page)
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel("<b>Ready to pick or ship</b> (select several orders for one batched pick list)"))
        self.ready_model: RowsTableModel[shipping.ReadyOrder] = RowsTableModel([
            Column("Order", lambda r: r.number), Column("Customer", lambda r: r.customer),
            Column("Status", lambda r: r.status.replace("_", " ")),
            Column("Promise", lambda r: fmt.date(r.promise_date)),
            Column("To pick", lambda r: fmt.quantity(r.pickable), True),
            Column("Picked, to ship", lambda r: fmt.quantity(r.to_ship), True)], self, key=lambda r: r.order_id)
        self.ready_table = _table("readyTable", self.ready_model, multi=True)
        ll.addWidget(self.ready_table)
        row = QHBoxLayout()
        self._button("&Pick list for selected", "createPickList", self.create_pick_list, self.can_ship, row)
        self._button("&Ship…", "shipOrder", self.ship_selected, self.can_ship, row)
        row.addStretch(1)
        ll.addLayout(row)
        split.addWidget(left)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(QLabel("<b>Open pick lists</b>"))
        self.lists_model: RowsTableModel[shipping.PickListView] = RowsTableModel([
            Column("Pick list", lambda p: p.number), Column("Orders", lambda p: ", ".join(p.orders)),
            Column("Lines", lambda p: str(len(p.rows)), True), Column("Created by", lambda p: p.created_by)],
            self, key=lambda p: p.id)
        self.lists_table = _table("pickListsTable", self.lists_model)
        rl.addWidget(self.lists_table)
        row = QHBoxLayout()
        self._button("&Confirm picks…", "confirmPicks", self.confirm_selected, self.can_ship, row)
        self._button("Print pick &list…", "printPickList", lambda: self.print_selected("pick-list"), True, row)
        row.addStretch(1)
        rl.addLayout(row)
        rl.addWidget(QLabel("<b>Shipments</b>"))
        self.shipments_model: RowsTableModel[shipping.ShipmentView] = RowsTableModel([
            Column("Shipment", lambda v: v.number), Column("Order", lambda v: v.order_number),
            Column("Customer", lambda v: v.customer), Column("Carrier", lambda v: v.carrier or ""),
            Column("Tracking", lambda v: v.tracking_number or ""),
            Column("Packages", lambda v: f"{v.packages} · {fmt.quantity(v.weight_kg)} kg", True),
            Column("Shipped", lambda v: fmt.local_time(v.shipped_at))], self, key=lambda v: v.id)
        self.shipments_table = _table("shipmentsTable", self.shipments_model)
        rl.addWidget(self.shipments_table)
        row = QHBoxLayout()
        self._button("&Delivery note…", "printDeliveryNote", lambda: self.print_selected("delivery-note"), True, row)
        row.addStretch(1)
        rl.addLayout(row)
        split.addWidget(right)
        pl.addWidget(split)
        self.pages.addTab(page, "Pick && ship")

    def _build_billing(self) -> None:
        page = QWidget()
        bl = QVBoxLayout(page)
        bl.addWidget(QLabel("<b>Shipped, to invoice</b>"))
        self.to_invoice_model: RowsTableModel[billing.ToInvoice] = RowsTableModel([
            Column("Order", lambda r: r.number), Column("Customer", lambda r: r.customer),
            Column("Status", lambda r: r.status.replace("_", " ")),
            Column("Shipped, not invoiced (net)", lambda r: fmt.money(r.shipped_value), True)], self,
            key=lambda r: r.order_id)
        self.to_invoice_table = _table("toInvoiceTable", self.to_invoice_model)
        bl.addWidget(self.to_invoice_table, 1)
        row = QHBoxLayout()
        self._button("&Invoice", "invoiceOrder", self.invoice_selected, self.can_bill, row)
        row.addStretch(1)
        self.overdue_only = QCheckBox("Overdue only")
        self.overdue_only.setObjectName("overdueOnly")
        self.overdue_only.toggled.connect(lambda _on: self.reload_invoices())
        row.addWidget(self.overdue_only)
        bl.addLayout(row)
        bl.addWidget(QLabel("<b>Invoices</b> (overdue in red)"))
        self.invoices_model: FlagModel[billing.InvoiceView] = FlagModel([
            Column("Invoice", lambda v: str(v.number), True), Column("Order", lambda v: v.order_number),
            Column("Customer", lambda v: v.customer), Column("Issued", lambda v: fmt.date(v.issue_date)),
            Column("Due", lambda v: fmt.date(v.due_date)), Column("Total", lambda v: fmt.money(v.gross), True),
            Column("Paid", lambda v: fmt.money(v.paid), True),
            Column("Credited", lambda v: fmt.money(v.credited), True),
            Column("Outstanding", lambda v: fmt.money(v.outstanding), True),
            Column("Status", lambda v: v.status.replace("_", " ") + (
                f" · {v.days_overdue(clock.today())} days overdue" if v.days_overdue(clock.today()) else ""))],
            self, key=lambda v: v.id, flag=lambda v: v.days_overdue(clock.today()) > 0)
        self.invoices_table = _table("invoicesTable", self.invoices_model)
        bl.addWidget(self.invoices_table, 2)
        row = QHBoxLayout()
        self._button("Record &payment…", "recordPayment", self.payment_selected, self.can_bill, row)
        self._button("C&redit note…", "creditNote", self.credit_selected, self.can_bill, row)
        self._button("Print in&voice…", "printInvoice", lambda: self.print_selected("invoice"), True, row)
        row.addStretch(1)
        bl.addLayout(row)
        self.pages.addTab(page, "Billing")

    def _build_returns(self) -> None:
        page = QWidget()
        rl = QVBoxLayout(page)
        rl.addWidget(QLabel("<b>Claims</b>"))
        self.claims_model: FlagModel[returns.ClaimView] = FlagModel([
            Column("Claim", lambda c: c.number), Column("Customer", lambda c: c.customer),
            Column("Opened", lambda c: fmt.local_time(c.opened_at)), Column("Status", lambda c: c.status_label),
            Column("Lines", lambda c: "; ".join(f"{fmt.quantity(ln.quantity)} × {ln.sku} ({ln.order_number})"
                                                for ln in c.lines)),
            Column("Refund due", lambda c: fmt.date(c.refund_due) if c.refund_due else ""),
            Column("Receipt → refund", lambda c: "" if c.days_receipt_to_refund() is None
                   else f"{c.days_receipt_to_refund()} days"),
            Column("Complaint", lambda c: c.complaint)], self, key=lambda c: c.id,
            flag=lambda c: c.refund_overdue(clock.today()))
        self.claims_table = _table("claimsTable", self.claims_model)
        rl.addWidget(self.claims_table, 2)
        row = QHBoxLayout()
        role = self.actor.role
        self._button("&Open claim…", "openClaim", self.open_claim, allowed(role, "returns.open"), row)
        self._button("&Decide…", "decideClaim", self.decide_selected, allowed(role, "returns.decide"), row)
        self._button("Book pic&kup…", "bookPickup", self.pickup_selected, allowed(role, "returns.receive"), row)
        self._button("Re&ceived", "receiveClaim", self.receive_selected, allowed(role, "returns.receive"), row)
        self._button("&Inspect…", "inspectClaim", self.inspect_selected, allowed(role, "returns.receive"), row)
        self.open_claims_only = QCheckBox("Open claims only")
        self.open_claims_only.setChecked(True)
        self.open_claims_only.toggled.connect(lambda _on: self.reload_claims())
        row.addStretch(1)
        row.addWidget(self.open_claims_only)
        rl.addLayout(row)
        rl.addWidget(QLabel("<b>Refunds</b> (queued to finance; overdue against the target in red)"))
        self.refunds_model: FlagModel[billing.RefundView] = FlagModel([
            Column("Credit note", lambda r: str(r.credit_note_number), True),
            Column("Invoice", lambda r: str(r.invoice_number), True), Column("Customer", lambda r: r.customer),
            Column("Claim", lambda r: r.rma_number or ""), Column("Amount", lambda r: fmt.money(r.amount), True),
            Column("Queued", lambda r: fmt.local_time(r.queued_at)), Column("Due by", lambda r: fmt.date(r.due_by)),
            Column("Status", lambda r: ("overdue" if r.overdue(clock.today()) else r.status)
                   + (f" {fmt.local_time(r.paid_at)}" if r.paid_at else ""))],
            self, key=lambda r: r.id, flag=lambda r: r.overdue(clock.today()))
        self.refunds_table = _table("refundsTable", self.refunds_model)
        rl.addWidget(self.refunds_table, 1)
        row = QHBoxLayout()
        self._button("Pay &refund…", "payRefund", self.pay_refund_selected, self.can_bill, row)
        self._button("Print credit &note…", "printCreditNote", lambda: self.print_selected("credit-note"),
                self.sees_billing, row)
        row.addStretch(1)
        rl.addLayout(row)
        self.pages.addTab(page, "Returns && refunds")

    # --- loading --------------------------------------------------------------------------------
    def reload(self) -> None:
        self.ready_model.set_rows(shipping.ready_orders(self.db, self.actor))
        self.lists_model.set_rows(shipping.open_pick_lists(self.db, self.actor))
        self.shipments_model.set_rows(shipping.recent_shipments(self.db, self.actor, limit=100))
        if self.sees_billing:
            self.to_invoice_model.set_rows(billing.to_invoice(self.db, self.actor))
            self.reload_invoices()
        self.reload_claims()
        for t in (self.ready_table, self.lists_table, self.shipments_table):
            t.resizeColumnsToContents()

    def reload_invoices(self) -> None:
        rows = (billing.overdue(self.db, self.actor) if self.overdue_only.isChecked()
                else billing.invoices(self.db, self.actor, limit=300))
        self.invoices_model.set_rows(rows)
        self.invoices_table.resizeColumnsToContents()

    def reload_claims(self) -> None:
        self.claims_model.set_rows(returns.claims(self.db, self.actor, open_only=self.open_claims_only.isChecked()))
        refunds = billing.refunds(self.db, self.actor)
        self.refunds_model.set_rows([r for r in refunds if r.status == "queued"] +
                                    [r for r in refunds if r.status != "queued"][-50:][::-1])
        self.claims_table.resizeColumnsToContents()
        self.refunds_table.resizeColumnsToContents()
        late = sum(1 for r in refunds if r.overdue(clock.today()))
        if late and (self.can_bill or allowed(self.actor.role, "returns.decide")):
            self.message.setText(f"<span style='color:{ERROR_COLOUR}'>{late} refund{'s' if late != 1 else ''} "
                                 "overdue against the target.</span>")

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*WATCHED):
            self.reload()

    def current_customer_id(self) -> int | None:
        if self.pages.currentIndex() == self.pages.count() - 1 and self.claims_table.currentIndex().isValid():
            return self.claims_model.rows[self.claims_table.currentIndex().row()].customer_id
        if self.sees_billing and self.pages.currentIndex() == 1 and self.invoices_table.currentIndex().isValid():
            return self.invoices_model.rows[self.invoices_table.currentIndex().row()].customer_id
        return None

    # --- selection helpers ------------------------------------------------------------------------
    @staticmethod
    def _selected(table: QTableView, model: RowsTableModel[T]) -> list[T]:
        rows = sorted({i.row() for i in table.selectionModel().selectedRows()})
        if not rows and table.currentIndex().isValid():
            rows = [table.currentIndex().row()]
        return [model.rows[r] for r in rows if r < len(model.rows)]

    def _one(self, table: QTableView, model: RowsTableModel[T], what: str) -> T | None:
        sel = self._selected(table, model)
        if not sel:
            self.message.setText(f"Select {what} first.")
            return None
        return sel[0]

    def select_row(self, table: QTableView, model: RowsTableModel[T], pred: Callable[[T], bool]) -> None:
        for i, r in enumerate(model.rows):
            if pred(r):
                table.selectRow(i)
                return
        raise LookupError("no such row")

    def _run(self, fn: Callable[[], object], done: str | None = None,
             then: Callable[[Any], None] | None = None) -> None:
        """Call the service ``fn`` off the GUI thread (``Actions``); on success reload, say ``done``
        (formatted with the result as ``out``) and hand the result to ``then``."""

        def finished(out: object) -> None:
            self.reload()
            if done:
                self.message.setText(done.format(out=out))
            if then is not None:
                then(out)

        self.work.run(fn, done=finished)

    # --- pick and ship ------------------------------------------------------------------------------
    def create_pick_list(self) -> None:
        """One pick list for the selected orders; once made it is ``self.pick_list``, selected."""
        orders = self._selected(self.ready_table, self.ready_model)
        if not orders:
            self.message.setText("Select one or more orders first.")
            return
        ids = [o.order_id for o in orders]

        def made(view: shipping.PickListView) -> None:
            self.pick_list = view
            self.message.setText(f"{view.number}: {len(view.groups)} stops for {', '.join(view.orders)}, in "
                                 "walking order.")
            self.select_row(self.lists_table, self.lists_model, lambda p: p.id == view.id)

        self._run(lambda: shipping.create_pick_list(self.db, self.actor, ids), then=made)

    def confirm_selected(self) -> None:
        pl = self._one(self.lists_table, self.lists_model, "a pick list")
        if pl is None:
            return
        dlg = ConfirmPickDialog(self, pl, lambda picked: shipping.confirm_pick(self.db, self.actor, pl.id, pl.version,
                                                                               picked))
        if dlg.exec():
            self.reload()
            self.message.setText(f"{pl.number} picked. " + ("A short pick made a backorder; sales is told on the "
                                                            "order." if any(
                r.picked is not None and r.picked < r.to_pick for r in dlg.result_value.rows) else ""))

    def ship_selected(self) -> None:
        order = self._one(self.ready_table, self.ready_model, "an order")
        if order is None:
            return
        if order.to_ship <= 0:
            self.message.setText(f"Nothing of {order.number} is picked yet: confirm its pick list first.")
            return
        dlg = ShipDialog(self, order, lambda carrier, tracking, packages, qty, note: shipping.ship(
            self.db, self.actor, order.order_id, carrier=carrier, tracking_number=tracking, packages=packages,
            quantities=qty, note=note))
        if dlg.exec():
            v = dlg.result_value
            self.reload()
            self.message.setText(f"{v.number} shipped with {v.carrier}" + (f", tracking {v.tracking_number}"
                                                                            if v.tracking_number else "") + ".")

    # --- billing -----------------------------------------------------------------------------------
    def invoice_selected(self) -> None:
        row = self._one(self.to_invoice_table, self.to_invoice_model, "an order to invoice")
        if row is not None:
            self._run(lambda: billing.invoice_order(self.db, self.actor, row.order_id),
                      "Invoice {out.number} issued for {out.order_number}.")

    def payment_selected(self) -> None:
        inv = self._one(self.invoices_table, self.invoices_model, "an invoice")
        if inv is None:
            return
        dlg = AmountDialog(self, f"Payment for invoice {inv.number}", "paymentDialog",
                           f"{inv.customer}: {fmt.money(inv.outstanding)} outstanding of {fmt.money(inv.gross)}",
                           inv.outstanding, lambda amount, day, method, ref: billing.record_payment(
                               self.db, self.actor, inv.id, amount, received_on=day, method=method, reference=ref),
                           with_date=True, text_label="Reference")
        if dlg.exec():
            self.reload()
            v = dlg.result_value
            self.message.setText(f"Payment recorded on invoice {v.number}: {v.status.replace('_', ' ')}.")

    def credit_selected(self) -> None:
        inv = self._one(self.invoices_table, self.invoices_model, "an invoice")
        if inv is None:
            return
        dlg = AmountDialog(self, f"Credit note on invoice {inv.number}", "creditDialog",
                           f"{inv.customer}: invoice total {fmt.money(inv.gross)}", inv.gross - inv.credited,
                           lambda amount, _d, _m, reason: billing.credit_note(self.db, self.actor, inv.id, amount,
                                                                              reason),
                           with_date=False, text_label="Reason")
        if dlg.exec():
            self.reload()
            self.message.setText(f"Credit note {dlg.result_value} issued on invoice {inv.number}.")

    # --- returns -----------------------------------------------------------------------------------
    def open_claim(self) -> None:
        dlg = OpenClaimDialog(self, queries.customers(self.db, self.actor),
                              lambda cid: returns.returnable_lines(self.db, self.actor, cid),
                              lambda cid, lines, complaint, channel: returns.open_claim(
                                  self.db, self.actor, cid, lines, complaint, channel=channel))
        if dlg.exec():
            c = dlg.result_value
            self.reload()
            self.select_row(self.claims_table, self.claims_model, lambda r: r.id == c.id)
            self.message.setText(f"Claim {c.number} opened for {c.customer}; it waits for a decision.")

    def _claim(self) -> returns.ClaimView | None:
        return self._one(self.claims_table, self.claims_model, "a claim")

    def decide_selected(self) -> None:
        c = self._claim()
        if c is None:
            return
        dlg = DecideClaimDialog(
            self, c,
            lambda method, details, reason: returns.decide_claim(self.db, self.actor, c.id, c.version, True,
                                                                 reason=reason, return_method=method,
                                                                 pickup_details=details),
            lambda reason: returns.decide_claim(self.db, self.actor, c.id, c.version, False, reason=reason))
        if dlg.exec():
            self.reload()
            v = dlg.result_value
            self.message.setText(f"Claim {v.number}: {v.status_label.lower()}.")

    def pickup_selected(self) -> None:
        c = self._claim()
        if c is None:
            return
        dlg = TextDialog(self, f"Book pickup for {c.number}", "pickupDialog", "Carrier, date, reference",
                         lambda text: returns.book_pickup(self.db, self.actor, c.id, c.version, text))
        if dlg.exec():
            self.reload()
            self.message.setText(f"Pickup for {c.number} booked.")

    def receive_selected(self) -> None:
        c = self._claim()
        if c is not None:
            self._run(lambda: returns.receive(self.db, self.actor, c.id, c.version),
                      "Goods of {out.number} received: inspect them, the refund clock is running.")

    def inspect_selected(self) -> None:
        c = self._claim()
        if c is None:
            return
        dlg = InspectDialog(self, c, lambda findings: returns.inspect(self.db, self.actor, c.id, c.version, findings))
        if dlg.exec():
            self.reload()
            v = dlg.result_value
            self.message.setText(f"{v.number} inspected: {v.status_label.lower()}"
                                 + (f", refund due by {fmt.date(v.refund_due)}" if v.refund_due else "") + ".")

    def pay_refund_selected(self) -> None:
        r = self._one(self.refunds_table, self.refunds_model, "a refund")
        if r is None:
            return
        dlg = TextDialog(self, f"Pay refund of {fmt.money(r.amount)}", "refundDialog", "Payment reference",
                         lambda ref: billing.pay_refund(self.db, self.actor, r.id, r.version, ref))
        if dlg.exec():
            self.reload()
            v = dlg.result_value
            late = v.paid_at and v.paid_at.astimezone(clock.zone()).date() > v.due_by
            self.message.setText(f"Refund of {fmt.money(v.amount)} to {v.customer} paid"
                                 + (" — after the target." if late else " within the target."))

    # --- printing ----------------------------------------------------------------------------------
    def print_selected(self, kind: str, target: Path | None = None) -> None:
        """The selected pick list, shipment, invoice or credit note, to PDF (or the print preview).
        The document is made off the GUI thread; once saved, the file is ``self.printed``."""
        from app.views.common.pdf import save_or_preview
        from app.services import documents

        ref = self._print_ref(kind)
        if ref is None:
            return
        make = documents.kinds().get(kind)
        if make is None:
            self.message.setText(f"Printing {kind} is not available.")
            return

        def made(html: str) -> None:
            path = save_or_preview(self, html, target, suggested=f"{kind}-{ref}.pdf", title=f"{kind} {ref}")
            if path is None:
                return
            self.printed = path
            self.message.setText(f"{kind.replace('-', ' ').capitalize()} {ref} saved to {path}.")

        self.work.run(lambda: make(self.db, self.actor, ref), done=made, write=False)

    def _print_ref(self, kind: str) -> str | None:
        if kind == "pick-list":
            pl = self._one(self.lists_table, self.lists_model, "a pick list")
            return pl.number if pl else None
        if kind == "delivery-note":
            sh = self._one(self.shipments_table, self.shipments_model, "a shipment")
            return sh.number if sh else None
        if kind == "invoice":
            inv = self._one(self.invoices_table, self.invoices_model, "an invoice")
            return str(inv.number) if inv else None
        r = self._one(self.refunds_table, self.refunds_model, "a refund")
        return str(r.credit_note_number) if r else None
