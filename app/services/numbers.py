"""Gap-free document numbers. The counter row is bumped inside the caller's write transaction
(``UPDATE … SET next_value = next_value + 1`` locks the row on PostgreSQL; on SQLite the write
transaction already holds the database lock), so two desks never get the same number and a
rolled-back document never uses one up."""

from __future__ import annotations

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from app.models import NumberSequence
from app.models.billing import SERIES

PREFIXES = SERIES  # the one number service for every series: orders, quotes, invoices, credit notes…


def next_values(s: Session, name: str, count: int) -> range:
    """The next ``count`` values of a sequence, taken in one statement (a bulk import numbers its
    documents as a block; the same series the screens draw from one at a time)."""
    if count <= 0:
        return range(0)
    bumped = s.execute(update(NumberSequence).where(NumberSequence.name == name)
                       .values(next_value=NumberSequence.next_value + count))
    assert isinstance(bumped, CursorResult)  # an UPDATE's result: it has a rowcount
    if not bumped.rowcount:
        s.add(NumberSequence(name=name, prefix=PREFIXES.get(name, ""), next_value=count + 1))
        s.flush()
        return range(1, count + 1)
    after = int(s.execute(select(NumberSequence.next_value).where(NumberSequence.name == name)).scalar_one())
    return range(after - count, after)


def next_value(s: Session, name: str) -> int:
    return next_values(s, name, 1)[0]


def formatted(prefix: str, value: int) -> str:
    """A document number as printed: the sequence's prefix, six digits: ``SH-000013``."""
    return f"{prefix}{value:06d}"


def next_numbers(s: Session, name: str, count: int) -> list[str]:
    """The next ``count`` numbers of a sequence, in order, with its prefix."""
    values = next_values(s, name, count)
    if not values:
        return []
    prefix = s.execute(select(NumberSequence.prefix).where(NumberSequence.name == name)).scalar_one()
    return [formatted(prefix, v) for v in values]


def next_number(s: Session, name: str) -> str:
    """The next number with the sequence's prefix, six digits: ``SH-000013``."""
    return next_numbers(s, name, 1)[0]
