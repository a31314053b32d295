"""URL -> Engine, with what a SQLite file on a LAN share needs, and PostgreSQL unchanged.

SQLite on a share: rollback journal (WAL does not work over a network file system),
``synchronous=FULL``, foreign keys on, a busy timeout, and write transactions that begin with
``BEGIN IMMEDIATE`` so two desks never both read-then-upgrade to a write lock (deferred BEGIN gave
67% "database is locked" failures in a read-modify-write test with 4 processes; IMMEDIATE none).
Read-only work keeps a plain deferred ``BEGIN`` so readers never queue behind writers.

Journal mode: ``DELETE`` on a local disk, ``TRUNCATE`` on a network share (``share.share_info``
decides: UNC path, mapped network drive, or a CIFS/NFS/FUSE mount). On the SMB test rig
(tools/smb-rig) ``DELETE`` failed 2% of commits with "disk I/O error" — deleting and re-creating
the journal file on every commit is the step that fails over the network — while ``TRUNCATE``
(the journal file stays, emptied at commit) failed none of the same commits. Both are rollback
journals: desks using either mode on one file are compatible. WAL is never used (it needs shared
memory, which does not work across machines).

A *read-only* engine (a desk that must not write on an unsafe share) opens the file with
``mode=ro``: such a desk can never roll back another desk's journal, and every write, even a
presence heartbeat, stops with ``DatabaseReadOnly`` and the reason.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import ConnectionPoolEntry

from app.errors import DatabaseError

SQLITE_MAGIC = b"SQLite format 3\x00"
WRITE_OPTION = "ordercycle_write"
REFERENCES_CHECKED_OPTION = "ordercycle_references_checked"
DEFAULT_BUSY_TIMEOUT_MS = 5000
SQLITE_PRAGMAS = (
    ("synchronous", "FULL"),
    ("foreign_keys", "ON"),
)
LOCAL_JOURNAL_MODE = "DELETE"
NETWORK_JOURNAL_MODE = "TRUNCATE"


class DatabaseReadOnly(DatabaseError):
    """This desk opened the database read-only; the message says why and what to do."""

    title = "Read-only"


def journal_mode_for(path: Path) -> str:
    """TRUNCATE on a network share, DELETE on a local disk (see the module docstring)."""
    from app.db.share import share_info

    try:
        network = share_info(path).network
    except OSError:
        network = True
    return NETWORK_JOURNAL_MODE if network else LOCAL_JOURNAL_MODE


def to_url(db: str | os.PathLike[str]) -> URL:
    """A file path or a SQLAlchemy URL (``postgresql+psycopg://…``)."""
    text = os.fspath(db)
    if "://" in text:
        url = make_url(text)
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        return url
    return URL.create("sqlite+pysqlite", database=str(Path(text).expanduser().resolve()))


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def sqlite_path(url: URL) -> Path | None:
    if is_sqlite(url) and url.database and url.database != ":memory:":
        return Path(url.database)
    return None


def describe(url: URL) -> str:
    """Where the database is, for the status bar and messages (never shows a password)."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    return url.render_as_string(hide_password=True)


def check_sqlite_location(path: Path, *, create: bool, need_write: bool = True, allow_wal: bool = False) -> bool:
    """Refuse, before SQLite touches anything, what cannot work. Returns True if the file is new.

    Checks: the folder is reachable; an existing file really is a SQLite database; the folder is
    writable (SQLite creates its journal file beside the database, so a read-only share fails at
    the first save otherwise).
    """
    folder = path.parent
    if not folder.is_dir():
        raise DatabaseError(
            f"The folder {folder} cannot be reached.",
            hint="Check that the network share is connected and the path is right, then try again.",
        )
    exists = path.exists() and path.stat().st_size > 0
    if exists:
        try:
            with open(path, "rb") as fh:
                header = fh.read(20)
        except OSError as exc:
            raise DatabaseError(f"The database file {path} cannot be read: {exc.strerror}.") from exc
        head = header[:16]
        if head == SQLITE_MAGIC and header[18:20] == b"\x02\x02" and not allow_wal:
            raise DatabaseError(
                f"{path} is in WAL mode (set by another program), which does not work on a shared folder.",
                hint="When no other program has it open, an administrator switches it back with "
                "'ordercycle db upgrade --db PATH'. The file was not changed.",
            )
        if head != SQLITE_MAGIC:
            raise DatabaseError(
                f"{path} is not an OrderCycle database (it is not a SQLite file).",
                hint="Choose the right file, or restore the latest backup. The file was not changed.",
            )
    elif not create:
        raise DatabaseError(f"There is no database at {path}.")
    if not need_write:
        return not exists
    probe = folder / f".ordercycle-write-test-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        os.close(fd)
        _unlink_probe(probe)
    except OSError as exc:
        raise DatabaseError(
            f"The folder {folder} is read-only for this workstation ({exc.strerror}).",
            hint="OrderCycle must create a journal file beside the database to save safely. "
            "Ask for write access to the share, or choose another folder. Nothing was changed.",
        ) from exc
    return not exists


def _unlink_probe(probe: Path) -> None:
    """The folder is writable once the probe was created. Some SMB clients report the file as busy
    for a moment after closing it (smbnetfs: EBUSY): retry briefly rather than call the folder
    read-only."""
    import errno
    import time

    for attempt in range(20):
        try:
            os.unlink(probe)
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno not in (errno.EBUSY, errno.EACCES, errno.EPERM) or attempt == 19:
                if exc.errno == errno.EBUSY:
                    return  # created, so writable; the stray probe is harmless and named by pid
                raise
            time.sleep(0.05)


def _sqlite_listeners(engine: Engine, busy_timeout_ms: int, journal_mode: str,
                      read_only: DatabaseReadOnly | None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see "begin" below)
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            if read_only is None:
                cur.execute(f"PRAGMA journal_mode = {journal_mode}")
            else:
                cur.execute("PRAGMA query_only = ON")
            for name, value in SQLITE_PRAGMAS:
                cur.execute(f"PRAGMA {name} = {value}")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        # foreign keys stay enforced except in a write whose caller checked every reference inside
        # the transaction (bulk imports); the pragma only takes effect outside a transaction, so
        # it is set here, before BEGIN, and set back by the next transaction on this connection
        unchecked = bool(options.get(WRITE_OPTION) and options.get(REFERENCES_CHECKED_OPTION))
        info = conn.connection.info
        if info.get("foreign_keys_off", False) != unchecked:
            conn.exec_driver_sql(f"PRAGMA foreign_keys = {'OFF' if unchecked else 'ON'}")
            info["foreign_keys_off"] = unchecked
        if options.get(WRITE_OPTION):
            if read_only is not None:
                raise DatabaseReadOnly(read_only.message, hint=read_only.hint)
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def make_engine(db: str | os.PathLike[str] | URL, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
                echo: bool = False, read_only: DatabaseReadOnly | None = None,
                journal_mode: str | None = None) -> Engine:
    """``read_only`` (the error to raise on a write) opens a SQLite file with ``mode=ro``."""
    url = db if isinstance(db, URL) else to_url(db)
    if is_sqlite(url):
        path = sqlite_path(url)
        kw: dict = {}
        if read_only is not None and path is not None:
            text = str(path)
            uri = ("file:" + quote("////" + text[2:].replace("\\", "/")) if text.startswith("\\\\")
                   else path.as_uri()) + "?mode=ro"
            timeout = busy_timeout_ms / 1000
            kw["creator"] = lambda: sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
            pool_size=4,
            max_overflow=4,
            **kw,
        )
        mode = journal_mode or (journal_mode_for(path) if path is not None else LOCAL_JOURNAL_MODE)
        _sqlite_listeners(engine, busy_timeout_ms, mode, read_only)
        # for a look in a debugger; Engine declares no such attribute
        engine.info = {"journal_mode": mode, "read_only": read_only}  # type: ignore[attr-defined]
        return engine
    if url.get_backend_name() == "postgresql":
        return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=4, max_overflow=4,
                             connect_args={"connect_timeout": 10})
    raise DatabaseError(f"OrderCycle supports SQLite files and PostgreSQL, not '{url.get_backend_name()}'.")


def write_engine(engine: Engine, *, references_checked: bool = False) -> Engine:
    """The same pool, but transactions begin with a write lock on SQLite. ``references_checked``:
    the caller checks every foreign key itself inside the transaction (which holds the write
    lock), so SQLite's per-row checks are switched off for it (a sixth of a bulk insert's time)."""
    return engine.execution_options(**{WRITE_OPTION: True, REFERENCES_CHECKED_OPTION: references_checked})
