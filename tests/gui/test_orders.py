"""Order entry, driven through the real widgets (story 2: selling what is on the shelf)."""

from __future__ import annotations

import datetime as dt
import subprocess
import unicodedata
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QCompleter

from app.actor import SYSTEM
from app.desk import Desk
from app.db.uow import Actor, Database
from app.drafts import DraftStore
from app.models import Product
from app.services import orders
from app.views.orders.tab import OrdersTab
from tests.support import TODAY
from tests.gui.conftest import actor_for



def make_tab(qtbot, db: Database, role: str, tmp_path: Path) -> OrdersTab:
    tab = OrdersTab(Desk(db, actor_for(db, role), DraftStore(tmp_path / "drafts")))
    qtbot.addWidget(tab)
    # The offscreen platform cannot raise a popup or grab the keyboard (it warns, and Qt warnings
    # fail tests), so the completers complete inline here; their models are the same.
    for completer in (tab.form.customer_completer, tab.form.product_completer):
        completer.setCompletionMode(QCompleter.CompletionMode.InlineCompletion)
    tab.resize(1400, 860)
    tab.show()
    return tab


def settle(qtbot, form) -> None:
    """Wait until the form has priced what was typed and any save has come back (both run off
    the GUI thread)."""
    qtbot.waitUntil(form.settled, timeout=15000)


def choose_customer(qtbot, tab: OrdersTab, code: str) -> None:
    form = tab.form
    form.customer.setFocus()
    qtbot.keyClicks(form.customer, code)
    qtbot.keyClick(form.customer, Qt.Key.Key_Return)  # editingFinished resolves the code
    assert form.customer_id is not None, f"customer {code} not resolved"
    settle(qtbot, form)


def test_salesperson_sells_the_hinted_excess_stock_confirms_and_prints(qtbot, demo: Database, tmp_path: Path) -> None:
    tab = make_tab(qtbot, demo, "sales", tmp_path)
    tab.new_button.click()
    form = tab.form
    customer = orders.search_customers(demo, tab.actor, "")[0]
    choose_customer(qtbot, tab, customer[1])
    # ten custom workbenches, typed by SKU
    bench = orders.search_products(demo, tab.actor, "WB-2000")[0]
    qtbot.keyClicks(form.product, bench[1])
    form.quantity.setValue(10)
    qtbot.keyClick(form.product, Qt.Key.Key_Return)
    settle(qtbot, form)
    assert [(ln.sku, ln.quantity) for ln in form.view.lines] == [(bench[1], Decimal(10))]
    assert form.view.promise_date is not None and form.view.bottleneck
    # the hints beside the form: an excess product with a discount that keeps the margin above the floor
    excess = [h for h in form.hints.hints if h.kind == "excess" and h.suggested_discount > 0]
    assert excess, "no excess-stock hint with a discount"
    hint = excess[0]
    assert "floor" in hint.reason and "months" in hint.reason
    form.quantity.setValue(20)
    form.hints.list.setCurrentRow(form.hints.hints.index(hint))
    form.hints.add_button.click()
    settle(qtbot, form)
    line = form.view.lines[1]
    assert (line.sku, line.quantity) == (hint.sku, Decimal(20))
    assert line.extra_discount == hint.suggested_discount
    assert line.margin >= form.view.margin_floor
    with demo.read() as s:
        before = s.get(Product, hint.product_id).stock_reserved
    form.save_button.click()
    settle(qtbot, form)
    assert form.order is not None and form.order.status == "quote" and not form.dirty
    quote_number = form.order.number
    assert tab.list.model.rowCount() >= 1
    form.confirm_button.click()
    settle(qtbot, form)
    order = form.order
    assert order.status == "confirmed" and order.number != quote_number and order.number.startswith("SO-")
    reserved = next(ln for ln in order.lines if ln.sku == hint.sku).qty_reserved
    assert reserved == Decimal(20)
    with demo.read() as s:
        assert s.get(Product, hint.product_id).stock_reserved == before + 20
    assert any("confirmed" in form.timeline.item(i).text().lower() for i in range(form.timeline.count()))
    pdf = form.save_pdf(tmp_path / "confirmation.pdf")
    raw = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(unicodedata.normalize("NFKC", raw).split())
    assert "Order confirmation" in text and order.number in text
    assert f"£{order.totals.gross:,.2f}" in text and f"£{order.totals.net:,.2f}" in text
    assert hint.sku in text and bench[1] in text


def test_bad_lines_are_marked_at_the_line_and_nothing_is_saved(qtbot, demo: Database, tmp_path: Path) -> None:
    tab = make_tab(qtbot, demo, "sales", tmp_path)
    form = tab.form
    customer = orders.search_customers(demo, tab.actor, "")[0]
    choose_customer(qtbot, tab, customer[1])
    qtbot.keyClicks(form.product, "NO-SUCH-SKU")
    qtbot.keyClick(form.product, Qt.Key.Key_Return)
    settle(qtbot, form)
    assert 0 in form.lines_model.problems and "does not exist" in form.lines_model.problems[0]
    assert form.problems.isVisible() and "NO-SUCH-SKU" in form.problems.text()
    before = tab.list.model.rowCount()
    shown: list[str] = []
    import app.views.common.messages as messages

    original = messages.show_user_error
    messages.show_user_error = lambda _p, exc: shown.append(exc.message)
    try:
        form.save_button.click()
        settle(qtbot, form)
    finally:
        messages.show_user_error = original
    assert shown and "does not exist" in shown[0]
    assert form.order is None and tab.list.model.rowCount() == before


def test_below_floor_needs_management_approval_before_confirming(qtbot, demo: Database, tmp_path: Path,
                                                                  monkeypatch) -> None:
    tab = make_tab(qtbot, demo, "sales", tmp_path)
    form = tab.form
    customer = orders.search_customers(demo, tab.actor, "")[0]
    choose_customer(qtbot, tab, customer[1])
    bench = orders.search_products(demo, tab.actor, "WB-2000")[0]
    qtbot.keyClicks(form.product, bench[1])
    qtbot.keyClick(form.product, Qt.Key.Key_Return)
    form._price_edited(0, Decimal("100.00"), reason="match a competitor")  # far below cost
    settle(qtbot, form)
    assert form.view.needs_approval and form.approval.isVisible()
    form.save_button.click()
    settle(qtbot, form)
    # saved below the floor: Confirm is off, and says why (the service's rule, not the form's)
    assert form.order.status == "quote" and not form.confirm_button.isEnabled()
    assert "management must approve" in form.confirm_button.toolTip()
    assert not form.approve_button.isVisible()  # a salesperson cannot approve
    boss = make_tab(qtbot, demo, "management", tmp_path)
    boss.form.load(form.order.id)
    settle(qtbot, boss.form)
    assert boss.form.approve_button.isVisible() and boss.form.approve_button.isEnabled()
    boss.form.approve_button.click()
    settle(qtbot, boss.form)
    assert boss.form.order.approved_by == "management"
    form.load(form.order.id)
    settle(qtbot, form)
    assert form.confirm_button.isEnabled()
    form.confirm_button.click()
    settle(qtbot, form)
    assert form.order.status == "confirmed"


def test_orders_list_filters_and_sorts_in_sql(qtbot, demo: Database, tmp_path: Path) -> None:
    tab = make_tab(qtbot, demo, "sales", tmp_path)
    lst = tab.list
    all_open = lst.model.rowCount()
    lst.status.setCurrentText("Quotes")
    lst.apply_filter()
    quotes = lst.model.rowCount()
    assert 0 < quotes < all_open
    assert all(lst.model.data(lst.model.index(r, 1)) == "Quote" for r in range(quotes))
    lst.status.setCurrentText("All")
    lst.search.setText("SO-00001")
    lst.apply_filter()
    assert 0 < lst.model.rowCount() <= 10
    assert all(lst.model.data(lst.model.index(r, 0)).startswith("SO-00001") for r in range(lst.model.rowCount()))
    lst.search.clear()
    lst.salesperson.setCurrentText("Mine")
    lst.apply_filter()
    mine = lst.model.rowCount()
    assert 0 < mine < lst.model.query.ids(demo, [], None).__len__()
    col_sp = next(i for i, c in enumerate(lst.model.query.columns) if c.key == "salesperson")
    assert {lst.model.data(lst.model.index(r, col_sp)) for r in range(mine)} == {tab.actor.full_name}
    lst.salesperson.setCurrentIndex(0)
    lst.use_dates.setChecked(True)
    lst.date_from.setDate(QDate(2026, 11, 20))
    lst.date_to.setDate(QDate(2026, 11, 26))
    lst.apply_filter()
    col_d = next(i for i, c in enumerate(lst.model.query.columns) if c.key == "order_date")
    dates = {lst.model.raw(r)[col_d] for r in range(lst.model.rowCount())}
    assert dates and all(dt.date(2026, 11, 20) <= d <= TODAY for d in dates)
    lst.use_dates.setChecked(False)
    lst.apply_filter()
    col = next(i for i, c in enumerate(lst.model.query.columns) if c.key == "net")
    lst.model.sort(col, Qt.SortOrder.DescendingOrder)
    before = lst.model.fetches
    values = [lst.model.raw(r)[col] for r in range(20)]
    assert values == sorted(values, reverse=True)
    assert lst.model.fetches - before == 1, "rows must be fetched in blocks, not one by one"


def test_the_orders_model_passes_the_model_tester(qtmodeltester, demo: Database) -> None:
    from app.views.common.lazy import LazyTableModel

    model = LazyTableModel(Desk(demo, SYSTEM), orders.ORDER_LIST)
    model.reload()
    qtmodeltester.check(model)


def test_an_order_open_on_another_desk_says_who_is_editing(qtbot, demo: Database, tmp_path: Path) -> None:
    from app.services import presence
    from app.views.common.live import LiveUpdates

    tab = make_tab(qtbot, demo, "sales", tmp_path)
    live = LiveUpdates(Desk(demo, tab.actor), tab)  # this desk is signed in
    try:
        order_id = tab.list.model.id_at(0)
        pete = Actor("production", "production", "Pete Planner", workstation="desk-7")
        other = presence.start_session(demo, pete)
        presence.acquire_lease(demo, other, "sales_order", order_id)
        tab.open_order(order_id)
        settle(qtbot, tab.form)
        assert tab.form.others.isVisible()
        assert tab.form.others.text().startswith("Pete Planner (production) is editing this since ")
        # and our desk's lease is visible to the other desk
        mine = presence.who_is_editing(demo, "sales_order", order_id, exclude_session=other)
        assert [e.username for e in mine] == ["sales"]
        tab.form.clear()
        assert presence.who_is_editing(demo, "sales_order", order_id, exclude_session=other) == []
    finally:
        live.stop()


def test_an_order_typed_before_a_crash_is_offered_back(qtbot, demo: Database, tmp_path: Path) -> None:
    from app.config import WorkstationSettings
    from app.views.main_window import MainWindow

    store = DraftStore(tmp_path / "drafts")
    bench = orders.search_products(demo, actor_for(demo, "sales"), "WB-2000")[0]
    customer = orders.search_customers(demo, actor_for(demo, "sales"), "")[0]
    store.save(database=demo.location, username="sales", form="order", record_id=None,
               title="Order for ACME, 1 lines",
               values={"customer_id": customer[0], "customer_text": f"{customer[1]} — {customer[2]}",
                       "reference": "PO-77", "lines": [[bench[0], "10", None, None, None]]})
    window = MainWindow(Desk(demo, actor_for(demo, "sales")), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    assert window.offer_drafts(store, ask=lambda q: True) == 1
    form = window.tab_widgets["Order entry"].form
    assert form.customer_id == customer[0] and form.reference.text() == "PO-77"
    settle(qtbot, form)
    assert [(ln.sku, ln.quantity) for ln in form.view.lines] == [(bench[1], Decimal(10))]
    assert form.dirty and form.save_button.isEnabled()


def test_typing_in_the_order_form_does_no_database_work_on_the_gui_thread(qtbot, demo: Database,
                                                                            tmp_path: Path) -> None:
    """Keystrokes change what is typed; pricing, promising, hints and the completer's search run
    off the GUI thread, once per burst of keys (issue 19)."""
    import threading

    from sqlalchemy import event

    from app.services import order_screen

    tab = make_tab(qtbot, demo, "sales", tmp_path)
    form = tab.form
    customer = orders.search_customers(demo, tab.actor, "")[0]
    choose_customer(qtbot, tab, customer[1])
    bench = orders.search_products(demo, tab.actor, "WB-2000")[0]
    qtbot.keyClicks(form.product, bench[1])
    qtbot.keyClick(form.product, Qt.Key.Key_Return)
    settle(qtbot, form)
    on_gui: list[str] = []

    def seen(_conn, _cursor, statement, *_a) -> None:  # noqa: ANN001
        if threading.current_thread() is threading.main_thread():
            on_gui.append(statement.split()[0])

    computed: list[int] = []
    real = order_screen.recompute

    def counting(*a, **k):  # noqa: ANN002, ANN003
        computed.append(1)
        return real(*a, **k)

    event.listen(demo.engine, "before_cursor_execute", seen)
    order_screen.recompute = counting
    try:
        form.reference.setFocus()
        qtbot.keyClicks(form.reference, "PO-4711 urgent")  # 14 keys
        model = form.lines_model
        for qty in (2, 3, 4, 5):
            model.setData(model.index(0, 2), qty, Qt.ItemDataRole.EditRole)  # the Qty column
        qtbot.keyClicks(form.product, "SH-")
        settle(qtbot, form)
    finally:
        order_screen.recompute = real
        event.remove(demo.engine, "before_cursor_execute", seen)
    assert on_gui == [], f"SQL on the GUI thread while typing: {on_gui}"
    assert 1 <= len(computed) <= 3, f"{len(computed)} recomputations for one burst of 21 edits"
    assert form.view.lines[0].quantity == Decimal(5) and form.dirty


def test_cancel_is_offered_for_an_order_in_production(qtbot, demo: Database, tmp_path: Path) -> None:
    from sqlalchemy import select

    from app.models import SalesOrder
    from app.models.enums import OrderStatus

    with demo.read() as s:
        oid = s.scalars(select(SalesOrder.id).where(SalesOrder.status == OrderStatus.IN_PRODUCTION)).first()
    tab = make_tab(qtbot, demo, "sales", tmp_path)
    tab.form.load(oid)
    form = tab.form
    settle(qtbot, form)
    assert form.cancel_button.isEnabled() and not form.save_button.isEnabled() and not form.product.isEnabled()
    form.cancel_order("the customer withdrew")
    settle(qtbot, form)
    assert form.order.status == "cancelled" and not form.cancel_button.isEnabled()
    assert any("cancelled" in form.timeline.item(i).text() for i in range(form.timeline.count()))
