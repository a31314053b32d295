"""The order form's lines: quantity and unit price are edited in place; a line with a problem is
marked in the row, with the reason as its tooltip."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from app import format as fmt
from app.services.order_views import LineView

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ["Item", "Description", "Qty", "Discount", "Unit price", "Net", "Unit cost", "Margin", "Delivery"]
ITEM, DESC, QTY, DISC, PRICE, NET, COST, MARGIN, DELIVERY = range(9)
PROBLEM = QBrush(QColor("#fde2e1"))
LOW = QBrush(QColor("#fff4d6"))


class OrderLinesTableModel(QAbstractTableModel):
    quantity_edited = Signal(int, object)  # row, Decimal
    price_edited = Signal(int, object)  # row, Decimal

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lines: list[LineView] = []
        self.problems: dict[int, str] = {}
        self.floor = Decimal("0")
        self.editable = True

    def set_lines(self, lines: list[LineView], problems: dict[int, str] | None = None,
                  floor: Decimal | None = None) -> None:
        self.beginResetModel()
        self.lines = list(lines)
        self.problems = dict(problems or {})
        if floor is not None:
            self.floor = floor
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def _text(self, ln: LineView, col: int) -> str:
        return [
            ln.sku, ln.name, fmt.quantity(ln.quantity),
            fmt.percent(ln.discount, 1) if ln.discount else "", fmt.money(ln.unit_price),
            fmt.money(ln.net), fmt.money(ln.unit_cost),
            fmt.percent(ln.margin, 1) if ln.margin is not None else "", fmt.date(ln.promise_date),
        ][col]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.lines):
            return None
        ln, col = self.lines[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if role == Qt.ItemDataRole.EditRole and col == QTY:
                return fmt.plain(ln.quantity)  # what the user edits, in the firm's locale
            if role == Qt.ItemDataRole.EditRole and col == PRICE:
                return fmt.plain(ln.unit_price, 2)
            return self._text(ln, col)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            right = col in (QTY, DISC, PRICE, NET, COST, MARGIN)
            horiz = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
            return int(horiz | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole:
            if index.row() in self.problems:
                return PROBLEM
            if col == MARGIN and ln.margin is not None and ln.margin < self.floor:
                return LOW
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.row() in self.problems:
                return self.problems[index.row()]
            explanation = getattr(ln, "explanation", None)
            if col in (DISC, PRICE, DELIVERY) and explanation:
                text = "; ".join(explanation) if not isinstance(explanation, str) else explanation
                return f"List price {fmt.money(ln.list_price)}: {text}"
            if col == COST:
                return "Estimate: material + labour and machine time from the routing + overhead"
            return None
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if self.editable and index.isValid() and index.column() in (QTY, PRICE):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        try:
            number = fmt.parse_money(str(value))  # the firm's currency sign and thousands commas ignored
        except InvalidOperation:
            self.problems[index.row()] = f"'{value}' is not a number"
            self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), len(COLUMNS) - 1))
            return False
        if index.column() == QTY:
            self.quantity_edited.emit(index.row(), number)
        elif index.column() == PRICE:
            self.price_edited.emit(index.row(), number)
        return True

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None
