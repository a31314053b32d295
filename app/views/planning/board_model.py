"""The planning board as a table: five lines per product (last year's actual, statistical
baseline, marketing, production, consensus) × the coming months. Marketing edits only its line,
production only its line, both the consensus; gaps between the two are highlighted."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from app import format as fmt

Index = QModelIndex | QPersistentModelIndex
KINDS = ("history", "baseline", "marketing", "production", "consensus")
LABELS = {"history": "actual a year ago", "baseline": "baseline", "marketing": "marketing",
          "production": "production", "consensus": "consensus"}
GAP = QBrush(QColor("#fde2e1"))
SIGNED = QBrush(QColor("#dff0d8"))
AGREED = QBrush(QColor("#fff4d6"))
LEFT = 2  # product, line


class BoardTableModel(QAbstractTableModel):
    edited = Signal(int, int, str, object)  # row index of product, period index, kind, Decimal|None

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.board: Any = None
        self.editable: set[str] = set()
        self.bold = QFont()
        self.bold.setBold(True)

    def set_board(self, board: Any, editable: set[str]) -> None:
        self.beginResetModel()
        self.board, self.editable = board, set(editable)
        self.endResetModel()

    def product_row(self, row: int) -> Any:
        return self.board.rows[row // len(KINDS)]

    def kind(self, row: int) -> str:
        return KINDS[row % len(KINDS)]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.board is None else len(self.board.rows) * len(KINDS)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.board is None else LEFT + len(self.board.periods)

    def cell(self, index: Index) -> Any:
        return self.product_row(index.row()).cells[index.column() - LEFT]

    def value(self, index: Index) -> Decimal | None:
        return getattr(self.cell(index), self.kind(index.row()))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.board is None:
            return None
        row, col, kind = index.row(), index.column(), self.kind(index.row())
        prod = self.product_row(row)
        if col < LEFT:
            if role == Qt.ItemDataRole.DisplayRole:
                if col == 0:
                    return f"{prod.sku}  {prod.name}" if kind == "history" else ""
                return LABELS[kind]
            if role == Qt.ItemDataRole.FontRole and col == 0:
                return self.bold
            if role == Qt.ItemDataRole.ForegroundRole and col == 1 and kind in self.editable:
                return QBrush(QColor("#1f4e8c"))
            return None
        cell = prod.cells[col - LEFT]
        value = getattr(cell, kind)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if value is None:
                return ""
            return fmt.quantity(value) if role == Qt.ItemDataRole.DisplayRole else str(value.normalize())
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole:
            if kind in ("marketing", "production") and cell.gap:
                return GAP
            if kind == "consensus" and cell.status == "signed_off":
                return SIGNED
            if kind == "consensus" and cell.status == "agreed":
                return AGREED
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if kind in ("marketing", "production"):
                by, at = getattr(cell, f"{kind}_by"), getattr(cell, f"{kind}_at")
                gap = f"; marketing and production differ by {fmt.percent(cell.gap_ratio, 0)}" if cell.gap else ""
                return (f"entered by {by} on {fmt.local_time(at)}" if by else "not entered yet") + gap
            if kind == "consensus":
                signs = [f"{d} signed by {getattr(cell, f'{d}_signed_by')}" for d in ("marketing", "production")
                         if getattr(cell, f"{d}_signed_by")]
                return f"status: {cell.status.replace('_', ' ')}" + (f" ({'; '.join(signs)})" if signs else "")
            if kind == "baseline" and cell.baseline_method:
                return (f"{cell.baseline_method} — chosen by backtest over the last 6 months of history "
                        "(mean absolute error, against the seasonal-naive benchmark)")
            return None
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() >= LEFT and self.kind(index.row()) in self.editable:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        text = str(value).strip().replace(",", "")
        try:
            qty = None if text == "" else Decimal(text)
        except InvalidOperation:
            qty = text  # the service names the problem ("not a number") at the field
        self.edited.emit(index.row() // len(KINDS), index.column() - LEFT, self.kind(index.row()), qty)
        return True

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal or self.board is None:
            return None
        if section == 0:
            return "Product"
        if section == 1:
            return "Line"
        return self.board.periods[section - LEFT].strftime("%b %Y")
