"""One desk writes, the others read: the single-writer lease for a database on an unsafe share.

On a share that does not pass file locks between computers (see ``sharetest``), SQLite's own
locking protects nothing: two desks both get the write lock and overwrite each other's saves.
What such a share still does is show a file's existence and its latest content to a desk that
opens it afresh. So the first desk to open the database creates ``<db>.writer`` with
``O_CREAT | O_EXCL``, writes its token, and confirms after a short pause that the file still holds
its token (exclusive creation itself is not atomic on every share: the share test checks it, and
two desks racing on the SMB rig both "created" 9 of 40 files; the pause settles such a tie, last
writer wins). While that file is there and fresh, every other desk opens the database read-only.

The holder renews the lease (rewrites the file) every ``RENEW`` seconds and removes it when it
closes. A desk that died leaves it behind: it is taken over when it has not been renewed for
``STALE_AFTER`` (compared with the file's modification time, so a workstation clock more than a
minute or two off delays a takeover; the status bar warns about such clocks), or at once when
the holder was this very workstation and its process is gone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from app import clock

RENEW = 20.0  # seconds between renewals by the holder
STALE_AFTER = 120.0  # a lease not renewed for this long belongs to a desk that is gone
CONFIRM_PAUSE = 0.3  # seconds between creating the lease and checking it is still ours


def lease_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".writer")


@dataclass(frozen=True)
class Holder:
    """Who has the database (read from the lease file)."""

    workstation: str
    username: str
    pid: int
    since: str  # ISO time (UTC)
    token: str

    def describe(self) -> str:
        who = f"{self.username} at {self.workstation}" if self.username else self.workstation
        try:
            when = dt.datetime.fromisoformat(self.since).astimezone(clock.zone()).strftime("%H:%M")
            return f"{who} (since {when})"
        except ValueError:
            return who


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def read_holder(path: Path) -> Holder | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Holder(str(raw["workstation"]), str(raw.get("username", "")), int(raw.get("pid", 0)),
                      str(raw.get("since", "")), str(raw["token"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _is_stale(path: Path, holder: Holder | None, *, now: float | None = None) -> bool:
    try:
        age = (now or time.time()) - path.stat().st_mtime
    except FileNotFoundError:
        return True
    if holder is not None and holder.workstation == socket.gethostname() and not _pid_alive(holder.pid):
        return True
    if holder is None:  # being written right now, or garbage: garbage becomes stale by age
        return age > STALE_AFTER
    return age > STALE_AFTER


class WriterLease:
    """Held by the one desk that may write. ``release()`` at close."""

    def __init__(self, path: Path, holder: Holder) -> None:
        self.path = path
        self.holder = holder
        self.renewed = time.monotonic()

    def _content(self) -> bytes:
        h = self.holder
        return json.dumps({"workstation": h.workstation, "username": h.username, "pid": h.pid,
                           "since": h.since, "token": h.token,
                           "renewed": clock.utcnow().isoformat()}).encode()

    def still_ours(self) -> bool:
        current = read_holder(self.path)
        return current is not None and current.token == self.holder.token

    def renew(self) -> bool:
        """Rewrite the lease so other desks see it is alive. False if it was taken from us (we
        were gone longer than ``STALE_AFTER``, e.g. a laptop asleep)."""
        if not self.still_ours():
            return False
        try:
            with open(self.path, "r+b") as fh:
                fh.write(self._content())
                fh.truncate()
            os.utime(self.path)
        except OSError:
            return False
        self.renewed = time.monotonic()
        return True

    def renew_if_due(self) -> None:
        if time.monotonic() - self.renewed >= RENEW / 2:
            self.renew()

    def release(self) -> None:
        if self.still_ours():
            try:
                self.path.unlink()
            except OSError:
                pass


def claim(db_path: Path, *, username: str = "", workstation: str | None = None) -> WriterLease | Holder:
    """Take the lease, or return who holds it. A stale lease is taken over."""
    path = lease_path(db_path)
    holder = Holder(workstation or socket.gethostname(), username, os.getpid(),
                    clock.utcnow().isoformat(), uuid.uuid4().hex)
    for _attempt in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            current = read_holder(path)
            if current is None:
                time.sleep(0.05)  # the other desk may be writing it right now
                current = read_holder(path)
            if not _is_stale(path, current):
                if current is None:
                    return Holder("another desk", "", 0, "", "")
                return current
            # Take over: rename the stale file away (only one desk's rename can succeed), check that
            # what we moved really was the stale lease, then create ours.
            moved = path.with_name(f"{path.name}.stale-{holder.token}")
            try:
                os.rename(path, moved)
            except OSError:
                continue
            taken = read_holder(moved)
            if current is not None and (taken is None or taken.token != current.token):
                try:  # we moved a fresh lease another desk had just made: put it back
                    os.rename(moved, path)
                except OSError:
                    pass
                continue
            try:
                moved.unlink()
            except OSError:
                pass
            continue
        lease = WriterLease(path, holder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(lease._content())
        # Exclusive creation is not atomic on every share (on the SMB rig two desks racing both
        # "created" 9 of 40 files). So confirm after a pause: when two desks both created the file,
        # the last one to write it owns it and the other reads the winner's token here.
        time.sleep(CONFIRM_PAUSE)
        current = read_holder(path)
        if current is not None and current.token != holder.token:
            return current
        return lease
    current = read_holder(path)
    return current or Holder("another desk", "", 0, "", "")
