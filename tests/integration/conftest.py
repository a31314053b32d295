"""Fixtures shared by the integration tests of the stage services."""

from __future__ import annotations


import pytest
from sqlalchemy import select

from app.db.uow import Actor
from app.models import User
from app.demo import build_demo



@pytest.fixture
def demo(db):
    """The demo company in the test database, and ``actor(username)`` for its people."""
    build_demo(db)
    with db.read() as s:
        users = {u.username: u for u in s.scalars(select(User))}

    def actor(name: str) -> Actor:
        u = users[name]
        return Actor(u.username, u.role.value, u.full_name, u.id, workstation=f"desk-{name}")

    return db, actor
