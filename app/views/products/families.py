"""Product families (issue 20): the groups every product belongs to — find one (code or name),
create one, edit one (code, name, "installed on site") and delete one that no product uses. A
new firm starts with one (GENERAL); every product needs a family, and the Excel import finds a
product's family by its code.

The list shows each family's code, name, whether its products are installed on site (a
shipment of one creates the order's installation job) and how many products it holds. Delete
asks first (``confirm``, a question box; tests answer it) and is refused, naming up to ten SKUs,
while a product — archived ones too — is in the family. There is no archive (families have no
active flag). The list, search, change feed and drafts are ``MasterWindow``'s and
``MasterDialog``'s (app/views/common/master.py); the rules are the service's
(app/services/product_families.py). Production, management and the administrator change them
(``products.edit``); everyone else sees them read-only (New, Delete and Save disabled).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.actor import Actor
from app.desk import Desk
from app.services import product_families as svc
from app.services.product_families import CODE_LIMIT, FamilyForm, FamilyRow, FamilyView
from app.views.common.conflict import FieldSpec
from app.views.common.master import MasterDialog, MasterWindow
from app.views.common.table import Column, RowsTableModel

TABLES = ("product_family", "product")  # a product moved between families changes the counts
EDIT_DENIED = "Production, management and the administrator keep the product families."
INSTALLED_TIP = ("Every product of this family is installed at the customer's: the first shipment of an order with "
                 "one creates the order's installation job (Service). A product can also be flagged on its own.")


def upper_as_typed(edit: QLineEdit, text: str) -> None:
    """Codes are capitals: what is typed shows as it will be stored (the cursor stays)."""
    if text != text.upper():
        pos = edit.cursorPosition()
        edit.setText(text.upper())
        edit.setCursorPosition(pos)


def products_text(row: FamilyRow) -> str:
    """ "8", "3 (1 archived)", "0" (a family that can be deleted)."""
    return f"{row.products}" + (f" ({row.archived} archived)" if row.archived else "")


NAME = 1  # the list's stretched column


class FamiliesTableModel(RowsTableModel[FamilyRow]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__([
            Column("Code", lambda f: f.code),
            Column("Name", lambda f: f.name),
            Column("Installed", lambda f: "on site" if f.needs_installation else ""),
            Column("Products", products_text, align_right=True),
        ], parent, key=lambda f: f.id)


class ProductFamilyDialog(MasterDialog):
    """Create (``view`` None) or edit a product family; ``saved`` holds it once saved."""

    kind = "product_family"
    fields = [FieldSpec("code", "Code"), FieldSpec("name", "Name"),
              FieldSpec("needs_installation", "Installed on site", lambda v: "yes" if v else "no")]
    view: FamilyView | None
    saved: FamilyView | None

    def __init__(self, desk: Desk, view: FamilyView | None, parent: QWidget | None = None) -> None:
        super().__init__(desk, view, parent)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.code = QLineEdit()
        self.code.setMaxLength(CODE_LIMIT)
        self.code.setPlaceholderText("e.g. SHELVES")
        self.code.setToolTip("Letters A–Z, digits, '-' and '_': the Excel import finds a product's family by it")
        self.code.textEdited.connect(lambda text: upper_as_typed(self.code, text))
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Shelving units")
        self.name.setToolTip("What order entry, planning and the products list show")
        self.needs_installation = QCheckBox("Products of this family are installed on site")
        self.needs_installation.setToolTip(INSTALLED_TIP)
        for attr in ("code", "name"):
            getattr(self, attr).setObjectName(attr)
        self.needs_installation.setObjectName("needsInstallation")
        form.addRow("&Code", self.code)
        form.addRow("&Name", self.name)
        form.addRow("", self.needs_installation)
        lay.addLayout(form)
        count = view.products if view is not None else 0
        note = QLabel(("No product is in this family yet." if count == 0 else
                       f"{count} product{'' if count == 1 else 's'} in this family.") +
                      " Installed on site: the first shipment of an order with one of its products creates the "
                      "order's installation job (jobs already created stay as they are).")
        note.setWordWrap(True)
        note.setObjectName("note")
        lay.addWidget(note)
        lay.addWidget(self.error)
        lay.addStretch(1)
        lay.addWidget(self.buttons)
        self.finish({"code": self.code, "name": self.name, "needs_installation": self.needs_installation})
        self.resize(480, 220)

    def values(self) -> dict[str, Any]:
        return {"code": self.code.text(), "name": self.name.text(),
                "needs_installation": self.needs_installation.isChecked()}

    def set_values(self, values: dict[str, Any]) -> None:
        self.code.setText(str(values["code"]))
        self.name.setText(str(values["name"]))
        self.needs_installation.setChecked(bool(values["needs_installation"]))

    def form(self) -> FamilyForm:
        v = self.values()
        return FamilyForm(v["code"], v["name"], v["needs_installation"],
                          self.view.id if self.view is not None else None, self.version)

    def save_call(self, db: Any, actor: Actor, form: FamilyForm) -> FamilyView:
        return svc.save_family(db, actor, form)

    def reread(self, db: Any, actor: Actor, id: int) -> FamilyView:
        return svc.family(db, actor, id)

    def view_values(self, view: FamilyView) -> dict[str, Any]:
        return {"code": view.code, "name": view.name, "needs_installation": view.needs_installation}

    def title_for(self, view: FamilyView | None) -> str:
        return "New product family" if view is None else f"Product family {view.code} — {view.name}"


class ProductFamiliesWindow(MasterWindow):
    """The product families list; opens ``ProductFamilyDialog`` to create or edit one, deletes an
    unused one."""

    object_name = "productFamiliesWindow"
    title = "Product families"
    noun, nouns = "product family", "product families"
    search_hint = "Find: code or name"
    tables = TABLES
    edit_permission = "products.edit"
    edit_denied = EDIT_DENIED
    new_label = "&New family…"
    archivable = False
    window_size = (640, 400)

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        header = self.table.horizontalHeader()  # a few dozen rows: every column fits what it holds, the name stretches
        header.setStretchLastSection(False)
        for column in range(self.model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        #: asked before a delete (tests answer it)
        self.confirm: Callable[[str], bool] = lambda text: QMessageBox.question(
            self, "Delete product family", text) == QMessageBox.StandardButton.Yes
        self.delete_button = self.add_button(QPushButton("&Delete"))
        self.delete_button.setObjectName("delete")
        self.delete_button.setToolTip("Delete the family (only when no product is in it)" if self.may_edit
                                      else EDIT_DENIED)
        self.delete_button.clicked.connect(self.delete_selected)
        self.update_buttons()

    def update_buttons(self) -> None:
        super().update_buttons()
        if hasattr(self, "delete_button"):  # not yet while the base class builds the window
            self.delete_button.setEnabled(self.work.settled() and self.may_edit and self.selected() is not None)

    def make_model(self) -> FamiliesTableModel:
        return FamiliesTableModel(self)

    def fetch(self, text: str, archived: bool) -> list[FamilyRow]:
        return svc.families(self.db, self.actor, text)

    def load_form(self, record_id: int | None) -> FamilyView | None:
        return svc.family(self.db, self.actor, record_id) if record_id is not None else None

    def make_dialog(self, loaded: FamilyView | None) -> ProductFamilyDialog:
        return ProductFamilyDialog(self.desk, loaded, self)

    def delete_selected(self) -> None:
        """Delete the selected family after asking; a family that still has products is refused
        (the message names them) and the list is read again."""
        row = self.selected()
        if row is None or not self.work.settled() or not self.may_edit:
            return
        if not self.confirm(f"Delete the product family {row.code} ({row.name})?"):
            return
        db, actor = self.db, self.actor

        def deleted(_result: object) -> None:
            self.message.setText(f"Deleted the family {row.code} ({row.name}).")
            self.reload()

        self.work.run(lambda: svc.delete_family(db, actor, row.id, version=row.version), done=deleted,
                      failed=lambda _exc: self.reload())
