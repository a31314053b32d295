"""Presence and edit leases: who is signed in where, and who has a record open for editing.

Leases inform; they never block reading or saving (the version counter protects saves). A desk
keeps its session and leases alive with a heartbeat; a desk that closes ends them, one that dies
simply stops beating and is ignored after ``STALE_AFTER``. Heartbeats are plain writes that do not
bump the change feed or the audit log (they are not business changes).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from sqlalchemy import Executable, and_, delete, insert, select, update

from app import clock
from app import __version__
from app.db.engine import sqlite_path, write_engine
from app.db.uow import Actor, Database
from app.models import DeskSession, EditLease
from app.models.base import utcnow

HEARTBEAT = dt.timedelta(seconds=20)
STALE_AFTER = dt.timedelta(seconds=75)
CLOCK_TOLERANCE = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class DeskInfo:
    session_id: int
    username: str
    full_name: str
    role: str
    workstation: str
    since: dt.datetime


@dataclass(frozen=True)
class LeaseInfo:
    lease_id: int
    username: str
    full_name: str
    role: str
    workstation: str
    since: dt.datetime

    def describe(self) -> str:
        return f"{self.full_name or self.username} ({self.role}) is editing this since " \
               f"{self.since.astimezone(clock.zone()):%H:%M} at {self.workstation}"


def _plain_write(db: Database, stmt: Executable) -> int | None:
    """A small write outside the unit of work (no audit, no change feed), still BEGIN IMMEDIATE.
    Returns the RETURNING id, if any."""
    with write_engine(db.engine).begin() as conn:
        result = conn.execute(stmt)
        return int(result.scalar_one()) if result.returns_rows else None


def start_session(db: Database, actor: Actor, *, now: dt.datetime | None = None) -> int:
    now = now or utcnow()
    new_id = _plain_write(db, insert(DeskSession).values(
        username=actor.username, full_name=actor.full_name, role=actor.role, workstation=actor.workstation,
        app_version=__version__, started_at=now, heartbeat_at=now).returning(DeskSession.id))
    assert new_id is not None
    return new_id


def heartbeat(db: Database, session_id: int, *, username: str | None = None,
              now: dt.datetime | None = None) -> bool:
    """Keep the desk and its leases alive. False when the session row is gone or closed (e.g. the
    database was restored from a backup): the desk must start a new session."""
    now = now or utcnow()
    with write_engine(db.engine).begin() as conn:
        q = update(DeskSession).where(DeskSession.id == session_id, DeskSession.closed_at.is_(None))
        if username is not None:
            q = q.where(DeskSession.username == username)
        alive = conn.execute(q.values(heartbeat_at=now)).rowcount == 1
        if alive:
            conn.execute(update(EditLease).where(EditLease.desk_session_id == session_id).values(heartbeat_at=now))
    return alive


def end_session(db: Database, session_id: int) -> None:
    now = utcnow()
    with write_engine(db.engine).begin() as conn:
        conn.execute(delete(EditLease).where(EditLease.desk_session_id == session_id))
        conn.execute(update(DeskSession).where(DeskSession.id == session_id).values(closed_at=now))


def active_desks(db: Database, *, now: dt.datetime | None = None) -> list[DeskInfo]:
    now = now or utcnow()
    with db.read() as s:
        rows = s.execute(
            select(DeskSession).where(DeskSession.closed_at.is_(None),
                                      DeskSession.heartbeat_at >= now - STALE_AFTER)
            .order_by(DeskSession.started_at)).scalars().all()
        return [DeskInfo(r.id, r.username, r.full_name, r.role.value, r.workstation, r.started_at) for r in rows]


def acquire_lease(db: Database, session_id: int, entity: str, entity_id: int) -> int:
    now = utcnow()
    new_id = _plain_write(db, insert(EditLease).values(
        desk_session_id=session_id, entity=entity, entity_id=entity_id, since=now, heartbeat_at=now,
    ).returning(EditLease.id))
    assert new_id is not None
    return new_id


def release_lease(db: Database, lease_id: int) -> None:
    _plain_write(db, delete(EditLease).where(EditLease.id == lease_id))


def who_is_editing(db: Database, entity: str, entity_id: int, *, exclude_session: int | None = None,
                   now: dt.datetime | None = None) -> list[LeaseInfo]:
    now = now or utcnow()
    with db.read() as s:
        q = (select(EditLease.id, DeskSession.username, DeskSession.full_name, DeskSession.role,
                    DeskSession.workstation, EditLease.since)
             .join(DeskSession, DeskSession.id == EditLease.desk_session_id)
             .where(and_(EditLease.entity == entity, EditLease.entity_id == entity_id,
                         EditLease.heartbeat_at >= now - STALE_AFTER, DeskSession.closed_at.is_(None)))
             .order_by(EditLease.since))
        if exclude_session is not None:
            q = q.where(EditLease.desk_session_id != exclude_session)
        return [LeaseInfo(r[0], r[1], r[2], r[3].value if hasattr(r[3], "value") else r[3], r[4], r[5])
                for r in s.execute(q)]


def clock_skew(db: Database) -> dt.timedelta | None:
    """How far this workstation's clock is from the database's (the file server's for SQLite:
    the file's modification time after our write; the server's ``now()`` for PostgreSQL)."""
    if db.is_sqlite:
        path = sqlite_path(db.url)
        if path is None:
            return None
        local = clock.system_utcnow()
        server = dt.datetime.fromtimestamp(os.stat(path).st_mtime, dt.timezone.utc)
        return local - server
    from sqlalchemy import func

    with db.read() as s:
        server = s.execute(select(func.now())).scalar_one()
    return clock.system_utcnow() - server


def clock_warning(skew: dt.timedelta | None) -> str | None:
    if skew is None or abs(skew) <= CLOCK_TOLERANCE:
        return None
    minutes = round(abs(skew).total_seconds() / 60)
    amount = f"{minutes} minutes" if minutes < 120 else (f"{minutes // 60} hours" if minutes < 2880
                                                           else f"{minutes // 1440} days")
    direction = "ahead of" if skew > dt.timedelta(0) else "behind"
    return (f"This workstation's clock is about {amount} {direction} the database server's. OrderCycle "
            "dates orders and documents by the server's time meanwhile: ask your administrator to set the clock.")


def check_clock(db: Database) -> str | None:
    """Compare this workstation's clock with the database server's; beyond the tolerance the one
    clock follows the server (documents keep the firm's date) and the warning to show is returned."""
    skew = clock_skew(db)
    warning = clock_warning(skew)
    clock.follow(skew if warning and skew is not None else dt.timedelta(0))
    return warning
