"""Runs in the child processes of ``test_shipping_billing.py``: a finance desk invoicing and
crediting on a shared database, reporting what it got through a pipe."""

from __future__ import annotations

import random
import traceback
from typing import Any

from app.db.open import open_database
from app.db.uow import Actor
from app.errors import UserError


def invoicing_desk(db_url: str, worker: int, order_ids: list[int], invoice_ids: list[int], credits: int,
                   barrier: Any, pipe: Any) -> None:
    from app.services import billing

    report: dict[str, Any] = {"invoices": [], "credit_notes": [], "refused": 0, "fatal": None}
    try:
        db = open_database(db_url)
        actor = Actor("finance", "finance", f"Finance desk {worker}", None, workstation=f"desk-{worker}")
        rng = random.Random(worker)
        barrier.wait(30)
        for oid in rng.sample(order_ids, len(order_ids)):  # every desk tries every order: one wins each
            try:
                report["invoices"].append(billing.invoice_order(db, actor, oid).number)
            except UserError:
                report["refused"] += 1
        for _ in range(credits):
            try:
                report["credit_notes"].append(
                    billing.credit_note(db, actor, rng.choice(invoice_ids), "0.01", f"rounding goodwill {worker}"))
            except UserError:
                report["refused"] += 1
        db.dispose()
    except BaseException:  # noqa: BLE001 - reported to the parent
        report["fatal"] = traceback.format_exc()
    pipe.send(report)
    pipe.close()
