"""The planning board as a table: five lines per product (last year's actual, statistical
baseline, marketing, production, consensus) × the coming months. Marketing edits only its line,
production only its line, both the consensus; gaps between the two are highlighted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from app import format as fmt
from app.services.planning import Board, BoardRow, Cell

Index = QModelIndex | QPersistentModelIndex
KINDS = ("history", "baseline", "marketing", "production", "consensus")
LABELS = {"history": "actual a year ago", "baseline": "baseline", "marketing": "marketing",
          "production": "production", "consensus": "consensus"}
GAP = QBrush(QColor("#fde2e1"))
SIGNED = QBrush(QColor("#dff0d8"))
AGREED = QBrush(QColor("#fff4d6"))
TOTAL = QBrush(QColor("#eef1f5"))
LEFT = 2  # product, line


@dataclass(frozen=True)
class TotalCell:
    """A family's total for one month (sums of its products' lines; read-only)."""

    history: Decimal | None
    baseline: Decimal | None
    marketing: Decimal | None
    production: Decimal | None
    consensus: Decimal | None
    gap: bool = False
    gap_ratio: Decimal | None = None
    status: str = ""
    baseline_method: str | None = None


@dataclass(frozen=True)
class FamilyTotal:
    sku: str
    name: str
    cells: tuple[TotalCell, ...]
    total: bool = True


def _sum(values: list[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def family_totals(rows: Sequence[BoardRow], threshold: Decimal) -> FamilyTotal:
    cells = []
    for i in range(len(rows[0].cells)):
        month = [r.cells[i] for r in rows]
        sums = {k: _sum([getattr(c, k) for c in month]) for k in KINDS}
        m, p = sums["marketing"], sums["production"]
        ratio = abs(m - p) / max(m, p) if m is not None and p is not None and max(m, p) > 0 else None
        cells.append(TotalCell(history=sums["history"], baseline=sums["baseline"], marketing=m, production=p,
                               consensus=sums["consensus"], gap=ratio is not None and ratio > threshold,
                               gap_ratio=ratio))
    return FamilyTotal(rows[0].family_code, f"{rows[0].family_name} — family total", tuple(cells))


class BoardTableModel(QAbstractTableModel):
    edited = Signal(int, int, str, object)  # row index of product, period index, kind, Decimal|None

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.board: Board | None = None
        self.editable: set[str] = set()
        self.grouped = False
        self.entries: list[tuple[BoardRow | FamilyTotal, int | None]] = []  # (a product or a total, product index)
        self.bold = QFont()
        self.bold.setBold(True)

    def set_board(self, board: Board, editable: set[str], *, grouped: bool | None = None) -> None:
        self.beginResetModel()
        self.board, self.editable = board, set(editable)
        if grouped is not None:
            self.grouped = grouped
        self.entries = []
        last_family = None
        for i, row in enumerate(board.rows):
            if self.grouped and row.family_id != last_family:
                members = [r for r in board.rows if r.family_id == row.family_id]
                self.entries.append((family_totals(members, board.gap_threshold), None))
                last_family = row.family_id
            self.entries.append((row, i))
        self.endResetModel()

    def product_row(self, row: int) -> BoardRow | FamilyTotal:
        return self.entries[row // len(KINDS)][0]

    def product_index(self, row: int) -> int | None:
        return self.entries[row // len(KINDS)][1]

    def row_of(self, product_index: int, kind: str) -> int:
        """The table row showing ``kind`` of board product ``product_index``."""
        entry = next(n for n, (_r, i) in enumerate(self.entries) if i == product_index)
        return entry * len(KINDS) + KINDS.index(kind)

    def kind(self, row: int) -> str:
        return KINDS[row % len(KINDS)]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.board is None else len(self.entries) * len(KINDS)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.board is None else LEFT + len(self.board.periods)

    def cell(self, index: Index) -> Cell | TotalCell:
        return self.product_row(index.row()).cells[index.column() - LEFT]

    def value(self, index: Index) -> Decimal | None:
        return getattr(self.cell(index), self.kind(index.row()))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.board is None:
            return None
        row, col, kind = index.row(), index.column(), self.kind(index.row())
        prod = self.product_row(row)
        is_total = isinstance(prod, FamilyTotal)
        if role == Qt.ItemDataRole.FontRole and is_total:
            return self.bold
        if role == Qt.ItemDataRole.BackgroundRole and is_total and not (
                kind in ("marketing", "production") and prod.cells[max(0, col - LEFT)].gap and col >= LEFT):
            return TOTAL
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
            if isinstance(cell, TotalCell):  # no one entered or signed a total: it sums its products
                if kind not in ("marketing", "production", "consensus"):
                    return None
                gap = (f"; marketing and production differ by {fmt.percent(cell.gap_ratio, 0)}"
                       if cell.gap and kind != "consensus" else "")
                return f"family total of its products' {kind} figures{gap}"
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
        if index.isValid() and index.column() >= LEFT and self.kind(index.row()) in self.editable \
                and self.product_index(index.row()) is not None:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        text = str(value).strip()
        qty: Decimal | str | None
        try:
            qty = None if text == "" else fmt.parse_decimal(text)
        except InvalidOperation:
            qty = text  # the service names the problem ("not a number") at the field
        product = self.product_index(index.row())
        if product is None:
            return False  # a family total is not typed in
        self.edited.emit(product, index.column() - LEFT, self.kind(index.row()), qty)
        return True

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal or self.board is None:
            return None
        if section == 0:
            return "Product"
        if section == 1:
            return "Line"
        period = self.board.periods[section - LEFT]
        if self.board.granularity == "week":
            return f"W{period.isocalendar()[1]:02d} {period:%d %b}"
        return period.strftime("%b %Y")
