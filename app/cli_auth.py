"""Commands act as a signed-in user: the command line is a door like the sign-in window.

A command that writes (``import``, ``db restore``, ``db upgrade``, ``db copy``, ``settings set``)
signs in first, through the same ``auth.sign_in`` as the window (the same throttling, lock and
audit), and then needs the role the action needs. The user name comes from ``--user`` or
``ORDERCYCLE_USER``, the password from ``ORDERCYCLE_PASSWORD`` (for scripts) or a prompt on the
terminal; neither is ever taken from the command line itself, where other users could read it.
An empty, new database (no users yet) is the only exception: there is nobody to sign in as.
"""

from __future__ import annotations

import getpass
import os
import sys

from app.db.uow import Actor, Database
from app.errors import UserError
from app.services import auth
from app.services.permissions import MATRIX, allowed

USER_ENV, PASSWORD_ENV = "ORDERCYCLE_USER", "ORDERCYCLE_PASSWORD"
NOBODY_YET = Actor("setup", "admin", "First set-up (no users yet)", workstation="command line")


def _ask(prompt: str, *, secret: bool) -> str | None:
    if not sys.stdin or not sys.stdin.isatty():
        return None
    try:
        return getpass.getpass(prompt) if secret else input(prompt)
    except (EOFError, KeyboardInterrupt):
        return None


def command_actor(db: Database, permission: str, *, username: str | None = None, what: str = "this") -> Actor:
    """The user this command acts as, signed in, with ``permission``; UserError (one plain line)
    otherwise. On a database without users the set-up actor is returned."""
    if auth.needs_first_admin(db):
        return NOBODY_YET
    name = (username or os.environ.get(USER_ENV, "")).strip() or (_ask("User name: ", secret=False) or "").strip()
    if not name:
        raise UserError(f"Sign in to {what}: give --user NAME (or set {USER_ENV}) and the password "
                        f"(a prompt on a terminal, or {PASSWORD_ENV} for scripts).")
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = _ask(f"Password for {name}: ", secret=True)
    if password is None:
        raise UserError(f"Sign in to {what}: no password for {name} (type it at the prompt, or set "
                        f"{PASSWORD_ENV} for scripts).")
    actor = auth.sign_in(db, name, password, workstation="command line")
    if not allowed(actor.role, permission):
        who = ", ".join(sorted(r.value for r in MATRIX[permission][1]))
        raise UserError(f"{actor.username} ({actor.role}) may not {what}; it needs one of: {who}.")
    return actor


def admin_for_restore(db_path: os.PathLike[str] | str, backup_file: os.PathLike[str] | str,
                      username: str | None) -> Actor:
    """An administrator signs in before a restore: on the database being replaced, or — when that
    cannot be opened (damaged, say) — on a scratch copy of the backup (the backup is not touched)."""
    import shutil
    import tempfile
    from pathlib import Path

    from app.db.open import open_database
    from app.errors import DatabaseError

    try:
        db = open_database(db_path, create=False)
    except DatabaseError:
        db = None
    if db is not None:
        try:
            return command_actor(db, "db.admin", username=username, what="restore the database")
        finally:
            db.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp) / "backup.db"
        shutil.copyfile(backup_file, scratch)
        db = open_database(scratch, create=False)
        try:
            return command_actor(db, "db.admin", username=username,
                                 what="restore the database (an administrator of the backup)")
        finally:
            db.dispose()


def admin_before_upgrade(location: str, username: str | None) -> None:
    """An administrator's password, checked on the schema as it is (it may be older than this
    version's models, so only the user's name, role, state and password hash are read; the
    sign-in window's throttling applies once the database is upgraded)."""
    from sqlalchemy import MetaData, Table, select

    from pathlib import Path

    from app.db.engine import make_engine, sqlite_path, to_url
    from app.db.migrate import is_empty

    path = sqlite_path(to_url(location))
    if path is not None and not Path(path).is_file():
        return  # nothing to upgrade: opening it says so
    engine = make_engine(location)
    try:
        if is_empty(engine):
            return
        users = Table("app_user", MetaData(), autoload_with=engine)
        with engine.connect() as conn:
            if not conn.execute(select(users.c.username).limit(1)).first():
                return  # a new database: nobody to sign in as yet
        name = (username or os.environ.get(USER_ENV, "")).strip() or (_ask("User name: ", secret=False) or "")
        name = name.strip()
        if not name:
            raise UserError(f"Sign in to upgrade the database: give --user NAME (or set {USER_ENV}) and the password.")
        with engine.connect() as conn:
            row = conn.execute(select(users.c.password_hash, users.c.role, users.c.active)
                               .where(users.c.username == name)).first()
        password = os.environ.get(PASSWORD_ENV)
        if password is None:
            password = _ask(f"Password for {name}: ", secret=True)
        ok = row is not None and password is not None and auth.verify_password(password, row.password_hash)
        if row is None or not ok or not row.active:
            raise UserError("The user name or password is not right (or the account is disabled); nothing was changed.")
        if str(getattr(row.role, "value", row.role)) != "admin":
            raise UserError(f"{name} ({row.role}) may not upgrade the database; an administrator must.")
    finally:
        engine.dispose()
