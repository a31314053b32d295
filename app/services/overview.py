"""The cycle overview: how many orders sit at each stage, and their value (read side)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from sqlalchemy import func, select

from app.db.uow import Actor, Database
from app.models import SalesOrder
from app.models.enums import OrderStatus
from app.services.permissions import require

# the order's path through the departments, in cycle order, with who acts next
STAGES: list[tuple[OrderStatus, str, str]] = [
    (OrderStatus.QUOTE, "Quotes", "sales"),
    (OrderStatus.CONFIRMED, "Confirmed, waiting for production", "production"),
    (OrderStatus.IN_PRODUCTION, "In production", "production"),
    (OrderStatus.READY, "Ready to pick", "shipping"),
    (OrderStatus.PARTIALLY_SHIPPED, "Partially shipped", "shipping"),
    (OrderStatus.SHIPPED, "Shipped, to invoice", "finance"),
    (OrderStatus.INVOICED, "Invoiced, awaiting payment", "finance"),
    (OrderStatus.ON_HOLD, "On hold", "management"),
]


@dataclass(frozen=True)
class StageRow:
    status: str
    label: str
    next_department: str
    orders: int
    value: Decimal


# the rows of cycle_overview's query, spelt out: the Core table's columns are untyped
_StageCount = Iterable[tuple[str, int, Decimal]]


def cycle_overview(db: Database, actor: Actor) -> list[StageRow]:
    require(actor, "orders.view")
    t = SalesOrder.__table__  # Core, not ORM: the first screen must not wait for mapper set-up
    with db.engine.connect() as conn:
        rows = {
            OrderStatus(status): (n, total)
            for status, n, total in cast(_StageCount, conn.execute(
                select(t.c.status, func.count(), func.coalesce(func.sum(t.c.total_net), 0))
                .where(t.c.status.in_([st.value for st, _, _ in STAGES]))
                .group_by(t.c.status)
            ))
        }
        conn.rollback()
    return [
        StageRow(st.value, label, dept, int(rows.get(st, (0, 0))[0]), Decimal(rows.get(st, (0, 0))[1]))
        for st, label, dept in STAGES
    ]
