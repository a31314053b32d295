"""Schema versions: create, upgrade (after a backup), refuse a database from a newer OrderCycle."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, inspect, select

from alembic import command
from app.errors import DatabaseTooNew

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"migrations must have one head, found {heads}"
    return heads[0]


def known_revisions() -> set[str]:
    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        rev = MigrationContext.configure(conn).get_current_revision()
        conn.rollback()
    return rev


def is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        conn.rollback()
    return not names


def schema_state(engine: Engine) -> str:
    """'empty', 'current', 'older' or 'newer'; 'foreign' for a database that is not OrderCycle's."""
    rev = current_revision(engine)
    if rev is None:
        return "empty" if is_empty(engine) else "foreign"
    if rev == head_revision():
        return "current"
    if rev in known_revisions():
        return "older"
    return "newer"


def refuse_newer(engine: Engine) -> None:
    raise DatabaseTooNew(
        "This database was written by a newer version of OrderCycle.",
        hint="Install the newer OrderCycle on this workstation (ask your administrator). "
        "The database was not changed.",
    )


def upgrade(engine: Engine) -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        _seed_rows(conn)


def _seed_rows(conn) -> None:  # type: ignore[no-untyped-def]
    """Rows every database needs (the change counter, document number sequences)."""
    from app.models import ChangeCounter, NumberSequence

    if conn.execute(select(ChangeCounter.id)).first() is None:
        conn.execute(insert(ChangeCounter).values(id=1, value=0))
    have = set(conn.execute(select(NumberSequence.name)).scalars())
    wanted = {"order": "SO-", "quote": "Q-", "invoice": "", "credit_note": "", "shipment": "SH-",
              "pick_list": "PL-", "rma": "RMA-", "service_job": "SJ-"}
    rows = [{"name": k, "prefix": p, "next_value": 1} for k, p in wanted.items() if k not in have]
    if rows:
        conn.execute(insert(NumberSequence), rows)
