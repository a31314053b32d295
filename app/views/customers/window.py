"""Customers (issue 20): find a customer (search box, "Show archived"), create one, edit one
(double-click or Edit…), archive one with no open orders and restore it, merge a duplicate into
the record it duplicates. The list, its search, archive and restore, the change feed and drafts
are ``MasterWindow``'s (app/views/common/master.py)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QInputDialog, QMessageBox, QPushButton, QWidget

from app import format as fmt
from app.desk import Desk
from app.services import customer_merge
from app.services import customers as svc
from app.services.customers import CustomerRow, CustomerView, Salesperson
from app.services.permissions import allowed
from app.views.common.master import MasterWindow
from app.views.common.table import Column, RowsTableModel
from app.views.customers.form import CustomerDialog

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


class CustomersWindow(MasterWindow):
    """The customers list with its search box; opens ``CustomerDialog`` to create or edit one."""

    object_name = "customersWindow"
    title = "Customers"
    noun, nouns = "customer", "customers"
    search_hint = "Find: code, name, e-mail, VAT number or town"
    tables = TABLES
    edit_permission = "customers.edit"
    edit_denied = "Sales and management create, edit and archive customers."
    new_label = "&New customer…"
    archive_tip = "Take the customer out of order entry (only without open orders)"

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.merge_button = self.add_button(QPushButton("&Merge into…"))
        self.merge_button.setObjectName("mergeCustomer")
        self.merge_button.setToolTip("The selected customer is the same firm as another: move its orders, invoices, "
                                     "claims, notes and contacts there and archive it")
        self.merge_button.clicked.connect(lambda: self.merge_selected())
        self.merge_button.setVisible(allowed(self.actor.role, "customers.merge"))
        self.update_buttons()

    def make_model(self) -> CustomersTableModel:
        return CustomersTableModel(self)

    def fetch(self, text: str, archived: bool) -> list[CustomerRow]:
        return svc.customers(self.db, self.actor, text, archived)

    def load_form(self, record_id: int | None) -> tuple[CustomerView | None, list[Salesperson], int, str]:
        """The customer, the salespeople, the firm's default terms and country."""
        db, actor = self.db, self.actor
        view = svc.customer(db, actor, record_id) if record_id is not None else None
        return view, svc.salespeople(db, actor), svc.default_terms(db), svc.firm_country(db)

    def make_dialog(self, loaded: tuple[CustomerView | None, list[Salesperson], int, str]) -> CustomerDialog:
        view, people, terms, country = loaded
        return CustomerDialog(self.desk, view, people, terms, country or "GB", self)

    def archive(self, row: CustomerRow) -> CustomerView:
        return svc.archive_customer(self.db, self.actor, row.id)

    def restore(self, row: CustomerRow) -> CustomerView:
        return svc.restore_customer(self.db, self.actor, row.id)

    def update_buttons(self) -> None:
        super().update_buttons()
        row = self.selected()
        if hasattr(self, "merge_button"):  # not yet while the base class builds the window
            self.merge_button.setEnabled(self.work.settled() and row is not None and row.active)

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
