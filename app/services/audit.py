"""The audit-log viewer's read side: filter by user, entity and date; page; export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVarTuple

from sqlalchemy import Select, func, select

from app import clock
from app.db.uow import Actor, Database
from app.models import AuditLog
from app.services.permissions import require

if TYPE_CHECKING:
    from app.db import audit_chain


@dataclass(frozen=True)
class AuditFilter:
    username: str | None = None
    entity: str | None = None
    entity_id: int | None = None
    since: dt.date | None = None  # inclusive, local calendar days turned into UTC bounds by the caller
    until: dt.date | None = None  # inclusive


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: dt.datetime
    username: str
    workstation: str | None
    action: str
    entity: str
    entity_id: int | None
    field: str | None
    old_value: str | None
    new_value: str | None


def import_rows(actor: Actor, source: str, touched: dict[str, list[int]], payload: Any = None) -> list[dict[str, Any]]:
    """One audit row per record an Excel import wrote (action ``imported``, the record's table and
    id, the file's name), next to the import's summary row: the bulk write goes around the unit of
    work's field-by-field audit. Records the import cannot name by id (new historic-sales rows,
    written with one ``executemany``) get a row naming their key instead; an order's lines are
    covered by the order's row."""
    now = clock.utcnow()
    base = {"at": now, "username": actor.username, "workstation": actor.workstation, "action": "imported",
            "field": None, "old_value": None}
    rows = [{**base, "entity": table, "entity_id": ident, "new_value": source}
            for table, ids in touched.items() for ident in dict.fromkeys(ids)]
    unnamed = [t for t, ids in touched.items() if not ids]
    if not rows and len(unnamed) == 1 and isinstance(payload, tuple) and len(payload) == 2 \
            and all(isinstance(p, list) for p in payload):
        ins, upd = payload  # the kind wrote one table and named none of its rows: (inserts, updates)
        table = unnamed[0]
        for u in upd:
            if isinstance(u, dict) and "_id" in u:
                rows.append({**base, "entity": table, "entity_id": u["_id"], "new_value": source})
        for r in ins:
            if isinstance(r, dict):
                key = ", ".join(f"{k}={v}" for k, v in r.items() if k.endswith(("_id", "_start")))
                rows.append({**base, "entity": table, "entity_id": None, "new_value": f"{source}: new {key}"})
    return rows


_Ts = TypeVarTuple("_Ts")


def _where(q: Select[*_Ts], f: AuditFilter) -> Select[*_Ts]:
    if f.username:
        q = q.where(AuditLog.username == f.username)
    if f.entity:
        q = q.where(AuditLog.entity == f.entity)
    if f.entity_id is not None:
        q = q.where(AuditLog.entity_id == f.entity_id)
    if f.since:
        q = q.where(AuditLog.at >= dt.datetime.combine(f.since, dt.time(), dt.timezone.utc))
    if f.until:
        q = q.where(AuditLog.at < dt.datetime.combine(f.until + dt.timedelta(days=1), dt.time(), dt.timezone.utc))
    return q


def search(db: Database, actor: Actor, f: AuditFilter, *, limit: int = 500,
           offset: int = 0) -> tuple[list[AuditRow], int]:
    """Newest first; returns one page and the total count."""
    require(actor, "audit.view")
    with db.read() as s:
        total = s.execute(_where(select(func.count()).select_from(AuditLog), f)).scalar_one()
        rows = s.execute(_where(select(AuditLog), f).order_by(AuditLog.id.desc()).limit(limit).offset(offset)).scalars()
        return [AuditRow(r.id, r.at, r.username, r.workstation, r.action, r.entity, r.entity_id, r.field,
                         r.old_value, r.new_value) for r in rows], int(total)


def chain_verdict(db: Database, actor: Actor, *, progress: Callable[[float, str], None] | None = None
                  ) -> audit_chain.Verdict:
    """The audit chain's verdict: intact, or its first break and the protected rows changed outside
    OrderCycle — what ``ordercycle db check`` reports."""
    require(actor, "audit.view")
    from app.db import audit_chain

    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":  # one snapshot of the log and the rows it vouches for
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        try:
            return audit_chain.verify(conn, progress=progress)
        finally:
            conn.rollback()


def choices(db: Database, actor: Actor) -> tuple[list[str], list[str]]:
    """The users and entities that occur in the log, for the filter drop-downs."""
    require(actor, "audit.view")
    with db.read() as s:
        users = list(s.execute(select(AuditLog.username).distinct().order_by(AuditLog.username)).scalars())
        ents = list(s.execute(select(AuditLog.entity).distinct().order_by(AuditLog.entity)).scalars())
    return users, ents


def export_xlsx(db: Database, actor: Actor, f: AuditFilter, target: Path, *,
                progress: Callable[[float, str], object] | None = None) -> int:
    """Everything the filter matches, to an .xlsx file (write-only mode, streamed). Returns rows."""
    require(actor, "audit.view")
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from app.exchange.writing import safe_row  # a value that looks like a formula is written as text

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Audit log")
    ws.freeze_panes = "A2"
    headers = ["Time (UTC)", "User", "Workstation", "Action", "Entity", "Id", "Field", "Old value", "New value"]
    for col, width in zip("ABCDEFGHI", (20, 14, 16, 9, 20, 8, 18, 30, 30), strict=True):
        ws.column_dimensions[col].width = width
    bold = Font(bold=True)
    head = []
    for h in headers:
        c = WriteOnlyCell(ws, value=h)
        c.font = bold
        head.append(c)
    ws.append(head)
    n = 0
    with db.read() as s:
        total = s.execute(_where(select(func.count()).select_from(AuditLog), f)).scalar_one() or 1
        result = s.execute(_where(select(AuditLog.at, AuditLog.username, AuditLog.workstation, AuditLog.action,
                                         AuditLog.entity, AuditLog.entity_id, AuditLog.field, AuditLog.old_value,
                                         AuditLog.new_value), f).order_by(AuditLog.id)).yield_per(2000)
        for row in result:
            at = row[0].astimezone(dt.timezone.utc).replace(tzinfo=None)
            ws.append(safe_row(ws, [at, *row[1:]]))
            n += 1
            if progress and n % 2000 == 0:
                progress(n / total, f"{n:,} rows")
    ws.auto_filter.ref = f"A1:I{n + 1}"
    tmp = target.with_suffix(".part.xlsx")
    wb.save(tmp)
    tmp.replace(target)
    return n
