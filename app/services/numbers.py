"""Gap-free document numbers. The counter row is bumped inside the caller's write transaction
(``UPDATE … SET next_value = next_value + 1`` locks the row on PostgreSQL; on SQLite the write
transaction already holds the database lock), so two desks never get the same number and a
rolled-back document never uses one up."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import NumberSequence

PREFIXES = {"order": "SO-", "quote": "Q-", "invoice": "", "credit_note": "", "shipment": "SH-",
            "pick_list": "PL-", "rma": "RMA-", "service_job": "SJ-"}


def next_value(s: Session, name: str) -> int:
    bumped = s.execute(update(NumberSequence).where(NumberSequence.name == name)
                       .values(next_value=NumberSequence.next_value + 1))
    if not bumped.rowcount:
        s.add(NumberSequence(name=name, prefix=PREFIXES.get(name, ""), next_value=2))
        s.flush()
        return 1
    return int(s.execute(select(NumberSequence.next_value).where(NumberSequence.name == name)).scalar_one()) - 1


def next_number(s: Session, name: str) -> str:
    """The next number with the sequence's prefix, six digits: ``SH-000013``."""
    value = next_value(s, name)
    prefix = s.execute(select(NumberSequence.prefix).where(NumberSequence.name == name)).scalar_one()
    return f"{prefix}{value:06d}"
