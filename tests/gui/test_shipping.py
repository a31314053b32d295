"""Shipping/returns tab through the real widgets (stories 5 and 6): pick → ship → invoice →
payment → return → refund, with a short pick making a backorder."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from app.desk import Desk
from app.db.uow import Database
from app.models import Note, Product, SalesOrder
from app.views.shipping.dialogs import (
    AmountDialog,
    ConfirmPickDialog,
    DecideClaimDialog,
    InspectDialog,
    OpenClaimDialog,
    ShipDialog,
    TextDialog,
)
from app.views.shipping.tab import ShippingTab
from tests.support import TODAY
from tests.gui.conftest import actor_for, when_modal


def make_tab(qtbot, db: Database, who: str) -> ShippingTab:
    tab = ShippingTab(Desk(db, actor_for(db, who)))
    qtbot.addWidget(tab)
    tab.resize(1400, 860)
    tab.show()
    return tab


def stock(db: Database, sku: str) -> tuple[Decimal, Decimal]:
    with db.read() as s:
        p = s.scalars(select(Product).where(Product.sku == sku)).one()
        return p.stock_on_hand, p.stock_reserved


def _pdf_text(path) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join(p.extract_text() for p in PdfReader(str(path)).pages).split())


def test_stories_5_and_6_pick_ship_invoice_pay_return_refund(qtbot, demo, tmp_path, monkeypatch) -> None:
    shown: list[str] = []  # message boxes (none expected: the dialogs say their problems themselves)
    monkeypatch.setattr("app.views.common.messages.show_user_error", lambda _p, exc: shown.append(str(exc)))
    shipping_desk = make_tab(qtbot, demo, "shipping")
    # two ready orders on one batched pick list, in walking order
    ready = [r for r in shipping_desk.ready_model.rows if r.status == "ready"][:2]
    for r in ready:
        i = shipping_desk.ready_model.rows.index(r)
        shipping_desk.ready_table.selectionModel().select(
            shipping_desk.ready_model.index(i, 0),
            shipping_desk.ready_table.selectionModel().SelectionFlag.Select
            | shipping_desk.ready_table.selectionModel().SelectionFlag.Rows)
    shipping_desk.create_pick_list()
    qtbot.waitUntil(shipping_desk.settled)  # made off the GUI thread
    pl = shipping_desk.pick_list
    assert pl is not None and set(pl.orders) == {r.number for r in ready}
    from app.services.shipping import location_key

    assert [location_key(g.location) for g in pl.groups] == sorted(location_key(g.location) for g in pl.groups)
    short = pl.rows[0]
    before = stock(demo, short.sku)
    shipping_desk.print_selected("pick-list", tmp_path / "pick.pdf")
    qtbot.waitUntil(shipping_desk.settled)
    assert shipping_desk.printed == tmp_path / "pick.pdf"
    text = _pdf_text(shipping_desk.printed)
    positions = [text.index(g.sku) for g in pl.groups]
    assert pl.number in text and positions == sorted(positions)  # printed in walking order

    def pick(dlg: ConfirmPickDialog) -> None:
        dlg.set_picked(0, str(short.to_pick + 1))  # more than asked: refused, dialog stays
        dlg.send()
        qtbot.waitUntil(dlg.settled)
        assert "picking more than ordered" in dlg.error.text() and dlg.isVisible()
        dlg.set_picked(0, str(short.to_pick - 1))  # one short
        dlg.send()

    when_modal(qtbot, pick, ConfirmPickDialog)
    shipping_desk.confirm_selected()
    assert "backorder" in shipping_desk.message.text()
    with demo.read() as s:
        order = s.scalars(select(SalesOrder).where(SalesOrder.number == short.order_number)).one()
        back = s.scalars(select(SalesOrder).where(SalesOrder.source_order_id == order.id)).one()
        assert back.status.value == "confirmed" and back.lines[0].quantity == 1
        note = s.scalars(select(Note).where(Note.order_id == order.id)).all()[-1]
        assert "backorder" in note.text and back.number in note.text
    after_pick = stock(demo, short.sku)
    assert after_pick[0] == before[0] - 1  # the missing unit is written off the shelf count
    # ship the first order: carrier, tracking, two packages
    target = next(r for r in shipping_desk.ready_model.rows if r.number == short.order_number)
    shipping_desk.select_row(shipping_desk.ready_table, shipping_desk.ready_model, lambda r: r is target)

    def ship(dlg: ShipDialog) -> None:
        dlg.send()  # no carrier, no packages
        qtbot.waitUntil(dlg.settled)
        assert "carrier" in dlg.error.text() and "package" in dlg.error.text() and dlg.isVisible()
        dlg.carrier.setCurrentText("DPD")
        dlg.tracking.setText("15502999001")
        dlg.weights.setText("12.5, 8")
        dlg.send()

    when_modal(qtbot, ship, ShipDialog)
    shipping_desk.ship_selected()
    assert "shipped with DPD, tracking 15502999001" in shipping_desk.message.text()
    shipped_qty = short.to_pick - 1
    assert stock(demo, short.sku) == (after_pick[0] - shipped_qty, after_pick[1] - shipped_qty)
    sh = shipping_desk.shipments_model.rows[0]
    assert sh.order_number == short.order_number and sh.packages == 2 and sh.weight_kg == Decimal("20.5")
    # finance invoices it, records a partial then the full payment
    finance = make_tab(qtbot, demo, "finance")
    finance.pages.setCurrentIndex(1)
    finance.select_row(finance.to_invoice_table, finance.to_invoice_model, lambda r: r.number == short.order_number)
    finance.invoice_selected()
    qtbot.waitUntil(finance.settled)
    inv = finance.invoices_model.rows[0]
    assert inv.order_number == short.order_number and inv.outstanding == inv.gross > 0
    assert short.order_number not in {r.number for r in finance.to_invoice_model.rows}
    finance.invoices_table.selectRow(0)
    finance.print_selected("invoice", tmp_path / "invoice.pdf")
    qtbot.waitUntil(finance.settled)
    assert finance.printed == tmp_path / "invoice.pdf"
    text = _pdf_text(finance.printed)
    assert f"Invoice {inv.number}" in text and f"{inv.gross:,.2f}" in text

    def pay(amount: str):
        def fill(dlg: AmountDialog) -> None:
            dlg.amount.setText(amount)
            dlg.text.setText("BACS")
            dlg.send()
        return fill

    when_modal(qtbot, pay("10.00"), AmountDialog)
    finance.payment_selected()
    assert finance.invoices_model.rows[0].status == "partially_paid"
    finance.invoices_table.selectRow(0)
    when_modal(qtbot, pay(str(inv.gross - Decimal("10.00"))), AmountDialog)
    finance.payment_selected()
    assert finance.invoices_model.rows[0].status == "paid"
    # the customer phones: one unit arrived damaged; sales opens the claim from the call
    sales = make_tab(qtbot, demo, "sales")
    sales.pages.setCurrentIndex(1)

    def claim(dlg: OpenClaimDialog) -> None:
        dlg.customer.setCurrentIndex(dlg.customer.findData(inv.customer_id))
        dlg.complaint.setPlainText("One unit arrived damaged")
        dlg.set_line(short.order_number, short.sku, "1", "bent upright")
        dlg.send()

    when_modal(qtbot, claim, OpenClaimDialog)
    sales.open_claim()
    c = sales.claims_model.rows[0]
    assert c.status == "opened" and c.lines[0].sku == short.sku

    def approve(dlg: DecideClaimDialog) -> None:
        dlg.method.setCurrentIndex(dlg.method.findData("carrier_pickup"))
        dlg.approve_button.click()

    sales.select_row(sales.claims_table, sales.claims_model, lambda r: r.id == c.id)
    when_modal(qtbot, approve, DecideClaimDialog)
    sales.decide_selected()
    # shipping books the pickup, receives and inspects: restock
    shipping_desk.reload()
    shipping_desk.pages.setCurrentIndex(1)
    shipping_desk.select_row(shipping_desk.claims_table, shipping_desk.claims_model, lambda r: r.id == c.id)

    def details(dlg: TextDialog) -> None:
        dlg.text.setText("DPD collection Fri 27 Nov, ref 7788")
        dlg.send()

    when_modal(qtbot, details, TextDialog)
    shipping_desk.pickup_selected()
    shipping_desk.select_row(shipping_desk.claims_table, shipping_desk.claims_model, lambda r: r.id == c.id)
    shipping_desk.receive_selected()
    qtbot.waitUntil(shipping_desk.settled)
    shipping_desk.select_row(shipping_desk.claims_table, shipping_desk.claims_model, lambda r: r.id == c.id)
    before_restock = stock(demo, short.sku)[0]

    def inspect(dlg: InspectDialog) -> None:
        dlg.send()  # no disposition chosen
        qtbot.waitUntil(dlg.settled)
        assert "choose restock" in dlg.error.text()
        dlg.set_line(0, "restock", "box dented, unit fine")
        dlg.send()

    when_modal(qtbot, inspect, InspectDialog)
    shipping_desk.inspect_selected()
    assert "refund due by" in shipping_desk.message.text()
    assert stock(demo, short.sku)[0] == before_restock + 1
    # finance pays the refund within the target; sales sees it on the claim
    finance.reload()
    finance.pages.setCurrentIndex(2)
    finance.select_row(finance.refunds_table, finance.refunds_model, lambda r: r.rma_number == c.number)
    refund = finance.refunds_model.rows[finance.refunds_table.currentIndex().row()]
    assert refund.amount > 0 and refund.due_by <= TODAY + dt.timedelta(days=5)

    def pay_refund(dlg: TextDialog) -> None:
        dlg.text.setText("BACS R-1")
        dlg.send()

    when_modal(qtbot, pay_refund, TextDialog)
    finance.pay_refund_selected()
    assert "within the target" in finance.message.text()
    sales.open_claims_only.setChecked(False)
    done = next(r for r in sales.claims_model.rows if r.id == c.id)
    assert done.status == "closed" and done.days_receipt_to_refund() == 0
    assert shown == []
