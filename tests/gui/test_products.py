"""Products (issue 20), driven through the real widgets: production types a new product with a BOM
line and two routing operations, saves, and finds it by searching; management prices it; a
negative price and a routing step on an archived work centre are said at their fields and nothing
is saved; archive refused with open orders, archive and restore. ``ORDERCYCLE_SHOTS=docs/screenshots``
also renders the window and the form there."""

from __future__ import annotations

import os
from decimal import Decimal as D
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from app.db.uow import Database
from app.desk import Desk
from app.drafts import DraftStore
from app.services import products as svc
from app.views.products import ProductDialog, ProductsWindow
from app.views.products.form import DISCOUNT, FROM_QTY, QUANTITY
from tests.gui.conftest import actor_for


@pytest.fixture(autouse=True)
def boxes(monkeypatch) -> list[str]:
    """The messages a box would have shown (a modal box would block the test)."""
    shown: list[str] = []
    monkeypatch.setattr("app.views.common.messages.show_user_error", lambda _p, exc: shown.append(exc.message))
    return shown


def _window(qtbot, db: Database, role: str, tmp_path: Path) -> ProductsWindow:
    win = ProductsWindow(Desk(db, actor_for(db, role), DraftStore(tmp_path / "drafts")))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(win.settled)
    return win


def _open(qtbot, win: ProductsWindow, button) -> ProductDialog:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.dialog is not None and win.settled())
    dlg = win.dialog
    assert dlg is not None
    return dlg


def _save(qtbot, dlg: ProductDialog) -> None:
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dlg.settled)


def _shot(widget, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("ORDERCYCLE_SHOTS") or tmp_path)
    assert widget.grab().save(str(folder / name))


def test_production_types_a_product_with_a_bom_and_a_routing_management_prices_it(
        qtbot, demo: Database, tmp_path: Path, boxes: list[str]) -> None:
    win = _window(qtbot, demo, "production", tmp_path)
    assert win.model.rows and all(r.active for r in win.model.rows)
    dlg = _open(qtbot, win, win.new_button)
    assert dlg.list_price.isReadOnly() and not dlg.breaks.isEnabled()  # only management sets prices
    assert dlg.bom.isEnabled() and dlg.routing.isEnabled()
    choices = dlg.choices
    mat = {m.code: m.id for m in choices.materials}
    wc = {c.code: c.id for c in choices.work_centers}
    sk = {k.code: k.id for k in choices.skills}
    qtbot.keyClicks(dlg.sku, "BR-100")
    qtbot.keyClicks(dlg.name, "Wall bracket 100")
    dlg.unit.setCurrentText("set")
    qtbot.keyClicks(dlg.location, "B-02-1")
    dlg.make_to_stock.setChecked(False)
    qtbot.mouseClick(dlg.add_bom_button, Qt.MouseButton.LeftButton)
    dlg.set_bom_item(0, "material", mat["STL-SHEET-2"])
    dlg.bom.item(0, QUANTITY).setText("2.5")
    assert dlg.bom.item(0, 2).text() == "kg"  # the material's unit shows
    for name, centre, skill, setup, run in (("Laser cut", "LASER", "laser", "10", "1.5"),
                                            ("Powder coat", "COAT", "coating", "20", "0.5")):
        qtbot.mouseClick(dlg.add_op_button, Qt.MouseButton.LeftButton)
        dlg.set_operation(dlg.routing.rowCount() - 1, name, wc[centre], sk[skill], setup, run)
    qtbot.mouseClick(dlg.add_op_button, Qt.MouseButton.LeftButton)  # added by mistake, left empty
    qtbot.mouseClick(dlg.remove_op_button, Qt.MouseButton.LeftButton)
    assert dlg.routing.rowCount() == 2 and dlg.routing.item(1, 0).text() == "20"
    _shot(dlg, "product-form.png", tmp_path)
    _save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted and dlg.saved is not None, (dlg.error.text(), boxes)
    saved = dlg.saved
    assert saved.sku == "BR-100" and saved.unit == "set" and not saved.make_to_stock and saved.location == "B-02-1"
    assert [(b.code, b.quantity) for b in saved.bom] == [("STL-SHEET-2", D("2.5"))]
    assert [(o.seq, o.name, o.work_center, o.setup_minutes) for o in saved.routing] == [
        (10, "Laser cut", "LASER", D(10)), (20, "Powder coat", "COAT", D(20))]

    qtbot.waitUntil(lambda: win.dialog is None and win.settled())
    qtbot.keyClicks(win.search, "bracket")
    qtbot.waitUntil(lambda: win.settled() and [r.sku for r in win.model.rows] == ["BR-100"])

    boss = _window(qtbot, demo, "management", tmp_path)
    qtbot.keyClicks(boss.search, "BR-100")
    qtbot.waitUntil(lambda: boss.settled() and len(boss.model.rows) == 1)
    boss.table.selectRow(0)
    dlg = _open(qtbot, boss, boss.edit_button)
    assert not dlg.bom.isEnabled() and dlg.routing.rowCount() == 2  # management sees the routing, prices it
    dlg.list_price.setText("24.50")
    qtbot.mouseClick(dlg.add_break_button, Qt.MouseButton.LeftButton)
    dlg.breaks.item(0, FROM_QTY).setText("10")
    dlg.breaks.item(0, DISCOUNT).setText("5")
    _save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted, (dlg.error.text(), boxes)
    now = svc.product(demo, actor_for(demo, "sales"), saved.id)
    assert now.list_price == D("24.50") and [(b.min_quantity, b.discount_percent) for b in now.price_breaks] == \
        [(D(10), D(5))]
    assert len(now.routing) == 2
    boss.search.clear()
    qtbot.waitUntil(lambda: boss.settled() and len(boss.model.rows) > 1)
    boss.select(saved.id)
    _shot(boss, "products.png", tmp_path)


def test_bad_input_is_said_at_its_field_and_nothing_is_saved(qtbot, demo: Database, tmp_path: Path) -> None:
    win = _window(qtbot, demo, "management", tmp_path)
    dlg = _open(qtbot, win, win.new_button)
    qtbot.keyClicks(dlg.sku, "NEG-1")
    qtbot.keyClicks(dlg.name, "Negative")
    dlg.list_price.setText("-5")
    _save(qtbot, dlg)
    assert dlg.isVisible() and dlg.result() != QDialog.DialogCode.Accepted  # stays open, input kept
    assert "a price cannot be negative" in dlg.problem_at("list_price")
    assert dlg.error.isVisible() and dlg.problem_at("sku") == "" and dlg.list_price.text() == "-5"
    assert not svc.products(demo, actor_for(demo, "management"), "NEG-1")
    dlg.list_price.setText("5")
    _save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted and dlg.problem_at("list_price") == ""


def test_a_routing_step_on_an_archived_work_centre_is_said_at_the_routing(qtbot, demo: Database,
                                                                        tmp_path: Path) -> None:
    prod = actor_for(demo, "production")
    choices = svc.choices(demo, prod)
    family = choices.families[0].id
    made = svc.save_product(demo, prod, svc.ProductForm(sku="ARC-1", name="Archived centre test", family_id=family))
    win = _window(qtbot, demo, "production", tmp_path)
    assert win.select(made.id)
    dlg = _open(qtbot, win, win.edit_button)
    qtbot.mouseClick(dlg.add_op_button, Qt.MouseButton.LeftButton)
    wc = {c.code: c.id for c in choices.work_centers}
    dlg.set_operation(0, "Weld", wc["WELD2"], choices.skills[0].id, "5", "5")
    from sqlalchemy import update

    from app.models import WorkCenter
    with demo.uow(actor_for(demo, "admin")) as uow:  # meanwhile the work centre is archived
        uow.session.execute(update(WorkCenter).where(WorkCenter.code == "WELD2").values(active=False))
        uow.commit()
    _save(qtbot, dlg)
    assert dlg.result() != QDialog.DialogCode.Accepted
    assert "work centre WELD2 is archived" in dlg.problem_at("routing")
    assert svc.product(demo, prod, made.id).routing == ()


def test_archive_is_refused_with_open_orders_then_archive_and_restore(qtbot, demo: Database, tmp_path: Path,
                                                                      boxes: list[str]) -> None:
    from sqlalchemy import select

    from app.models import SalesOrder, SalesOrderLine
    from app.services.customers import OPEN_STATUSES

    with demo.read() as s:
        busy = s.execute(select(SalesOrderLine.product_id).join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
                         .where(SalesOrder.status.in_(OPEN_STATUSES))).scalar()
    assert busy is not None
    prod = actor_for(demo, "production")
    quiet = svc.save_product(demo, prod, svc.ProductForm(sku="QUIET-1", name="Quiet product",
                                                        family_id=svc.choices(demo, prod).families[0].id))
    win = _window(qtbot, demo, "production", tmp_path)
    assert win.select(busy)
    qtbot.mouseClick(win.archive_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(win.settled)
    assert boxes and "cannot be archived" in boxes[-1]
    assert win.select(quiet.id)
    qtbot.mouseClick(win.archive_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.settled() and quiet.id not in {r.id for r in win.model.rows})
    win.show_archived.setChecked(True)
    qtbot.waitUntil(lambda: win.settled() and quiet.id in {r.id for r in win.model.rows})
    assert win.select(quiet.id) and win.restore_button.isEnabled()
    qtbot.mouseClick(win.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(win.settled)
    assert svc.product(demo, prod, quiet.id).active and len(boxes) == 1


def test_someone_elses_routing_change_meanwhile_opens_the_compare_dialog(qtbot, demo: Database,
                                                                         tmp_path: Path) -> None:
    from dataclasses import replace

    from app.views.common.conflict import ConflictDialog
    from tests.gui.conftest import when_modal

    boss, prod = actor_for(demo, "management"), actor_for(demo, "production")
    sku = svc.products(demo, boss, "SH-900-4")[0]
    win = _window(qtbot, demo, "management", tmp_path)
    assert win.select(sku.id)
    dlg = _open(qtbot, win, win.edit_button)
    theirs = svc.product(demo, prod, sku.id)
    svc.save_product(demo, prod, replace(theirs.form(), routing=theirs.form().routing[:-1]))  # production, first
    dlg.list_price.setText("199.00")
    seen: list[ConflictDialog] = []

    def answer(box: ConflictDialog) -> None:
        seen.append(box)
        box.take_theirs("routing")  # keep my new price, take their routing
        box.save_button.click()

    when_modal(qtbot, answer, ConflictDialog)
    _save(qtbot, dlg)
    assert seen and dlg.result() == QDialog.DialogCode.Accepted, dlg.error.text()
    now = svc.product(demo, boss, sku.id)
    assert now.list_price == D("199.00") and len(now.routing) == len(theirs.routing) - 1


def test_the_products_menu_opens_the_products_window(qtbot, demo) -> None:  # noqa: ANN001
    from app.config import WorkstationSettings
    from app.desk import Desk
    from app.views.main_window import MainWindow
    from tests.support import actor_for

    window = MainWindow(Desk(demo, actor_for(demo, "production")), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Products")
    assert [a.text() for a in menu.actions()] == ["&Products…", "Product &families…"]
    window.actions["products"].trigger()
    win = window.products_window
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.isVisible() and win.settled())
    assert win.table.model().rowCount() > 0


def test_production_counts_stock_a_bad_count_is_said_at_the_field(qtbot, demo: Database, tmp_path: Path) -> None:
    from app.views.products.count import CountStockDialog

    win = _window(qtbot, demo, "production", tmp_path)
    row = next(r for r in win.model.rows if r.make_to_stock and r.unit == "pcs")
    win.select(row.id)
    assert win.count_button.isEnabled()
    qtbot.mouseClick(win.count_button, Qt.MouseButton.LeftButton)
    dlg = win.count_dialog
    assert isinstance(dlg, CountStockDialog) and dlg.isVisible()
    dlg.counted.setText("2.5")
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dlg.settled)
    assert dlg.isVisible() and "whole" in dlg.error.text() and "whole" in dlg.counted.toolTip()
    assert [r.stock_on_hand for r in svc.products(demo, win.actor, row.sku) if r.id == row.id] == \
        [row.stock_on_hand]  # nothing saved
    dlg.counted.setText(str(int(row.stock_on_hand) + 5))
    qtbot.keyClicks(dlg.note, "annual count")
    _shot(dlg, "count-stock.png", tmp_path)
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.settled() and not dlg.isVisible() and win.settled())
    assert f"{row.sku} counted: " in win.message.text() and "(+5)" in win.message.text()
    assert win.selected() is not None and win.selected().stock_on_hand == row.stock_on_hand + 5


def test_sales_sees_no_count_button(qtbot, demo: Database, tmp_path: Path) -> None:
    win = _window(qtbot, demo, "sales", tmp_path)
    assert not win.count_button.isVisibleTo(win)


def test_a_german_firm_sees_and_keeps_its_numbers_the_german_way(qtbot, demo: Database, tmp_path: Path) -> None:
    """1.125 kg in a bill of materials is shown '1,125' in a de_DE firm (a German reads '1.125' as
    1125) and saving the form unchanged keeps 1.125; the list price shows '…,..' and reads back."""
    from dataclasses import replace

    from app import format as fmt

    prod = actor_for(demo, "production")
    row = next(r for r in svc.products(demo, prod, "") if svc.product(demo, prod, r.id).bom)
    view = svc.product(demo, prod, row.id)
    first = view.form().bom[0]
    svc.save_product(demo, prod, replace(view.form(), bom=(replace(first, quantity=D("1.125")),
                                                           *view.form().bom[1:])))
    fmt.set_locale("de_DE")  # what use_firm_settings does for a German firm (put back after the test)
    win = _window(qtbot, demo, "management", tmp_path)
    assert win.select(row.id)
    dlg = _open(qtbot, win, win.edit_button)
    assert dlg.bom.item(0, QUANTITY).text() == "1,125"
    assert "," in dlg.list_price.text() and "." not in dlg.list_price.text()
    _save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted, dlg.error.text()
    after = svc.product(demo, prod, row.id)
    assert after.bom[0].quantity == D("1.125") and after.list_price == view.list_price
