"""Unit of work: one transaction per user action, with audit records, the change feed, conflict
mapping and bounded retries of transient lock errors.

    db.write(actor, lambda uow: services_rule(uow.session, ...))   # retried, committed
    with db.read() as session: ...                                  # read-only, deferred BEGIN

Everything written inside a unit of work is audited field by field (user, time, entity, field,
old -> new) and bumps the change counter that other desks poll.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import Engine, event, inspect, insert, select, text, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from app.actor import SYSTEM, Actor  # noqa: F401 - the database layer's callers import them from here too
from app.db import audit_chain
from app.db.engine import DatabaseReadOnly, describe, is_sqlite, make_engine, write_engine
from app.db.hygiene import check_flush
from app.errors import ConflictError, DatabaseError, DatabaseLocked, DatabaseTooNew
from app.models import ChangeCounter, ChangeFeed
from app.models.base import Base, VersionedMixin, utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")


def _table_name(cls: type[Any]) -> str:
    """The table a model class is stored in (for a conflict's message)."""
    assert issubclass(cls, Base), f"{cls.__name__} is not an OrderCycle model"
    return cls.__tablename__


NOT_AUDITED = {"audit_log", "change_feed", "change_counter", "sign_in_event", "priority_score"}
SKIP_FIELDS = {"version", "updated_at", "updated_by", "password_hash"}




def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def is_transient_lock(exc: BaseException) -> bool:
    """"database is locked/busy" on SQLite; serialization failures and deadlocks on PostgreSQL."""
    if isinstance(exc, OperationalError):
        msg = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
        if "locked" in msg or "busy" in msg:
            return True
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        code = getattr(exc.orig, "sqlstate", None) or getattr(getattr(exc.orig, "diag", None), "sqlstate", None)
        return code in {"40001", "40P01", "55P03"}
    return False


def is_transient_network(exc: BaseException) -> bool:
    """The share blinked: SQLite reports "disk I/O error" or "unable to open database file".
    Nothing was committed (the rollback journal undoes a half-written save), so the whole unit
    of work can run again on a fresh connection."""
    if isinstance(exc, OperationalError):
        msg = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
        return "disk i/o error" in msg or "unable to open database file" in msg
    return False


NETWORK_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)  # ≈ 3.7 s in all: a share that blinks, not one that is gone


class UnitOfWork:
    """A write transaction for one user action. Rolled back unless ``commit()`` is called."""

    def __init__(self, db: Database, actor: Actor, *, references_checked: bool = False) -> None:
        self.db = db
        self.actor = actor
        self.session: Session = (db._bulk_write_factory if references_checked else db._write_factory)()
        self.session.info["uow"] = self
        self.seq: int | None = None
        self.touched: dict[str, set[int]] = {}
        self.seen_versions: dict[tuple[type[VersionedMixin], Any], int] = {}
        self.pending_audit: list[dict[str, Any]] = []
        self.committed = False

    # --- helpers services use -------------------------------------------------------------
    def get(self, cls: type[T], ident: Any, *, expected_version: int | None = None) -> T:
        """Load a row for editing; if the user saw an older version, raise ConflictError now."""
        return self._checked(cls, ident, self.session.get(cls, ident), expected_version)

    def lock(self, cls: type[T], ident: Any, *, expected_version: int | None = None) -> T:
        """Load a row that this unit of work reads in order to decide what it writes (an amount
        still owed, a quantity not yet invoiced) and hold it until the commit: ``SELECT … FOR
        UPDATE`` on PostgreSQL, so another desk doing the same waits here and then reads what this
        one wrote; on SQLite the write transaction (``BEGIN IMMEDIATE``) already excludes every
        other writer and this is a plain read inside it. The row is read afresh even when the
        session holds it already (call it before changing the object)."""
        obj = self.session.get(cls, ident, with_for_update=True, populate_existing=True)
        return self._checked(cls, ident, obj, expected_version)

    def _checked(self, cls: type[T], ident: Any, obj: T | None, expected_version: int | None) -> T:
        if obj is None:
            raise ConflictError(_table_name(cls), ident, None, None, deleted=True)
        if expected_version is not None and isinstance(obj, VersionedMixin) and obj.version != expected_version:
            raise ConflictError(_table_name(cls), ident, obj.updated_by, obj.updated_at)
        return obj

    def add(self, obj: Any) -> Any:
        self.session.add(obj)
        return obj

    def flush(self) -> None:
        self._flush_mapped()

    def commit(self) -> None:
        """Flush, then — last, so the single change-counter row is locked only for the commit
        itself (on PostgreSQL that row serialises writers) — bump the counter, write the audit
        rows and the change-feed row, and commit."""
        self._flush_mapped()
        if self.touched:
            self._check_schema()
            seq = self._ensure_seq()
            # the audit rows, then the states of the protected rows touched, onto the hash chain
            audit_chain.append_unit(self.session.connection(), self.actor.username, self.actor.workstation,
                                    self.touched, self.pending_audit, seq)
            self.session.execute(
                insert(ChangeFeed),
                [{
                    "seq": seq, "at": utcnow(), "username": self.actor.username,
                    "workstation": self.actor.workstation, "tables": sorted(self.touched),
                    "entities": {t: sorted(ids)[:500] for t, ids in self.touched.items()},
                }],
            )
        self.session.commit()
        self.committed = True

    def rollback(self) -> None:
        self.session.rollback()

    # --- internals ------------------------------------------------------------------------
    def _check_schema(self) -> None:
        """Refuse to commit into a database whose structure changed while this desk had it open
        (another desk upgraded it with a newer OrderCycle): this desk's idea of the tables may be
        wrong, so nothing it wrote is kept. One tiny read per saving transaction; on SQLite it
        runs under the write lock, so no upgrade can slip in between."""
        from app.db import migrate

        revision = self.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if revision is not None and revision != migrate.HEAD:
            self.session.rollback()
            newer = revision not in migrate.known_revisions()
            raise DatabaseTooNew(
                "The database was changed by " + ("a newer" if newer else "an older") + " version of OrderCycle "
                "while this desk had it open. Nothing was saved.",
                hint=("Install the newer OrderCycle on this workstation (ask your administrator), then start it "
                      "again." if newer else "Close OrderCycle and start it again."))

    def _flush_mapped(self) -> None:
        try:
            self.session.flush()
        except StaleDataError as exc:
            self.session.rollback()
            raise self._conflict_from_stale() from exc

    def _conflict_from_stale(self) -> ConflictError:
        with self.db.read() as s:
            for (cls, ident), version in self.seen_versions.items():
                pk = inspect(cls).primary_key[0]
                row = s.execute(
                    select(cls.version, cls.updated_by, cls.updated_at).where(pk == ident)
                ).first()
                if row is None:
                    return ConflictError(_table_name(cls), ident, None, None, deleted=True)
                if row.version != version:
                    return ConflictError(_table_name(cls), ident, row.updated_by, row.updated_at)
        return ConflictError("record", "?", None, None)

    def _ensure_seq(self) -> int:
        if self.seq is None:
            conn = self.session.connection()
            conn.execute(update(ChangeCounter).where(ChangeCounter.id == 1).values(value=ChangeCounter.value + 1))
            value = conn.execute(select(ChangeCounter.value).where(ChangeCounter.id == 1)).scalar()
            if value is None:
                conn.execute(insert(ChangeCounter).values(id=1, value=1))
                value = 1
            self.seq = int(value)
        return self.seq

    def _before_flush(self, session: Session) -> None:
        check_flush(session)  # input hygiene (app/db/hygiene.py): lengths, control characters, e-mail
        now = utcnow()
        for obj in list(session.dirty) + list(session.new):
            if isinstance(obj, VersionedMixin):
                if obj in session.dirty and session.is_modified(obj, include_collections=False):
                    state = inspect(obj)
                    key = (type(obj), state.identity[0] if state.identity else None)
                    committed = state.committed_state.get("version", obj.version)
                    self.seen_versions.setdefault(key, committed)
                    obj.updated_by = self.actor.username
                    obj.updated_at = now
                elif obj in session.new:
                    obj.updated_by = self.actor.username

    def _after_flush(self, session: Session) -> None:
        rows: list[dict[str, Any]] = []
        now = utcnow()
        for action, objs in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
            for obj in objs:
                table = getattr(obj, "__tablename__", None)
                if table is None or table in NOT_AUDITED:
                    continue
                state = inspect(obj)
                pk = state.mapper.primary_key_from_instance(obj)
                ident = pk[0] if len(pk) == 1 else None
                if ident is not None and not isinstance(ident, int):
                    ident = None
                # a row known by a text key (a firm setting): the key goes with each changed field
                keyed = None if ident is not None or not pk else ",".join(map(str, pk))
                if action == "update" and not session.is_modified(obj, include_collections=False):
                    continue
                self.touched.setdefault(table, set())
                if ident is not None:
                    self.touched[table].add(ident)
                base = {"at": now, "username": self.actor.username, "workstation": self.actor.workstation,
                        "action": action, "entity": table, "entity_id": ident}
                if action == "update":
                    for attr in state.mapper.column_attrs:
                        if attr.key in SKIP_FIELDS:
                            continue
                        hist = state.attrs[attr.key].history
                        if hist.has_changes():
                            old = hist.deleted[0] if hist.deleted else None
                            new = hist.added[0] if hist.added else None
                            if _text(old) != _text(new):
                                rows.append({**base, "field": attr.key if keyed is None else f"{keyed}.{attr.key}"[:60],
                                             "old_value": _text(old), "new_value": _text(new)})
                elif action == "insert":
                    rows.append({**base, "field": None, "old_value": None, "new_value": _summary(obj)})
                else:
                    rows.append({**base, "field": None, "old_value": _summary(obj), "new_value": None})
        self.pending_audit.extend(rows)


def _summary(obj: Any) -> str:
    for name in ("number", "sku", "code", "username", "name", "key"):
        value = getattr(obj, name, None)
        if value is not None:
            if name == "key" and hasattr(obj, "value"):  # a firm setting: the value set, too
                return f"key={_text(value)}, value={_text(obj.value)}"
            return f"{name}={_text(value)}"
    return ""


class Database:
    """One open database: an engine, a write path and a read path."""

    def __init__(self, engine: Engine, *, max_retries: int = 6, read_only: DatabaseReadOnly | None = None,
                 writer_lease: Any = None, share_state: Any = None) -> None:
        self.engine = engine
        self.url = engine.url
        #: set when this desk must not write (an unsafe share and another desk has the database):
        #: the error every write raises, saying why and what to do
        self.read_only = read_only
        #: the single-writer lease (``app.db.writer``) when this desk writes on an unsafe share
        self.writer_lease = writer_lease
        #: the share test's verdict for this database (``app.db.sharetest.ShareState``) or None
        self.share_state = share_state
        self.network_retry_delays = NETWORK_RETRY_DELAYS
        self.location = describe(engine.url)
        self.is_sqlite = is_sqlite(engine.url)
        self.max_retries = max_retries
        self._read_factory = sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self._write_factory = sessionmaker(write_engine(engine), expire_on_commit=False, autoflush=False)
        self._bulk_write_factory = sessionmaker(write_engine(engine, references_checked=True),
                                                expire_on_commit=False, autoflush=False)
        for factory in (self._write_factory, self._bulk_write_factory):
            event.listen(factory, "before_flush", _dispatch_before_flush)
            event.listen(factory, "after_flush", _dispatch_after_flush)

    @classmethod
    def from_url(cls, db: str, **kw: Any) -> Database:
        return cls(make_engine(db, **kw))

    @contextmanager
    def read(self) -> Iterator[Session]:
        session = self._read_factory()
        session.info["read"] = True  # a read, never a write (app/services/snapshot.py relies on it)
        try:
            yield session
        finally:
            session.close()  # ends the transaction; loaded objects stay readable (detached)

    @contextmanager
    def uow(self, actor: Actor, *, references_checked: bool = False) -> Iterator[UnitOfWork]:
        """A single attempt; prefer ``write()``, which retries transient lock errors."""
        try:
            unit = UnitOfWork(self, actor, references_checked=references_checked)
        except OperationalError as exc:
            if is_transient_network(exc):
                raise
            raise _as_user_error(exc) from exc
        try:
            yield unit
        except OperationalError as exc:
            try:
                unit.rollback()
            except DBAPIError:
                pass  # the connection is gone with the share; write() retries on a fresh one
            if is_transient_lock(exc) or is_transient_network(exc):
                raise
            raise _as_user_error(exc) from exc
        finally:
            try:
                if not unit.committed:
                    unit.rollback()
                unit.session.close()
            except DBAPIError:
                log.warning("could not end a failed unit of work cleanly", exc_info=True)

    def write(self, actor: Actor, fn: Callable[[UnitOfWork], T], *, retries: int | None = None,
              references_checked: bool = False) -> T:
        """Run ``fn`` in a unit of work and commit; retry the whole unit on transient lock errors
        with random back-off, so a user only sees "busy" after several seconds of contention.
        ``references_checked``: ``fn`` verifies every foreign key it writes (bulk imports), so
        SQLite need not check each row again."""
        if self.read_only is not None:
            raise DatabaseReadOnly(self.read_only.message, hint=self.read_only.hint)
        attempts = (self.max_retries if retries is None else retries) + 1
        network_failures = 0
        attempt = 0
        while True:
            if self.writer_lease is not None:
                self.writer_lease.renew_if_due()
            try:
                with self.uow(actor, references_checked=references_checked) as unit:
                    result = fn(unit)
                    unit.commit()
                    return result
            except (OperationalError, DBAPIError) as exc:
                if is_transient_network(exc):
                    if network_failures >= len(self.network_retry_delays):
                        raise DatabaseError(
                            "The database cannot be reached: the shared folder kept failing "
                            f"({_first_line(exc)}). Nothing was saved.",
                            hint="Your input is kept. Check the network connection, then save again.",
                        ) from exc
                    delay = self.network_retry_delays[network_failures]
                    network_failures += 1
                    log.warning("share error (%s), retry %d on a fresh connection in %.1fs",
                                _first_line(exc), network_failures, delay)
                    self.engine.dispose()  # the pooled connections may hold a dead file handle
                    time.sleep(delay)
                    continue
                if not is_transient_lock(exc):
                    raise _as_user_error(exc) from exc
                if attempt >= attempts - 1:
                    raise DatabaseLocked(
                        "The database is busy: other desks kept it locked for too long.",
                        hint="Your input is kept. Try saving again in a moment.",
                    ) from exc
                delay = min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.5)
                log.info("database busy, retry %d in %.2fs", attempt + 1, delay)
                time.sleep(delay)
                attempt += 1

    def change_seq(self) -> int:
        """The one cheap query other desks poll to see whether anything changed."""
        with self.engine.connect() as conn:
            c = ChangeCounter.__table__.c  # Core: polling must stay the cheapest possible query
            value = conn.execute(select(c.value).where(c.id == 1)).scalar()
            conn.rollback()
        return int(value or 0)

    def dispose(self) -> None:
        self.engine.dispose()
        if self.writer_lease is not None:
            self.writer_lease.release()
            self.writer_lease = None


def _first_line(exc: DBAPIError) -> str:
    msg = str(exc.orig) if exc.orig is not None else str(exc)
    return msg.splitlines()[0] if msg else type(exc).__name__


def _dispatch_before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    unit = session.info.get("uow")
    if unit is not None:
        unit._before_flush(session)


def _dispatch_after_flush(session: Session, _ctx: Any) -> None:
    unit = session.info.get("uow")
    if unit is not None:
        unit._after_flush(session)


def _as_user_error(exc: DBAPIError) -> DatabaseError:
    msg = str(exc.orig) if exc.orig is not None else str(exc)
    low = msg.lower()
    if "locked" in low or "busy" in low:
        return DatabaseLocked("The database is busy: another desk is saving.", hint="Try again in a moment.")
    if "readonly" in low or "read-only" in low:
        return DatabaseError("The database cannot be written: the file or its folder is read-only.",
                             hint="Ask for write access to the share. Nothing was saved.")
    if "not a database" in low or "malformed" in low:
        return DatabaseError("The database file is damaged or is not an OrderCycle database.",
                             hint="Restore the latest backup (File → Restore, or 'ordercycle db restore').")
    if "unable to open" in low or "disk i/o" in low:
        return DatabaseError("The database cannot be reached (the share may have disconnected).",
                             hint="Check the network connection and try again. Your input is kept.")
    if "could not connect" in low or "connection refused" in low or "connection" in low and "failed" in low:
        return DatabaseError(f"The database server cannot be reached: {msg.splitlines()[0]}",
                             hint="Check that the PostgreSQL server is running and reachable.")
    return DatabaseError(f"The database reported an error: {msg.splitlines()[0] if msg else exc}")
