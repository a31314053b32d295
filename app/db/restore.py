"""Restore a SQLite database from a backup file, safely and undoably.

Order of work: check the backup (a SQLite file, sound, an OrderCycle schema this version can
read); check the live database (no other desk connected, unless forced); back the live database
up as ``before-restore`` (a restore can be undone by restoring that file); copy the backup INTO
the live file with SQLite's online backup API (one step, inside SQLite's own locking and
journal, so readers see the old or the new database and a crash mid-way rolls back; never a
file copy or rename over a database other desks may have open); ``quick_check`` the result;
upgrade it if the backup came from an older OrderCycle; bump the change counter so connected
desks reload.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import socket
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, inspect, insert, select, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from app import clock
from app.db import migrate
from app.db.backup import backup_sqlite, ensure_backup_folder, is_disk_full, quick_check, sqlite_ro_uri
from app.db.engine import SQLITE_MAGIC, make_engine, write_engine
from app.errors import DatabaseError

log = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(seconds=75)  # as app.services.presence (a desk that stopped beating is gone)


@dataclass(frozen=True)
class RestoreOutcome:
    safety_backup: Path | None  # the live database as it was before (None if there was none)
    restored_from: Path
    upgraded: bool = False  # the backup came from an older OrderCycle and was upgraded


@dataclass(frozen=True)
class ConnectedDesk:
    session_id: int
    username: str
    full_name: str
    role: str
    workstation: str
    since: dt.datetime

    def describe(self) -> str:
        return f"{self.full_name or self.username} ({self.role}) at {self.workstation}"


def read_only_engine(path: Path) -> Engine:
    """An engine that can only read ``path`` (SQLite ``mode=ro``): inspecting a file writes nothing."""
    uri = sqlite_ro_uri(path)
    return create_engine("sqlite+pysqlite://", poolclass=NullPool,
                         creator=lambda: sqlite3.connect(uri, uri=True, timeout=10, check_same_thread=False))


def _is_sqlite_file(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == SQLITE_MAGIC
    except OSError:
        return False


def backup_schema_state(backup_file: Path) -> str:
    """Check a file is a usable OrderCycle backup; returns its schema state ('current' or 'older')."""
    if not backup_file.is_file():
        raise DatabaseError(f"There is no backup file at {backup_file}.")
    if not _is_sqlite_file(backup_file):
        raise DatabaseError(f"{backup_file} is not an OrderCycle backup (it is not a SQLite file).",
                            hint="Choose a .db file from the backups folder. Nothing was changed.")
    problems = quick_check(backup_file)
    if problems:
        raise DatabaseError(f"The backup {backup_file.name} is damaged ({problems[0]}).",
                            hint="Choose an earlier backup. Nothing was changed.")
    engine = read_only_engine(backup_file)
    try:
        state = migrate.schema_state(engine)
    except SQLAlchemyError as exc:
        raise DatabaseError(f"The backup {backup_file.name} cannot be read: {exc}",
                            hint="Choose another backup. Nothing was changed.") from exc
    finally:
        engine.dispose()
    if state == "newer":
        raise DatabaseError(f"The backup {backup_file.name} was made by a newer version of OrderCycle.",
                            hint="Restore it with that version (ask your administrator). Nothing was changed.")
    if state in ("foreign", "empty"):
        raise DatabaseError(f"{backup_file.name} is not an OrderCycle backup (it holds no OrderCycle data).",
                            hint="Choose a file from the backups folder. Nothing was changed.")
    return state


def connected_desks(db_path: Path, *, now: dt.datetime | None = None,
                    exclude_session: int | None = None) -> list[ConnectedDesk]:
    """Desks with an open, beating session in the database file (read-only query)."""
    from app.models import DeskSession

    now = now or clock.utcnow()
    engine = read_only_engine(db_path)
    try:
        with engine.connect() as conn:
            if "desk_session" not in inspect(conn).get_table_names():
                return []
            q = (select(DeskSession.id, DeskSession.username, DeskSession.full_name, DeskSession.role,
                        DeskSession.workstation, DeskSession.started_at)
                 .where(DeskSession.closed_at.is_(None), DeskSession.heartbeat_at >= now - STALE_AFTER)
                 .order_by(DeskSession.started_at))
            if exclude_session is not None:
                q = q.where(DeskSession.id != exclude_session)
            return [ConnectedDesk(r[0], r[1], r[2], getattr(r[3], "value", r[3]), r[4], r[5])
                    for r in conn.execute(q)]
    finally:
        engine.dispose()


def _change_seq(db_path: Path) -> int | None:
    try:
        con = sqlite3.connect(sqlite_ro_uri(db_path), uri=True, timeout=10)
        try:
            row = con.execute("SELECT value FROM change_counter WHERE id = 1").fetchone()
        finally:
            con.close()
        return int(row[0]) if row else None
    except (sqlite3.Error, TypeError, ValueError):
        return None


def _raw_safety_copy(db_path: Path, backup_dir: Path, now: dt.datetime) -> Path:
    """A damaged database cannot go through the backup API: keep its bytes as they are."""
    ensure_backup_folder(backup_dir)
    dest = backup_dir / f"{db_path.stem}-before-restore-damaged-{now:%Y%m%d-%H%M%S}.db"
    n = 1
    while dest.exists():
        n += 1
        dest = backup_dir / f"{db_path.stem}-before-restore-damaged-{now:%Y%m%d-%H%M%S}-{n}.db"
    part = dest.with_suffix(".db.part")
    try:
        shutil.copyfile(db_path, part)
        part.rename(dest)
    except OSError as exc:
        part.unlink(missing_ok=True)
        if is_disk_full(exc):
            raise DatabaseError(f"The backup folder {backup_dir} is full: the current database could not be "
                                "saved before the restore.",
                                hint="Free some space there, then restore again. Nothing was changed.") from exc
        raise DatabaseError(f"The current database could not be saved to {backup_dir} before the restore: "
                            f"{exc.strerror or exc}.", hint="Nothing was changed.") from exc
    return dest


def _copy_into(backup_file: Path, db_path: Path, *, may_reset: bool) -> None:
    """The backup API from ``backup_file`` into the live file, in one step (atomic for readers)."""
    source = sqlite3.connect(sqlite_ro_uri(backup_file), uri=True, timeout=30)
    try:
        target = sqlite3.connect(db_path, timeout=30)
        try:
            try:
                source.backup(target)
            except sqlite3.DatabaseError as exc:
                # A live file whose header is destroyed is "not a database": SQLite cannot even take
                # a lock on it. Its bytes were saved already; start from an empty file.
                if not may_reset or "not a database" not in str(exc):
                    raise
                target.close()
                with open(db_path, "r+b") as fh:
                    fh.truncate(0)
                target = sqlite3.connect(db_path, timeout=30)
                source.backup(target)
            # a backup of a WAL database would bring WAL mode along; a shared file needs DELETE
            mode = target.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
            if str(mode).lower() != "delete":
                raise DatabaseError(f"The restored database is in {mode} journal mode and could not be switched back.")
        finally:
            target.close()
    finally:
        source.close()


def _announce(db_path: Path, previous_seq: int | None) -> None:
    """Move the change counter past any value a connected desk has seen, with a feed entry naming
    every table, so those desks reload everything (a counter that went backwards would look to
    them as 'nothing changed')."""
    from app.models import Base, ChangeCounter, ChangeFeed

    engine = make_engine(db_path)
    try:
        with write_engine(engine).begin() as conn:
            current = conn.execute(select(ChangeCounter.value).where(ChangeCounter.id == 1)).scalar()
            top = conn.execute(select(ChangeFeed.seq).order_by(ChangeFeed.seq.desc()).limit(1)).scalar()
            seq = max(int(current or 0), int(top or 0), int(previous_seq or 0)) + 1
            if current is None:
                conn.execute(insert(ChangeCounter).values(id=1, value=seq))
            else:
                conn.execute(update(ChangeCounter).where(ChangeCounter.id == 1).values(value=seq))
            conn.execute(insert(ChangeFeed).values(
                seq=seq, at=clock.utcnow(), username="system",
                workstation=socket.gethostname()[:80], tables=sorted(Base.metadata.tables), entities={}))
    finally:
        engine.dispose()


def restore_sqlite(db_path: Path, backup_file: Path, *, force: bool = False, backup_dir: Path | None = None,
                   exclude_session: int | None = None, now: dt.datetime | None = None) -> RestoreOutcome:
    """Replace the database at ``db_path`` with the contents of ``backup_file``.

    Refuses (DatabaseError, nothing changed) a backup that is not a SQLite file, is damaged, is
    not OrderCycle's or is from a newer OrderCycle; and, unless ``force``, while other desks are
    connected (``exclude_session``: the restoring desk's own session) or when that cannot be told
    because the live file is damaged. The live database is first saved as ``before-restore`` in
    ``backup_dir`` (default: ``backups/`` beside it).
    """
    from app.db.open import default_backup_dir

    db_path = Path(db_path).expanduser().resolve()
    backup_file = Path(backup_file).expanduser().resolve()
    backup_dir = Path(backup_dir) if backup_dir is not None else default_backup_dir(db_path)
    stamp = now or clock.now().replace(tzinfo=None)
    if db_path == backup_file:
        raise DatabaseError("The backup file is the database itself; choose a file from the backups folder.")
    state = backup_schema_state(backup_file)

    if not db_path.parent.is_dir():
        raise DatabaseError(f"The folder {db_path.parent} cannot be reached.",
                            hint="Check that the network share is connected, then try again.")
    probe = db_path.parent / f".ordercycle-write-test-{os.getpid()}"
    try:
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        os.unlink(probe)
    except OSError as exc:
        raise DatabaseError(f"The folder {db_path.parent} is read-only for this workstation ({exc.strerror}).",
                            hint="Ask for write access to the share. Nothing was changed.") from exc

    live_exists = db_path.is_file() and db_path.stat().st_size > 0
    sound = False
    previous_seq: int | None = None
    if live_exists:
        is_sqlite = _is_sqlite_file(db_path)
        sound = is_sqlite and not quick_check(db_path)
        if sound:
            engine = read_only_engine(db_path)
            try:
                live_state = migrate.schema_state(engine)
            finally:
                engine.dispose()
            if live_state == "foreign":
                raise DatabaseError(f"{db_path} is not an OrderCycle database; a restore would overwrite "
                                    "another program's data.",
                                    hint="Choose the OrderCycle database, or restore to a new file name. "
                                    "Nothing was changed.")
        elif not is_sqlite and not force:
            raise DatabaseError(f"{db_path} is not a SQLite file (it may be damaged beyond repair, or be "
                                "another program's file).",
                                hint="If it is the damaged OrderCycle database, restore with 'force': its bytes "
                                "are kept in the backups folder first. Nothing was changed.")
        try:
            desks = connected_desks(db_path, now=now.astimezone(dt.timezone.utc) if now else None,
                                    exclude_session=exclude_session)
            unknown: str | None = None
        except (SQLAlchemyError, sqlite3.Error) as exc:
            desks, unknown = [], str(getattr(exc, "orig", None) or exc).splitlines()[0]
        if not force and desks:
            who = ", ".join(d.describe() for d in desks)
            raise DatabaseError(f"OrderCycle is still open on other desks: {who}.",
                                hint="Ask them to close OrderCycle, then restore again (a desk that crashed "
                                "drops off this list after 75 seconds). Nothing was changed.")
        if not force and unknown is not None:
            raise DatabaseError(f"The current database is damaged ({unknown}), so OrderCycle cannot tell whether "
                                "other desks are using it.",
                                hint="Make sure OrderCycle is closed on every other desk, then restore with "
                                "'force'. Nothing was changed.")
        previous_seq = _change_seq(db_path) if sound else None

    safety: Path | None = None
    if live_exists:
        if sound:
            safety = backup_sqlite(db_path, backup_dir, label="before-restore", now=stamp)
        else:
            safety = _raw_safety_copy(db_path, backup_dir, stamp)
        log.info("database saved to %s before the restore", safety)

    try:
        _copy_into(backup_file, db_path, may_reset=live_exists and not sound)
    except (sqlite3.Error, OSError) as exc:
        if is_disk_full(exc):
            msg = f"There is not enough free space beside {db_path} to restore the backup."
        else:
            msg = f"The restore into {db_path} failed: {exc}."
        raise DatabaseError(msg, hint=(f"The database as it was is saved in {safety}. " if safety else "")
                            + "SQLite rolled the restore back; check the database with 'ordercycle db check'.") from exc
    problems = quick_check(db_path)
    if problems:
        raise DatabaseError(f"The restored database failed its check ({problems[0]}).",
                            hint=f"Restore again, or restore {safety} to undo." if safety else
                            "Restore another backup.")
    upgraded = False
    try:
        if state == "older":
            engine = make_engine(db_path)
            try:
                migrate.upgrade(engine)
            finally:
                engine.dispose()
            upgraded = True
        _announce(db_path, previous_seq)
    except DBAPIError as exc:
        from app.db.uow import _as_user_error

        raise _as_user_error(exc) from exc
    log.info("restored %s from %s", db_path, backup_file)
    return RestoreOutcome(safety_backup=safety, restored_from=backup_file, upgraded=upgraded)
