"""``ordercycle export`` and ``ordercycle import`` (wired into app/main.py).

``import`` writes (its dry run reads what the user could write), so it signs in like every
writing command (``app.cli_auth.command_actor``: ``--user`` or ORDERCYCLE_USER, the password from
ORDERCYCLE_PASSWORD or a prompt, throttled and audited as the sign-in window; an empty new
database needs nobody). ``export`` and ``template`` only read: they act as the named user, who
must exist, be active and have the role, or else as the first active user allowed to."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import select

from app.db.uow import Actor, Database
from app.errors import UserError
from app.models import User
from app.services.permissions import allowed


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from app.exchange.kinds import IMPORT_KINDS, KINDS

    ex = sub.add_parser("export", help=f"export a kind of data to .xlsx: {', '.join(KINDS)}")
    ex.add_argument("--db", required=True)
    ex.add_argument("--kind", required=True, choices=list(KINDS))
    ex.add_argument("--user", help="act as this user (default: an active user allowed to export it)")
    ex.add_argument("file", type=Path)
    im = sub.add_parser("import", help=f"import .xlsx data: {', '.join(k.name for k in IMPORT_KINDS)}")
    im.add_argument("--db", required=True)
    im.add_argument("--kind", required=True, choices=[k.name for k in IMPORT_KINDS])
    im.add_argument("--sheet", help="the sheet to read (default: the first)")
    im.add_argument("--dry-run", action="store_true", help="check only; write nothing")
    im.add_argument("--report", type=Path, help="save a copy of the workbook with the problems marked")
    im.add_argument("--user", help="sign in as this user (or ORDERCYCLE_USER); the password comes from "
                                   "ORDERCYCLE_PASSWORD or a prompt")
    im.add_argument("file", type=Path)
    tp = sub.add_parser("template", help="write the import template of a kind")
    tp.add_argument("--db", required=True)
    tp.add_argument("--kind", required=True, choices=[k.name for k in IMPORT_KINDS])
    tp.add_argument("--user", help="act as this user (default: an active user allowed to import it)")
    tp.add_argument("file", type=Path)


def _actor(db: Database, permission: str, username: str | None) -> Actor:
    with db.read() as s:
        users = s.execute(select(User).where(User.active.is_(True)).order_by(User.id)).scalars().all()
    if username:
        u = next((u for u in users if u.username == username), None)
        if u is None:
            raise UserError(f"There is no active user '{username}'.")
        if not allowed(u.role, permission):
            raise UserError(f"{username} ({u.role.value}) may not do this.")
    else:
        u = next((u for u in users if allowed(u.role, permission)), None)
        if u is None:
            raise UserError("No active user may do this; name one with --user.")
    return Actor(u.username, u.role.value, u.full_name, u.id, workstation="command line")


def run(args: argparse.Namespace) -> int:
    from app.db.open import open_database
    from app.exchange import api, importer
    from app.exchange.kinds import kind

    db = open_database(args.db, create=False)
    try:
        k = kind(args.kind)
        if args.command == "export":
            n = api.export_kind(db, _actor(db, k.export_permission, args.user), k.name, args.file)
            print(f"{n:,} rows of {k.title.lower()} written to {args.file}")
            return 0
        if args.command == "template":
            api.template(db, _actor(db, k.import_permission or k.export_permission, args.user), k.name, args.file)
            print(f"template for {k.title.lower()} written to {args.file}")
            return 0
        from app.cli_auth import command_actor

        actor = command_actor(db, k.permission_to_import(), username=args.user,
                              what=f"import {k.title.lower()}")
        plan = importer.dry_run(db, actor, k.name, args.file, sheet=args.sheet)
        if plan.problems:
            for p in plan.problems:
                print(str(p), file=sys.stderr)
            print(plan.summary(), file=sys.stderr)
            if args.report:
                importer.write_report(plan, args.report)
                print(f"the problems are marked in {args.report}", file=sys.stderr)
            return 1
        if args.dry_run:
            print(f"dry run: {plan.summary()} Nothing was written.")
            return 0
        importer.run_import(db, actor, plan)
        print(f"imported: {plan.summary()}")
        return 0
    finally:
        db.dispose()
