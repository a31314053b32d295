"""``ordercycle db check``: is this database sound and at the current schema, do its money
invariants hold (see docs/multi-user.md, *Money invariants*), and is its audit log intact — the
hash chain unbroken and every protected row as last audited (app/db/audit_chain.py)?"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, or_, select
from sqlalchemy.exc import DBAPIError

from app.db import migrate
from app.db.backup import quick_check
from app.db.engine import check_sqlite_location, make_engine, sqlite_path, to_url
from app.errors import DatabaseError


@dataclass
class CheckResult:
    location: str
    problems: list[str] = field(default_factory=list)
    schema: str = "unknown"
    share: str = ""  # the share test's verdict (SQLite files only)
    audit: str = ""  # the audit chain's verdict in one line (app/db/audit_chain.py)
    chain_head: str = ""  # the last audit row's hash: written down elsewhere, it makes a rebuilt chain visible

    @property
    def ok(self) -> bool:
        return not self.problems


def check_database(db: str) -> CheckResult:
    url = to_url(db)
    path = sqlite_path(url)
    result = CheckResult(location=str(path) if path else url.render_as_string(hide_password=True))
    if path is not None:
        if not path.exists():
            result.problems.append(f"There is no database at {path}.")
            return result
        from app.db.sharetest import verdict_text

        result.share = verdict_text(path)
        try:
            check_sqlite_location(path, create=False)
        except DatabaseError as exc:
            result.problems.append(str(exc))
            if "read-only" not in exc.message:
                return result
        damage = quick_check(path)
        if damage:
            result.problems.append(
                "The database file is damaged (quick_check: " + "; ".join(damage[:3]) + "). "
                "Restore the latest backup."
            )
            return result
    engine = make_engine(url)
    try:
        state = migrate.schema_state(engine)
        if state == "current":
            with engine.connect() as conn:
                if conn.dialect.name == "postgresql":  # one snapshot: saves committed meanwhile are not half seen
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                try:
                    result.problems += money_problems(conn)
                except (TypeError, ValueError, ArithmeticError) as exc:  # text where an amount belongs
                    result.problems.append(f"Money: an amount in the invoices, payments, credit notes or refunds "
                                           f"is not a number ({type(exc).__name__}): the file was changed outside "
                                           "OrderCycle. Restore the latest backup.")
                result.problems += audit_problems(conn, result)
                conn.rollback()
    except DBAPIError as exc:
        result.problems.append(f"The database cannot be read: {str(exc.orig).splitlines()[0]}")
        return result
    finally:
        engine.dispose()
    result.schema = state
    if state == "older":
        result.problems.append("The schema is older than this OrderCycle: run 'ordercycle db upgrade'.")
    elif state == "newer":
        result.problems.append("The database was written by a newer OrderCycle; install that version here.")
    elif state == "foreign":
        result.problems.append("This is not an OrderCycle database (unknown tables, no schema version).")
    elif state == "empty":
        result.problems.append("The database is empty (no OrderCycle schema yet).")
    return result


# --- the audit chain --------------------------------------------------------------------------------------
def audit_problems(conn: Connection, result: CheckResult | None = None) -> list[str]:
    """The first break of the audit log's hash chain (an audit row changed, deleted or written
    outside OrderCycle), and the first invoice, payment, credit note, refund or user whose money
    or security fields differ from the state last recorded on the chain."""
    from app.db import audit_chain

    verdict = audit_chain.verify(conn)
    if result is not None:
        result.audit, result.chain_head = verdict.summary(), verdict.head
    return verdict.problems()


# --- money invariants -----------------------------------------------------------------------------
CENT = Decimal("0.01")
TOLERANCE = 0.005  # SQLite keeps amounts as binary floats: compare in SQL with half a cent to spare
# Series whose every number stays on its row: gap-free from where the series started (1, or the
# number a firm continuing an old system's numbering started at), unique, and the counter at the next
# one. Orders are not among them (a quote takes an order number when confirmed; imported orders keep
# the numbers of the system they came from); their numbers are unique by constraint.
SERIES = (("invoice", "invoice", "Invoice"), ("credit_note", "credit note", "CreditNote"),
          ("shipment", "shipment", "Shipment"), ("pick_list", "pick list", "PickList"),
          ("rma", "claim", "ReturnAuthorization"), ("service_job", "service job", "ServiceJob"))


def _cents(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def _amount(value: Decimal) -> str:
    return f"{value:,.2f}"


def money_problems(conn: Connection) -> list[str]:
    """The first break of each money rule, naming the row: per invoice credited ≤ invoiced, paid
    equal to its payments, paid + credited − invoiced (when positive) exactly what is recorded as
    refunds; every document series gap-free from where it started, unique, with its counter at the
    next number."""
    return _invoice_problems(conn) + _series_problems(conn)


def _invoice_problems(conn: Connection) -> list[str]:
    from app.models import CreditNote, Invoice, Payment, Refund

    cr = (select(CreditNote.invoice_id.label("iid"), func.sum(CreditNote.net + CreditNote.tax).label("amount"))
          .group_by(CreditNote.invoice_id).subquery())
    rf = (select(CreditNote.invoice_id.label("iid"), func.sum(Refund.amount).label("amount"))
          .join(CreditNote, CreditNote.id == Refund.credit_note_id).group_by(CreditNote.invoice_id).subquery())
    pm = (select(Payment.invoice_id.label("iid"), func.sum(Payment.amount).label("amount"))
          .group_by(Payment.invoice_id).subquery())
    gross = Invoice.net + Invoice.tax
    credited, refunded, payments = (func.coalesce(q.c.amount, 0) for q in (cr, rf, pm))
    surplus = Invoice.paid + credited - gross
    rows = conn.execute(
        select(Invoice.id, Invoice.number, Invoice.net, Invoice.tax, Invoice.paid, credited, refunded, payments)
        .outerjoin(cr, cr.c.iid == Invoice.id).outerjoin(rf, rf.c.iid == Invoice.id)
        .outerjoin(pm, pm.c.iid == Invoice.id)
        .where(or_(credited > gross + TOLERANCE, func.abs(Invoice.paid - payments) > TOLERANCE,
                   surplus > refunded + TOLERANCE, (refunded > TOLERANCE) & (refunded > surplus + TOLERANCE)))
        .order_by(Invoice.number))
    found: dict[str, list[str]] = {}
    for iid, number, net, tax, paid, c, r, p in rows:
        g, paid, c, r, p = _cents(net) + _cents(tax), _cents(paid), _cents(c), _cents(r), _cents(p)
        over = paid + c - g
        where = f"invoice {number} (id {iid})"
        if c > g:
            found.setdefault("credited", []).append(
                f"{where}: credited {_amount(c)} is more than invoiced {_amount(g)}")
        if paid != p:
            found.setdefault("payments", []).append(
                f"{where}: paid {_amount(paid)} but its payments add up to {_amount(p)}")
        if over > r:
            found.setdefault("surplus", []).append(
                f"{where}: paid {_amount(paid)} and credited {_amount(c)} are {_amount(over)} more than invoiced "
                f"{_amount(g)}, but {_amount(r)} is recorded as refunds due")
        elif r > max(over, Decimal(0)):
            found.setdefault("refunds", []).append(
                f"{where}: refunds of {_amount(r)} are more than the {_amount(max(over, Decimal(0)))} paid beyond "
                "what was owed")
    return [f"Money: {breaks[0]}" + (f" (and {len(breaks) - 1} more invoice(s) like it)" if len(breaks) > 1 else "")
            for breaks in found.values()]


def _series_problems(conn: Connection) -> list[str]:
    from app import models
    from app.models import NumberSequence

    out: list[str] = []
    counters = dict(conn.execute(select(NumberSequence.name, NumberSequence.next_value)).all())
    starts = dict(conn.execute(select(NumberSequence.name, NumberSequence.start_value)).all())
    for name, label, model in SERIES:
        cls = getattr(models, model)
        table = cls.__tablename__
        by_number: dict[int, int] = {}
        problem = None
        for row in conn.execute(select(cls.id, cls.number).order_by(cls.id)):
            ident, raw = row[0], row[1]  # (a class found by name: unpacking the row would type them as object)
            m = re.fullmatch(r"\D*(\d+)", str(raw).strip())
            if m is None:
                problem = f"{table} id {ident}: '{raw}' is not a {label} number"
                break
            n = int(m.group(1))
            if n in by_number:
                problem = f"{label} number {raw} is used twice ({table} ids {by_number[n]} and {ident})"
                break
            by_number[n] = ident
        start = int(starts.get(name) or 1)
        if problem is None and by_number and min(by_number) < start:
            low = min(by_number)
            problem = (f"{label} number {low} ({table} id {by_number[low]}) is below {start}, where the series "
                       "started")
        if problem is None and by_number:
            top = max(by_number)
            missing = next((n for n in range(start, top + 1) if n not in by_number), None)
            if missing is not None:
                after = next(n for n in range(missing + 1, top + 1) if n in by_number)
                problem = (f"{label} numbers are not gap-free: {missing} is missing "
                           f"(the next is {after}, {table} id {by_number[after]})")
        if problem is None:
            top = max(by_number, default=start - 1)
            counter = counters.get(name)
            if counter is None and top:
                problem = f"the {label} counter is missing, yet {label} numbers go up to {top}"
            elif counter is not None and counter != top + 1:
                problem = (f"the {label} counter stands at {counter}, but the highest {label} number is {top} "
                           + ("(the next would repeat one)" if counter <= top else "(the next would leave a gap)"))
        if problem is not None:
            out.append(f"Numbers: {problem}")
    return out
