"""The test suite's one date, and the one way to act as a demo person.

``TODAY`` is the day the whole suite runs as: ``ORDERCYCLE_TEST_TODAY=YYYY-MM-DD`` pins it (CI runs
the suite on several dates: a December Saturday, a leap day, a DST change day), otherwise it is the
real date. ``tests/conftest.py`` pins the one clock (``app.clock``) to it for every test, so
services, views, documents and child processes all agree; tests never pass dates to services.
``ORDERCYCLE_TEST_ZONE`` sets the firm time zone the suite runs in (default: the workstation's).
"""

from __future__ import annotations

import datetime as dt
import os

from typing import TYPE_CHECKING

from app import clock

if TYPE_CHECKING:
    from app.actor import Actor
    from app.desk import Database


def _suite_today() -> dt.date:
    text = os.environ.get("ORDERCYCLE_TEST_TODAY", "").strip()
    if text:
        return dt.date.fromisoformat(text)
    return clock.today()


ZONE = os.environ.get("ORDERCYCLE_TEST_ZONE", "").strip()
if ZONE:
    clock.set_zone(ZONE)
TODAY: dt.date = _suite_today()


def actor_for(db: Database, username: str, *, workstation: str | None = None) -> Actor:
    """The demo user ``username`` (their role, name and id as stored) signed in at a desk of
    their own (``desk-<username>`` unless ``workstation`` is given)."""
    from sqlalchemy import select

    from app.actor import Actor
    from app.models import User

    with db.read() as s:
        u = s.execute(select(User).where(User.username == username)).scalar_one()
    return Actor(u.username, u.role.value, u.full_name, u.id, workstation=workstation or f"desk-{username}")
