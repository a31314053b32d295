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

from sqlalchemy import ColumnElement, Select, select

from app.db.uow import Database


@dataclass(frozen=True)
class ListColumn:
    key: str
    title: str
    expr: Any  # SQL expression selected for display
    sort: Any | None = None  # SQL expression to ORDER BY (None: not sortable)
    numeric: bool = False
    fmt: Callable[[Any], str] = lambda v: "" if v is None else str(v)


class ListQuery:
    """Describe a list once: its id column, base FROM/JOINs, columns and filters."""

    def __init__(self, id_col: Any, columns: Sequence[ListColumn], base: Callable[[Select], Select]) -> None:
        self.id_col = id_col
        self.columns = list(columns)
        self.base = base

    def ids(self, db: Database, where: Sequence[ColumnElement[bool]], sort_key: str | None,
            descending: bool = False) -> array:
        q = self.base(select(self.id_col))
        for cond in where:
            q = q.where(cond)
        order = []
        if sort_key:
            col = next(c for c in self.columns if c.key == sort_key)
            if col.sort is not None:
                order.append(col.sort.desc() if descending else col.sort.asc())
        order.append(self.id_col.desc() if descending else self.id_col.asc())
        q = q.order_by(*order)
        out = array("q")
        with db.engine.connect() as conn:
            result = conn.execution_options(yield_per=20000).execute(q)
            for part in result.partitions():
                out.extend(r[0] for r in part)
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
