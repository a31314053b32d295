"""What a desk's window needs to know and do about the database it runs on — where it is, backups,
the shared-folder test and its verdict, the single-writer lease on an unsafe share — as plain
functions over a ``Database``, so the screens reach none of ``app.db``'s machinery directly
(issue 19: the door). Qt-free."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.actor import Actor
from app.db import sharetest, writer
from app.db.backup import backup_sqlite, daily_backup
from app.db.engine import sqlite_path
from app.db.open import default_backup_dir, open_database, unsafe_share_read_only
from app.db.share import ShareInfo, share_info
from app.db.sharetest import DEFAULT_TIMEOUT, ShareState, Verdict
from app.db.uow import Database
from app.services.permissions import require

__all__ = ["DEFAULT_TIMEOUT", "LEASE_RENEW_SECONDS", "ShareInfo", "ShareState", "Verdict", "backup_folder",
           "backup_now", "database_file", "daily", "open_database", "lease_lost", "renew_lease", "run_share_test",
           "saved_share_state", "share", "share_state", "verdict_on_unsafe_share", "verdict_text"]

LEASE_RENEW_SECONDS = writer.RENEW


def database_file(db: Database) -> Path | None:
    """The SQLite file (None on a database server)."""
    return sqlite_path(db.url)


def share(db: Database) -> ShareInfo | None:
    """Where the file lies (local disk, network share) — None on a database server."""
    path = database_file(db)
    return share_info(path) if path is not None else None


def backup_folder(db: Database, configured: str | None) -> Path | None:
    """Where backups go: the workstation's setting, else the folder beside the database."""
    path = database_file(db)
    if path is None:
        return None
    return Path(configured) if configured else default_backup_dir(path)


def backup_now(db: Database, actor: Actor, configured: str | None) -> Path | None:
    """A verified backup now (administrators); its path, or None on a database server."""
    require(actor, "db.admin")
    src, dest = database_file(db), backup_folder(db, configured)
    if src is None or dest is None:
        return None
    return backup_sqlite(src, dest)


def daily(db: Database, configured: str | None) -> Any:
    """The day's backup if no desk made it yet (kept 14 days, then weekly for 8 weeks)."""
    src, dest = database_file(db), backup_folder(db, configured)
    if src is None or dest is None:
        return None
    return daily_backup(src, dest)


def verdict_text(db: Database) -> str:
    """The share test's verdict for this database, in a sentence (About)."""
    path = database_file(db)
    return sharetest.verdict_text(path) if path is not None else "Share test: not needed (PostgreSQL server)."


def share_state(db: Database) -> ShareState | None:
    path = database_file(db)
    return sharetest.share_state(path) if path is not None else None


def run_share_test(path: Path, *, timeout: float = DEFAULT_TIMEOUT, progress: Any = None, name: str = "") -> Verdict:
    return sharetest.run_share_test(path, timeout=timeout, progress=progress, name=name)


def saved_share_state(path: Path) -> ShareState | None:
    return sharetest.share_state(path)


def verdict_on_unsafe_share(db: Database, actor: Actor) -> bool:
    """The share test says the folder is unsafe: this desk becomes the single writer if no other
    desk is, else it works read-only. True when this desk took the writer's lease."""
    path = database_file(db)
    if path is None or db.read_only is not None or db.writer_lease is not None:
        return False
    got = writer.claim(path, username=actor.username, workstation=actor.workstation)
    if isinstance(got, writer.WriterLease):
        db.writer_lease = got
        return True
    db.read_only = unsafe_share_read_only(got.describe())
    return False


def renew_lease(lease: Any) -> bool:
    """Renew the writer's lease (off the GUI thread); False when another desk took over."""
    return bool(lease.renew())


def lease_lost(db: Database, lease: Any) -> None:
    """This desk was away too long and another took the writer's lease: read-only from now on."""
    if db.writer_lease is lease:
        db.writer_lease = None
        holder = writer.read_holder(lease.path)
        db.read_only = unsafe_share_read_only(holder.describe() if holder else "another desk")
