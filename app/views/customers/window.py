"""Customers (issue 20): find a customer (search box, "Show archived"), create one, edit one
(double-click or Edit…), archive one with no open orders and restore it.

Every service call goes through the action helper (``self.work``): the list is read off the GUI
thread, a refusal (open orders when archiving, not allowed) is said in a message, and what other
desks change in the customers shows within a second or two through the desk's change feed.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import format as fmt
from app.desk import Desk
from app.services import customer_merge
from app.services import customers as svc
from app.services.changes import Changes
from app.services.customers import CustomerRow, CustomerView, Salesperson
from app.services.permissions import allowed
from app.views.common.action import Actions
from app.views.common.live import LiveUpdates
from app.views.common.table import Column, RowsTableModel, list_view
from app.views.customers.form import CustomerDialog

SEARCH_DELAY_MS = 250  # typing pauses this long before the list is searched
TABLES = ("customer", "address", "customer_contact")


class CustomersTableModel(RowsTableModel[CustomerRow]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__([
            Column("Code", lambda c: c.code),
            Column("Name", lambda c: c.name + ("" if c.active else "  (archived)")),
            Column("Tier", lambda c: c.tier + (" ★" if c.strategic else "")),
            Column("Salesperson", lambda c: c.salesperson),
            Column("Town", lambda c: c.city),
            Column("Country", lambda c: c.country),
            Column("Terms", lambda c: f"{c.payment_terms_days} days", align_right=True),
            Column("Credit limit", lambda c: fmt.money(c.credit_limit), align_right=True),
            Column("VAT number", lambda c: c.vat_number),
            Column("E-mail", lambda c: c.email),
            Column("Phone", lambda c: c.phone),
        ], parent, key=lambda c: c.id)


class CustomersWindow(QWidget):
    """The customers list with its search box; opens ``CustomerDialog`` to create or edit one."""

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.db, self.actor = desk.db, desk.actor
        self.may_edit = allowed(self.actor.role, "customers.edit")
        self.dialog: CustomerDialog | None = None  # the form open now
        self.last_dialog: CustomerDialog | None = None  # the form closed last
        self._sized = False  # the columns were fitted to the first rows
        self.setObjectName("customersWindow")
        self.setWindowFlag(Qt.WindowType.Window)  # its own window, also when the main window is its parent
        self.setWindowTitle("Customers")
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("customerSearch")
        self.search.setPlaceholderText("Find: code, name, e-mail, VAT number or town")
        self.search.setClearButtonEnabled(True)
        self.show_archived = QCheckBox("Show &archived")
        self.show_archived.setObjectName("showArchived")
        find = QLabel("&Find")
        find.setBuddy(self.search)
        top.addWidget(find)
        top.addWidget(self.search, 1)
        top.addWidget(self.show_archived)
        lay.addLayout(top)
        self.model = CustomersTableModel(self)
        self.table = list_view("customersTable", self.model, "Customers", compact=True)
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        lay.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("&New customer…")
        self.new_button.setObjectName("newCustomer")
        self.new_button.clicked.connect(self.new_customer)
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.setObjectName("editCustomer")
        self.edit_button.clicked.connect(self.edit_selected)
        self.archive_button = QPushButton("Ar&chive")
        self.archive_button.setObjectName("archiveCustomer")
        self.archive_button.setToolTip("Take the customer out of order entry (only without open orders)")
        self.archive_button.clicked.connect(self.archive_selected)
        self.restore_button = QPushButton("&Restore")
        self.restore_button.setObjectName("restoreCustomer")
        self.restore_button.clicked.connect(self.restore_selected)
        self.merge_button = QPushButton("&Merge into…")
        self.merge_button.setObjectName("mergeCustomer")
        self.merge_button.setToolTip("The selected customer is the same firm as another: move its orders, invoices, "
                                     "claims, notes and contacts there and archive it")
        self.merge_button.clicked.connect(lambda: self.merge_selected())
        self.merge_button.setVisible(allowed(self.actor.role, "customers.merge"))
        for b in (self.new_button, self.edit_button, self.archive_button, self.restore_button, self.merge_button):
            buttons.addWidget(b)
        self.message = QLabel()  # what the last merge did
        self.message.setObjectName("customersMessage")
        buttons.addWidget(self.message)
        buttons.addStretch(1)
        self.count = QLabel()
        buttons.addWidget(self.count)
        lay.addLayout(buttons)
        if not self.may_edit:
            for b in (self.new_button, self.archive_button, self.restore_button):
                b.setToolTip("Sales and management create, edit and archive customers.")

        self.work = Actions(self)
        self.work.busy_changed.connect(lambda _busy: self.update_buttons())
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self.search_timer.start())
        self.show_archived.toggled.connect(lambda _on: self.reload())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.update_buttons())
        live = LiveUpdates.current
        if live is not None:
            live.changed.connect(self._changed)
        self.resize(1100, 560)
        self.reload()

    # --- the list -------------------------------------------------------------------------------
    def settled(self) -> bool:
        """No service call of this window is pending (tests wait for it)."""
        return self.work.settled() and not self.search_timer.isActive()

    def reload(self, select_id: int | None = None) -> None:
        self.search_timer.stop()
        text, archived, db, actor = self.search.text(), self.show_archived.isChecked(), self.db, self.actor
        current = self.selected()
        keep = select_id if select_id is not None else (current.id if current is not None else None)

        def show(rows: list[CustomerRow]) -> None:
            self.model.set_rows(rows)
            if not self._sized and rows:  # once, from the first rows: later loads keep the user's widths
                self.table.resizeColumnsToContents()
                self._sized = True
            self.count.setText(f"{len(rows)} customer{'s' if len(rows) != 1 else ''}")
            if keep is not None:
                self.select(keep)
            self.update_buttons()

        self.work.run(lambda: svc.customers(db, actor, text, archived), done=show, write=False)

    def _changed(self, changes: Changes) -> None:
        if changes.touches(*TABLES) and self.work.settled():
            self.reload()

    def selected(self) -> CustomerRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select(self, customer_id: int) -> bool:
        for i, row in enumerate(self.model.rows):
            if row.id == customer_id:
                self.table.selectRow(i)
                return True
        return False

    def update_buttons(self) -> None:
        row = self.selected()
        idle = self.work.settled()
        self.new_button.setEnabled(idle and self.may_edit)
        self.edit_button.setEnabled(idle and row is not None)
        self.archive_button.setEnabled(idle and self.may_edit and row is not None and row.active)
        self.restore_button.setEnabled(idle and self.may_edit and row is not None and not row.active)
        self.archive_button.setVisible(row is None or row.active)
        self.restore_button.setVisible(row is not None and not row.active)
        self.merge_button.setEnabled(idle and row is not None and row.active)

    # --- the form -------------------------------------------------------------------------------
    def new_customer(self) -> None:
        self._open(None)

    def edit_selected(self) -> None:
        row = self.selected()
        if row is not None:
            self._open(row.id)

    def _open(self, customer_id: int | None) -> None:
        """Read what the form needs (the customer, the salespeople, the firm's default terms)
        off the GUI thread, then open the form (window-modal, not blocking)."""
        if not self.work.settled():
            return
        db, actor = self.db, self.actor

        def load() -> tuple[CustomerView | None, list[Salesperson], int, str]:
            view = svc.customer(db, actor, customer_id) if customer_id is not None else None
            return view, svc.salespeople(db, actor), svc.default_terms(db), svc.firm_country(db)

        def show(loaded: tuple[CustomerView | None, list[Salesperson], int, str]) -> None:
            view, people, terms, country = loaded
            dlg = CustomerDialog(self.desk, view, people, terms, country or "GB", self)
            if not self.may_edit:
                dlg.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
            dlg.finished.connect(lambda result: self._closed(dlg, result))
            self.dialog = dlg
            dlg.open()

        self.work.run(load, done=show, write=False)

    def _closed(self, dlg: CustomerDialog, result: int) -> None:
        saved = dlg.saved if result == QDialog.DialogCode.Accepted else None
        self.dialog = None
        if self.last_dialog is not None:  # the one before; the last stays readable (tests, a reopen)
            self.last_dialog.deleteLater()
        self.last_dialog = dlg
        self.reload(saved.id if saved is not None else None)

    # --- archive and restore --------------------------------------------------------------------
    def archive_selected(self) -> None:
        row = self.selected()
        if row is None or not self.work.settled():
            return
        db, actor = self.db, self.actor
        self.work.run(lambda: svc.archive_customer(db, actor, row.id), done=lambda _v: self.reload(row.id))

    def restore_selected(self) -> None:
        row = self.selected()
        if row is None or not self.work.settled():
            return
        db, actor = self.db, self.actor
        self.work.run(lambda: svc.restore_customer(db, actor, row.id), done=lambda _v: self.reload(row.id))

    # --- merge ------------------------------------------------------------------------------------
    def merge_selected(self, keep_id: int | None = None, *, confirm: Callable[[str], bool] | None = None) -> None:
        """Merge the selected customer (the duplicate) into another: chosen from the list unless
        ``keep_id`` is given; ``confirm(text)`` asks before anything moves (a question box by default)."""
        row = self.selected()
        if row is None or not self.work.settled():
            return
        if keep_id is None:
            others = [r for r in self.model.rows if r.active and r.id != row.id]
            labels = [f"{r.code} — {r.name}" for r in others]
            choice, ok = QInputDialog.getItem(self, "Merge customers", f"{row.code} ({row.name}) is the same firm as:",
                                              labels, 0, False)
            if not ok or choice not in labels:
                return
            keep_id = others[labels.index(choice)].id
        db, actor, dup_id, target = self.db, self.actor, row.id, keep_id
        ask = confirm or (lambda text: QMessageBox.question(self, "Merge customers", text)
                          == QMessageBox.StandardButton.Yes)

        def load() -> tuple[CustomerView, CustomerView]:
            return svc.customer(db, actor, target), svc.customer(db, actor, dup_id)

        def merge(views: tuple[CustomerView, CustomerView]) -> None:
            keep, dup = views
            if not ask(f"Move every order, invoice, claim, note and contact of {dup.code} ({dup.name}) to "
                       f"{keep.code} ({keep.name}), and archive {dup.code}? This cannot be undone."):
                return
            self.work.run(lambda: customer_merge.merge_customers(db, actor, keep.id, keep.version, dup.id,
                                                                 dup.version), done=merged)

        def merged(result: customer_merge.MergeResult) -> None:
            self.message.setText(f"Merged into {result.kept.code}: {result.summary()} moved.")
            self.reload(result.kept.id)

        self.work.run(load, done=merge, write=False)
