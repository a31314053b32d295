"""The demo's rows into a database, in the caller's transaction.

Rows are built in Python with primary keys assigned (the tables are empty) and inserted table by
table in dependency order through ``app.db.bulk.BulkInsert`` (the imports' bulk loader): on SQLite
the parameters go through SQLAlchemy's own bind processors column by column instead of row by
row, and the big tables' indexes are rebuilt after the load. On PostgreSQL the id sequences are
moved past the ids used.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from app.db.bulk import BulkInsert
from app.demo.rows import LAYOUTS, _BuilderBase
from app.models import ChangeCounter, ChangeFeed, Product, User
from app.models.base import Base

CHUNK = 20_000
BIG_TABLE = 50_000  # rows; above this, a table's indexes are built after the load (SQLite)
FAST_SQLITE = True  # False: SQLite takes the plain Core path too (a test compares the two files)


def _templates(table: Table, fallback_ts: dt.datetime) -> tuple[dict[str, Any], frozenset[str]]:
    """Values for the columns a row may leave out: Python scalar defaults, the fixed timestamp for
    callable (``utcnow``) defaults, None for nullable columns. Returns (template, required keys)."""
    template: dict[str, Any] = {}
    required = set()
    for col in table.columns:
        default = col.default
        if isinstance(default, ScalarElementColumnDefault):
            template[col.key] = default.arg
        elif default is not None and getattr(default, "is_callable", False):
            template[col.key] = fallback_ts
        elif col.nullable:
            template[col.key] = None
        else:
            required.add(col.key)
    return template, frozenset(required)



def _insert_table(conn: Any, table: Table, rows: list[Any], done: Callable[[int], None],
                  layout: tuple[str, ...] | None = None, constants: dict[str, Any] | None = None) -> None:
    """``rows`` (dicts with every column, or tuples in ``layout`` order with ``constants`` for the
    other columns) into ``table`` through ``app.db.bulk.BulkInsert``, column by column."""
    if layout is None:
        layout = tuple(c.key for c in table.columns)
        columns: list[Any] = [list(map(operator.itemgetter(key), rows)) for key in layout]
    else:
        columns = [list(c) for c in zip(*rows)] if rows else [[] for _ in layout]
    BulkInsert(conn, table, layout, constants or {}, fast=FAST_SQLITE).execute_columns(columns, done)


def _insert_all(conn: Any, rows: dict[str, list[Any]], fallback_ts: dt.datetime,
                progress: Callable[[float], None] | None) -> None:
    total = sum(len(r) for r in rows.values()) or 1
    count = [0]

    def done(n: int) -> None:
        count[0] += n
        if progress is not None:
            progress(0.6 + 0.38 * count[0] / total)

    deferred: list[str] = []
    if conn.dialect.name == "sqlite" and FAST_SQLITE:
        # big tables: drop their secondary indexes and recreate them from the very same SQL after
        # the load (SQLite builds an index from sorted keys much faster than row by row)
        big = [name for name, data in rows.items() if len(data) >= BIG_TABLE]
        for name in big:
            for index_name, sql in conn.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                    "AND sql IS NOT NULL ORDER BY name", (name,)).fetchall():
                conn.exec_driver_sql(f'DROP INDEX "{index_name}"')
                deferred.append(sql)
    for table in Base.metadata.sorted_tables:
        data = rows.get(table.name)
        if not data:
            continue
        template, required = _templates(table, fallback_ts)
        layout = LAYOUTS.get(table.name)
        if layout is not None:
            # columns added to the model since the layout was written take their defaults
            extra = set(table.columns.keys()) - set(layout)
            if set(layout) - set(table.columns.keys()) or extra & required or len(data[0]) != len(layout):
                raise AssertionError(f"demo layout for {table.name} does not match its columns")
            _insert_table(conn, table, data, done, layout, {key: template[key] for key in extra})
            continue
        ncols = len(table.columns)
        keys = set(template) | required
        fixed: list[dict[str, Any]] = []
        for r in data:
            if len(r) != ncols:
                r = {**template, **r}
            fixed.append(r)
        missing = required - set(fixed[0])
        extra = set(fixed[0]) - keys
        if missing or extra:
            raise AssertionError(f"demo rows for {table.name}: missing {sorted(missing)}, unknown {sorted(extra)}")
        _insert_table(conn, table, fixed, done)
    for sql in deferred:
        conn.exec_driver_sql(sql)


def _reset_pg_sequences(conn: Any) -> None:
    for table in Base.metadata.sorted_tables:
        col = table.columns.get("id")
        if col is None or not col.primary_key or not col.autoincrement:
            continue
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), COALESCE(MAX(id), 1), "
            f"MAX(id) IS NOT NULL) FROM \"{table.name}\""))



def _announce(conn: Any, b: _BuilderBase) -> None:
    """Move the change counter on, with a feed entry naming every table filled, so a desk that
    has this (empty) database open reloads everything."""
    current = conn.execute(select(ChangeCounter.value).where(ChangeCounter.id == 1)).scalar()
    top = conn.execute(select(func.max(ChangeFeed.seq))).scalar()
    seq = max(int(current or 0), int(top or 0)) + 1
    if current is None:
        conn.execute(insert(ChangeCounter).values(id=1, value=seq))
    else:
        conn.execute(update(ChangeCounter).where(ChangeCounter.id == 1).values(value=seq))
    conn.execute(insert(ChangeFeed).values(seq=seq, at=b.now_ts, username="system", workstation=None,
                                           tables=sorted(name for name, rows in b.rows.items() if rows),
                                           entities={}))


def _has_data(conn: Any) -> bool:
    return bool(conn.execute(select(func.count()).select_from(User)).scalar()
                or conn.execute(select(func.count()).select_from(Product)).scalar())
