"""A table model for big lists: it holds ids and fetches the visible rows lazily in blocks.

Header clicks sort in SQL; the filter bar filters in SQL; ``data()`` never touches the ORM."""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from app.desk import Desk
from app.services.paging import Filter, ListQuery

Index = QModelIndex | QPersistentModelIndex
BLOCK = 200
CACHE_ROWS = 20_000


class LazyTableModel(QAbstractTableModel):
    def __init__(self, desk: Desk, query: ListQuery, parent: Any = None) -> None:
        super().__init__(parent)
        self.db, self.query = desk.db, query
        self.ids = array("q")
        self.cache: OrderedDict[int, tuple[Any, ...]] = OrderedDict()
        self.where: list[Filter] = []
        self.sort_key: str | None = None
        self.descending = False
        self.fetches = 0  # for tests and benchmarks: how many row queries ran

    # --- loading ---------------------------------------------------------------------------
    def set_filter(self, where: Sequence[Filter]) -> None:
        self.where = list(where)
        self.reload()

    def reload(self) -> None:
        ids = self.query.ids(self.db, self.where, self.sort_key, self.descending)
        self.beginResetModel()
        self.ids = ids
        self.cache.clear()
        self.endResetModel()

    def refresh_ids(self, changed: set[int] | frozenset[int]) -> None:
        """Live refresh: drop changed rows from the cache and repaint only them."""
        for i in changed:
            self.cache.pop(i, None)
        positions = {v: n for n, v in enumerate(self.ids)} if len(changed) > 50 else None
        last = self.columnCount() - 1
        for i in changed:
            try:
                row = positions[i] if positions is not None else self.ids.index(i)
            except (KeyError, ValueError):
                continue
            self.dataChanged.emit(self.index(row, 0), self.index(row, last))

    def id_at(self, row: int) -> int:
        return self.ids[row]

    def _row(self, row: int) -> tuple[Any, ...] | None:
        ident = self.ids[row]
        hit = self.cache.get(ident)
        if hit is not None:
            return hit
        start = max(0, row - BLOCK // 4)
        block = [i for i in self.ids[start:start + BLOCK] if i not in self.cache]
        self.cache.update(self.query.rows(self.db, block))
        self.fetches += 1
        while len(self.cache) > CACHE_ROWS:
            self.cache.popitem(last=False)
        return self.cache.get(ident)

    # --- Qt model --------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.query.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.ids):
            return None
        col = self.query.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            values = self._row(index.row())
            return "" if values is None else col.fmt(values[index.column()])
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horiz = Qt.AlignmentFlag.AlignRight if col.numeric else Qt.AlignmentFlag.AlignLeft
            return int(horiz | Qt.AlignmentFlag.AlignVCenter)
        return None

    def raw(self, row: int) -> tuple[Any, ...] | None:
        return self._row(row)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.query.columns[section].title
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        col = self.query.columns[column]
        if col.sort is None:
            return
        self.sort_key = col.key
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()
