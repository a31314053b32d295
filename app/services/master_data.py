"""What every master-data service shares (customers, products, work centres, staff, skills,
shifts, production calendars). Qt-free.

- ``like(text)``: a search text made safe for ``LIKE … ESCAPE '\\'`` (``%`` and ``_`` are literal).
- ``listed(names)``: "A, B, C and 4 more" for a refusal that names what stands in the way.
- ``set_active(...)``: archive or restore one record in one unit of work — role-checked, at the
  version the screen read (``ConflictError`` when someone else saved since), refused with a
  ``UserError`` when ``blocker`` says what still uses it, audited as every unit of work is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from app.actor import Actor
from app.db.uow import Database, UnitOfWork
from app.errors import UserError
from app.services.permissions import require

SHOWN = 10  # a refusal names this many blockers, then says how many more


class Archivable(Protocol):
    id: int
    active: bool


M = TypeVar("M", bound=Archivable)
V = TypeVar("V")


def like(text: str) -> str:
    """``text`` for a ``LIKE`` pattern with ``escape="\\\\"``: its ``%`` and ``_`` match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def listed(names: Sequence[str], shown: int = SHOWN) -> str:
    """The first ``shown`` names, then how many more: "SO-1, SO-2 and 3 more"."""
    head = ", ".join(names[:shown])
    return head + (f" and {len(names) - shown} more" if len(names) > shown else "")


def plural(n: int, word: str, many: str | None = None) -> str:
    """ "1 order", "3 orders" (``many`` for irregular plurals)."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def open_orders_refusal(subject: str, numbers: Sequence[str], *, has: str, hint: str) -> UserError | None:
    """The refusal to archive ``subject`` while open quotes or orders need it (None when none do):
    "ACME (Acme Ltd) cannot be archived: it has 2 open quotes or orders: SO-1, SO-2." — ``has``
    is how the subject stands to them ("it has", "it is on")."""
    if not numbers:
        return None
    many = len(numbers) != 1
    return UserError(f"{subject} cannot be archived: {has} {len(numbers)} open quote{'s' if many else ''} or "
                     f"order{'s' if many else ''}: {listed(numbers)}.", hint=hint)


K = TypeVar("K")
W = TypeVar("W")


def sync_rows(s: Session, existing: Mapping[K, Any], wanted: Mapping[K, W], *, value: Callable[[Any], W],
              update: Callable[[Any, W], None], make: Callable[[K, W], object]) -> bool:
    """Make a record's child rows (a person's skills, a product's quantity breaks) what the form
    says, by key: rows no longer wanted are deleted, changed ones updated, new ones added (each
    audited by the unit of work). Returns whether anything changed."""
    changed = False
    for key, row in existing.items():
        if key not in wanted:
            s.delete(row)
            changed = True
        elif value(row) != wanted[key]:
            update(row, wanted[key])
            changed = True
    for key, new in wanted.items():
        if key not in existing:
            s.add(make(key, new))
            changed = True
    return changed


def set_active(db: Database, actor: Actor, model: type[M], id: int, version: int | None, *, active: bool,
               permission: str, view: Callable[[Session, M], V],
               blocker: Callable[[Session, M], UserError | None] | None = None) -> V:
    """Archive (``active=False``) or restore (``active=True``) one record. ``blocker`` (archiving
    only) returns the refusal when something open still needs the record; ``view`` reads what the
    screen shows afterwards."""
    require(actor, permission)

    def run(uow: UnitOfWork) -> V:
        record = uow.get(model, id, expected_version=version)
        if not active and blocker is not None:
            refusal = blocker(uow.session, record)
            if refusal is not None:
                raise refusal
        if record.active != active:
            record.active = active
            uow.flush()
        return view(uow.session, record)

    return db.write(actor, run)
