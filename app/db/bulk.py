"""Inserting many rows fast — the one bulk loader, for imports and the demo company.

SQLAlchemy's Core ``executemany`` converts each parameter of each row with the column type's bind
processor (Decimal → float, date → text on SQLite) — at 100,000 order lines that conversion, and
turning rows into dictionaries and back, costs as much as SQLite's own work. A ``BulkInsert``
writes the statement once, with the columns shared by every row as SQL literals (a NULL bound
from Python goes through the driver's adapter lookup, several times slower than any other
value), and takes the rows in one of two forms:

- ``execute(rows)``: tuples already in the driver's form, built with the memoising converter
  it hands out per column (``converter``: prices, quantities and dates repeat, so each distinct
  value is converted once, by SQLAlchemy's own processor) — the import builds its rows this way;
- ``execute_columns(columns)``: plain Python values, column by column, converted here with the
  same processors (a column whose rows share value objects converts each object once; whole-
  minute UTC timestamps through a cached formatter checked against SQLAlchemy's) — the demo.

Other databases take the plain Core path with the same rows: their drivers take Decimal and date
objects as they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from types import FunctionType
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection

from app.models.base import UTCDateTime

CHUNK = 20_000


def _sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__}")


class BulkInsert:
    """``insert(table)`` for rows given as tuples in ``layout`` order, with ``constants`` for
    the table's other columns (every column must be in one or the other)."""

    def __init__(self, conn: Connection, table: Table, layout: Sequence[str], constants: dict[str, Any], *,
                 fast: bool = True) -> None:
        self.conn, self.table, self.layout = conn, table, tuple(layout)
        missing = {c.key for c in table.columns} - set(self.layout) - set(constants)
        extra = (set(self.layout) | set(constants)) - {c.key for c in table.columns}
        if missing or extra or set(self.layout) & set(constants):
            raise ValueError(f"bulk insert into {table.name}: columns missing {sorted(missing)}, unknown "
                             f"{sorted(extra)}")
        dialect = conn.dialect
        self.fast = fast and dialect.name == "sqlite" and dialect.paramstyle == "qmark"
        self.constants = constants
        self._procs = {key: table.columns[key].type.dialect_impl(dialect).bind_processor(dialect)
                       for key in (*self.layout, *constants)} if self.fast else {}
        if self.fast:
            # the statement in the layout's order (any order), the constants as literals
            prep = dialect.identifier_preparer
            names = [prep.quote(table.columns[key].name) for key in (*self.layout, *constants)]
            literals = []
            for key, value in constants.items():
                proc = self._procs[key]
                literals.append(_sql_literal(proc(value) if proc is not None and value is not None else value))
            self.sql = (f"INSERT INTO {prep.format_table(table)} ({', '.join(names)}) "
                        f"VALUES ({', '.join(['?'] * len(self.layout) + literals)})")

    def converter(self, key: str) -> Callable[[Any], Any]:
        """The driver form of a value of column ``key``: SQLAlchemy's compiled processors (Decimal
        → float) are called as they are; those written in Python (dates, timestamps) convert each
        distinct value once."""
        proc = self._procs.get(key)
        if proc is None:
            return _same
        if not isinstance(proc, FunctionType):
            return proc
        memo: dict[Any, Any] = {}

        def convert(value: Any) -> Any:
            try:
                return memo[value]
            except KeyError:
                out = memo[value] = None if value is None else proc(value)
                return out

        return convert

    def execute(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.fast:
            for start in range(0, len(rows), CHUNK):
                self.conn.exec_driver_sql(self.sql, rows[start:start + CHUNK])
            return
        # a primary key given as None is left out, so the database numbers the rows
        shared = {key: value for key, value in self.constants.items()
                  if not (value is None and self.table.columns[key].primary_key)}
        stmt = insert(self.table)
        for start in range(0, len(rows), CHUNK):
            self.conn.execute(stmt, [{**shared, **dict(zip(self.layout, r))} for r in rows[start:start + CHUNK]])


    def execute_columns(self, columns: Sequence[Sequence[Any]], done: Callable[[int], None] | None = None) -> None:
        """Insert rows given as columns of plain Python values, in layout order (all the same
        length), converted here column by column; ``done(n)`` after each chunk."""
        n = len(columns[0]) if columns else 0
        if len(columns) != len(self.layout) or any(len(c) != n for c in columns):
            raise ValueError(f"bulk insert into {self.table.name}: {len(self.layout)} columns of equal length expected")
        for start in range(0, n, CHUNK):
            chunk = [c[start:start + CHUNK] for c in columns]
            if self.fast:
                self.execute(list(zip(*(self._convert_column(key, values)
                                        for key, values in zip(self.layout, chunk, strict=True)))))
            else:
                self.execute(list(zip(*chunk)))
            if done is not None:
                done(len(chunk[0]) if chunk else 0)

    def _convert_column(self, key: str, values: Sequence[Any]) -> Iterable[Any]:
        proc: Callable[[Any], Any] | None = self._procs.get(key)
        if proc is None:
            return values
        if isinstance(self.table.columns[key].type, UTCDateTime):
            fast = _utc_text(proc)
            sample = [v for v in values[:50] if v is not None]
            if all(fast(v) == proc(v) for v in sample):
                proc = fast
        # rows that share value objects (prices, quantities, days, enums): each object converted
        # once, keyed by identity (every value stays alive in ``values`` meanwhile; hashing by
        # value would cost more than converting)
        head = values[:2000]
        if len({id(v) for v in head}) * 2 < len(head):
            distinct = dict(zip(map(id, values), values))
            converted = {k: (None if v is None else proc(v)) for k, v in distinct.items()}
            return map(converted.__getitem__, map(id, values))
        return [None if v is None else proc(v) for v in values]


_HHMM = [f"{m // 60:02d}:{m % 60:02d}:00.000000" for m in range(1440)]


def _utc_text(proc: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """UTCDateTime's SQLite bind processor (UTC, naive, ``YYYY-MM-DD HH:MM:SS.ffffff``) for
    whole-minute UTC timestamps, from cached pieces; anything else goes to ``proc``. Used only on
    a column where it agrees with ``proc`` on a sample."""
    days: dict[int, str] = {}

    def run(value: Any) -> Any:
        if value is None or value.tzinfo is not dt.timezone.utc or value.second or value.microsecond:
            return proc(value)
        o = value.toordinal()
        d = days.get(o)
        if d is None:
            d = days[o] = f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
        return d + _HHMM[value.hour * 60 + value.minute]

    return run


def _same(value: Any) -> Any:
    return value
