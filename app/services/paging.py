"""The read side for big lists: sorted, filtered ids straight from SQL, and rows fetched by id.

A list view holds only the ids (8 bytes each in an ``array``) and asks for the rows it shows.
Sorting and filtering become ``ORDER BY``/``WHERE`` on indexed columns; nothing loads ORM
objects. (A proxy model sorting 1M rows through Python took 204 s; loading 1M ORM objects 12.5 s
and 1.9 GB.)"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from app.db.uow import Database

Filter = ColumnElement[bool]  # a WHERE condition a list screen hands back to ``ListQuery``


@dataclass(frozen=True)
class ListColumn:
    key: str
    title: str
    expr: Any  # SQL expression selected for display
    sort: Any | None = None  # SQL expression to ORDER BY (None: not sortable)
    numeric: bool = False
    joined: bool = False  # the sort needs the base query's joins (a column of another table)
    fmt: Callable[[Any], str] = lambda v: "" if v is None else str(v)


class ListQuery:
    """Describe a list once: its id column, base FROM/JOINs, columns and filters."""

    def __init__(self, id_col: Any, columns: Sequence[ListColumn], base: Callable[[Select], Select]) -> None:
        self.id_col = id_col
        self.columns = list(columns)
        self.base = base

    def ids(self, db: Database, where: Sequence[ColumnElement[bool]], sort_key: str | None,
            descending: bool = False) -> array:
        """All matching ids in display order. Filters must be conditions on the main table (or
        subqueries); the joins are added only when the sort column needs them, so an index on
        the main table can serve both the WHERE and the ORDER BY."""
        col = next((c for c in self.columns if c.key == sort_key), None) if sort_key else None
        q = self.base(select(self.id_col)) if col is not None and col.joined else \
            select(self.id_col).select_from(self.id_col.table)
        for cond in where:
            q = q.where(cond)
        order = []
        if col is not None and col.sort is not None:
            expr = col.sort
            if where:
                # With a filter, let the planner use the filter's index and sort the (usually few)
                # matches, instead of walking the whole sort index checking each row: wrapping
                # the sort key hides its index from ORDER BY (0.99 s -> see docs/performance.md).
                expr = func.coalesce(expr, expr)
            order.append(expr.desc() if descending else expr.asc())
        order.append(self.id_col.desc() if descending else self.id_col.asc())
        q = q.order_by(*order)
        out = array("q")
        with db.engine.connect() as conn:
            result = conn.execute(q)
            cursor = result.cursor  # the driver's own tuples: 1M integer ids need no conversion
            try:
                while True:
                    chunk = cursor.fetchmany(50_000)
                    if not chunk:
                        break
                    out.extend(r[0] for r in chunk)
            finally:
                result.close()
            conn.rollback()
        return out

    def rows(self, db: Database, ids: Sequence[int]) -> dict[int, tuple[Any, ...]]:
        if not ids:
            return {}
        q = self.base(select(self.id_col, *[c.expr for c in self.columns])).where(self.id_col.in_(list(ids)))
        with db.engine.connect() as conn:
            got = {r[0]: tuple(r[1:]) for r in conn.execute(q)}
            conn.rollback()
        return got
