"""The product form (issue 20): one dialog to create or edit a product — its details (SKU, name,
family, unit from the list, list price, standard cost, VAT rate, stock item or made to order, bin
location, installed on site), its quantity breaks, and its bill of materials and routing, both
edited in place (tables: add, remove and move rows; pick the material or product, the work centre
and the skill from lists).

Saving goes through the action helper (``self.work``): the form's values are read on the GUI
thread, ``products.save_product`` runs on a worker; a refusal keeps the dialog open with what was
typed. Bad values are said in the form's own error line, each field named is marked (red frame,
the reason as its tooltip) and the first gets the focus; someone else's save in between opens the
compare dialog field by field. What the role may not change (prices: management; BOM and routing:
production) is greyed out, and the service refuses it anyway.
"""

from __future__ import annotations

from decimal import InvalidOperation
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
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import format as fmt
from app.desk import Desk
from app.services import products as svc
from app.services.products import (
    BomLineForm,
    OperationForm,
    PriceBreakForm,
    ProductChoices,
    ProductForm,
    ProductView,
)
from app.actor import Actor
from app.views.common.conflict import FieldSpec
from app.views.common.master import MasterDialog
from app.views.common.table import cell, cell_widget

INVALID_STYLE = "border: 1px solid #c62828"
BREAK_COLUMNS = ("From quantity", "Discount %")
FROM_QTY, DISCOUNT = range(len(BREAK_COLUMNS))
BOM_COLUMNS = ("Material or product", "Quantity", "Unit")
ITEM, QUANTITY, UNIT = range(len(BOM_COLUMNS))
ROUTING_COLUMNS = ("Step", "Operation", "Work centre", "Skill", "Set-up min", "Run min / unit")
STEP, OP_NAME, CENTRE, SKILL, SETUP, RUN = range(len(ROUTING_COLUMNS))


def _canon(value: object) -> str:
    """A number as the compare dialog and the change check see it ("2.50" and "2.5" are one)."""
    try:
        number = fmt.decimal_of(value)
    except InvalidOperation:
        return str(value).strip()
    if not number.is_finite():
        return str(value).strip()
    return fmt.plain(number)  # the firm's decimal sign: '1,125' in Germany is read back as 1.125


def _bom_text(lines: tuple[BomLineForm, ...]) -> str:
    return "; ".join(f"{_canon(b.quantity)} × {b.kind} #{b.item_id}" for b in lines) or "—"


def _routing_text(ops: tuple[OperationForm, ...]) -> str:
    return "; ".join(f"{o.name} ({_canon(o.setup_minutes)} + {_canon(o.run_minutes)} min)" for o in ops) or "—"


def _breaks_text(breaks: tuple[PriceBreakForm, ...]) -> str:
    return "; ".join(f"from {_canon(b.min_quantity)}: {_canon(b.discount_percent)} %" for b in breaks) or "—"


#: what the compare dialog shows when someone else saved the product meanwhile
PRODUCT_FIELDS = [
    FieldSpec("sku", "SKU"),
    FieldSpec("name", "Name"),
    FieldSpec("family_id", "Family", lambda v: f"family #{v}"),
    FieldSpec("unit", "Unit"),
    FieldSpec("list_price", "List price"),
    FieldSpec("standard_cost", "Standard cost"),
    FieldSpec("tax_rate_percent", "VAT rate %"),
    FieldSpec("make_to_stock", "Stock item", lambda v: "yes" if v else "no (made to order)"),
    FieldSpec("location", "Bin location"),
    FieldSpec("needs_installation", "Installed on site", lambda v: "yes" if v else "no"),
    FieldSpec("price_breaks", "Quantity breaks", _breaks_text),
    FieldSpec("bom", "Bill of materials", _bom_text),
    FieldSpec("routing", "Routing", _routing_text),
]


def view_values(view: ProductView) -> dict[str, Any]:
    """A saved product as the form's values (for the compare dialog and the form)."""
    form = view.form()
    return {"sku": form.sku, "name": form.name, "family_id": form.family_id, "unit": form.unit,
            "list_price": fmt.plain(view.list_price, 2), "standard_cost": fmt.plain(view.standard_cost, 2),
            "tax_rate_percent": _canon(view.tax_rate_percent), "make_to_stock": form.make_to_stock,
            "location": form.location, "needs_installation": form.needs_installation,
            "price_breaks": tuple(PriceBreakForm(_canon(b.min_quantity), _canon(b.discount_percent))
                                  for b in view.price_breaks),
            "bom": tuple(BomLineForm(b.kind, b.item_id, _canon(b.quantity)) for b in form.bom),
            "routing": tuple(OperationForm(o.name, o.work_center_id, o.skill_id, _canon(o.setup_minutes),
                                           _canon(o.run_minutes), o.id) for o in form.routing)}


def _item(text: str, *, editable: bool = True) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if not editable:
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    return item


def _grid(name: str, columns: tuple[str, ...]) -> QTableWidget:
    t = QTableWidget(0, len(columns))
    t.setObjectName(name)
    t.setHorizontalHeaderLabels(list(columns))
    t.verticalHeader().hide()
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return t


class ProductDialog(MasterDialog):
    """Create (``view`` None) or edit a product; ``saved`` holds the product once saved."""

    kind = "product"
    fields = PRODUCT_FIELDS
    draft_types = (PriceBreakForm, BomLineForm, OperationForm)
    view: ProductView | None
    saved: ProductView | None

    def __init__(self, desk: Desk, view: ProductView | None, choices: ProductChoices,
                 parent: QWidget | None = None) -> None:
        super().__init__(desk, view, parent)
        self.choices = choices
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        outer.addLayout(top)

        # --- the product's details
        details = QFormLayout()
        self.sku = QLineEdit()
        self.sku.setMaxLength(40)
        self.name = QLineEdit()
        self.family = QComboBox()
        for f in choices.families:
            self.family.addItem(f"{f.name} ({f.code})", f.id)
        self.unit = QComboBox()
        self.unit.addItems(list(choices.units))
        self.unit.setToolTip("The unit the product is sold in; it is printed on quotes, orders and invoices.")
        self.list_price = QLineEdit("0.00")
        self.standard_cost = QLineEdit("0.00")
        self.tax_rate = QLineEdit(_canon(choices.default_tax_percent))  # the firm's default for a new product
        for w in (self.list_price, self.standard_cost, self.tax_rate):
            w.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.make_to_stock = QCheckBox("Stock item (made to stock); off: made to order")
        self.make_to_stock.setChecked(True)
        self.location = QLineEdit()
        self.location.setMaxLength(32)
        self.location.setPlaceholderText("aisle-rack-shelf, e.g. A-03-2")
        self.needs_installation = QCheckBox("Installed on site by our fitters")
        for attr in ("sku", "name", "family", "unit", "list_price", "standard_cost", "tax_rate", "make_to_stock",
                     "location", "needs_installation"):
            getattr(self, attr).setObjectName(attr)
        details.addRow("&SKU", self.sku)
        details.addRow("&Name", self.name)
        details.addRow("&Family", self.family)
        details.addRow("&Unit", self.unit)
        details.addRow("List &price", self.list_price)
        details.addRow("Standard &cost", self.standard_cost)
        details.addRow("&VAT rate %", self.tax_rate)
        details.addRow("", self.make_to_stock)
        details.addRow("&Bin location", self.location)
        details.addRow("", self.needs_installation)
        top.addLayout(details, 3)

        # --- quantity breaks
        breaks_box = QGroupBox("&Quantity breaks")
        grid = QGridLayout(breaks_box)
        self.breaks = _grid("priceBreaks", BREAK_COLUMNS)
        self.add_break_button = QPushButton("Add break")
        self.add_break_button.setObjectName("addBreak")
        self.add_break_button.clicked.connect(lambda: self.add_break(PriceBreakForm("", ""), edit=True))
        self.remove_break_button = QPushButton("Remove break")
        self.remove_break_button.setObjectName("removeBreak")
        self.remove_break_button.clicked.connect(lambda: self._remove_rows(self.breaks))
        grid.addWidget(self.breaks, 0, 0, 3, 1)
        grid.addWidget(self.add_break_button, 0, 1)
        grid.addWidget(self.remove_break_button, 1, 1)
        top.addWidget(breaks_box, 2)

        # --- bill of materials and routing
        making = QHBoxLayout()
        bom_box = QGroupBox("Bill of &materials (per unit)")
        grid = QGridLayout(bom_box)
        self.bom = _grid("bom", BOM_COLUMNS)
        self.bom.horizontalHeader().setSectionResizeMode(ITEM, QHeaderView.ResizeMode.Stretch)
        self.bom.horizontalHeader().setSectionResizeMode(QUANTITY, QHeaderView.ResizeMode.ResizeToContents)
        self.bom.horizontalHeader().setSectionResizeMode(UNIT, QHeaderView.ResizeMode.ResizeToContents)
        self.add_bom_button = QPushButton("Add line")
        self.add_bom_button.setObjectName("addBomLine")
        self.add_bom_button.clicked.connect(lambda: self.add_bom_line(BomLineForm("material", None, "1")))
        self.remove_bom_button = QPushButton("Remove line")
        self.remove_bom_button.setObjectName("removeBomLine")
        self.remove_bom_button.clicked.connect(lambda: self._remove_rows(self.bom))
        grid.addWidget(self.bom, 0, 0, 3, 1)
        grid.addWidget(self.add_bom_button, 0, 1)
        grid.addWidget(self.remove_bom_button, 1, 1)
        making.addWidget(bom_box, 4)

        routing_box = QGroupBox("&Routing (operations in order)")
        grid = QGridLayout(routing_box)
        self.routing = _grid("routing", ROUTING_COLUMNS)
        header = self.routing.horizontalHeader()
        for col in (STEP, CENTRE, SKILL, SETUP, RUN):  # the pickers as wide as their longest entry
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.add_op_button = QPushButton("Add operation")
        self.add_op_button.setObjectName("addOperation")
        self.add_op_button.clicked.connect(lambda: self.add_operation(OperationForm("", None, None, "0", "0"),
                                                                      edit=True))
        self.remove_op_button = QPushButton("Remove operation")
        self.remove_op_button.setObjectName("removeOperation")
        self.remove_op_button.clicked.connect(self.remove_operation)
        self.up_button = QPushButton("Move up")
        self.up_button.setObjectName("moveUp")
        self.up_button.clicked.connect(lambda: self.move_operation(-1))
        self.down_button = QPushButton("Move down")
        self.down_button.setObjectName("moveDown")
        self.down_button.clicked.connect(lambda: self.move_operation(1))
        grid.addWidget(self.routing, 0, 0, 5, 1)
        for i, b in enumerate((self.add_op_button, self.remove_op_button, self.up_button, self.down_button)):
            grid.addWidget(b, i, 1)
        making.addWidget(routing_box, 7)
        outer.addLayout(making, 1)

        outer.addWidget(self.error)
        outer.addWidget(self.buttons)

        if not svc.may_set_prices(self.actor):
            why = "Only management sets the list price, the standard cost and the quantity breaks."
            for w in (self.list_price, self.standard_cost):
                w.setReadOnly(True)
                w.setToolTip(why)
            self._lock(self.breaks, (self.add_break_button, self.remove_break_button), why)
        if not svc.may_edit_routing(self.actor):
            why = "Only production edits the bill of materials and the routing."
            self._lock(self.bom, (self.add_bom_button, self.remove_bom_button), why)
            self._lock(self.routing, (self.add_op_button, self.remove_op_button, self.up_button, self.down_button),
                       why)

        fields: dict[str, QWidget] = {
            "sku": self.sku, "name": self.name, "family_id": self.family, "unit": self.unit,
            "list_price": self.list_price, "standard_cost": self.standard_cost, "tax_rate": self.tax_rate,
            "location": self.location, "price_breaks": self.breaks, "bom": self.bom, "routing": self.routing}
        self.finish(fields)
        self.resize(1320, 720)

    @staticmethod
    def _lock(table: QTableWidget, buttons: tuple[QPushButton, ...], why: str) -> None:
        table.setEnabled(False)
        table.setToolTip(why)
        for b in buttons:
            b.setEnabled(False)
            b.setToolTip(why)

    # --- the tables ------------------------------------------------------------------------------
    def _remove_rows(self, table: QTableWidget) -> None:
        rows = sorted({i.row() for i in table.selectedIndexes()} or
                      ({table.currentRow()} if table.currentRow() >= 0 else set()), reverse=True)
        for row in rows:
            table.removeRow(row)

    def add_break(self, b: PriceBreakForm, *, edit: bool = False) -> int:
        row = self.breaks.rowCount()
        self.breaks.insertRow(row)
        self.breaks.setItem(row, FROM_QTY, _item(str(b.min_quantity)))
        self.breaks.setItem(row, DISCOUNT, _item(str(b.discount_percent)))
        if edit:
            self.breaks.setCurrentCell(row, FROM_QTY)
            self.breaks.editItem(cell(self.breaks, row, FROM_QTY))
        return row

    def add_bom_line(self, line: BomLineForm) -> int:
        row = self.bom.rowCount()
        self.bom.insertRow(row)
        pick = QComboBox()
        pick.setObjectName(f"bomItem{row}")
        pick.addItem("(choose)", None)
        units: dict[str, str] = {}
        for m in self.choices.materials:
            pick.addItem(f"{m.code} — {m.name}", f"material:{m.id}")
            units[f"material:{m.id}"] = m.unit
        own = self.view.id if self.view is not None else None
        for p in self.choices.products:
            if p.id != own:
                pick.addItem(f"{p.code} — {p.name} (product)", f"product:{p.id}")
                units[f"product:{p.id}"] = p.unit
        key = f"{line.kind}:{line.item_id}" if line.item_id is not None else None
        if key is not None and pick.findData(key) < 0:  # an archived product still in the BOM
            known = next((b for b in (self.view.bom if self.view is not None else ())
                          if b.kind == line.kind and b.item_id == line.item_id), None)
            pick.addItem(f"{known.code} — {known.name} (archived)" if known else f"{line.kind} #{line.item_id}", key)
            units[key] = known.unit if known else ""
        self.bom.setCellWidget(row, ITEM, pick)
        self.bom.setItem(row, QUANTITY, _item(str(line.quantity)))
        self.bom.setItem(row, UNIT, _item(units.get(key or "", ""), editable=False))

        def picked(_index: int) -> None:
            for r in range(self.bom.rowCount()):
                if self.bom.cellWidget(r, ITEM) is pick:
                    cell(self.bom, r, UNIT).setText(units.get(str(pick.currentData()), ""))

        pick.setCurrentIndex(max(pick.findData(key), 0) if key is not None else 0)
        pick.currentIndexChanged.connect(picked)
        return row

    def set_bom_item(self, row: int, kind: str, item_id: int) -> None:
        """Choose a material or product on a BOM line (as the user would pick it, for tests)."""
        pick = cell_widget(self.bom, row, ITEM, QComboBox)
        pick.setCurrentIndex(pick.findData(f"{kind}:{item_id}"))

    def add_operation(self, op: OperationForm, *, edit: bool = False) -> int:
        row = self.routing.rowCount()
        self.routing.insertRow(row)
        self.routing.setItem(row, STEP, _item("", editable=False))
        name = _item(op.name)
        name.setData(Qt.ItemDataRole.UserRole, op.id)
        self.routing.setItem(row, OP_NAME, name)
        centre = QComboBox()
        centre.addItem("(choose)", None)
        for c in self.choices.work_centers:
            centre.addItem(f"{c.code} — {c.name}", c.id)
        if op.work_center_id is not None and centre.findData(op.work_center_id) < 0:
            archived = next((o.work_center for o in (self.view.routing if self.view else ())
                             if o.work_center_id == op.work_center_id), f"#{op.work_center_id}")
            centre.addItem(f"{archived} (archived)", op.work_center_id)
        centre.setCurrentIndex(max(centre.findData(op.work_center_id), 0))
        skill = QComboBox()
        skill.addItem("(choose)", None)
        for k in self.choices.skills:
            skill.addItem(k.name, k.id)
        skill.setCurrentIndex(max(skill.findData(op.skill_id), 0))
        self.routing.setCellWidget(row, CENTRE, centre)
        self.routing.setCellWidget(row, SKILL, skill)
        self.routing.setItem(row, SETUP, _item(str(op.setup_minutes)))
        self.routing.setItem(row, RUN, _item(str(op.run_minutes)))
        self._renumber()
        if edit:
            self.routing.setCurrentCell(row, OP_NAME)
            self.routing.editItem(cell(self.routing, row, OP_NAME))
        return row

    def set_operation(self, row: int, name: str, work_center_id: int, skill_id: int, setup: str, run: str) -> None:
        """Fill a routing row (as the user would type and pick, for tests)."""
        cell(self.routing, row, OP_NAME).setText(name)
        centre = cell_widget(self.routing, row, CENTRE, QComboBox)
        centre.setCurrentIndex(centre.findData(work_center_id))
        skill = cell_widget(self.routing, row, SKILL, QComboBox)
        skill.setCurrentIndex(skill.findData(skill_id))
        cell(self.routing, row, SETUP).setText(setup)
        cell(self.routing, row, RUN).setText(run)

    def remove_operation(self) -> None:
        self._remove_rows(self.routing)
        self._renumber()

    def _renumber(self) -> None:
        for row in range(self.routing.rowCount()):
            cell(self.routing, row, STEP).setText(str((row + 1) * svc.SEQ_STEP))

    def move_operation(self, step: int) -> None:
        """Move the current operation up (-1) or down (+1)."""
        row = self.routing.currentRow()
        ops = list(self.operation_values(keep_empty=True))
        to = row + step
        if row < 0 or not 0 <= to < len(ops):
            return
        ops[row], ops[to] = ops[to], ops[row]
        self.routing.setRowCount(0)
        for op in ops:
            self.add_operation(op)
        self.routing.setCurrentCell(to, OP_NAME)

    # --- values ---------------------------------------------------------------------------------
    def break_values(self) -> tuple[PriceBreakForm, ...]:
        out = []
        for row in range(self.breaks.rowCount()):
            qty, pct = cell(self.breaks, row, FROM_QTY).text(), cell(self.breaks, row, DISCOUNT).text()
            if qty.strip() or pct.strip():
                out.append(PriceBreakForm(_canon(qty), _canon(pct)))
        return tuple(out)

    def bom_values(self) -> tuple[BomLineForm, ...]:
        out = []
        for row in range(self.bom.rowCount()):
            key = cell_widget(self.bom, row, ITEM, QComboBox).currentData()
            qty = cell(self.bom, row, QUANTITY).text()
            if key is None and not qty.strip():
                continue
            if isinstance(key, str):
                kind, _, ident = key.partition(":")
                out.append(BomLineForm("product" if kind == "product" else "material", int(ident), _canon(qty)))
            else:
                out.append(BomLineForm("material", None, _canon(qty)))
        return tuple(out)

    def operation_values(self, *, keep_empty: bool = False) -> tuple[OperationForm, ...]:
        out = []
        for row in range(self.routing.rowCount()):
            name = cell(self.routing, row, OP_NAME)
            centre = cell_widget(self.routing, row, CENTRE, QComboBox).currentData()
            skill = cell_widget(self.routing, row, SKILL, QComboBox).currentData()
            if not keep_empty and not name.text().strip() and centre is None and skill is None:
                continue  # an empty row added and never filled in
            ident = name.data(Qt.ItemDataRole.UserRole)
            out.append(OperationForm(name.text(), centre if isinstance(centre, int) else None,
                                     skill if isinstance(skill, int) else None,
                                     _canon(cell(self.routing, row, SETUP).text()),
                                     _canon(cell(self.routing, row, RUN).text()),
                                     ident if isinstance(ident, int) else None))
        return tuple(out)

    def values(self) -> dict[str, Any]:
        """What is typed, by the form's field names (for the save and the compare dialog)."""
        family = self.family.currentData()
        return {"sku": self.sku.text(), "name": self.name.text(),
                "family_id": family if isinstance(family, int) else None, "unit": self.unit.currentText(),
                "list_price": self.list_price.text(), "standard_cost": self.standard_cost.text(),
                "tax_rate_percent": self.tax_rate.text(), "make_to_stock": self.make_to_stock.isChecked(),
                "location": self.location.text(), "needs_installation": self.needs_installation.isChecked(),
                "price_breaks": self.break_values(), "bom": self.bom_values(), "routing": self.operation_values()}

    def set_values(self, values: dict[str, Any]) -> None:
        self.sku.setText(str(values["sku"]))
        self.name.setText(str(values["name"]))
        self.family.setCurrentIndex(max(self.family.findData(values["family_id"]), 0))
        unit = str(values["unit"])
        if self.unit.findText(unit) < 0:  # a unit from before the list (an import): kept as it is
            self.unit.addItem(unit)
        self.unit.setCurrentText(unit)
        self.list_price.setText(str(values["list_price"]))
        self.standard_cost.setText(str(values["standard_cost"]))
        self.tax_rate.setText(str(values["tax_rate_percent"]))
        self.make_to_stock.setChecked(bool(values["make_to_stock"]))
        self.location.setText(str(values["location"]))
        self.needs_installation.setChecked(bool(values["needs_installation"]))
        self.breaks.setRowCount(0)
        for b in values["price_breaks"]:
            self.add_break(b)
        self.bom.setRowCount(0)
        for line in values["bom"]:
            self.add_bom_line(line)
        self.routing.setRowCount(0)
        for op in values["routing"]:
            self.add_operation(op)

    def form(self) -> ProductForm:
        v = self.values()
        return ProductForm(
            sku=v["sku"], name=v["name"], family_id=v["family_id"], unit=v["unit"], list_price=v["list_price"],
            standard_cost=v["standard_cost"], tax_rate_percent=v["tax_rate_percent"],
            make_to_stock=v["make_to_stock"], location=v["location"], needs_installation=v["needs_installation"],
            price_breaks=v["price_breaks"], bom=v["bom"], routing=v["routing"],
            id=self.view.id if self.view is not None else None, version=self.version)

    # --- the service -------------------------------------------------------------------------------
    def save_call(self, db: Any, actor: Actor, form: ProductForm) -> ProductView:
        return svc.save_product(db, actor, form)

    def reread(self, db: Any, actor: Actor, id: int) -> ProductView:
        return svc.product(db, actor, id)

    def view_values(self, view: ProductView) -> dict[str, Any]:
        return view_values(view)

    def title_for(self, view: ProductView | None) -> str:
        return "New product" if view is None else f"Product {view.sku} — {view.name}"

    def conflict_fields(self) -> list[FieldSpec]:
        def family(ident: object) -> str:
            index = self.family.findData(ident)
            return self.family.itemText(index) if index >= 0 else f"family #{ident}"

        return [FieldSpec(f.name, f.label, family) if f.name == "family_id" else f for f in PRODUCT_FIELDS]
