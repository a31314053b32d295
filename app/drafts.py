"""Drafts: an unsaved form survives a crash or power cut of the desk and is offered back at the
next start. Each draft is a small JSON file in the workstation's data folder, written atomically
(temporary file, fsync, rename) so a power cut leaves either the old draft or the new one."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app import clock
from app.config import data_dir


@dataclass(frozen=True)
class Draft:
    key: str
    form: str  # e.g. "user", "order"
    record_id: int | None  # None = a new record
    username: str
    database: str
    saved_at: dt.datetime
    title: str  # what to call it when offering it back ("Order for Acme, 3 lines")
    values: dict[str, Any]


class DraftStore:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or data_dir() / "drafts"

    @staticmethod
    def make_key(database: str, username: str, form: str, record_id: int | None) -> str:
        h = hashlib.sha1(f"{database}\0{username}".encode()).hexdigest()[:12]
        return f"{h}-{form}-{record_id if record_id is not None else 'new'}"

    def save(self, *, database: str, username: str, form: str, record_id: int | None, title: str,
             values: dict[str, Any]) -> str:
        key = self.make_key(database, username, form, record_id)
        self.folder.mkdir(parents=True, exist_ok=True)
        payload = {"form": form, "record_id": record_id, "username": username, "database": database,
                   "saved_at": clock.utcnow().isoformat(), "title": title, "values": values}
        target = self.folder / f"{key}.json"
        tmp = self.folder / f".{key}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        if hasattr(os, "O_DIRECTORY"):
            fd = os.open(self.folder, os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        return key

    def discard(self, key: str) -> None:
        (self.folder / f"{key}.json").unlink(missing_ok=True)

    def pending(self, *, database: str, username: str) -> list[Draft]:
        """Drafts this user left on this database at this workstation, newest first."""
        out: list[Draft] = []
        if not self.folder.is_dir():
            return out
        for path in self.folder.glob("*.json"):
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                if raw["database"] != database or raw["username"] != username:
                    continue
                out.append(Draft(path.stem, raw["form"], raw["record_id"], raw["username"], raw["database"],
                                 dt.datetime.fromisoformat(raw["saved_at"]), raw.get("title", raw["form"]),
                                 raw["values"]))
            except (OSError, ValueError, KeyError):
                continue  # an unreadable draft is skipped, never fatal
        return sorted(out, key=lambda d: d.saved_at, reverse=True)
