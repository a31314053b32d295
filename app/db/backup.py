"""Backups of a live SQLite database through SQLite's online backup API (never a file copy:
a copy taken mid-commit can be torn), verified with ``quick_check`` on the copy.

Backup files are named ``<stem>-<label>-YYYYMMDD-HHMMSS[-n].db``; labels in use: ``backup`` (made by
hand), ``daily`` (automatic, pruned by :func:`daily_backup`), ``before-upgrade`` and
``before-restore`` (safety copies, never pruned). A copy is written to ``<name>.db.part`` first
and renamed only once it passed ``quick_check``, so a half-written backup never looks like one; a
``.part`` left by a backup that was killed midway is removed by the next backup into that folder
once it has not changed for ``STALE_PART_AGE`` (:func:`remove_stale_parts`).
PostgreSQL is backed up with ``pg_dump`` (see docs/multi-user.md), not here.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from app import clock
from app.errors import DatabaseError

log = logging.getLogger(__name__)

DAILY = "daily"
_NAME = r"-(?P<label>[a-z]+(?:-[a-z]+)*)-(?P<date>\d{8})-(?P<time>\d{6})(?:-(?P<n>\d+))?\.db"
_SQLITE_FULL = 13
#: a ``.part`` (or its journal) untouched for this long is a killed backup's, not one being written:
#: the copy touches its file at every step; the longest quiet stretch is the ``quick_check`` of a
#: large copy on a slow share, which takes minutes, not a quarter of an hour
STALE_PART_AGE = dt.timedelta(minutes=15)
_PART = re.compile(r".+" + _NAME + r"\.part(?:-journal)?")


def sqlite_ro_uri(path: Path) -> str:
    """A read-only SQLite URI for ``path`` ('?', '#' and '%' in a file name would break a bare URI)."""
    text = str(path).replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    return f"file:{text}?mode=ro"


def recover_hot_journal(path: Path) -> bool:
    """A desk killed mid-save leaves a "hot" journal beside the database; the next ordinary
    (read-write) open rolls the half-finished save back. A read-only connection cannot, and reports
    "attempt to write a readonly database" — which is not damage. So before any read-only look at
    a live file, let SQLite recover it. Returns True when a journal was there."""
    journal = Path(f"{path}-journal")
    try:
        if not journal.is_file() or journal.stat().st_size == 0:
            return False
        con = sqlite3.connect(path, timeout=10)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            con.close()
    except (OSError, sqlite3.Error):
        return False  # unreadable or read-only folder: the read-only look below reports it
    return True


def quick_check(path: Path, *, full: bool = False) -> list[str]:
    """``PRAGMA quick_check`` (or ``integrity_check``); an empty list means the file is sound."""
    recover_hot_journal(path)
    try:
        con = sqlite3.connect(sqlite_ro_uri(path), uri=True, timeout=10)
    except sqlite3.Error as exc:
        return [f"cannot open: {exc}"]
    # the report quotes what it found, damaged bytes too: decoded with replacement, never an error
    con.text_factory = lambda raw: raw.decode("utf-8", "replace")
    try:
        rows = con.execute("PRAGMA integrity_check" if full else "PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        con.close()
    problems = [r[0] for r in rows]
    return [] if problems == ["ok"] else problems


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC/EDQUOT from the OS, or SQLite's SQLITE_FULL ("database or disk is full")."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return True
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == _SQLITE_FULL or "disk is full" in str(exc).lower()
    return False


def ensure_backup_folder(dest_dir: Path) -> None:
    """Create ``dest_dir`` if missing and make sure this workstation may write there."""
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(
            f"The backup folder {dest_dir} cannot be created ({exc.strerror or exc}).",
            hint="Check that the drive or network share is connected and that you may write there, "
            "or choose another backup folder. The database was not changed.",
        ) from exc
    probe = dest_dir / f".ordercycle-write-test-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        if is_disk_full(exc):
            raise _full(dest_dir) from exc
        raise DatabaseError(
            f"The backup folder {dest_dir} is read-only for this workstation ({exc.strerror or exc}).",
            hint="Ask for write access to that folder, or choose another backup folder. "
            "The database was not changed.",
        ) from exc


def _full(dest_dir: Path) -> DatabaseError:
    return DatabaseError(
        f"The backup folder {dest_dir} is full: there is not enough free space for the backup.",
        hint="Free some space there (old backups can be moved elsewhere), or choose another backup folder. "
        "The database was not changed.",
    )


def _open_target(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path)


def _copy_pages(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    source.backup(target, pages=1024)


def backup_sqlite(src: Path, dest_dir: Path, *, label: str = "backup", now: dt.datetime | None = None) -> Path:
    """Copy ``src`` into ``dest_dir`` as ``<stem>-<label>-<timestamp>.db`` and verify the copy.

    Raises DatabaseError (naming the folder and what to do) when the folder cannot be created or
    written, the disk is full, or the copy fails its check; the ``.part`` file is then removed.
    ``src`` is only ever opened read-only.
    """
    now = now or clock.now().replace(tzinfo=None)
    src, dest_dir = Path(src), Path(dest_dir)
    if not src.is_file():
        raise DatabaseError(f"There is no database at {src} to back up.")
    ensure_backup_folder(dest_dir)
    remove_stale_parts(dest_dir)
    dest = dest_dir / f"{src.stem}-{label}-{now:%Y%m%d-%H%M%S}.db"
    n = 1
    while dest.exists() or dest.with_suffix(".db.part").exists():
        n += 1
        dest = dest_dir / f"{src.stem}-{label}-{now:%Y%m%d-%H%M%S}-{n}.db"
    tmp = dest.with_suffix(".db.part")
    recover_hot_journal(src)
    try:
        source = sqlite3.connect(sqlite_ro_uri(src), uri=True, timeout=30)
        try:
            target = _open_target(tmp)
            try:
                _copy_pages(source, target)
            finally:
                target.close()
        finally:
            source.close()
    except (sqlite3.Error, OSError) as exc:
        _remove(tmp)
        if is_disk_full(exc):
            raise _full(dest_dir) from exc
        raise DatabaseError(f"The backup to {dest_dir} failed: {exc}.",
                            hint="Check that the folder exists, is writable and has free space. "
                            "The database was not changed.") from exc
    except BaseException:
        _remove(tmp)
        raise
    problems = quick_check(tmp)
    if problems:
        _remove(tmp)
        raise DatabaseError(f"The backup copy failed its check ({problems[0]}); it was not kept.",
                            hint="The database itself may be damaged: run 'ordercycle db check'.")
    try:
        tmp.rename(dest)
    except OSError as exc:
        _remove(tmp)
        raise DatabaseError(f"The backup could not be saved in {dest_dir}: {exc.strerror or exc}.",
                            hint="Check that the folder is writable and has free space.") from exc
    return dest


def _folder_now(folder: Path) -> float:
    """Now, by the clock that stamps files in ``folder``: a share's server may be minutes off this
    workstation, and a ``.part`` another desk is writing must never look old. The modification time
    of a probe file just written there; this workstation's clock if the probe cannot be written."""
    probe = folder / f".ordercycle-clock-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        try:
            return probe.stat().st_mtime
        finally:
            probe.unlink(missing_ok=True)
    except OSError:
        return clock.system_utcnow().timestamp()


def remove_stale_parts(folder: Path, *, max_age: dt.timedelta = STALE_PART_AGE) -> list[Path]:
    """Remove the ``.db.part`` files (and their journals) that backups killed midway left in
    ``folder``: those unchanged for ``max_age``. A ``.part`` changed more recently may be a backup
    another desk is writing now, and stays. Each removal is logged; returns what was removed."""
    try:
        candidates = [p for p in Path(folder).iterdir() if _PART.fullmatch(p.name)]
    except OSError:
        return []
    if not candidates:
        return []
    now = _folder_now(Path(folder))
    removed: list[Path] = []
    for p in sorted(candidates):
        try:
            age = now - p.stat().st_mtime
            if age < max_age.total_seconds() or not p.is_file():
                continue
            p.unlink()
        except FileNotFoundError:  # another desk cleaned it up first
            continue
        except OSError as exc:  # still open on another desk (Windows), or no right to delete
            log.warning("could not remove the stale partial backup %s: %s", p, exc)
            continue
        removed.append(p)
        log.warning("removed %s: a partial backup left by a backup that was interrupted "
                    "(unchanged for %d minutes)", p, age // 60)
    return removed


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + "-journal")):
        try:
            p.unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove %s", p)


# --- listing and daily backups with retention ---------------------------------------------------

@dataclass(frozen=True)
class BackupFile:
    path: Path
    label: str
    taken_at: dt.datetime  # local time, from the file name
    n: int = 1  # the -2, -3 … suffix when two backups share a second

    @property
    def day(self) -> dt.date:
        return self.taken_at.date()


@dataclass(frozen=True)
class BackupOutcome:
    path: Path | None  # the backup made now, or None if today's daily backup already existed
    deleted: tuple[Path, ...]  # daily backups removed by the retention rule
    kept: int  # daily backups left in the folder


def list_backups(db_path: Path, backup_dir: Path, *, label: str | None = None) -> list[BackupFile]:
    """The backups of ``db_path`` in ``backup_dir`` (by our naming pattern), newest first."""
    pattern = re.compile(re.escape(Path(db_path).stem) + _NAME)
    found: list[BackupFile] = []
    try:
        entries = list(Path(backup_dir).iterdir())
    except OSError:
        return []
    for p in entries:
        m = pattern.fullmatch(p.name)
        if m is None or (label is not None and m["label"] != label):
            continue
        try:
            taken = dt.datetime.strptime(m["date"] + m["time"], "%Y%m%d%H%M%S")
        except ValueError:
            continue
        if p.is_file():
            found.append(BackupFile(p, m["label"], taken, int(m["n"] or 1)))
    found.sort(key=lambda b: (b.taken_at, b.n), reverse=True)
    return found


def plan_retention(backups: list[BackupFile], *, keep_daily: int = 14,
                   keep_weekly: int = 8) -> tuple[list[BackupFile], list[BackupFile]]:
    """(keep, delete): the newest backup of each of the newest ``keep_daily`` days; among older
    days, the newest backup of each of the newest ``keep_weekly`` ISO weeks; everything else goes."""
    ordered = sorted(backups, key=lambda b: (b.taken_at, b.n), reverse=True)
    keep: list[BackupFile] = []
    drop: list[BackupFile] = []
    days: list[dt.date] = []
    weeks: list[tuple[int, int]] = []
    for b in ordered:
        if b.day in days:  # an older backup of a day already represented
            drop.append(b)
            continue
        days.append(b.day)
        if len(days) <= keep_daily:
            keep.append(b)
            continue
        iso = b.day.isocalendar()
        week = (iso[0], iso[1])
        if week not in weeks and len(weeks) < keep_weekly:
            weeks.append(week)
            keep.append(b)
        else:
            drop.append(b)
    return keep, drop


def daily_backup(db_path: Path, backup_dir: Path, *, today: dt.date | None = None, keep_daily: int = 14,
                 keep_weekly: int = 8, now: dt.datetime | None = None) -> BackupOutcome:
    """Make today's automatic backup unless it exists, then prune older daily backups.

    Only files named ``<stem>-daily-YYYYMMDD-HHMMSS[-n].db`` are ever deleted; manual,
    before-upgrade and before-restore backups and any other file are left alone. If the backup
    fails (folder missing and not creatable, read-only, disk full) DatabaseError is raised and
    nothing is pruned.
    """
    if keep_daily < 1 or keep_weekly < 0:
        raise ValueError("keep_daily must be at least 1 and keep_weekly at least 0")
    db_path, backup_dir = Path(db_path), Path(backup_dir)
    if now is None:
        wall = clock.now().replace(microsecond=0, tzinfo=None)
        now = wall if today is None else dt.datetime.combine(today, wall.time())
    today = today or now.date()
    ensure_backup_folder(backup_dir)
    made: Path | None = None
    if not any(b.day == today for b in list_backups(db_path, backup_dir, label=DAILY)):
        made = backup_sqlite(db_path, backup_dir, label=DAILY, now=now)
        log.info("daily backup written to %s", made)
    keep, drop = plan_retention(list_backups(db_path, backup_dir, label=DAILY),
                                keep_daily=keep_daily, keep_weekly=keep_weekly)
    deleted: list[Path] = []
    for b in drop:
        if b.path == made:  # never delete what was just made (a clock far in the past)
            continue
        try:
            b.path.unlink()
            deleted.append(b.path)
        except FileNotFoundError:  # another desk pruned it first
            pass
        except OSError as exc:
            log.warning("could not delete old backup %s: %s", b.path, exc)
    return BackupOutcome(path=made, deleted=tuple(deleted), kept=len(keep))
