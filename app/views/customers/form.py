"""The customer form (issue 20): one dialog to create or edit a customer — its details, the
contact people (a table: add and remove rows; at most one gets the invoices) and the billing and
delivery addresses.

Saving goes through the action helper (``self.work``): the form's values are read on the GUI
thread, ``customers.save_customer`` runs on a worker; a refusal keeps the dialog open with what
was typed. Bad values are said in the form's own error line, each field named is marked (red
frame, the reason as its tooltip) and the first gets the focus; someone else's save in between
opens the compare dialog (``resolve_conflict``) field by field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import format as fmt
from app.desk import Desk
from app.services import customers as svc
from app.services.customers import AddressForm, ContactForm, CustomerForm, CustomerView, Salesperson
from app.actor import Actor
from app.views.common.conflict import FieldSpec
from app.views.common.master import MasterDialog
from app.views.common.table import cell

CONTACT_COLUMNS = ("Name", "Role", "E-mail", "Phone", "Gets invoices")
NAME, ROLE, EMAIL, PHONE, INVOICES = range(len(CONTACT_COLUMNS))
INVALID_STYLE = "border: 1px solid #c62828"


def _address_text(a: AddressForm) -> str:
    return ", ".join(p for p in (a.line1, a.line2, a.postcode, a.city, a.region, a.country) if p) or "—"


def _contacts_text(contacts: tuple[ContactForm, ...]) -> str:
    return "; ".join(c.name + (" (invoices)" if c.for_invoices else "") for c in contacts) or "—"


#: what the compare dialog shows when someone else saved the customer meanwhile
CUSTOMER_FIELDS = [
    FieldSpec("code", "Code"),
    FieldSpec("name", "Name"),
    FieldSpec("tier", "Tier"),
    FieldSpec("strategic", "Strategic", lambda v: "yes" if v else "no"),
    FieldSpec("salesperson_id", "Salesperson", lambda v: f"user #{v}"),
    FieldSpec("payment_terms_days", "Payment terms", lambda v: f"{v} days"),
    FieldSpec("credit_limit", "Credit limit"),
    FieldSpec("vat_number", "VAT number"),
    FieldSpec("email", "E-mail"),
    FieldSpec("phone", "Phone"),
    FieldSpec("notes", "Notes"),
    FieldSpec("contacts", "Contacts", _contacts_text),
    FieldSpec("billing", "Billing address", _address_text),
    FieldSpec("delivery", "Delivery address", _address_text),
]


def _upper(edit: QLineEdit, text: str) -> None:
    """Codes are capitals: what is typed shows as it will be stored (the cursor stays)."""
    if text != text.upper():
        pos = edit.cursorPosition()
        edit.setText(text.upper())
        edit.setCursorPosition(pos)


def _credit_text(value: Decimal) -> str:
    return fmt.plain(value, 2)


def view_values(view: CustomerView) -> dict[str, Any]:
    """A saved customer as the form's values (for the compare dialog)."""
    form = view.form()
    return {"code": form.code, "name": form.name, "tier": form.tier, "strategic": form.strategic,
            "salesperson_id": form.salesperson_id, "payment_terms_days": form.payment_terms_days,
            "credit_limit": _credit_text(view.credit_limit), "vat_number": form.vat_number, "email": form.email,
            "phone": form.phone, "notes": form.notes, "contacts": tuple(form.contacts), "billing": form.billing,
            "delivery": form.delivery}


class AddressBox(QGroupBox):
    """One address: two lines, postcode, town, region, country (ISO code)."""

    def __init__(self, title: str, name: str, default_country: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.setObjectName(f"{name}Address")
        self.default_country = default_country
        self.line1, self.line2, self.postcode = QLineEdit(), QLineEdit(), QLineEdit()
        self.city, self.region, self.country = QLineEdit(), QLineEdit(), QLineEdit()
        for attr in ("line1", "line2", "postcode", "city", "region", "country"):
            getattr(self, attr).setObjectName(f"{name}_{attr}")
        self.country.setMaxLength(2)
        self.country.textEdited.connect(lambda text: _upper(self.country, text))
        self.country.setFixedWidth(48)
        self.country.setPlaceholderText(default_country)
        self.country.setToolTip("The two-letter ISO country code: GB, DE, AT, FR…")
        self.postcode.setMaxLength(16)
        lay = QFormLayout(self)
        lay.addRow("Line 1", self.line1)
        lay.addRow("Line 2", self.line2)
        town = QHBoxLayout()
        town.addWidget(self.postcode, 1)
        town.addWidget(self.city, 3)
        lay.addRow("Postcode, town", town)
        where = QHBoxLayout()
        where.addWidget(self.region, 1)
        where.addWidget(QLabel("Country"))
        where.addWidget(self.country)
        lay.addRow("Region", where)

    def value(self) -> AddressForm:
        a = AddressForm(self.line1.text(), self.line2.text(), self.postcode.text(), self.city.text(),
                        self.region.text(), self.country.text().strip().upper())
        if not a.empty() and not a.country:  # an address typed without a country: the firm's
            a = AddressForm(a.line1, a.line2, a.postcode, a.city, a.region, self.default_country)
        return a

    def set_value(self, a: AddressForm) -> None:
        self.line1.setText(a.line1)
        self.line2.setText(a.line2)
        self.postcode.setText(a.postcode)
        self.city.setText(a.city)
        self.region.setText(a.region)
        self.country.setText(a.country)


class CustomerDialog(MasterDialog):
    """Create (``view`` None) or edit a customer; ``saved`` holds the customer once saved."""

    kind = "customer"
    fields = CUSTOMER_FIELDS
    draft_types = (ContactForm, AddressForm)
    view: CustomerView | None
    saved: CustomerView | None

    def __init__(self, desk: Desk, view: CustomerView | None, salespeople: list[Salesperson], default_terms: int,
                 default_country: str = "GB", parent: QWidget | None = None) -> None:
        super().__init__(desk, view, parent)
        outer = QVBoxLayout(self)
        columns = QHBoxLayout()
        outer.addLayout(columns)

        # --- the customer's details
        details = QFormLayout()
        self.code = QLineEdit()
        self.code.setMaxLength(32)
        self.code.textEdited.connect(lambda text: _upper(self.code, text))
        self.name = QLineEdit()
        self.tier = QComboBox()
        self.tier.addItems(["A", "B", "C"])
        self.tier.setCurrentText(svc.DEFAULT_TIER)
        self.strategic = QCheckBox("Strategic customer (weighs in the priority queue)")
        self.salesperson = QComboBox()
        self.salesperson.addItem("(nobody)", None)
        for person in salespeople:
            self.salesperson.addItem(person.name, person.id)
        self.terms = QSpinBox()
        self.terms.setRange(0, svc.MAX_TERMS_DAYS)
        self.terms.setSuffix(" days")
        self.terms.setValue(default_terms)
        self.credit = QLineEdit("0.00")
        self.credit.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.vat_number = QLineEdit()
        self.vat_number.setPlaceholderText("with the country prefix, e.g. DE136695976")
        self.email = QLineEdit()
        self.phone = QLineEdit()
        self.notes = QPlainTextEdit()
        self.notes.setFixedHeight(70)
        for attr in ("code", "name", "tier", "strategic", "salesperson", "terms", "credit", "vat_number", "email",
                     "phone", "notes"):
            getattr(self, attr).setObjectName(attr)
        if not svc.may_set_credit(self.actor):
            why = "Only management sets the credit limit and the tier."
            self.credit.setReadOnly(True)
            self.tier.setEnabled(False)
            for w in (self.credit, self.tier):
                w.setToolTip(why)
        details.addRow("&Code", self.code)
        details.addRow("&Name", self.name)
        details.addRow("&Tier", self.tier)
        details.addRow("", self.strategic)
        details.addRow("&Salesperson", self.salesperson)
        details.addRow("&Payment terms", self.terms)
        details.addRow("Credit &limit", self.credit)
        details.addRow("&VAT number", self.vat_number)
        details.addRow("&E-mail", self.email)
        details.addRow("P&hone", self.phone)
        details.addRow("N&otes", self.notes)
        columns.addLayout(details, 1)

        # --- the addresses
        places = QVBoxLayout()
        self.billing = AddressBox("&Billing address (invoices go here)", "billing", default_country)
        self.delivery = AddressBox("&Delivery address (leave empty: deliver to the billing address)", "delivery",
                                   default_country)
        places.addWidget(self.billing)
        places.addWidget(self.delivery)
        places.addStretch(1)
        columns.addLayout(places, 1)

        # --- the contacts
        people = QGroupBox("Contacts")
        grid = QGridLayout(people)
        self.contacts = QTableWidget(0, len(CONTACT_COLUMNS))
        self.contacts.setObjectName("contacts")
        self.contacts.setHorizontalHeaderLabels(list(CONTACT_COLUMNS))
        self.contacts.verticalHeader().hide()
        self.contacts.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.contacts.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.contacts.horizontalHeader().setSectionResizeMode(INVOICES, QHeaderView.ResizeMode.ResizeToContents)
        self.contacts.setMinimumHeight(120)
        self.contacts.itemChanged.connect(self._one_invoice_contact)
        self.add_contact_button = QPushButton("&Add contact")
        self.add_contact_button.setObjectName("addContact")
        self.add_contact_button.clicked.connect(lambda: self.add_contact(ContactForm(""), edit=True))
        self.remove_contact_button = QPushButton("&Remove contact")
        self.remove_contact_button.setObjectName("removeContact")
        self.remove_contact_button.clicked.connect(self.remove_contact)
        grid.addWidget(self.contacts, 0, 0, 3, 1)
        grid.addWidget(self.add_contact_button, 0, 1)
        grid.addWidget(self.remove_contact_button, 1, 1)
        outer.addWidget(people)

        outer.addWidget(self.error)
        outer.addWidget(self.buttons)

        fields: dict[str, QWidget] = {
            "code": self.code, "name": self.name, "tier": self.tier, "strategic": self.strategic,
            "salesperson_id": self.salesperson, "payment_terms_days": self.terms, "credit_limit": self.credit,
            "vat_number": self.vat_number, "email": self.email, "phone": self.phone, "notes": self.notes,
            "contacts": self.contacts}
        for box in (self.billing, self.delivery):
            for part in ("line1", "line2", "postcode", "city", "region", "country"):
                fields[f"{box.objectName().removesuffix('Address')}.{part}"] = getattr(box, part)
        if view is None and self.actor.user_id is not None and self.salesperson.findData(self.actor.user_id) >= 0:
            self.salesperson.setCurrentIndex(self.salesperson.findData(self.actor.user_id))  # who types it
        self.finish(fields)
        self.resize(980, 640)

    # --- the contacts table ---------------------------------------------------------------------
    def add_contact(self, contact: ContactForm, *, edit: bool = False) -> int:
        self.contacts.blockSignals(True)
        row = self.contacts.rowCount()
        self.contacts.insertRow(row)
        for col, text in ((NAME, contact.name), (ROLE, contact.role), (EMAIL, contact.email), (PHONE, contact.phone)):
            self.contacts.setItem(row, col, QTableWidgetItem(text))
        cell(self.contacts, row, NAME).setData(Qt.ItemDataRole.UserRole, contact.id)
        check = QTableWidgetItem()
        check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        check.setCheckState(Qt.CheckState.Checked if contact.for_invoices else Qt.CheckState.Unchecked)
        self.contacts.setItem(row, INVOICES, check)
        self.contacts.blockSignals(False)
        if edit:
            self.contacts.setCurrentCell(row, NAME)
            self.contacts.editItem(cell(self.contacts, row, NAME))
        return row

    def set_contact(self, row: int, column: int, text: str) -> None:
        """Type into a cell (as the user would, for tests and drafts)."""
        cell(self.contacts, row, column).setText(text)

    def set_invoice_contact(self, row: int, on: bool = True) -> None:
        cell(self.contacts, row, INVOICES).setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def remove_contact(self) -> None:
        rows = sorted({i.row() for i in self.contacts.selectedIndexes()} or
                      ({self.contacts.currentRow()} if self.contacts.currentRow() >= 0 else set()), reverse=True)
        for row in rows:
            self.contacts.removeRow(row)

    def _one_invoice_contact(self, item: QTableWidgetItem) -> None:
        """Ticking one contact for the invoices unticks the others (the service allows one)."""
        if item.column() != INVOICES or item.checkState() != Qt.CheckState.Checked:
            return
        self.contacts.blockSignals(True)
        for row in range(self.contacts.rowCount()):
            if row != item.row():
                cell(self.contacts, row, INVOICES).setCheckState(Qt.CheckState.Unchecked)
        self.contacts.blockSignals(False)

    def contact_values(self) -> tuple[ContactForm, ...]:
        out = []
        for row in range(self.contacts.rowCount()):
            texts = [cell(self.contacts, row, col).text() for col in (NAME, ROLE, EMAIL, PHONE)]
            if not any(t.strip() for t in texts):
                continue  # an empty row added and never filled in
            ident = cell(self.contacts, row, NAME).data(Qt.ItemDataRole.UserRole)
            invoices = cell(self.contacts, row, INVOICES).checkState() == Qt.CheckState.Checked
            out.append(ContactForm(texts[0], texts[1], texts[2], texts[3], invoices,
                                   ident if isinstance(ident, int) else None))
        return tuple(out)

    # --- values ---------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """What is typed, by the service's field names (for the save and the compare dialog)."""
        person = self.salesperson.currentData()
        return {"code": self.code.text(), "name": self.name.text(), "tier": self.tier.currentText(),
                "strategic": self.strategic.isChecked(), "salesperson_id": person if isinstance(person, int) else None,
                "payment_terms_days": self.terms.value(), "credit_limit": self.credit.text(),
                "vat_number": self.vat_number.text(), "email": self.email.text(), "phone": self.phone.text(),
                "notes": self.notes.toPlainText(), "contacts": self.contact_values(),
                "billing": self.billing.value(), "delivery": self.delivery.value()}

    def set_values(self, values: dict[str, Any]) -> None:
        self.code.setText(str(values["code"]))
        self.name.setText(str(values["name"]))
        self.tier.setCurrentText(str(values["tier"]))
        self.strategic.setChecked(bool(values["strategic"]))
        person = values["salesperson_id"]
        index = self.salesperson.findData(person)
        if index < 0 and person is not None:  # a disabled salesperson still looks after this customer
            self.salesperson.addItem(f"user #{person}", person)
            index = self.salesperson.count() - 1
        self.salesperson.setCurrentIndex(max(index, 0))
        self.terms.setValue(int(values["payment_terms_days"]))
        self.credit.setText(str(values["credit_limit"]))
        self.vat_number.setText(str(values["vat_number"]))
        self.email.setText(str(values["email"]))
        self.phone.setText(str(values["phone"]))
        self.notes.setPlainText(str(values["notes"]))
        self.contacts.setRowCount(0)
        for contact in values["contacts"]:
            self.add_contact(contact)
        self.billing.set_value(values["billing"])
        self.delivery.set_value(values["delivery"])

    def form(self) -> CustomerForm:
        v = self.values()
        return CustomerForm(
            code=v["code"], name=v["name"], id=self.view.id if self.view is not None else None, version=self.version,
            tier=v["tier"], strategic=v["strategic"], salesperson_id=v["salesperson_id"],
            payment_terms_days=v["payment_terms_days"], credit_limit=v["credit_limit"], vat_number=v["vat_number"],
            email=v["email"], phone=v["phone"], notes=v["notes"], contacts=v["contacts"], billing=v["billing"],
            delivery=v["delivery"])

    # --- the service -------------------------------------------------------------------------------
    def save_call(self, db: Any, actor: Actor, form: CustomerForm) -> CustomerView:
        return svc.save_customer(db, actor, form)

    def reread(self, db: Any, actor: Actor, id: int) -> CustomerView:
        return svc.customer(db, actor, id)

    def view_values(self, view: CustomerView) -> dict[str, Any]:
        return view_values(view)

    def title_for(self, view: CustomerView | None) -> str:
        return "New customer" if view is None else f"Customer {view.code} — {view.name}"

    def conflict_fields(self) -> list[FieldSpec]:
        def person(ident: object) -> str:
            index = self.salesperson.findData(ident)
            return self.salesperson.itemText(index) if index >= 0 else f"user #{ident}"

        return [FieldSpec(f.name, f.label, person) if f.name == "salesperson_id" else f for f in CUSTOMER_FIELDS]
