"""A small read-only table model over a list of frozen dataclasses (for short lists).

Big lists (orders, audit log) use the lazy SQL-backed model instead; this one holds its rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractItemModel, QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QTableView, QTableWidget, QTableWidgetItem, QWidget

T = TypeVar("T")
W = TypeVar("W", bound=QWidget)
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column(Generic[T]):
    title: str
    text: Callable[[T], str]
    align_right: bool = False


class RowsTableModel(QAbstractTableModel, Generic[T]):
    def __init__(self, columns: Sequence[Column[T]], parent: Any = None,
                 key: Callable[[T], Any] | None = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[T] = []
        self.key = key

    def set_rows(self, rows: Sequence[T]) -> None:
        """Replace the rows. When the same keys come back in the same order (a live refresh where
        only values changed) only the changed rows are repainted: no reset, so selection, current
        index and scroll position stay and nothing flickers."""
        rows = list(rows)
        if self.key is not None and [self.key(r) for r in rows] == [self.key(r) for r in self.rows]:
            last = len(self.columns) - 1
            for i, (old, new) in enumerate(zip(self.rows, rows, strict=True)):
                if old != new:
                    self.rows[i] = new
                    self.dataChanged.emit(self.index(i, 0), self.index(i, last))
            return
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def row_at(self, row: int) -> T:
        return self.rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        col = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.text(self.rows[index.row()])
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horiz = Qt.AlignmentFlag.AlignRight if col.align_right else Qt.AlignmentFlag.AlignLeft
            return int(horiz | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section].title
        return None


def list_view(name: str, model: QAbstractItemModel, export_title: str, *, multi: bool = False,
              compact: bool = False) -> QTableView:
    """The read-only list every tab shows: whole-row selection (several rows with ``multi``), no
    in-place editing, no row numbers, last column stretched, and Export to Excel (Ctrl+E).
    ``compact``: one line per row, columns sized from the first rows (lists of thousands)."""
    from PySide6.QtWidgets import QAbstractItemView

    from app.views.common.export import enable_export

    t = QTableView()
    t.setObjectName(name)
    t.setModel(model)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if multi
                       else QAbstractItemView.SelectionMode.SingleSelection)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.verticalHeader().hide()
    t.horizontalHeader().setStretchLastSection(True)
    if compact:
        t.setWordWrap(False)
        t.horizontalHeader().setResizeContentsPrecision(60)
    enable_export(t, export_title)
    return t


# --- cells of an editable grid (QTableWidget) -------------------------------------------------------
def cell(table: QTableWidget, row: int, column: int) -> QTableWidgetItem:
    """The item of a cell the dialog filled (Qt answers None for a cell without one: a mistake in
    the dialog, said with the grid's name rather than as an AttributeError on None)."""
    item = table.item(row, column)
    if item is None:
        raise LookupError(f"{table.objectName() or 'the grid'} has no item at row {row}, column {column}")
    return item


def cell_widget(table: QTableWidget, row: int, column: int, kind: type[W]) -> W:
    """The editor widget the dialog put in a cell (e.g. a QComboBox), checked to be of ``kind``."""
    widget = table.cellWidget(row, column)
    if not isinstance(widget, kind):
        raise LookupError(f"{table.objectName() or 'the grid'} has no {kind.__name__} at row {row}, column {column}")
    return widget
