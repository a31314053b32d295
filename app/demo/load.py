"""The demo's rows into a database, in the caller's transaction.

Rows are built in Python with primary keys assigned (the tables are empty) and inserted table by
table in dependency order, with SQLAlchemy Core ``insert(table)`` executemany. On SQLite the
parameters go through SQLAlchemy's own bind processors column by column instead of row by row,
and the big tables' indexes are rebuilt after the load. On PostgreSQL the id sequences are moved
past the ids used.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from itertools import repeat
from typing import Any

from sqlalchemy import Table, func, insert, null, select, text, update
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from app.demo.dates import UTC
from app.demo.rows import LAYOUTS, _BuilderBase
from app.models import ChangeCounter, ChangeFeed, Product, User
from app.models.base import Base, UTCDateTime

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



_HHMM = [f"{m // 60:02d}:{m % 60:02d}:00.000000" for m in range(1440)]


def _utc_text(proc: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """UTCDateTime's SQLite bind processor (UTC, naive, ``YYYY-MM-DD HH:MM:SS.ffffff``) for the
    whole-minute UTC timestamps the demo uses, from cached pieces; anything else goes to ``proc``.
    ``_insert_table`` checks it against ``proc`` before using it."""
    days: dict[int, str] = {}

    def run(value: Any) -> Any:
        if value is None or value.tzinfo is not UTC or value.second or value.microsecond:
            return proc(value)
        o = value.toordinal()
        d = days.get(o)
        if d is None:
            d = days[o] = f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
        return d + _HHMM[value.hour * 60 + value.minute]

    return run


class _Constant:
    """A column with the same value in every row of an insert."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _insert_table(conn: Any, table: Table, rows: list[Any], done: Callable[[int], None],
                  layout: tuple[str, ...] | None = None, constants: dict[str, Any] | None = None) -> None:
    """``insert(table)`` with ``rows`` (dicts, or tuples in ``layout`` order), executemany in chunks.

    On SQLite the statement is compiled once and the parameters are converted column by column
    with SQLAlchemy's own bind processors for each column type (once per distinct value object
    where the rows share them; timestamps through a cached formatter checked against
    SQLAlchemy's on each column), then handed to the driver's executemany: the same values in the
    file, several times faster than SQLAlchemy's per-row parameter processing. Other databases
    take the plain Core path.
    """
    stmt = insert(table)
    dialect = conn.dialect
    if not FAST_SQLITE or dialect.name != "sqlite" or dialect.paramstyle != "qmark":
        # a primary key given as None is left out, so the database numbers the rows
        given = {key: value for key, value in (constants or {}).items()
                 if not (value is None and table.columns[key].primary_key)}
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            if layout is not None:
                chunk = [{**given, **dict(zip(layout, r))} for r in chunk]
            conn.execute(stmt, chunk)
            done(len(chunk))
        return
    # columns that are NULL in every row are written as a NULL literal: the driver binds a None
    # through its adapter lookup, several times slower than any other value (measured: 25 None
    # parameters per row cost 5× as much as 25 floats)
    constant = constants or {}
    nulls = [key for key, value in constant.items() if value is None] if layout is not None else []
    if nulls:
        stmt = stmt.values({key: null() for key in nulls})
    keys = [c.key for c in table.columns if c.key not in nulls]
    compiled = stmt.compile(dialect=dialect, column_keys=keys)
    order = list(compiled.positiontup or [])
    if sorted(order) != sorted(keys):
        raise AssertionError(f"unexpected insert parameters for {table.name}: {order}")
    position = {key: i for i, key in enumerate(layout)} if layout is not None else {}
    getters = [operator.itemgetter(key) for key in order]

    def columns_of(chunk: list[Any]) -> list[Any]:
        if layout is None:
            return [list(map(get, chunk)) for get in getters]
        transposed = list(zip(*chunk))
        # a constant column: the value itself, converted once below and repeated
        return [transposed[position[key]] if key in position else _Constant(constant[key])
                for key in order]

    sql = compiled.string
    procs: list[tuple[Callable[[Any], Any] | None, bool]] | None = None
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        columns = columns_of(chunk)
        if procs is None:
            procs = []
            for key, values in zip(order, columns):
                col = table.columns[key]
                proc: Callable[[Any], Any] | None = col.type.dialect_impl(dialect).bind_processor(dialect)
                if isinstance(values, _Constant):
                    procs.append((proc, False))
                    continue
                if proc is not None and isinstance(col.type, UTCDateTime):
                    fast = _utc_text(proc)
                    sample = [v for v in values[:50] if v is not None]
                    proc = fast if all(fast(v) == proc(v) for v in sample) else proc
                # rows share value objects (prices, quantities, days, enums): such columns convert
                # each object once, keyed by identity (every value stays alive in ``rows``
                # meanwhile; hashing by value would cost more than converting)
                shared = proc is not None and len({id(v) for v in values[:2000]}) * 2 < len(values[:2000])
                procs.append((proc, shared))
        converted_columns: list[Any] = []
        for values, (proc, shared) in zip(columns, procs):
            if isinstance(values, _Constant):
                converted_columns.append(repeat(values.value if proc is None else proc(values.value)))
            elif proc is None:
                converted_columns.append(values)
            elif shared:
                distinct = dict(zip(map(id, values), values))
                converted = {k: proc(v) for k, v in distinct.items()}
                converted_columns.append(map(converted.__getitem__, map(id, values)))
            else:
                converted_columns.append(map(proc, values))
        conn.exec_driver_sql(sql, list(zip(*converted_columns)))
        done(len(chunk))


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
