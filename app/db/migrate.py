"""Schema versions: create, upgrade (after a backup), refuse a database from a newer OrderCycle."""

from __future__ import annotations

import logging
from pathlib import Path

from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, insert, inspect, select, text

from app.errors import DatabaseTooNew

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
# The newest migration. Opening a current database needs no Alembic at all (importing it costs
# ~0.3 s of start-up); a test keeps this equal to the migration scripts' head.
HEAD = "0010"


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"migrations must have one head, found {heads}"
    return heads[0]


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            conn.rollback()
            return None
        revs = [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
        conn.rollback()
    return revs[0] if len(revs) == 1 else (None if not revs else ",".join(sorted(revs)))


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
    if rev == HEAD:
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
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        _seed_rows(conn)


def _seed_rows(conn: Connection) -> None:
    """Rows every database needs (the change counter, document number sequences)."""
    from app.models import ChangeCounter, NumberSequence
    from app.models.billing import SERIES

    if conn.execute(select(ChangeCounter.id)).first() is None:
        conn.execute(insert(ChangeCounter).values(id=1, value=0))
    have = set(conn.execute(select(NumberSequence.name)).scalars())
    rows = [{"name": k, "prefix": p, "next_value": 1} for k, p in SERIES.items() if k not in have]
    if rows:
        conn.execute(insert(NumberSequence), rows)
