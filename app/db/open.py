"""Open a database for use: location checks, schema upgrade after a backup, clear refusals."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from app.db import migrate
from app.db.backup import backup_sqlite
from app.db.engine import DatabaseReadOnly, check_sqlite_location, make_engine, sqlite_path, to_url
from app.db.uow import Database, _as_user_error
from app.errors import DatabaseError

log = logging.getLogger(__name__)


def default_backup_dir(db_path: Path) -> Path:
    return db_path.parent / "backups"


def latest_backup(folder: Path) -> Path | None:
    try:
        files = [p for p in folder.glob("*.db") if p.is_file()]
    except OSError:
        return None
    return max(files, key=lambda p: p.stat().st_mtime, default=None)


def _quick_check_or_refuse(engine: Engine, path: Path, backup_dir: Path | None) -> None:
    """``PRAGMA quick_check`` at open (≈0.16 s per 100 MB): refuse a damaged file before any write."""
    try:
        with engine.connect() as conn:
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
            conn.rollback()
    except UnicodeDecodeError as exc:  # the report quoted damaged bytes: damaged
        rows = [f"the integrity report holds bytes that are not text ({exc.reason})"]
    except DBAPIError as exc:
        low = str(exc.orig).lower()
        if "locked" in low or "busy" in low or "unable to open" in low or "readonly" in low:
            raise  # "readonly": a read-only desk met another desk's save in progress (see _settle_read_only)
        rows = [str(exc.orig)]
    if rows != ["ok"]:
        newest = latest_backup(backup_dir or default_backup_dir(path))
        hint = (f"Restore the latest backup: ordercycle db restore --db {path} --from {newest}" if newest
                else "Restore it from your latest backup.")
        raise DatabaseError(f"The database file {path} is damaged ({rows[0]}). It was not changed.", hint=hint)


def _read_only_because(reason: str) -> DatabaseReadOnly:
    return DatabaseReadOnly(f"This desk has the database read-only: {reason}",
                            hint="Nothing was saved. What you typed is kept: copy it somewhere if you need it.")


def unsafe_share_read_only(holder_text: str) -> DatabaseReadOnly:
    return DatabaseReadOnly(
        "This desk has the database read-only: the shared folder failed the share test (it does not pass "
        f"file locks between computers), so only one desk may save at a time, and {holder_text} has it.",
        hint="To save here, close OrderCycle on that desk and open the database again here. For everyone to "
             "save at once, move the database to a safe share, or to PostgreSQL with 'ordercycle db copy'. "
             "Nothing was saved; what you typed is kept.")


def open_database(db: str | os.PathLike[str], *, create: bool = True, upgrade: bool = True,
                  backup_dir: Path | None = None, busy_timeout_ms: int = 5000, check: bool = True,
                  allow_wal: bool = False, read_only: bool | str | None = None, username: str = "",
                  workstation: str | None = None) -> Database:
    """Open (or create) the database at ``db``: a file path or a SQLAlchemy URL.

    Raises DatabaseError with a plain message when the location is unreachable or read-only, the
    file is not a SQLite database or is damaged, the database is locked beyond the timeout, or it
    was written by a newer OrderCycle. Nothing is written to the file in those cases.

    On a shared folder whose share test said *unsafe* (``app.db.sharetest``), the first desk to
    open the database takes the single-writer lease (``app.db.writer``) and writes; every other
    desk gets it read-only (``Database.read_only`` holds the reason; every write raises it).
    ``read_only=True`` (or a reason text) opens read-only in any case.
    """
    url = to_url(db)
    path = sqlite_path(url)
    ro: DatabaseReadOnly | None = None
    if read_only:
        ro = _read_only_because(read_only if isinstance(read_only, str) else "it was opened for reading only.")
    lease = None
    state = None
    if path is not None:
        check_sqlite_location(path, create=create and ro is None, allow_wal=allow_wal, need_write=ro is None)
        from app.db import sharetest, writer

        state = sharetest.share_state(path)
        if ro is None and state is not None and state.unsafe:
            got = writer.claim(path, username=username, workstation=workstation)
            if isinstance(got, writer.WriterLease):
                lease = got
            else:
                ro = unsafe_share_read_only(got.describe())
    engine = make_engine(url, busy_timeout_ms=busy_timeout_ms, read_only=ro)
    try:
        def first_reads() -> str:
            if path is not None and check:
                _quick_check_or_refuse(engine, path, backup_dir)
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                if path is not None:
                    conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
                    mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
                    if str(mode).lower() == "wal":
                        raise DatabaseError("The database is in WAL mode, which does not work on a shared folder.",
                                            hint="Run 'ordercycle db check' on the server, or restore a backup.")
                conn.rollback()
            return migrate.schema_state(engine)

        state_ = _settle_read_only(first_reads) if ro is not None and path is not None else first_reads()
        if state_ == "newer":
            migrate.refuse_newer(engine)
        if state_ == "foreign":
            raise DatabaseError("This database does not belong to OrderCycle (it has other tables).",
                                hint="Choose an OrderCycle database or a new file. Nothing was changed.")
        if state_ in ("empty", "older") and ro is not None:
            raise DatabaseError("This database needs to be " + ("created" if state_ == "empty" else "upgraded") +
                                ", which this desk cannot do while it has the database read-only.",
                                hint=ro.message.split(": ", 1)[-1] + " Open it on the desk that may write.")
        if state_ in ("empty", "older"):
            if not upgrade and state_ == "older":
                raise DatabaseError("This database needs an upgrade: run 'ordercycle db upgrade'.")
            if state_ == "older" and path is not None:
                saved = backup_sqlite(path, backup_dir or default_backup_dir(path), label="before-upgrade")
                log.info("backup before upgrade written to %s", saved)
            migrate.upgrade(engine)
    except DBAPIError as exc:
        engine.dispose()
        if lease is not None:
            lease.release()
        raise _as_user_error(exc) from exc
    except BaseException:
        engine.dispose()
        if lease is not None:
            lease.release()
        raise
    return Database(engine, read_only=ro, writer_lease=lease, share_state=state)


_T = TypeVar("_T")


def _settle_read_only(reads: Callable[[], _T]) -> _T:
    """A read-only desk cannot roll back a journal: on an unsafe share the journal it sees may be
    the writing desk's save in progress ("attempt to write a readonly database"). Wait a moment
    for it to finish rather than call the file damaged; returns what ``reads()`` returns."""
    import time

    for _ in range(30):
        try:
            return reads()
        except DBAPIError as exc:
            low = str(exc.orig).lower()
            if "readonly" not in low and "read-only" not in low and "locked" not in low:
                raise
            time.sleep(0.1)
    raise DatabaseError("The database has an unfinished save from a desk that stopped (its journal is still there), "
                        "and this desk, opening it read-only, cannot undo it.",
                        hint="Open it on the desk that may write (it repairs this at once), then try again here.")
