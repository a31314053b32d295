"""The audit log as a hash chain, and the protected rows' last audited state (issue 18, item 6).

**The chain.** Every audit row stores ``prev_hash`` — the ``hash`` of the row before it in id
order (``GENESIS`` for the first) — and ``hash`` = SHA-256 over ``prev_hash`` and its own content
(at, username, workstation, action, entity, entity_id, field, old_value, new_value, change_seq),
each value length-prefixed so no two contents encode alike. The single ``audit_chain`` row (id 1)
is the chain's head: the last row's id and hash. Rows are appended only by ``append``, which
locks the head first (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the saving transaction holds
the write lock from its ``BEGIN IMMEDIATE``), so appends are serialised and the head it reads
is the last committed one. Editing a row breaks its hash, deleting one breaks the next row's
``prev_hash``, deleting the tail disagrees with the head.

**Protected rows.** The money and security fields of invoices, payments, credit notes, refunds
and users (``PROTECTED``) are also recorded in the chain: whenever a save touches such a row and
its fields differ from the last recorded state, an audit row with action ``state`` is appended whose
``new_value`` is one short SHA-256 digest per field (``paid=3f…``). ``verify`` recomputes the
digests of every current row and compares them with its latest ``state`` row, so a change made
with another program (``UPDATE invoice SET paid = 0``, ``UPDATE app_user SET role = 'admin'``) is
named with the fields that differ.

This detects, it does not prevent: whoever can write the database can rebuild the whole chain.
See docs/admin-guide.md, *The audit log: what it proves*.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    bindparam,
    func,
    insert,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.models import AuditLog
from app.models.base import utcnow
from app.models.system import AuditChain

GENESIS = "0" * 64
STATE = "state"  # the action of a row recording a protected row's fields
DELETED = "deleted"  # a state row's new_value once OrderCycle deleted the row
CHAIN_START = "chain_start"  # the action of the row the upgrade to 0006 writes after hashing older rows
CHAIN_RESTART = "chain_restart"  # the head was found missing (deleted) under existing rows

#: table → the fields whose every change must go through OrderCycle
PROTECTED: dict[str, tuple[str, ...]] = {
    "invoice": ("number", "customer_id", "net", "tax", "paid", "status"),
    "payment": ("invoice_id", "amount"),
    "credit_note": ("number", "invoice_id", "net", "tax"),
    "refund": ("amount", "status"),
    "app_user": ("username", "role", "active", "password_hash"),
}
MONEY = {"net", "tax", "paid", "amount"}
LABEL = {"invoice": "number", "credit_note": "number", "app_user": "username"}  # how a row is named
_UTC = dt.UTC

_log = AuditLog.__table__
_head = AuditChain.__table__
COLUMNS = ("at", "username", "workstation", "action", "entity", "entity_id", "field", "old_value", "new_value",
           "change_seq")
# statements built once: a save runs several of them, and building one costs more than running it
_HEAD = select(_head.c.last_hash).where(_head.c.id == 1).with_for_update()
_HEAD_SET = update(_head).where(_head.c.id == 1).values(last_id=bindparam("_last_id"), last_hash=bindparam("_last"))
_INSERT = insert(_log)
_MAX_ID = select(func.max(_log.c.id))
_LATEST = select(_log.c.entity_id, _log.c.new_value).where(_log.c.id.in_(
    select(func.max(_log.c.id)).where(_log.c.entity == bindparam("_entity"),
                                      _log.c.entity_id.in_(bindparam("_ids", expanding=True)),
                                      _log.c.action == STATE).group_by(_log.c.entity_id).scalar_subquery()))


# --- hashing ------------------------------------------------------------------------------------------
_last_at: tuple[dt.datetime, str] | None = None  # the rows of one save share their time


def _at(value: dt.datetime | str | None) -> str:
    global _last_at
    if value is None:  # never in a stored row (the column is NOT NULL): hashed as any missing value
        return "~"
    if isinstance(value, str):  # read as stored by SQLite: SQLAlchemy's format is the canonical one
        parsed = None if len(value) == 26 else _as_dt(value)
        return value if parsed is None else _at(parsed)  # unreadable text is hashed as it is
    last = _last_at
    if last is not None and last[0] == value:
        return last[1]
    text = (value.astimezone(_UTC).replace(tzinfo=None) if value.tzinfo is not None else value
            ).isoformat(sep=" ", timespec="microseconds")
    _last_at = (value, text)
    return text


def row_hash(prev: str, at: dt.datetime | str | None, username: Any, workstation: Any, action: Any, entity: Any,
             entity_id: Any, field_: Any, old_value: Any, new_value: Any, change_seq: Any) -> str:
    """SHA-256 (hex) of ``prev`` and one audit row's content, each value length-prefixed."""
    parts = [prev, _at(at)]
    parts += ["~" if v is None else f"{len(v)}:{v}" if v.__class__ is str else _enc(v)
              for v in (username, workstation, action, entity, entity_id, field_, old_value, new_value, change_seq)]
    return hashlib.sha256("|".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _enc(v: Any) -> str:
    s = str(v)
    return f"{len(s)}:{s}"


def _as_dt(value: Any) -> dt.datetime | None:
    """A timestamp read raw (SQLite text) or typed, as an aware UTC datetime; None if unreadable."""
    if value is None or isinstance(value, dt.datetime):
        return value
    try:
        out = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return out.replace(tzinfo=_UTC) if out.tzinfo is None else out.astimezone(_UTC)


def _lock_head(conn: Connection) -> str:
    """The chain head's hash, locked until the transaction ends. A new database gets its head with
    its first audit row. A head missing under existing rows was deleted (the end of the log may
    have gone with it): the chain goes on from the last row, and a ``chain_restart`` row — which
    ``verify`` always reports — says so."""
    head = _HEAD
    last = conn.execute(head).scalar()
    if last is None:
        top = conn.execute(select(_log.c.id, _log.c.hash).order_by(_log.c.id.desc()).limit(1)).first()
        values = {"id": 1, "last_id": top.id if top is not None else None,
                  "last_hash": (top.hash if top is not None else None) or GENESIS}
        # two desks making the head at once: the second waits for the first and inserts nothing
        dialect = conn.dialect.name
        stmt: Any = (pg_insert(_head).values(**values).on_conflict_do_nothing() if dialect == "postgresql" else
                     sqlite_insert(_head).values(**values).on_conflict_do_nothing() if dialect == "sqlite" else
                     insert(_head).values(**values))
        created = conn.execute(stmt).rowcount == 1
        last = conn.execute(head).scalar()
        if created and top is not None:
            _append_locked(conn, str(last), [{
                "at": utcnow(), "username": "system", "action": CHAIN_RESTART, "entity": "audit_chain",
                "new_value": f"the chain head was missing; the chain goes on after audit row id {top.id}"}])
            last = conn.execute(head).scalar()
    return str(last)


BULK = 1000  # from this many rows (an import's), straight to the driver (app/db/bulk.py)


def _append_locked(conn: Connection, prev: str, rows: list[dict[str, Any]]) -> None:
    if len(rows) >= BULK:
        return _append_bulk(conn, prev, rows)
    out = []
    for r in rows:
        row = {c: r.get(c) for c in COLUMNS}
        for c in ("old_value", "new_value"):  # what the database stores is what is hashed
            if row[c] is not None and row[c].__class__ is not str:
                row[c] = str(row[c])
        row["prev_hash"] = prev
        prev = row["hash"] = row_hash(prev, row["at"], row["username"], row["workstation"], row["action"],
                                      row["entity"], row["entity_id"], row["field"], row["old_value"],
                                      row["new_value"], row["change_seq"])
        out.append(row)
    conn.execute(_INSERT, out)
    conn.execute(_HEAD_SET, {"_last_id": conn.execute(_MAX_ID).scalar(), "_last": prev})


def _append_bulk(conn: Connection, prev: str, rows: list[dict[str, Any]]) -> None:
    from app.db.bulk import BulkInsert

    layout = (*COLUMNS, "prev_hash", "hash")
    out = BulkInsert(conn, _log, layout, {"id": None})
    at_ = out.converter("at")
    tuples = []
    for r in rows:
        at, user, ws, action, entity, eid, fld, old, new, seq = (r.get(c) for c in COLUMNS)
        if old is not None and old.__class__ is not str:
            old = str(old)
        if new is not None and new.__class__ is not str:
            new = str(new)
        h = row_hash(prev, at, user, ws, action, entity, eid, fld, old, new, seq)
        tuples.append((at_(at), user, ws, action, entity, eid, fld, old, new, seq, prev, h))
        prev = h
    out.execute(tuples)
    conn.execute(_HEAD_SET, {"_last_id": conn.execute(_MAX_ID).scalar(), "_last": prev})


def append(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Hash ``rows`` (audit rows as dicts) onto the chain in list order and insert them. Holds the
    chain head's lock until the transaction ends."""
    if rows:
        _append_locked(conn, _lock_head(conn), rows)


# --- protected rows -------------------------------------------------------------------------------------
def _canon(name: str, value: Any) -> str:
    if value is None:
        return "~"
    if name in MONEY:
        try:
            return f"{value if value.__class__ is Decimal else Decimal(str(value)):.2f}"
        except (InvalidOperation, ValueError):
            return f"?{value}"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def state_of(table: str, ident: int, values: Sequence[Any]) -> str:
    """The recorded state of one protected row: a 16-hex SHA-256 digest per field, bound to the
    table and id (``number=… paid=…``), so a difference names its field."""
    out = []
    for name, value in zip(PROTECTED[table], values, strict=True):
        digest = hashlib.sha256(f"{table}|{ident}|{name}|{_canon(name, value)}".encode("utf-8", "surrogatepass"))
        out.append(f"{name}={digest.hexdigest()[:16]}")
    return " ".join(out)


def _protected_select(table: str) -> Any:
    from app.models import Base

    t = Base.metadata.tables[table]
    # read as the driver gives them, without the column types' conversions: a value written with
    # another program (a role the enumeration does not know, text in an amount) must be reported,
    # not make the check fail; ``_canon`` gives both backends' values one form
    return t, select(t.c.id, *(type_coerce(t.c[n], String) for n in PROTECTED[table]))


_BY_IDS: dict[str, Any] = {}


def _current_states(conn: Connection, table: str, ids: Iterable[int] | None = None) -> Iterable[tuple[int, str]]:
    if ids is None:
        t, q = _protected_select(table)
        for row in conn.execute(q.order_by(t.c.id)):
            yield row[0], state_of(table, row[0], row[1:])
        return
    q = _BY_IDS.get(table)
    if q is None:
        t, q = _protected_select(table)
        q = _BY_IDS[table] = q.where(t.c.id.in_(bindparam("_ids", expanding=True)))
    ids = sorted(ids)
    for i in range(0, len(ids), 500):
        for row in conn.execute(q, {"_ids": ids[i:i + 500]}):
            yield row[0], state_of(table, row[0], row[1:])


def _latest_states(conn: Connection, table: str, ids: Sequence[int]) -> dict[int, str | None]:
    out: dict[int, str | None] = {}
    for i in range(0, len(ids), 500):
        out.update(conn.execute(_LATEST, {"_entity": table, "_ids": list(ids[i:i + 500])}).all())
    return out


def state_rows(conn: Connection, touched: Mapping[str, Iterable[int]], base: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``state`` audit rows for the protected rows among ``touched`` whose fields differ from their
    last recorded state (or that were deleted since). Run with the chain head locked."""
    rows: list[dict[str, Any]] = []
    for table in PROTECTED:
        ids = sorted({int(i) for i in touched.get(table, ()) if i is not None})
        if not ids:
            continue
        now = dict(_current_states(conn, table, ids))
        last = _latest_states(conn, table, ids)
        for ident in ids:
            state = now.get(ident, DELETED)
            before = last.get(ident)
            if state != before and not (state == DELETED and before is None):
                rows.append({**base, "action": STATE, "entity": table, "entity_id": ident, "field": None,
                             "old_value": before, "new_value": state})
    return rows


def append_unit(conn: Connection, username: str, workstation: str | None, touched: Mapping[str, Iterable[int]],
                pending: list[dict[str, Any]], seq: int) -> None:
    """A saving unit of work's audit rows, then the states of the protected rows it touched, onto
    the chain. The head is locked before the protected rows are read, so a state always follows
    the state another desk recorded just before."""
    protected = any(touched.get(t) for t in PROTECTED)
    if not pending and not protected:
        return
    prev = _lock_head(conn)
    for r in pending:
        r["change_seq"] = seq
    rows = pending
    if protected:
        rows = pending + state_rows(conn, touched, {"at": utcnow(), "username": username,
                                                    "workstation": workstation, "change_seq": seq})
    if rows:
        _append_locked(conn, prev, rows)


def seal(conn: Connection, *, username: str = "system", workstation: str | None = None,
         seq: int | None = None, at: dt.datetime | None = None) -> int:
    """Record the state of every protected row whose state is not recorded yet (or differs): the
    demo company's rows, written without the unit of work, and an upgraded database's. Returns the
    number of state rows written."""
    prev = _lock_head(conn)
    latest: dict[tuple[str, Any], Any] = {}  # (table, id) → its recorded state
    for table in PROTECTED:
        last = (select(func.max(_log.c.id)).where(_log.c.entity == table, _log.c.action == STATE)
                .group_by(_log.c.entity_id))
        for entity_id, state in conn.execute(select(_log.c.entity_id, _log.c.new_value).where(_log.c.id.in_(last))):
            latest[(table, entity_id)] = state
    base = {"at": at or utcnow(), "username": username, "workstation": workstation, "change_seq": seq}
    rows = []
    for table in PROTECTED:
        for ident, state in _current_states(conn, table):
            before = latest.get((table, ident))
            if state != before:
                rows.append({**base, "action": STATE, "entity": table, "entity_id": ident, "field": None,
                             "old_value": before, "new_value": state})
    if rows:
        _append_locked(conn, prev, rows)
    return len(rows)


def rehash_all(conn: Connection, *, batch: int = 5000) -> int:
    """Hash every existing audit row in id order (the upgrade to 0006) and point the head at the
    last. Returns the number of rows."""
    prev, after, n = GENESIS, 0, 0
    last_id = None
    cols = [_log.c.id, *(_log.c[c] for c in COLUMNS)]
    stmt = update(_log).where(_log.c.id == bindparam("_id")).values(prev_hash=bindparam("_p"), hash=bindparam("_h"))
    while True:
        rows = conn.execute(select(*cols).where(_log.c.id > after).order_by(_log.c.id).limit(batch)).all()
        if not rows:
            break
        params = []
        for r in rows:
            h = row_hash(prev, *r[1:])
            params.append({"_id": r[0], "_p": prev, "_h": h})
            prev = h
        conn.execute(stmt, params)
        after = last_id = rows[-1][0]
        n += len(rows)
    if conn.execute(select(_head.c.id).where(_head.c.id == 1)).first() is not None:
        conn.execute(update(_head).where(_head.c.id == 1).values(last_id=last_id, last_hash=prev))
    elif n:  # an empty log gets its head with its first row (a new database holds no rows: db copy)
        conn.execute(insert(_head).values(id=1, last_id=last_id, last_hash=prev))
    return n


# --- verification ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Break:
    """Where the audit stops vouching for the data: a table, a row, the time the row claims."""

    table: str
    row_id: int | None
    at: dt.datetime | None
    text: str  # the whole sentence, naming table, row and time


@dataclass(frozen=True)
class Verdict:
    rows: int  # audit rows read
    head: str  # the last row's hash (GENESIS for an empty log)
    chain: Break | None = None  # the first break of the chain
    states: list[Break] = field(default_factory=list)  # protected rows that differ, first first
    states_checked: int = 0

    @property
    def ok(self) -> bool:
        return self.chain is None and not self.states

    def problems(self) -> list[str]:
        out = []
        if self.chain is not None:
            out.append(f"Audit: {self.chain.text}")
        if self.states:
            more = len(self.states) - 1
            out.append(f"Audit: {self.states[0].text}"
                       + (f" (and {more} more protected row(s) like it)" if more else ""))
        return out

    def summary(self) -> str:
        if self.ok:
            return (f"Audit chain intact ({self.rows:,} rows, head {self.head[:16]}; {self.states_checked:,} invoices, "
                    "payments, credit notes, refunds and users match their audited state)")
        return " ".join(self.problems())


def _when(at: dt.datetime | None) -> str:
    if at is None:
        return "time unknown"
    if at.tzinfo is not None:
        at = at.astimezone(_UTC)
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def _name(table: str, ident: int, label: Any) -> str:
    if table in LABEL and label is not None:
        return f"{table} {label!s} (id {ident})" if table != "app_user" else f"user '{label}' (id {ident})"
    return f"{table} id {ident}"


def verify(conn: Connection, *, progress: Callable[[float, str], None] | None = None) -> Verdict:
    """Walk the whole chain in id order and compare every protected row with its latest recorded
    state. Read inside one transaction (on PostgreSQL give ``conn`` REPEATABLE READ, so saves
    committed meanwhile are not half seen)."""
    total = conn.execute(select(func.count()).select_from(_log)).scalar() or 0
    head_row = conn.execute(select(_head.c.last_id, _head.c.last_hash).where(_head.c.id == 1)).first()
    # on SQLite the time is read as stored (text in the canonical form): no parsing of every row
    at_col = type_coerce(_log.c.at, String) if conn.dialect.name == "sqlite" else _log.c.at
    cols = [_log.c.id, _log.c.prev_hash, _log.c.hash, at_col, *(_log.c[c] for c in COLUMNS[1:])]
    q = select(*cols).order_by(_log.c.id)
    prev, prev_id = GENESIS, None
    brk: Break | None = None
    latest: dict[tuple[str, int], tuple[str | None, dt.datetime, str, int]] = {}
    n = 0
    last_id = None
    for row in conn.execution_options(yield_per=10000).execute(q):
        n += 1
        ident, prev_hash, stored, at = row[0], row[1], row[2], row[3]
        if row[6] == STATE and row[8] is not None:
            latest[(row[7], row[8])] = (row[11], at, row[4], ident)
        if brk is None:
            why = None
            if stored is None or prev_hash is None:
                why = "it has no hash, so it was written outside OrderCycle"
            elif stored != row_hash(prev_hash, *row[3:]):
                why = "the row was changed after it was written"
            elif row[6] == CHAIN_RESTART:
                why = "its head had been deleted, so rows at the end of the log may have been deleted with it"
            elif prev_hash != prev:
                before = (f"audit row id {prev_id}" if prev_id is not None else "the start of the log")
                why = f"it does not follow {before} — rows in between were deleted, or that row was rewritten"
            if why is not None:
                when = _as_dt(at)
                where = f"audit row id {ident} ({_when(when)}, {row[4]}, {row[6]} {row[7]}" + \
                        (f" {row[8]}" if row[8] is not None else "") + (f" {row[9]}" if row[9] else "") + ")"
                brk = Break("audit_log", ident, when, f"the audit chain breaks at {where}: {why}")
            prev, prev_id = stored, ident
        last_id = ident
        if progress is not None and n % 20000 == 0:
            progress(0.9 * n / max(total, 1), f"{n:,} audit rows")
    if brk is None:
        if head_row is None:
            if n:
                brk = Break("audit_chain", None, None, "the audit chain's head (table audit_chain) is missing")
        elif head_row.last_hash != prev:
            recorded = head_row.last_id
            if recorded is not None and (last_id is None or recorded > last_id):
                brk = Break("audit_log", recorded, None,
                            f"the audit chain ends at audit row id {last_id}, but OrderCycle last wrote id {recorded}: "
                            "the rows after it were deleted")
            else:
                brk = Break("audit_log", last_id, None,
                            f"the audit chain's head (OrderCycle's last row id {recorded}) does not match its last row "
                            f"id {last_id}: rows were added or rewritten outside OrderCycle")
    states, checked = _state_breaks(conn, latest)
    return Verdict(rows=n, head=prev, chain=brk, states=states, states_checked=checked)


def _state_breaks(conn: Connection, latest: dict[tuple[str, int], tuple[str | None, dt.datetime, str, int]]
                  ) -> tuple[list[Break], int]:
    out: list[Break] = []
    checked = 0
    for table, fields in PROTECTED.items():
        t, q = _protected_select(table)
        label_col = LABEL.get(table)
        if label_col:
            q = q.add_columns(t.c[label_col])
        seen: set[int] = set()
        for row in conn.execute(q.order_by(t.c.id)):
            ident = row[0]
            seen.add(ident)
            checked += 1
            state = state_of(table, ident, row[1:1 + len(fields)])
            label = row[-1] if label_col else None
            rec = latest.get((table, ident))
            if rec is None:
                out.append(Break(table, ident, None, f"{_name(table, ident, label)} has no state recorded by "
                                                     "OrderCycle: it was written outside OrderCycle"))
            elif rec[0] != state:
                if rec[0] == DELETED:
                    what = "exists although OrderCycle recorded its deletion"
                else:
                    was = dict(p.split("=", 1) for p in (rec[0] or "").split() if "=" in p)
                    now = dict(p.split("=", 1) for p in state.split())
                    diff = [f for f in fields if was.get(f) != now.get(f)]
                    when = _when(_as_dt(rec[1]))
                    what = (f"{', '.join(diff)} differ{'s' if len(diff) == 1 else ''} from the state OrderCycle last "
                            f"recorded ({when}, {rec[2]}, audit row id {rec[3]}): changed outside OrderCycle")
                out.append(Break(table, ident, _as_dt(rec[1]), f"{_name(table, ident, label)}: {what}"))
        for (tbl, ident), rec in latest.items():
            if tbl == table and ident not in seen and rec[0] != DELETED:
                at = _as_dt(rec[1])
                out.append(Break(table, ident, at, f"{table} id {ident} is gone, but OrderCycle last recorded it at "
                                                   f"{_when(at)} ({rec[2]}): deleted outside OrderCycle"))
    return out, checked
