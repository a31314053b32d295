"""Copy a firm's data between databases: a SQLite file to PostgreSQL (the usual move when a firm
outgrows a shared file), or any other supported direction.

The source is read from a consistent snapshot and never written: a SQLite source is first copied
to a local temporary file with the online backup API (other desks keep working meanwhile, and
the copy reads fast local disk); a PostgreSQL source is read in one REPEATABLE READ transaction.
The destination must be empty. Its schema is created by ``open_database``; every table is then
copied in foreign-key order, in batches, inside ONE destination transaction, so a failure (or a
``progress`` callback that raises, e.g. to cancel) leaves the destination without data.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Connection, Engine, Table, func, inspect, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from app.db import migrate
from app.db.backup import backup_sqlite
from app.db.engine import SQLITE_MAGIC, describe, is_sqlite, make_engine, sqlite_path, to_url, write_engine
from app.errors import DatabaseError

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
SEEDED = ("change_counter", "number_sequence")  # rows every new database gets (migrate._seed_rows)


@dataclass(frozen=True)
class CopyOutcome:
    tables: tuple[str, ...]  # in the order they were copied
    rows: dict[str, int]  # rows copied per table (equal in source and destination)
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return (str(orig if orig is not None else exc).strip().splitlines() or [type(exc).__name__])[0]


def has_business_data(conn: Connection) -> list[str]:
    """Tables holding rows a new database would not have (seeded counter and sequences excepted)."""
    from app.models import Base

    present = set(inspect(conn).get_table_names())
    busy = []
    for t in Base.metadata.sorted_tables:
        if t.name not in present or t.name == "change_counter":
            continue
        q = select(func.count()).select_from(t)
        if t.name == "number_sequence":
            q = q.where(t.c.next_value != 1)
        if conn.execute(q).scalar():
            busy.append(t.name)
    return busy


def _not_empty(where: str, busy: list[str]) -> DatabaseError:
    more = "…" if len(busy) > 6 else ""
    return DatabaseError(f"The destination {where} already holds data; choose an empty database.",
                         hint=f"It has rows in {', '.join(busy[:6])}{more}. Nothing was changed.")


def _check_source(engine: Engine, where: str) -> None:
    state = migrate.schema_state(engine)
    if state == "current":
        return
    if state == "older":
        raise DatabaseError(f"The source database {where} has an older schema.",
                            hint="Run 'ordercycle db upgrade' on it first, then copy again. Nothing was changed.")
    if state == "newer":
        raise DatabaseError(f"The source database {where} was written by a newer OrderCycle.",
                            hint="Copy it with that version. Nothing was changed.")
    if state == "empty":
        raise DatabaseError(f"The source database {where} is empty: there is nothing to copy.")
    raise DatabaseError(f"The source {where} is not an OrderCycle database.", hint="Nothing was changed.")


def _check_destination(url: URL) -> bool:
    """Refuse a destination with data before ``open_database`` could touch it (it would back up and
    upgrade an older one). Returns True if a SQLite destination file is new."""
    path = sqlite_path(url)
    where = describe(url)
    if path is not None and not (path.is_file() and path.stat().st_size > 0):
        return True
    if path is not None:
        with open(path, "rb") as fh:
            if fh.read(16) != SQLITE_MAGIC:
                raise DatabaseError(f"The destination {where} is not an OrderCycle database (not a SQLite file).",
                                    hint="Choose an empty database or a new file name. Nothing was changed.")
    engine = make_engine(url)
    try:
        state = migrate.schema_state(engine)
        if state == "foreign":
            raise DatabaseError(f"The destination {where} already holds other tables; choose an empty database.",
                                hint="Nothing was changed.")
        if state == "newer":
            raise DatabaseError(f"The destination {where} was written by a newer OrderCycle; choose an empty "
                                "database.", hint="Nothing was changed.")
        if state in ("current", "older"):
            with engine.connect() as conn:
                busy = has_business_data(conn)
                conn.rollback()
            if busy:
                raise _not_empty(where, busy)
    except DBAPIError as exc:
        raise DatabaseError(f"The destination {where} cannot be read: {_first_line(exc)}") from exc
    finally:
        engine.dispose()
    return False


def _self_refs(t: Table) -> list[str]:
    """Nullable columns referring to the same table (``sales_order.source_order_id``): inserted as
    NULL, then set once every row exists, since PostgreSQL checks foreign keys per statement."""
    return [fk.parent.name for fk in t.foreign_keys if fk.column.table is t and fk.parent.nullable]


def _converters(t: Table, src: Connection, dst: Connection, coltypes: list[Any]) -> list[Callable[[Any], Any] | None]:
    """Per column: the driver value read from ``src`` -> the driver value to write to ``dst``, with
    exactly the processors SQLAlchemy applies (UTCDateTime, Enum, Numeric, Date, Boolean…), applied
    column by column instead of row by row (several times faster). JSON travels as its text, so a
    SQL NULL and a JSON ``null`` stay apart; the same backend on both sides needs no conversion."""
    sd, dd = src.dialect, dst.dialect
    if sd.name == dd.name:
        return [None] * len(t.columns)
    out: list[Callable[[Any], Any] | None] = []
    for c, coltype in zip(t.columns, coltypes):
        if isinstance(c.type, JSON):
            out.append(None)
            continue
        read = c.type.dialect_impl(sd).result_processor(sd, coltype)
        write = c.type.dialect_impl(dd).bind_processor(dd)
        if read is None and write is None:
            out.append(None)
        elif read is None:
            out.append(write)
        elif write is None:
            out.append(read)
        else:
            out.append(_chain(read, write))
    return out


def _chain(read: Callable[[Any], Any], write: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda v: write(read(v))


def _write_rows(dst: Connection, t: Table, names: list[str], rows: list[tuple[Any, ...]]) -> None:
    q = dst.dialect.identifier_preparer.quote
    cols = ", ".join(q(n) for n in names)
    if dst.dialect.name == "postgresql":
        driver = dst.connection.driver_connection
        assert driver is not None, "an open connection has its driver's connection"
        cur = driver.cursor()
        try:
            with cur.copy(f"COPY {q(t.name)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cur.close()
    else:
        marks = ", ".join("?" for _ in names)
        dst.exec_driver_sql(f"INSERT INTO {q(t.name)} ({cols}) VALUES ({marks})", rows)


def _copy_table(src: Connection, dst: Connection, t: Table, *, batch: int, report: Callable[[int], None]) -> int:
    sq = src.dialect.identifier_preparer.quote
    names = [c.name for c in t.columns]
    exprs = []
    for c in t.columns:
        expr = sq(c.name)
        if isinstance(c.type, JSON) and src.dialect.name == "postgresql":
            expr += "::text"  # psycopg would parse it, and JSON null would come back as SQL NULL
        exprs.append(expr)
    order = ", ".join(sq(c.name) for c in t.primary_key.columns)
    result = src.execution_options(stream_results=True, yield_per=batch).exec_driver_sql(
        f"SELECT {', '.join(exprs)} FROM {sq(t.name)} ORDER BY {order}")
    coltypes = [d[1] for d in (result.cursor.description or [])] if result.cursor is not None else []
    coltypes += [None] * (len(names) - len(coltypes))
    convert = _converters(t, src, dst, coltypes)
    pk = [names.index(c.name) for c in t.primary_key.columns]
    self_refs = [names.index(n) for n in _self_refs(t)]
    later: dict[int, list[dict[str, Any]]] = {i: [] for i in self_refs}
    copied = 0
    for part in result.partitions(batch):
        columns = []
        for i, fn in enumerate(convert):
            values = [r[i] for r in part]
            columns.append(values if fn is None else [None if v is None else fn(v) for v in values])
        for i in self_refs:  # set after all rows exist
            for j, v in enumerate(columns[i]):
                if v is not None:
                    later[i].append({**{f"k{k}": columns[k][j] for k in pk}, "v": v})
            columns[i] = [None] * len(part)
        _write_rows(dst, t, names, list(zip(*columns)))
        copied += len(part)
        report(len(part))
    for i, params in later.items():
        if not params:
            continue
        dq = dst.dialect.identifier_preparer.quote
        style = "?" if dst.dialect.paramstyle == "qmark" else None
        where = " AND ".join(f"{dq(names[k])} = " + (style or f"%(k{k})s") for k in pk)
        sql = f"UPDATE {dq(t.name)} SET {dq(names[i])} = " + (style or "%(v)s") + f" WHERE {where}"
        rows: list[Any] = params if style is None else [(p["v"], *(p[f"k{k}"] for k in pk)) for p in params]
        for n in range(0, len(rows), batch):
            dst.exec_driver_sql(sql, rows[n:n + batch])
    return copied


def _reset_sequences(dst: Connection, tables: list[Table]) -> None:
    for t in tables:
        pk = list(t.primary_key.columns)
        if len(pk) != 1 or pk[0].name != "id" or pk[0].autoincrement is False:
            continue
        name = dst.dialect.identifier_preparer.quote(t.name)
        dst.execute(text(f"SELECT setval(pg_get_serial_sequence(:t, 'id'), COALESCE(max(id), 1), "
                         f"max(id) IS NOT NULL) FROM {name}"), {"t": t.name})


def _same_database(a: URL, b: URL) -> bool:
    pa, pb = sqlite_path(a), sqlite_path(b)
    if pa is not None or pb is not None:
        return pa is not None and pb is not None and pa.resolve() == pb.resolve()
    return (a.host, a.port, a.database) == (b.host, b.port, b.database)


def copy_database(src: str | os.PathLike[str], dst: str | os.PathLike[str], *, progress: Progress | None = None,
                  batch: int = 5000) -> CopyOutcome:
    """Copy every row of the OrderCycle database ``src`` into the empty database ``dst``.

    ``src``/``dst``: a SQLite file path or a SQLAlchemy URL. ``progress(fraction, message)`` is
    called as tables are copied; an exception raised from it cancels the copy (nothing is kept).
    Raises DatabaseError when the source is not at the current schema, the destination holds
    data, or the copy fails (the destination is then left without data).
    """
    from app.db.open import open_database
    from app.models import Base

    started = time.perf_counter()
    say: Progress = progress or (lambda _f, _m: None)
    src_url, dst_url = to_url(src), to_url(dst)
    if _same_database(src_url, dst_url):
        raise DatabaseError("The source and the destination are the same database.")
    where_src, where_dst = describe(src_url), describe(dst_url)
    tables = list(Base.metadata.sorted_tables)

    with tempfile.TemporaryDirectory(prefix="ordercycle-copy-") as tmp:
        src_path = sqlite_path(src_url)
        if src_path is not None:
            if not src_path.is_file():
                raise DatabaseError(f"There is no database at {src_path}.")
            with open(src_path, "rb") as fh:
                if fh.read(16) != SQLITE_MAGIC:
                    raise DatabaseError(f"{src_path} is not an OrderCycle database (it is not a SQLite file).")
            say(0.0, "Taking a snapshot of the source database")
            try:
                snapshot = backup_sqlite(src_path, Path(tmp), label="copy")
            except DatabaseError as exc:
                raise DatabaseError(f"The source database {src_path} could not be read: {exc.message}",
                                    hint="Run 'ordercycle db check' on it. Nothing was changed.") from exc
            src_engine = make_engine(snapshot)
        else:
            src_engine = make_engine(src_url)
        new_file = False
        dst_db = None
        try:
            try:
                _check_source(src_engine, where_src)
            except DBAPIError as exc:
                raise DatabaseError(f"The source database {where_src} cannot be read: {_first_line(exc)}") from exc
            new_file = _check_destination(dst_url)
            say(0.0, "Creating the tables in the destination")
            dst_db = open_database(dst)
            with src_engine.connect() as sconn:
                if not is_sqlite(src_url):
                    sconn = sconn.execution_options(isolation_level="REPEATABLE READ")
                counts = {t.name: int(sconn.execute(select(func.count()).select_from(t)).scalar() or 0)
                          for t in tables}
                total = max(1, sum(counts.values()))
                done = 0
                copied: dict[str, int] = {}
                with write_engine(dst_db.engine).begin() as dconn:
                    busy = has_business_data(dconn)
                    if busy:
                        raise _not_empty(where_dst, busy)
                    for name in SEEDED:
                        dconn.execute(Base.metadata.tables[name].delete())
                    dbapi_error = getattr(dconn.dialect.dbapi, "Error", SQLAlchemyError)
                    for t in tables:
                        def report(n: int, t: Table = t) -> None:
                            nonlocal done
                            done += n
                            say(min(done / total, 0.99), f"Copying {t.name}: {done:,} of {total:,} rows")

                        say(min(done / total, 0.99), f"Copying {t.name}")
                        try:
                            copied[t.name] = _copy_table(sconn, dconn, t, batch=batch, report=report)
                        except (SQLAlchemyError, LookupError, ValueError, TypeError, dbapi_error) as exc:
                            raise DatabaseError(f"Copying the table {t.name} failed: {_first_line(exc)}",
                                                hint=f"Nothing was kept in {where_dst}.") from exc
                    if not is_sqlite(dst_url):
                        say(0.99, "Setting the id counters")
                        _reset_sequences(dconn, tables)
                    say(0.99, "Checking the row counts")
                    for t in tables:
                        n = int(dconn.execute(select(func.count()).select_from(t)).scalar() or 0)
                        if n != counts[t.name] or copied[t.name] != counts[t.name]:
                            raise DatabaseError(f"The copy of {t.name} has {n} rows, the source {counts[t.name]}.",
                                                hint=f"Nothing was kept in {where_dst}.")
                sconn.rollback()
        except BaseException:
            if dst_db is not None:
                dst_db.dispose()
                dst_db = None
            dst_path = sqlite_path(dst_url)
            if new_file and dst_path is not None:
                for p in (dst_path, dst_path.with_name(dst_path.name + "-journal")):
                    try:
                        p.unlink(missing_ok=True)
                    except OSError:
                        log.warning("could not remove %s after a failed copy", p)
            raise
        finally:
            src_engine.dispose()
            if dst_db is not None:
                dst_db.dispose()
    seconds = time.perf_counter() - started
    say(1.0, f"Copied {sum(copied.values()):,} rows in {seconds:.1f} s")
    log.info("copied %s to %s: %d rows in %.1f s", where_src, where_dst, sum(copied.values()), seconds)
    return CopyOutcome(tables=tuple(t.name for t in tables), rows=copied, seconds=seconds)
