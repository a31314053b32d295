"""Small read-side lookups for filter bars and pickers (no unit of work, nothing written)."""

from __future__ import annotations

from sqlalchemy import select

from app.db.uow import Actor, Database
from app.models import Customer, ProductFamily, User
from app.models.enums import Role
from app.services.permissions import require


def salespeople(db: Database, actor: Actor) -> list[tuple[int, str]]:
    """(user id, full name) of active salespeople and managers, for the orders filter."""
    require(actor, "orders.view")
    t = User.__table__
    with db.engine.connect() as conn:
        rows = conn.execute(select(t.c.id, t.c.full_name)
                            .where(t.c.active.is_(True), t.c.role.in_([Role.SALES.value, Role.MANAGEMENT.value]))
                            .order_by(t.c.full_name)).all()
        conn.rollback()
    return [(r[0], r[1]) for r in rows]


def families(db: Database, actor: Actor) -> list[tuple[int, str]]:
    """(family id, name) for family filters."""
    require(actor, "planning.view")
    t = ProductFamily.__table__
    with db.engine.connect() as conn:
        rows = conn.execute(select(t.c.id, t.c.name).order_by(t.c.name)).all()
        conn.rollback()
    return [(r[0], r[1]) for r in rows]


def customers(db: Database, actor: Actor) -> list[tuple[int, str, str]]:
    """(id, code, name) of active customers, by name, for pickers."""
    require(actor, "orders.view")
    t = Customer.__table__
    with db.engine.connect() as conn:
        rows = conn.execute(select(t.c.id, t.c.code, t.c.name).where(t.c.active.is_(True)).order_by(t.c.name)).all()
        conn.rollback()
    return [(r[0], r[1], r[2]) for r in rows]
