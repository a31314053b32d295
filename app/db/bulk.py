"""Inserting many rows fast, for imports: rows are built as tuples already in the driver's form.

SQLAlchemy's Core ``executemany`` converts each parameter of each row with the column type's bind
processor (Decimal → float, date → text on SQLite) — at 100,000 order lines that conversion, and
turning rows into dictionaries and back, costs as much as SQLite's own work. Here a ``BulkInsert``
hands out one memoising converter per column (prices, quantities and dates repeat, so each
distinct value is converted once, by SQLAlchemy's own processor), and on SQLite compiles the
statement once with the columns shared by every row written as SQL literals (a NULL bound from
Python goes through the driver's adapter lookup, several times slower than any other value), so
the rows go straight to the driver's ``executemany``.

Other databases take the plain Core path with the same rows: their drivers take Decimal and date
objects as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import FunctionType
from typing import Any

from sqlalchemy import Table, insert, literal_column
from sqlalchemy.engine import Connection

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

    def __init__(self, conn: Connection, table: Table, layout: Sequence[str], constants: dict[str, Any]) -> None:
        self.conn, self.table, self.layout = conn, table, tuple(layout)
        missing = {c.key for c in table.columns} - set(self.layout) - set(constants)
        extra = (set(self.layout) | set(constants)) - {c.key for c in table.columns}
        if missing or extra or set(self.layout) & set(constants):
            raise ValueError(f"bulk insert into {table.name}: columns missing {sorted(missing)}, unknown "
                             f"{sorted(extra)}")
        dialect = conn.dialect
        self.fast = dialect.name == "sqlite" and dialect.paramstyle == "qmark"
        self.constants = constants
        self._procs = {key: table.columns[key].type.dialect_impl(dialect).bind_processor(dialect)
                       for key in (*self.layout, *constants)} if self.fast else {}
        if self.fast:
            values: dict[str, Any] = {}
            for key, value in constants.items():
                proc = self._procs[key]
                values[key] = literal_column(_sql_literal(proc(value) if proc is not None and value is not None
                                                          else value))
            compiled = insert(table).values(values).compile(dialect=dialect, column_keys=list(self.layout))
            order = list(compiled.positiontup or [])
            if order != list(self.layout):
                raise ValueError(f"bulk insert into {table.name}: layout must follow the table's column order "
                                 f"({order})")
            self.sql = compiled.string

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


def _same(value: Any) -> Any:
    return value
