"""The customer's credit limit acts (issue 20): confirming an order that takes what the customer
owes and has on order above the limit holds it for finance, with the figures; finance releases it.
The Excel import holds the same orders (tests/integration/test_import_orders_rules.py)."""

from __future__ import annotations

from decimal import Decimal as D

from sqlalchemy import select, update

from app.models import Customer, TimelineEvent
from app.services import billing, credit, orders, priorities
from app.services.orders import LineInput


def _limit(db, actor, code: str, limit: D) -> int:  # noqa: ANN001
    def run(uow) -> int:  # noqa: ANN001
        uow.session.execute(update(Customer).where(Customer.code == code).values(credit_limit=limit))
        return uow.session.scalar(select(Customer.id).where(Customer.code == code))

    return db.write(actor, run)


def test_the_rule_in_figures() -> None:
    before = credit.Exposure(receivables=D("1200.00"), open_orders=D("800.00"))
    assert credit.hold_reason_for(D("0"), before, D("999999")) is None  # no limit set
    assert credit.hold_reason_for(D("3000"), before, D("1000.00")) is None  # exactly at the limit
    text = credit.hold_reason_for(D("3000"), before, D("1000.01"))
    assert text == ("Credit hold: open invoices £1,200.00 + open orders £800.00 + this order £1,000.01 = "
                    "£3,000.01, above the credit limit of £3,000.00 by £0.01")


def test_exposure_is_what_billing_says_is_owed_plus_what_is_on_order(demo) -> None:
    db, actor = demo
    finance = actor("finance")
    owed: dict[int, D] = {}
    for inv in billing.invoices(db, finance, open_only=True):
        owed[inv.customer_id] = owed.get(inv.customer_id, D(0)) + inv.outstanding
    assert owed, "the demo has open invoices"
    with db.read() as s:
        for cid, amount in owed.items():
            assert credit.exposure(s, cid).receivables == amount


def test_an_order_above_the_limit_is_confirmed_on_credit_hold_and_finance_releases_it(demo) -> None:
    db, actor = demo
    sales, finance = actor("sales"), actor("finance")
    with db.read() as s:
        cid = s.scalar(select(Customer.id).where(Customer.code == "OAKWD"))
        before = credit.exposure(s, cid)
    q = orders.new_quote(db, sales, "OAKWD", [LineInput("SH-900-4", 40)])
    gross = q.totals.net + q.totals.tax
    _limit(db, sales, "OAKWD", before.total + gross - D("0.01"))  # a cent too little
    held = orders.confirm(db, sales, q.id, q.version)
    assert held.status == "on_hold" and held.hold_reason.startswith("Credit hold: open invoices")
    assert "by £0.01" in held.hold_reason and all(ln.qty_reserved > 0 for ln in held.lines[:1])
    with db.read() as s:
        kinds = list(s.scalars(select(TimelineEvent.kind).where(TimelineEvent.order_id == held.id)))
    assert "credit_hold" in kinds
    priorities.release_hold(db, finance, held.id, held.version, "paid in advance")
    assert orders.get_order(db, sales, held.id).status in ("confirmed", "ready")
    # the same order with a cent more room confirms as usual
    q2 = orders.new_quote(db, sales, "OAKWD", [LineInput("SH-900-4", 40)])
    with db.read() as s:
        room = credit.exposure(s, cid).total + q2.totals.net + q2.totals.tax
    _limit(db, sales, "OAKWD", room)
    assert orders.confirm(db, sales, q2.id, q2.version).status == "confirmed"


def test_no_limit_never_holds(demo) -> None:
    db, actor = demo
    sales = actor("sales")
    _limit(db, sales, "OAKWD", D("0"))
    q = orders.new_quote(db, sales, "OAKWD", [LineInput("SH-900-4", 400)])
    assert orders.confirm(db, sales, q.id, q.version).status == "confirmed"
