"""Two desks taking the same customer's call at the same moment cannot both claim the last shipped
unit (returns.open_claim holds the orders it reads), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import select

from app.db.open import open_database
from app.errors import UserError
from app.models import ReturnLine, SalesOrder, SalesOrderLine
from app.services import returns


def test_two_desks_claiming_the_same_units_at_once_get_one_claim(demo, db_url) -> None:
    db, actor = demo
    with db.read() as s:
        claimed = set(s.scalars(select(ReturnLine.order_line_id)))
        ln = next(ln for ln in s.scalars(select(SalesOrderLine).where(SalesOrderLine.qty_shipped > 0)
                                         .order_by(SalesOrderLine.id)) if ln.id not in claimed)
        cust = s.get(SalesOrder, ln.order_id).customer_id
        qty = ln.qty_shipped
    desks = [open_database(db_url, create=False) for _ in range(2)]
    barrier = threading.Barrier(2, timeout=30)
    outcome: list[str] = []

    def claim(d) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            returns.open_claim(d, actor("sales"), cust, [(ln.id, qty, "damaged")], "dented in transit")
            outcome.append("claimed")
        except UserError as exc:
            outcome.append(str(exc))

    threads = [threading.Thread(target=claim, args=(d,)) for d in desks]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        for d in desks:
            d.dispose()
    assert sorted(outcome)[0] == "claimed" and outcome.count("claimed") == 1, outcome
    assert any("not already claimed" in o for o in outcome)
    with db.read() as s:
        assert sum(s.scalars(select(ReturnLine.quantity).where(ReturnLine.order_line_id == ln.id))) == qty
