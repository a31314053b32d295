"""The read side of the change feed: what other desks changed since a desk last looked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from app.db.uow import Database
from app.models import ChangeFeed


@dataclass(frozen=True)
class Changes:
    seq: int  # the newest change seen
    tables: frozenset[str] = frozenset()
    entities: dict[str, frozenset[int]] = field(default_factory=dict)
    by: tuple[str, ...] = ()
    at: dt.datetime | None = None
    everything: bool = False  # the counter went backwards (a restore): reload all

    def touches(self, *tables: str) -> bool:
        return self.everything or bool(self.tables.intersection(tables))


def changes_since(db: Database, seq: int, *, limit: int = 2000) -> Changes:
    """Merge the feed rows after ``seq``. Called only when the counter moved (one tiny query)."""
    current = db.change_seq()
    if current < seq:  # the database was restored from a backup: nothing we hold is current
        return Changes(seq=current, everything=True)
    if current == seq:
        return Changes(seq=current)
    with db.read() as s:
        rows = s.execute(select(ChangeFeed).where(ChangeFeed.seq > seq).order_by(ChangeFeed.seq)
                         .limit(limit)).scalars().all()
    tables: set[str] = set()
    ents: dict[str, set[int]] = {}
    by: list[str] = []
    for r in rows:
        tables.update(r.tables)
        for t, ids in (r.entities or {}).items():
            ents.setdefault(t, set()).update(ids)
        if r.username not in by:
            by.append(r.username)
    last = rows[-1] if rows else None
    return Changes(seq=max(current, last.seq if last else seq), tables=frozenset(tables),
                   entities={t: frozenset(v) for t, v in ents.items()}, by=tuple(by),
                   at=last.at if last else None)
