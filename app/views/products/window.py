"""Products (issue 20): find a product (search box, "Show archived"), create one, edit one
(double-click or Edit…) with its quantity breaks, bill of materials and routing, archive one that
is on no open quote or order and restore it.

Every service call goes through the action helper (``self.work``): the list is read off the GUI
thread, a refusal (open orders when archiving, not allowed) is said in a message, and what other
desks change in the products shows within a second or two through the desk's change feed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import format as fmt
from app.desk import Desk
from app.services import products as svc
from app.services.changes import Changes
from app.services.permissions import allowed
from app.services.products import ProductChoices, ProductRow, ProductView
from app.views.common.action import Actions
from app.views.common.live import LiveUpdates
from app.views.common.table import Column, RowsTableModel, list_view
from app.views.products.form import ProductDialog

SEARCH_DELAY_MS = 250  # typing pauses this long before the list is searched
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


class ProductsWindow(QWidget):
    """The products list with its search box; opens ``ProductDialog`` to create or edit one."""

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.db, self.actor = desk.db, desk.actor
        self.may_edit = allowed(self.actor.role, "products.edit")
        self.dialog: ProductDialog | None = None  # the form open now
        self.last_dialog: ProductDialog | None = None  # the form closed last
        self._sized = False  # the columns were fitted to the first rows
        self.setObjectName("productsWindow")
        self.setWindowFlag(Qt.WindowType.Window)  # its own window, also when the main window is its parent
        self.setWindowTitle("Products")
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("productSearch")
        self.search.setPlaceholderText("Find: SKU, name, family or bin location")
        self.search.setClearButtonEnabled(True)
        self.show_archived = QCheckBox("Show &archived")
        self.show_archived.setObjectName("showArchived")
        find = QLabel("&Find")
        find.setBuddy(self.search)
        top.addWidget(find)
        top.addWidget(self.search, 1)
        top.addWidget(self.show_archived)
        lay.addLayout(top)
        self.model = ProductsTableModel(self)
        self.table = list_view("productsTable", self.model, "Products", compact=True)
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        lay.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("&New product…")
        self.new_button.setObjectName("newProduct")
        self.new_button.clicked.connect(self.new_product)
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.setObjectName("editProduct")
        self.edit_button.clicked.connect(self.edit_selected)
        self.archive_button = QPushButton("Ar&chive")
        self.archive_button.setObjectName("archiveProduct")
        self.archive_button.setToolTip("Take the product out of order entry (only when no open order has it)")
        self.archive_button.clicked.connect(self.archive_selected)
        self.restore_button = QPushButton("&Restore")
        self.restore_button.setObjectName("restoreProduct")
        self.restore_button.clicked.connect(self.restore_selected)
        for b in (self.new_button, self.edit_button, self.archive_button, self.restore_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.count = QLabel()
        buttons.addWidget(self.count)
        lay.addLayout(buttons)
        if not self.may_edit:
            for b in (self.new_button, self.archive_button, self.restore_button):
                b.setToolTip("Production and management create, edit and archive products.")

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

        def show(rows: list[ProductRow]) -> None:
            self.model.set_rows(rows)
            if not self._sized and rows:  # once, from the first rows: later loads keep the user's widths
                self.table.resizeColumnsToContents()
                self._sized = True
            self.count.setText(f"{len(rows)} product{'s' if len(rows) != 1 else ''}")
            if keep is not None:
                self.select(keep)
            self.update_buttons()

        self.work.run(lambda: svc.products(db, actor, text, archived), done=show, write=False)

    def _changed(self, changes: Changes) -> None:
        if changes.touches(*TABLES) and self.work.settled():
            self.reload()

    def selected(self) -> ProductRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select(self, product_id: int) -> bool:
        for i, row in enumerate(self.model.rows):
            if row.id == product_id:
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

    # --- the form -------------------------------------------------------------------------------
    def new_product(self) -> None:
        self._open(None)

    def edit_selected(self) -> None:
        row = self.selected()
        if row is not None:
            self._open(row.id)

    def _open(self, product_id: int | None) -> None:
        """Read what the form needs (the product, the pickers' choices) off the GUI thread, then
        open the form (window-modal, not blocking)."""
        if not self.work.settled():
            return
        db, actor = self.db, self.actor

        def load() -> tuple[ProductView | None, ProductChoices]:
            view = svc.product(db, actor, product_id) if product_id is not None else None
            return view, svc.choices(db, actor)

        def show(loaded: tuple[ProductView | None, ProductChoices]) -> None:
            view, choices = loaded
            dlg = ProductDialog(self.desk, view, choices, self)
            if not self.may_edit:
                dlg.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
            dlg.finished.connect(lambda result: self._closed(dlg, result))
            self.dialog = dlg
            dlg.open()

        self.work.run(load, done=show, write=False)

    def _closed(self, dlg: ProductDialog, result: int) -> None:
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
        self.work.run(lambda: svc.archive_product(db, actor, row.id), done=lambda _v: self.reload(row.id))

    def restore_selected(self) -> None:
        row = self.selected()
        if row is None or not self.work.settled():
            return
        db, actor = self.db, self.actor
        self.work.run(lambda: svc.restore_product(db, actor, row.id), done=lambda _v: self.reload(row.id))
