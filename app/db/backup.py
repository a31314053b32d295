"""Backups of a live SQLite database through SQLite's online backup API (never a file copy:
a copy taken mid-commit can be torn), verified with ``quick_check`` on the copy."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from app.errors import DatabaseError


def quick_check(path: Path, *, full: bool = False) -> list[str]:
    """``PRAGMA quick_check`` (or ``integrity_check``); an empty list means the file is sound."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        return [f"cannot open: {exc}"]
    try:
        rows = con.execute("PRAGMA integrity_check" if full else "PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        con.close()
    problems = [r[0] for r in rows]
    return [] if problems == ["ok"] else problems


def backup_sqlite(src: Path, dest_dir: Path, *, label: str = "backup", now: dt.datetime | None = None) -> Path:
    """Copy ``src`` into ``dest_dir`` as ``<stem>-<label>-<timestamp>.db`` and verify the copy."""
    now = now or dt.datetime.now()
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"The backup folder {dest_dir} cannot be created: {exc.strerror}.") from exc
    dest = dest_dir / f"{src.stem}-{label}-{now:%Y%m%d-%H%M%S}.db"
    n = 1
    while dest.exists():
        n += 1
        dest = dest_dir / f"{src.stem}-{label}-{now:%Y%m%d-%H%M%S}-{n}.db"
    tmp = dest.with_suffix(".db.part")
    try:
        source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
        target = sqlite3.connect(tmp)
        try:
            source.backup(target, pages=1024)
        finally:
            target.close()
            source.close()
    except (sqlite3.Error, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise DatabaseError(f"The backup to {dest_dir} failed: {exc}.",
                            hint="Check that the folder exists, is writable and has free space.") from exc
    problems = quick_check(tmp)
    if problems:
        tmp.unlink(missing_ok=True)
        raise DatabaseError(f"The backup copy failed its check ({problems[0]}); it was not kept.")
    tmp.rename(dest)
    return dest
