"""Money invariants under any interleaving (issue 18), on SQLite and PostgreSQL.

Six desks (processes, each with its own connections) wait at a barrier before every round and
then act on the same invoice at once: payments in full of what they saw outstanding, part
payments, credit notes, refunds paid, invoicing the same order, a claim refunded without return.
Afterwards, per invoice: credited ≤ invoiced; paid = its payments; paid + credited − invoiced,
when positive, is exactly what was queued as refunds; the status follows the amounts; invoice and
credit note numbers are gap-free and unique; and ``ordercycle db check`` agrees.

The test's own power is tested: with the invoice lock replaced by a plain read, PostgreSQL must
break the invariants (SQLite's ``BEGIN IMMEDIATE`` still serialises every writer, so it holds).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import sqlite3
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db.check import check_database
from app.db.open import open_database
from app.db.uow import Actor
from app.errors import UserError, ValidationError
from app.main import main
from app.models import (
    CreditNote,
    Invoice,
    InvoiceLine,
    NumberSequence,
    Payment,
    Refund,
    SalesOrderLine,
)
from app.models.enums import InvoiceStatus
from app.services import billing
from app.demo import build_demo
from tests.integration import money_worker

FORK = multiprocessing.get_context("fork" if hasattr(os, "fork") else None)
DESKS = 6
DEADLINE = 120.0  # seconds for all desks together; a wedged desk fails the test instead of hanging it
ZERO = Decimal(0)
FIN = Actor("finance", "finance", "Finance")


def _targets(db_url: str) -> dict:
    """The demo company, and what the desks will fight over."""
    db = open_database(db_url)
    try:
        build_demo(db)
        with db.read() as s:
            open_ids = list(s.scalars(select(Invoice.id).where(Invoice.status == InvoiceStatus.ISSUED)
                                      .order_by(Invoice.number)))
            paid_ids = list(s.scalars(select(Invoice.id).where(Invoice.status == InvoiceStatus.PAID)
                                      .order_by(Invoice.number.desc()).limit(2)))
            claimable = {}
            for iid in open_ids + paid_ids:
                row = s.execute(select(Invoice.customer_id, InvoiceLine.order_line_id)
                                .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
                                .join(SalesOrderLine, SalesOrderLine.id == InvoiceLine.order_line_id)
                                .where(Invoice.id == iid, SalesOrderLine.qty_shipped > 0)
                                .order_by(InvoiceLine.id)).first()
                if row is not None:
                    claimable[iid] = tuple(row)
            start = {name: s.scalar(select(NumberSequence.next_value).where(NumberSequence.name == name))
                     for name in ("invoice", "credit_note")}
        orders = [r.order_id for r in billing.to_invoice(db, FIN)]
    finally:
        db.dispose()
    assert len(open_ids) >= 6 and len(paid_ids) == 2 and orders and open_ids[0] in claimable, \
        "the demo changed: pick other targets"
    return {"open": open_ids, "paid": paid_ids, "claimable": claimable, "orders": orders, "start": start}


def _random_plan(t: dict, rounds: int = 24, seed: int = 18) -> list[list[tuple]]:
    """Per desk, one operation per round; in each round every desk works on the same invoice
    (four unpaid, two paid: each is hit four times) or invoices the same order."""
    rng = random.Random(seed)
    invoices = t["open"][:4] + t["paid"]
    plans: list[list[tuple]] = [[] for _ in range(DESKS)]
    for k in range(rounds):
        iid, oid = invoices[k % len(invoices)], t["orders"][k % len(t["orders"])]
        for d in range(DESKS):
            kind = rng.choices(("credit", "pay_full", "pay_part", "refund", "invoice", "claim"),
                               (30, 25, 12, 13, 10, 10))[0]
            if kind == "claim" and iid not in t["claimable"]:
                kind = "credit"
            # so that every kind of operation surely succeeds at least once, whatever the timing:
            # the first round has no credit note before its claim, a paid invoice's first round
            # queues refunds (credits) and its second pays one
            first_on_paid = iid in t["paid"] and k < len(invoices)
            if k == 0:
                kind = "claim" if d == 0 else "pay_full" if kind in ("credit", "claim") else kind
            elif first_on_paid and kind == "refund" or iid in t["paid"] and d == 0:
                kind = "credit" if first_on_paid else "refund"
            if kind == "claim" and iid not in t["claimable"]:
                kind = "credit"
            plans[d].append(
                ("credit", iid, Decimal(rng.choice(("0.2", "0.35", "0.6", "0.7")))) if kind == "credit" else
                ("pay_part", iid, Decimal(rng.choice(("0.1", "0.25", "0.5")))) if kind == "pay_part" else
                ("invoice", oid) if kind == "invoice" else
                ("claim", iid, *t["claimable"][iid]) if kind == "claim" else
                (kind, iid))
    return plans


def _race_plan(t: dict, rounds: int = 6) -> list[list[tuple]]:
    """The attacker's mix: on a fresh unpaid invoice each round, three desks credit 60 % and three
    pay in full what they see outstanding, released together."""
    return [[("credit", iid, Decimal("0.6")) if d < 3 else ("pay_full", iid) for iid in t["open"][:rounds]]
            for d in range(DESKS)]


def _run_desks(db_url: str, plans: list[list[tuple]], *, unlocked: bool = False) -> tuple[list[dict], float]:
    barrier = FORK.Barrier(DESKS)
    procs, pipes = [], []
    started = time.monotonic()
    try:
        for d, plan in enumerate(plans):
            reader, writer = FORK.Pipe(duplex=False)
            p = FORK.Process(target=money_worker.desk, daemon=True,
                             args=(db_url, d, plan, barrier, writer, unlocked))
            p.start()
            writer.close()
            procs.append(p)
            pipes.append(reader)
        deadline = started + DEADLINE
        reports = []
        for reader in pipes:
            assert reader.poll(max(0.0, deadline - time.monotonic())), "a desk did not finish in time"
            reports.append(reader.recv())
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
            p.join(10)
    fatal = [r["fatal"] for r in reports if r["fatal"]]
    assert not fatal, fatal[0]
    return reports, time.monotonic() - started


def _expected_status(paid: Decimal, credited: Decimal, gross: Decimal) -> str:
    if paid + credited >= gross:
        return "paid" if paid > 0 else "credited"
    return "partially_paid" if paid > 0 else "issued"


def invariant_breaks(db_url: str, reports: list[dict], start: dict) -> list[str]:
    """Every money invariant over the whole database, computed here independently of db check."""
    breaks: list[str] = []
    db = open_database(db_url)
    try:
        with db.read() as s:
            credited = dict(s.execute(select(CreditNote.invoice_id, func.sum(CreditNote.net + CreditNote.tax))
                                      .group_by(CreditNote.invoice_id)).all())
            refunded = dict(s.execute(select(CreditNote.invoice_id, func.sum(Refund.amount))
                                      .join(CreditNote, CreditNote.id == Refund.credit_note_id)
                                      .group_by(CreditNote.invoice_id)).all())
            payments = dict(s.execute(select(Payment.invoice_id, func.sum(Payment.amount))
                                      .group_by(Payment.invoice_id)).all())
            for inv in s.scalars(select(Invoice).order_by(Invoice.number)):
                gross, paid = inv.net + inv.tax, inv.paid
                c = Decimal(credited.get(inv.id, 0)).quantize(Decimal("0.01"))
                r = Decimal(refunded.get(inv.id, 0)).quantize(Decimal("0.01"))
                p = Decimal(payments.get(inv.id, 0)).quantize(Decimal("0.01"))
                where = f"invoice {inv.number}"
                if c > gross:
                    breaks.append(f"{where}: credited {c} on {gross} invoiced")
                if p != paid:
                    breaks.append(f"{where}: paid {paid}, payments {p}")
                if r != max(ZERO, paid + c - gross):
                    breaks.append(f"{where}: paid {paid} + credited {c} − {gross} invoiced, refunds {r}")
                if gross > 0 and inv.status.value != _expected_status(paid, c, gross):
                    breaks.append(f"{where}: {inv.status.value} with paid {paid}, credited {c} of {gross}")
            for name, model in (("invoice", Invoice), ("credit_note", CreditNote)):
                numbers = sorted(s.scalars(select(model.number)))
                if numbers != list(range(1, len(numbers) + 1)):
                    breaks.append(f"{name} numbers not 1..{len(numbers)}: {numbers[-5:]}")
                counter = s.scalar(select(NumberSequence.next_value).where(NumberSequence.name == name))
                if counter != len(numbers) + 1:
                    breaks.append(f"{name} counter {counter} after {len(numbers)} numbers")
            over = s.scalar(select(func.count()).select_from(SalesOrderLine)
                            .where(SalesOrderLine.qty_invoiced > SalesOrderLine.qty_shipped))
            if over:
                breaks.append(f"{over} order line(s) invoiced beyond what shipped")
            issued = sorted(n for r in reports for n in r["invoices"])
            if issued != list(range(start["invoice"], start["invoice"] + len(issued))):
                breaks.append(f"invoice numbers handed to the desks: {issued}")
            notes = [n for r in reports for n in r["credit_notes"]]
            if len(set(notes)) != len(notes) or any(n < start["credit_note"] for n in notes):
                breaks.append(f"credit note numbers handed to the desks: {sorted(notes)}")
    finally:
        db.dispose()
    return breaks


def _tally(reports: list[dict], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in reports:
        for kind, n in r[key].items():
            out[kind] = out.get(kind, 0) + n
    return out


@pytest.mark.slow
def test_six_desks_at_once_keep_every_money_invariant(db_url: str, backend: str) -> None:
    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    t = _targets(db_url)
    plans = _random_plan(t)
    reports, seconds = _run_desks(db_url, plans)
    done, refused = _tally(reports, "done"), _tally(reports, "refused")
    breaks = invariant_breaks(db_url, reports, t["start"])
    print(f"\n{backend}: {DESKS} desks × {len(plans[0])} rounds in {seconds:.1f} s; done {done}; refused {refused}; "
          f"{len(breaks)} break(s)")
    assert breaks == []
    result = check_database(db_url)
    assert result.problems == []
    # the run did what it is for: money moved both ways, and desks were refused what another took first
    assert done.get("credit", 0) and done.get("pay_full", 0) and done.get("invoice", 0)
    assert done.get("refund", 0) and done.get("claim", 0)
    assert sum(refused.values()) > 0
    assert len({n for r in reports for n in r["invoices"]}) == done["invoice"]


@pytest.mark.slow
def test_the_test_catches_a_missing_invoice_lock(db_url: str, backend: str) -> None:
    """The power of the test above: three desks credit 60 % and three pay in full, released
    together, with ``billing.lock_invoice`` a plain read. PostgreSQL then over-credits or keeps
    money paid beyond the invoice with no refund queued; SQLite still serialises every writer
    (``BEGIN IMMEDIATE``) and holds."""
    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    t = _targets(db_url)
    reports, seconds = _run_desks(db_url, _race_plan(t), unlocked=True)
    breaks = invariant_breaks(db_url, reports, t["start"])
    print(f"\n{backend} without the lock: {len(breaks)} break(s) in {seconds:.1f} s: {breaks}")
    if backend == "sqlite":
        assert breaks == []
        return
    assert breaks, "six desks without the lock broke nothing: the concurrency test has lost its power"
    assert check_database(db_url).problems, "db check did not see the broken invoices"


def test_the_race_plan_with_the_lock_holds(db_url: str, backend: str) -> None:
    """The attacker's mix with the lock in place: every invariant holds and no more than the
    invoice is ever credited or paid."""
    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    t = _targets(db_url)
    reports, _seconds = _run_desks(db_url, _race_plan(t))
    assert invariant_breaks(db_url, reports, t["start"]) == []
    assert check_database(db_url).problems == []


# --- db check on a damaged file ----------------------------------------------------------------
def test_db_check_names_the_invoice_whose_money_does_not_add_up(tmp_path, capsys) -> None:
    path = tmp_path / "firm.db"
    db = open_database(path)
    build_demo(db)
    db.dispose()
    assert main(["db", "check", "--db", str(path)]) == 0
    capsys.readouterr()

    def corrupted(sql: str) -> str:
        copy = tmp_path / "copy.db"
        shutil.copyfile(path, copy)
        con = sqlite3.connect(copy)
        con.execute(sql)
        con.commit()
        con.close()
        assert main(["db", "check", "--db", str(copy)]) == 1
        return capsys.readouterr().err

    con = sqlite3.connect(path)
    number, iid = con.execute("SELECT number, id FROM invoice WHERE status = 'issued' ORDER BY number").fetchone()
    con.close()
    # paid above the gross, with payments to match, and no refund recorded
    err = corrupted(f"UPDATE invoice SET paid = net + tax + 100 WHERE id = {iid}")
    assert f"invoice {number} (id {iid})" in err and "100.00 more than invoiced" in err
    err = corrupted(f"INSERT INTO payment (invoice_id, amount, received_on, method, recorded_by, created_at) "
                    f"SELECT id, net + tax + 100, issue_date, 'x', 'x', created_at FROM invoice WHERE id = {iid}; ")
    assert f"invoice {number} (id {iid}): paid 0.00 but its payments add up to" in err
    # credited beyond the invoice
    err = corrupted("INSERT INTO credit_note (number, invoice_id, issue_date, net, tax, reason, issued_by, "
                    "created_at, version, updated_at, updated_by) SELECT (SELECT max(number) + 1 FROM credit_note), "
                    "id, issue_date, net + 1, tax, 'x', 'x', created_at, 1, updated_at, 'x' "
                    f"FROM invoice WHERE id = {iid}")
    assert f"invoice {number} (id {iid}): credited" in err and "is more than invoiced" in err
    assert "credit note counter stands at" in err  # the inserted number was never issued by the counter
    # a gap in the credit note numbers, and an invoice counter that would repeat a number
    err = corrupted("UPDATE credit_note SET number = number + 10 WHERE number = (SELECT max(number) FROM credit_note)")
    assert "credit note numbers are not gap-free" in err
    err = corrupted("UPDATE number_sequence SET next_value = 5 WHERE name = 'invoice'")
    assert "the invoice counter stands at 5" in err and "repeat" in err


# --- one desk: messages, versions, approval -----------------------------------------------------
def test_every_payment_and_credit_moves_the_invoice_version_and_messages_never_go_negative(demo) -> None:
    db, actor = demo
    fin = actor("finance")
    inv = next(v for v in billing.invoices(db, fin, open_only=True) if v.status == "issued")
    billing.credit_note(db, fin, inv.id, "10.00", "price error")
    after_credit = billing.invoice(db, fin, inv.id)
    assert after_credit.status == "issued" and after_credit.version == inv.version + 1  # the status stayed; bumped
    paid = billing.record_payment(db, fin, inv.id, after_credit.outstanding)
    assert paid.status == "paid" and paid.version == after_credit.version + 1
    with pytest.raises(ValidationError, match=f"nothing is outstanding on invoice {inv.number}$") as exc:
        billing.record_payment(db, fin, inv.id, "1.00")
    assert "-" not in str(exc.value)
    billing.credit_note(db, fin, inv.id, str(inv.gross - 10), "returned in full")
    full = billing.invoice(db, fin, inv.id)
    assert full.credited == inv.gross and full.version == paid.version + 1
    refund = next(r for r in billing.refunds(db, fin, open_only=True) if r.invoice_number == inv.number)
    assert refund.amount == inv.gross - 10  # what was paid for goods now credited goes back
    with pytest.raises(UserError, match=f"^Nothing is left to credit on invoice {inv.number}\\.$"):
        billing.credit_note(db, fin, inv.id, "1.00", "again")
    billing.pay_refund(db, fin, refund.id, refund.version, "BACS 7")
    assert billing.invoice(db, fin, inv.id).version == full.version + 1


def test_an_order_waiting_for_margin_approval_is_not_invoiced(demo) -> None:
    from app.db.uow import SYSTEM
    from app.models import SalesOrder
    from app.services.orders import ApprovalRequired

    db, actor = demo
    fin = actor("finance")
    row = billing.to_invoice(db, fin)[0]
    db.write(SYSTEM, lambda uow: setattr(uow.get(SalesOrder, row.order_id), "needs_approval", True))
    with pytest.raises(ApprovalRequired, match="management has not approved"):
        billing.invoice_order(db, fin, row.order_id)

    def approve(uow) -> None:
        uow.get(SalesOrder, row.order_id).approved_by = "management"

    db.write(SYSTEM, approve)
    assert billing.invoice_order(db, fin, row.order_id).net == row.shipped_value
