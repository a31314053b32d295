"""Runs in the child processes of ``test_money_invariants.py``: one desk of finance (and a
salesperson for claims) on a shared database. Before each round every desk waits at a barrier,
then all act on the same invoice at once — payments, credit notes, refunds, invoicing, a claim
refunded without return — and report what they did through a pipe.

``unlocked``: the desk runs without the invoice lock (``billing.lock_invoice`` becomes a plain
read, as before issue 18), to show that the test catches what the lock prevents."""

from __future__ import annotations

import time
import traceback
from decimal import Decimal
from typing import Any

from app.db.open import open_database
from app.db.uow import Actor
from app.errors import UserError

ROUND_TIMEOUT = 30.0  # seconds a desk waits at the barrier for the others


def unlock() -> None:
    """The invoice lock as a no-op: read the invoice, take no row lock, bump no version."""
    from app.models import Invoice
    from app.services import billing

    billing.lock_invoice = lambda uow, invoice_id: uow.get(Invoice, invoice_id)


def desk(db_url: str, worker: int, plan: list[tuple[Any, ...]], barrier: Any, pipe: Any, unlocked: bool) -> None:
    from app.models.base import money
    from app.services import billing, returns

    report: dict[str, Any] = {"done": {}, "refused": {}, "invoices": [], "credit_notes": [], "fatal": None,
                              "seconds": 0.0}

    def count(key: str, kind: str) -> None:
        report[key][kind] = report[key].get(kind, 0) + 1

    try:
        if unlocked:
            unlock()
        db = open_database(db_url)
        fin = Actor("finance", "finance", f"Finance desk {worker}", None, workstation=f"desk-{worker}")
        sales = Actor("sales", "sales", f"Sales desk {worker}", None, workstation=f"desk-{worker}")
        started = time.monotonic()
        for op in plan:
            barrier.wait(ROUND_TIMEOUT)
            kind = op[0]
            try:
                if kind == "pay_full":  # what the desk sees outstanding, paid in full
                    view = billing.invoice(db, fin, op[1])
                    if view.outstanding <= 0:
                        count("refused", kind)
                        continue
                    billing.record_payment(db, fin, op[1], view.outstanding, reference=f"desk {worker}")
                elif kind == "pay_part":
                    view = billing.invoice(db, fin, op[1])
                    billing.record_payment(db, fin, op[1], max(Decimal("0.01"), money(view.gross * op[2])))
                elif kind == "credit":
                    view = billing.invoice(db, fin, op[1])
                    report["credit_notes"].append(billing.credit_note(
                        db, fin, op[1], money(view.gross * op[2]), f"goodwill from desk {worker}"))
                elif kind == "refund":  # finance pays a queued refund of this invoice
                    view = billing.invoice(db, fin, op[1])
                    queued = [r for r in billing.refunds(db, fin, open_only=True)
                              if r.invoice_number == view.number]
                    if not queued:
                        count("refused", kind)
                        continue
                    billing.pay_refund(db, fin, queued[0].id, queued[0].version, f"BACS desk {worker}")
                elif kind == "invoice":
                    report["invoices"].append(billing.invoice_order(db, fin, op[1]).number)
                elif kind == "claim":  # one unit back, refunded without return: credited by returns
                    _kind, _inv, customer_id, order_line_id = op
                    claim = returns.open_claim(db, sales, customer_id, [(order_line_id, 1, "damaged")],
                                               f"Desk {worker}: one arrived damaged")
                    returns.decide_claim(db, sales, claim.id, claim.version, True, return_method="no_return")
                else:
                    raise AssertionError(f"unknown operation {kind}")
                count("done", kind)
            except UserError:
                count("refused", kind)
        report["seconds"] = time.monotonic() - started
        db.dispose()
    except BaseException:  # noqa: BLE001 - reported to the parent
        report["fatal"] = traceback.format_exc()
        barrier.abort()  # the other desks stop waiting for this one
    pipe.send(report)
    pipe.close()
