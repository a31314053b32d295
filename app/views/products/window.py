"""Products (issue 20): find a product (search box, "Show archived"), create one, edit one
(double-click or Edit…) with its quantity breaks, bill of materials and routing, count a stock
item's stock (Count stock…), archive one that is on no open quote or order and restore it.

The list, its search, archive and restore, the change feed and drafts are ``MasterWindow``'s
(app/views/common/master.py).
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QPushButton, QWidget

from app import format as fmt
from app.desk import Desk
from app.services import products as svc
from app.services.products import ProductChoices, ProductRow, ProductView
from app.views.common.master import MasterWindow
from app.views.common.table import Column, RowsTableModel
from app.views.products.count import CountStockDialog, counted_text
from app.views.products.form import ProductDialog

TABLES = ("product", "product_family", "price_break", "bom_line", "bom_component", "routing_operation")


class ProductsTableModel(RowsTableModel[ProductRow]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__([
            Column("SKU", lambda p: p.sku),
            Column("Name", lambda p: p.name + ("" if p.active else "  (archived)")),
            Column("Family", lambda p: p.family),
            Column("Unit", lambda p: p.unit),
            Column("List price", lambda p: fmt.money(p.list_price), align_right=True),
            Column("Standard cost", lambda p: fmt.money(p.standard_cost), align_right=True),
            Column("Made", lambda p: "to stock" if p.make_to_stock else "to order"),
            Column("Bin", lambda p: p.location),
            Column("Installed", lambda p: "on site" if p.needs_installation else ""),
            Column("On hand", lambda p: fmt.quantity(p.stock_on_hand), align_right=True),
        ], parent, key=lambda p: p.id)


class ProductsWindow(MasterWindow):
    """The products list with its search box; opens ``ProductDialog`` to create or edit one."""

    object_name = "productsWindow"
    title = "Products"
    noun, nouns = "product", "products"
    search_hint = "Find: SKU, name, family or bin location"
    tables = TABLES
    edit_permission = "products.edit"
    edit_denied = "Production and management create, edit and archive products."
    new_label = "&New product…"
    archive_tip = "Take the product out of order entry (only when no open order has it)"

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.count_dialog: CountStockDialog | None = None
        self.count_button = self.add_button(QPushButton("Count &stock…"))
        self.count_button.setObjectName("countStock")
        self.count_button.setToolTip("Set the stock on hand to what was counted on the shelf (the difference is "
                                     "booked as a stock count)")
        self.count_button.clicked.connect(self.count_selected)
        self.count_button.setVisible(self.may_edit)
        self.update_buttons()

    def update_buttons(self) -> None:
        super().update_buttons()
        row = self.selected()
        if hasattr(self, "count_button"):  # not yet while the base class builds the window
            self.count_button.setEnabled(self.work.settled() and row is not None and row.active and row.make_to_stock)

    def count_selected(self) -> None:
        """Open Count stock… for the selected stock item (window-modal); the list shows the count."""
        row = self.selected()
        if row is None or not self.work.settled():
            return
        dlg = CountStockDialog(self.desk, row, self)

        def closed(result: int) -> None:
            if result == QDialog.DialogCode.Accepted and dlg.result_count is not None:
                self.message.setText(counted_text(dlg.result_count, row.unit))
                self.reload(row.id)

        dlg.finished.connect(closed)
        self.count_dialog = dlg
        dlg.open()

    def make_model(self) -> ProductsTableModel:
        return ProductsTableModel(self)

    def fetch(self, text: str, archived: bool) -> list[ProductRow]:
        return svc.products(self.db, self.actor, text, archived)

    def load_form(self, record_id: int | None) -> tuple[ProductView | None, ProductChoices]:
        """The product and the pickers' choices (families, units, work centres, skills, items)."""
        view = svc.product(self.db, self.actor, record_id) if record_id is not None else None
        return view, svc.choices(self.db, self.actor)

    def make_dialog(self, loaded: tuple[ProductView | None, ProductChoices]) -> ProductDialog:
        view, choices = loaded
        return ProductDialog(self.desk, view, choices, self)

    def archive(self, row: ProductRow) -> ProductView:
        return svc.archive_product(self.db, self.actor, row.id)

    def restore(self, row: ProductRow) -> ProductView:
        return svc.restore_product(self.db, self.actor, row.id)
