"""The one place the application is built and wired: command line first, GUI on demand.

Heavy modules (Qt, openpyxl, pyqtgraph, ortools) are imported only by the commands that use them,
so ``ordercycle db check`` stays fast and the GUI's first paint is not delayed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from pathlib import Path

from app import __version__

log = logging.getLogger("ordercycle")
# app.cli_auth's names, spelled here so that building the parser imports no database layer
USER_ENV, PASSWORD_ENV = "ORDERCYCLE_USER", "ORDERCYCLE_PASSWORD"


def _gui_start(argv: list[str] | None) -> bool:
    """True when the command line names no command (only --db): the GUI starts, and the parser
    need not know the exchange commands, whose module imports SQLAlchemy and the models — the
    sign-in dialog paints before those load."""
    pre = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    pre.add_argument("--db")
    try:
        _known, rest = pre.parse_known_args(sys.argv[1:] if argv is None else argv)
    except (argparse.ArgumentError, SystemExit):  # e.g. --db without a value: the full parser says what is wrong
        return False
    return not rest


def _parser(*, exchange: bool = True) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ordercycle", description="OrderCycle order management.")
    p.add_argument("--version", action="version", version=f"OrderCycle {__version__}")
    p.add_argument("--db", help="database: a file path or a SQLAlchemy URL (postgresql+psycopg://…)")
    sub = p.add_subparsers(dest="command")

    demo = sub.add_parser("demo", help="create a demo company database")
    demo.add_argument("--db", required=True)
    demo.add_argument("--orders", type=int, default=None, help="total orders (history + open)")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--today", default=None, help="build it as of this day (YYYY-MM-DD); default: today")

    db = sub.add_parser("db", help="database administration")
    dbsub = db.add_subparsers(dest="db_command", required=True)
    for name, text in (("check", "quick_check, schema version, money invariants and the audit chain"),
                       ("upgrade", "upgrade the schema (an administrator signs in)")):
        c = dbsub.add_parser(name, help=text)
        c.add_argument("--db", required=True)
        if name == "upgrade":
            c.add_argument("--user", help=f"administrator to sign in as (or {USER_ENV}); password from a prompt "
                                          f"or {PASSWORD_ENV}")
    b = dbsub.add_parser("backup", help="online backup of a SQLite database")
    b.add_argument("--db", required=True)
    b.add_argument("--to", required=True, type=Path)

    r = dbsub.add_parser("restore", help="restore a SQLite database from a backup (online, verified)")
    r.add_argument("--db", required=True)
    r.add_argument("--from", dest="source", required=True, type=Path)
    r.add_argument("--force", action="store_true", help="even while other desks are connected")
    r.add_argument("--user", help=f"administrator to sign in as (or {USER_ENV}); password from a prompt or "
                                  f"{PASSWORD_ENV}")
    st = dbsub.add_parser("share-test", help="is this shared folder safe for several desks? run on two desks at once")
    st.add_argument("--db", required=True)
    st.add_argument("--peer", help="another path to the same folder: run the second desk from here")
    st.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the second desk")
    st.add_argument("--name", help=argparse.SUPPRESS)  # this desk's name in the verdict
    cp = dbsub.add_parser("copy", help="copy a firm's data to an empty database (e.g. SQLite -> PostgreSQL)")
    cp.add_argument("--from", dest="source", required=True)
    cp.add_argument("--to", dest="target", required=True)
    cp.add_argument("--user", help=f"administrator of the source to sign in as (or {USER_ENV})")

    st_ = sub.add_parser("settings", help="list or change the firm settings (changing signs in)")
    st_.add_argument("--db", required=True)
    st_.add_argument("--user", help=f"user to sign in as for 'set' (or {USER_ENV}); password from a prompt or "
                                    f"{PASSWORD_ENV}")
    stsub = st_.add_subparsers(dest="settings_command", required=True)
    stsub.add_parser("list", help="every setting with its value and what it does")
    ss = stsub.add_parser("set", help="change one setting (same checks and audit as the settings window)")
    ss.add_argument("key")
    ss.add_argument("value", help="text, a number, or JSON for settings with several fields")

    nf = sub.add_parser("new-firm", help="create a new firm on a new, empty database (the new-firm wizard's minimum); "
                                         f"the administrator's password from a prompt or {PASSWORD_ENV}")
    nf.add_argument("--db", required=True, help="the database; a file that does not exist yet is created")
    nf.add_argument("--name", required=True, help="the firm's name, as printed on documents")
    nf.add_argument("--country", required=True, help="ISO code (DE, GB, AT…): public holidays, currency, time zone")
    nf.add_argument("--admin", required=True, help="the first administrator's user name")
    nf.add_argument("--full-name", help="the administrator's full name (default: the user name)")
    firm_options: tuple[tuple[str, str | None], ...] = (
        ("--vat", "VAT number, checked for the country"), ("--currency", "ISO code; default: the country's"),
        ("--time-zone", "IANA name (Europe/Berlin); default: the country's"), ("--postcode", None), ("--city", None),
        ("--region", "as printed in the address"), ("--holiday-region", "region code for public holidays (BY, ENG…)"),
        ("--phone", None), ("--email", None), ("--company-number", None), ("--bank", "the bank's name"),
        ("--iban", None), ("--bic", None), ("--logo", "a PNG or JPEG file"),
        ("--tax-rate", "default VAT rate as a fraction, e.g. 0.19"))
    for flag, described in firm_options:
        nf.add_argument(flag, default="", help=described)
    nf.add_argument("--address-line", action="append", default=[], help="an address line (give it once per line)")
    if exchange:  # the series are declared with the models (SQLAlchemy), which the GUI's first paint must not wait for
        from app.models.billing import SERIES

        for series, prefix in SERIES.items():
            flag, what = series.replace("_", "-"), series.replace("_", " ")
            nf.add_argument(f"--{flag}-prefix", help=f"prefix of the {what} numbers (default '{prefix}')")
            nf.add_argument(f"--{flag}-next", help=f"the next {what} number, to continue an old system (default 1)")

    pr = sub.add_parser("print", help="print a document to PDF: quote, confirmation, pick-list, delivery-note, "
                                      "invoice, credit-note, service-report, work-list (NUMBER = STAFFCODE@YYYY-MM-DD)")
    pr.add_argument("--db", required=True)
    pr.add_argument("kind")
    pr.add_argument("number")
    pr.add_argument("--pdf", required=True, type=Path)

    js = sub.add_parser("jobshop", help="solve an OR-Library job-shop instance for minimum makespan")
    js.add_argument("file", type=Path)
    js.add_argument("instance")
    js.add_argument("--seconds", type=float, default=10.0)

    if exchange:
        from app.exchange.cli import add_parsers as exchange_parsers

        exchange_parsers(sub)  # export, import, template (issue 10)
    shots = sub.add_parser("screenshots", help="render the main window and every tab to PNG files")
    shots.add_argument("--db", required=True)
    shots.add_argument("--out", required=True, type=Path)
    return p


def _setup_logging(to_file: bool) -> Path | None:
    root = logging.getLogger()
    if root.handlers:  # configured already (a second command in one process): no second log file opened
        return next((Path(h.baseFilename) for h in root.handlers if isinstance(h, logging.FileHandler)), None)
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    handlers[0].setLevel(logging.WARNING)
    path = None
    if to_file:
        from app.config import log_dir

        try:
            log_dir().mkdir(parents=True, exist_ok=True)
            path = log_dir() / "ordercycle.log"
            fh = logging.FileHandler(path, encoding="utf-8")
            fh.setLevel(logging.INFO)
            handlers.append(fh)
        except OSError:
            path = None
    logging.basicConfig(level=logging.INFO, handlers=handlers,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return path


def _fail(message: str) -> int:
    print(f"ordercycle: {message}", file=sys.stderr)
    return 1


def cmd_demo(args: argparse.Namespace, log_path: Path | None) -> int:
    from app import clock
    from app.errors import UserError
    from app.demo import DEMO_PASSWORD, build_demo_file

    day = None
    if args.today:
        try:
            day = dt.date.fromisoformat(args.today.strip())
        except ValueError:
            return _fail(f"--today '{args.today}' is not a date; use YYYY-MM-DD, e.g. 2026-12-07.")
    try:
        with clock.pinned(day):
            summary = build_demo_file(args.db, orders=args.orders, seed=args.seed)
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - no traceback reaches the user; it goes to the log
        log.exception("the demo company could not be built")
        where = f" Details are in {log_path}." if log_path else ""
        return _fail(f"the demo company could not be built ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); "
                     f"nothing was written.{where}")
    print(f"Demo company written to {args.db}: {summary.products} products, {summary.customers} customers, "
          f"{summary.orders} orders ({summary.open_orders} open), {summary.users} users "
          f"(password '{DEMO_PASSWORD}') in {summary.seconds:.1f} s")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    if args.db_command == "check":
        from app.db.check import check_database

        result = check_database(args.db)
        if result.ok:
            print(f"{result.location}: ok (schema current)")
            if result.share:
                print(f"{result.location}: {result.share}")
            return 0
        for problem in result.problems:
            print(f"{result.location}: {problem}", file=sys.stderr)
        if result.share:
            print(f"{result.location}: {result.share}", file=sys.stderr)
        return 1
    if args.db_command == "share-test":
        return cmd_share_test(args)
    if args.db_command == "upgrade":
        from app.db import migrate
        from app.db.open import open_database

        from app.cli_auth import admin_before_upgrade

        admin_before_upgrade(args.db, args.user)  # on the old schema, before anything changes
        db = open_database(args.db, create=False, allow_wal=True)  # an explicit admin action may leave WAL
        state = migrate.schema_state(db.engine)
        db.dispose()
        print(f"{db.location}: schema {state} ({migrate.head_revision()})")
        return 0
    if args.db_command == "backup":
        from app.db.backup import backup_sqlite
        from app.db.engine import check_sqlite_location, sqlite_path, to_url

        path = sqlite_path(to_url(args.db))
        if path is None:
            return _fail("backups of PostgreSQL are made with pg_dump (see docs/multi-user.md).")
        check_sqlite_location(path, create=False, need_write=False)
        saved = backup_sqlite(path, args.to)
        print(f"Backup written to {saved}")
        return 0
    if args.db_command == "restore":
        from app.db.engine import sqlite_path, to_url
        from app.db.restore import restore_sqlite

        path = sqlite_path(to_url(args.db))
        if path is None:
            return _fail("restore a PostgreSQL database with pg_restore (see docs/multi-user.md).")
        from app.cli_auth import admin_for_restore

        admin_for_restore(path, args.source, args.user)
        outcome = restore_sqlite(path, args.source, force=args.force)
        print(f"Restored {path} from {outcome.restored_from}; the previous state was saved as {outcome.safety_backup}")
        return 0
    if args.db_command == "copy":
        from app.db.copy import copy_database

        def report(fraction: float, text: str) -> None:
            print(f"\r{fraction:6.1%} {text[:60]:<60}", end="", file=sys.stderr, flush=True)

        from app.cli_auth import command_actor
        from app.db.open import open_database

        source = open_database(args.source, create=False)
        try:
            command_actor(source, "db.admin", username=args.user, what="copy the firm's database")
        finally:
            source.dispose()
        copied = copy_database(args.source, args.target, progress=report)
        print(file=sys.stderr)
        print(f"Copied {copied.total_rows:,} rows in {len(copied.tables)} tables in {copied.seconds:.1f} s")
        return 0
    return _fail("unknown db command")


def cmd_settings(args: argparse.Namespace) -> int:
    import json

    from app.db.open import open_database
    from app.services import settings as svc

    db = open_database(args.db, create=False)
    try:
        if args.settings_command == "list":
            current = svc.get_settings(db)
            for key, described in svc.SPECS.items():
                value = getattr(current, key)
                shown = json.dumps(svc._json(value), ensure_ascii=False) if not isinstance(value, str) else value
                print(f"{key} = {shown}    # {described.description}")
            return 0
        spec = svc.SPECS.get(args.key)
        if spec is None:
            return _fail(f"unknown setting '{args.key}'; 'ordercycle settings --db … list' shows them all.")
        from app.cli_auth import command_actor

        actor = command_actor(db, spec.permission, username=args.user, what=f"change {args.key}")
        try:
            value = json.loads(args.value)
        except ValueError:
            value = args.value
        if isinstance(value, (int, float)) and not isinstance(value, bool) and spec.parse is svc._text:
            value = args.value  # a VAT number of digits stays text
        from app.errors import ValidationError

        try:
            svc.set_setting(db, actor, args.key, value)
        except ValidationError as exc:
            return _fail("; ".join(p.reason for p in exc.problems))
        print(f"{args.key} set by {actor.username}.")
        return 0
    finally:
        db.dispose()


def cmd_new_firm(args: argparse.Namespace) -> int:
    """A new firm on a new, empty database: exit 0 with one line; 1 with each problem on a line of its own
    (``field: reason``) and nothing saved (a database file this command created is removed again)."""
    import getpass
    import os

    from app.db.engine import sqlite_path, to_url
    from app.db.open import open_database
    from app.errors import ValidationError
    from app.models.billing import SERIES
    from app.services import firm_setup

    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        if not sys.stdin or not sys.stdin.isatty():
            return _fail(f"no password for {args.admin}: type it at the prompt, or set {PASSWORD_ENV} for scripts.")
        try:
            password = getpass.getpass(f"Password for {args.admin}: ")
            again = getpass.getpass("The same password again: ")
        except (EOFError, KeyboardInterrupt):
            return _fail("no password given; nothing was created.")
        if password != again:
            return _fail("the two passwords differ; nothing was created.")
    numbering = {}
    for series in SERIES:
        prefix, nxt = getattr(args, f"{series}_prefix"), getattr(args, f"{series}_next")
        if prefix is not None or nxt is not None:
            numbering[series] = firm_setup.SeriesStart(prefix, nxt)
    setup = firm_setup.FirmSetup(
        firm_name=args.name, country=args.country, address_lines=tuple(args.address_line), postcode=args.postcode,
        city=args.city, region=args.region, holiday_region=args.holiday_region, phone=args.phone, email=args.email,
        company_number=args.company_number, vat_number=args.vat, bank=args.bank, iban=args.iban, bic=args.bic,
        logo_path=args.logo, currency=args.currency, time_zone=args.time_zone, tax_rate=args.tax_rate or None,
        admin_username=args.admin, admin_full_name=args.full_name or args.admin, admin_password=password,
        numbering=numbering)
    path = sqlite_path(to_url(args.db))
    created = path is not None and not Path(path).exists()
    done = False
    db = open_database(args.db)  # a missing file is created and migrated
    try:
        actor = firm_setup.new_firm(db, setup, workstation="command line")
        done = True
    except ValidationError as exc:
        print("ordercycle: the firm was not created (nothing was saved):", file=sys.stderr)
        for problem in exc.problems:
            print(f"{problem.field or 'firm'}: {problem.reason}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
        if created and not done and path is not None:
            Path(path).unlink(missing_ok=True)  # nothing of a firm that was not created stays behind
    from app.services.settings import get_settings

    db = open_database(args.db, create=False)
    try:
        firm = get_settings(db)
    finally:
        db.dispose()
    print(f"New firm '{firm.firm_name}' ({firm.country}, {firm.currency}, time zone "
          f"{firm.time_zone or 'of each workstation'}) created in {db.location}; administrator {actor.username}.")
    return 0


def cmd_share_test(args: argparse.Namespace) -> int:
    """Exit 0: safe; 3: unsafe (the failed checks are printed); 1: the test could not run."""
    from app.db.sharetest import run_share_test

    shown = [""]

    def report(_fraction: float, text: str) -> None:
        if text.split(" (")[0] != shown[0].split(" (")[0] and not text.startswith("Waiting for the second desk"):
            print(text, file=sys.stderr, flush=True)
        elif text.startswith("Waiting") and not shown[0].startswith("Waiting"):
            print("Waiting for the second desk: start 'ordercycle db share-test --db PATH' (or File → Test this "
                  f"shared folder…) on another workstation within {args.timeout:.0f} s.", file=sys.stderr, flush=True)
        shown[0] = text

    verdict = run_share_test(args.db, peer=args.peer, timeout=args.timeout, progress=report, name=args.name)
    print(f"Share test {verdict.when}: {verdict.desks[0]} and {verdict.desks[1]}")
    for check in verdict.checks:
        print(f"  [{'ok' if check.passed else 'FAILED'}] {check.title}: {check.detail}")
    if verdict.commit_ms is not None:
        print(f"  a save took {verdict.commit_ms:.1f} ms ({verdict.journal_mode} journal)")
    if verdict.safe:
        print("Verdict: SAFE for several desks.")
        return 0
    print("Verdict: UNSAFE. Only the first desk to open the database will save; the others open it read-only.\n"
          "Move the database to a safe share (a Windows file server, or Samba through a proper SMB client),\n"
          "or to PostgreSQL: ordercycle db copy --from DB --to postgresql+psycopg://…")
    return 3


def cmd_print(args: argparse.Namespace) -> int:
    import os

    from sqlalchemy import select

    from app.db.open import open_database
    from app.db.uow import Actor
    from app.models import User
    from app.models.enums import Role
    from app.services import documents

    kinds = documents.kinds()
    if args.kind not in kinds:
        return _fail(f"unknown document kind '{args.kind}'; choose one of: {', '.join(kinds)}")
    db = open_database(args.db, create=False)
    try:
        with db.read() as s:  # the command line acts as the firm's management (it may view everything)
            user = s.execute(select(User).where(User.role == Role.MANAGEMENT, User.active.is_(True))).scalars().first()
        actor = Actor(user.username if user else "print", Role.MANAGEMENT.value, user.full_name if user else "")
        html = kinds[args.kind](db, actor, args.number)
    finally:
        db.dispose()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.printing.render import to_pdf

    _app = QApplication.instance() or QApplication([])
    to_pdf(html, args.pdf, title=f"{args.kind} {args.number}")
    print(f"{args.kind} {args.number} written to {args.pdf}")
    return 0


def cmd_jobshop(args: argparse.Namespace) -> int:
    from app.scheduling.jobshop import load, read_optima, solve

    try:
        shops = load(args.file)
    except (OSError, ValueError) as exc:
        return _fail(f"cannot read {args.file}: {exc}")
    if args.instance not in shops:
        return _fail(f"no instance '{args.instance}' in {args.file} (it has {len(shops)}: "
                     f"{', '.join(list(shops)[:8])}, …)")
    js = shops[args.instance]
    r = solve(js, seconds=args.seconds)
    line = f"{js.name} ({js.jobs} jobs × {js.machines} machines): makespan {r.makespan}"
    line += " (proved optimal)" if r.optimal else f" (lower bound {r.lower_bound})"
    optimum = read_optima(args.file.parent / "optima.tsv").get(js.name)
    if optimum is not None:
        line += f"; known optimum {optimum}, gap {r.makespan / optimum - 1:.2%}"
    print(f"{line}; {r.seconds:.1f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser(exchange=not _gui_start(argv)).parse_args(argv)
    from app.errors import UserError

    log_path = _setup_logging(to_file=args.command in (None, "demo"))
    try:
        if args.command == "demo":
            return cmd_demo(args, log_path)
        if args.command == "db":
            return cmd_db(args)
        if args.command == "settings":
            return cmd_settings(args)
        if args.command == "new-firm":
            return cmd_new_firm(args)
        if args.command == "print":
            return cmd_print(args)
        if args.command in ("export", "import", "template"):
            from app.exchange.cli import run as exchange_run

            return exchange_run(args)
        if args.command == "jobshop":
            return cmd_jobshop(args)
        if args.command == "screenshots":
            from app.screenshots import render_screenshots

            files = render_screenshots(args.db, args.out)
            print("\n".join(str(f) for f in files))
            return 0
        from app.views.app import run_gui

        return run_gui(args.db, log_path=log_path)
    except UserError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
