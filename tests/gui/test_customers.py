"""Customers (issue 20), driven through the real widgets: a salesperson types a new customer with
two contacts, saves, and finds it by searching; a bad VAT number is said at its field and nothing
is saved. ``ORDERCYCLE_SHOTS=docs/screenshots`` also renders the window and the form there."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from app.db.uow import Database
from app.desk import Desk
from app.drafts import DraftStore
from app.services import customers as svc
from app.views.customers import CustomerDialog, CustomersWindow
from app.views.customers.form import EMAIL, NAME, PHONE, ROLE
from tests.gui.conftest import actor_for


@pytest.fixture(autouse=True)
def boxes(monkeypatch) -> list[str]:
    """The messages a box would have shown (a modal box would block the test)."""
    shown: list[str] = []
    monkeypatch.setattr("app.views.common.messages.show_user_error", lambda _p, exc: shown.append(exc.message))
    return shown


def _window(qtbot, db: Database, role: str, tmp_path: Path) -> CustomersWindow:
    win = CustomersWindow(Desk(db, actor_for(db, role), DraftStore(tmp_path / "drafts")))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(win.settled)
    return win


def _open_new(qtbot, win: CustomersWindow) -> CustomerDialog:
    qtbot.mouseClick(win.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.dialog is not None and win.settled())
    dlg = win.dialog
    assert dlg is not None
    return dlg


def _save(qtbot, dlg: CustomerDialog) -> None:
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dlg.settled)


def _shot(widget, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("ORDERCYCLE_SHOTS") or tmp_path)
    assert widget.grab().save(str(folder / name))


def test_sales_types_a_customer_with_two_contacts_and_finds_it(qtbot, demo: Database, tmp_path: Path,
                                                              boxes: list[str]) -> None:
    win = _window(qtbot, demo, "sales", tmp_path)
    assert win.model.rows and all(r.active for r in win.model.rows)
    dlg = _open_new(qtbot, win)
    assert dlg.terms.value() == 30  # the firm's default payment terms
    assert dlg.credit.isReadOnly() and not dlg.tier.isEnabled()  # only management sets them
    qtbot.keyClicks(dlg.code, "alpen")
    qtbot.keyClicks(dlg.name, "Alpen Stahl GmbH")
    qtbot.keyClicks(dlg.vat_number, "ATU 1358 5627")
    qtbot.keyClicks(dlg.email, "office@alpen.example")
    qtbot.keyClicks(dlg.phone, "+43 1 234 5678")
    dlg.billing.line1.insert("Hauptstraße 5")  # QTest types ASCII only
    qtbot.keyClicks(dlg.billing.postcode, "1010")
    qtbot.keyClicks(dlg.billing.city, "Wien")
    qtbot.keyClicks(dlg.billing.country, "at")
    dlg.delivery.line1.insert("Werkstraße 1")
    qtbot.keyClicks(dlg.delivery.postcode, "4020")
    qtbot.keyClicks(dlg.delivery.city, "Linz")
    dlg.delivery.region.insert("Oberösterreich")
    qtbot.keyClicks(dlg.delivery.country, "AT")
    for name, role, email, phone in (("Eva Huber", "buyer", "eva@alpen.example", "+43 1 234 11"),
                                     ("Karl Berger", "accounts payable", "ap@alpen.example", "")):
        qtbot.mouseClick(dlg.add_contact_button, Qt.MouseButton.LeftButton)
        row = dlg.contacts.rowCount() - 1
        for col, text in ((NAME, name), (ROLE, role), (EMAIL, email), (PHONE, phone)):
            dlg.set_contact(row, col, text)
    dlg.set_invoice_contact(1)
    qtbot.mouseClick(dlg.add_contact_button, Qt.MouseButton.LeftButton)  # added by mistake, left empty
    qtbot.mouseClick(dlg.remove_contact_button, Qt.MouseButton.LeftButton)
    assert dlg.contacts.rowCount() == 2
    _shot(dlg, "customer-form.png", tmp_path)
    _save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted and dlg.saved is not None, (dlg.error.text(), boxes)
    saved = dlg.saved
    assert saved.code == "ALPEN" and saved.vat_number == "ATU13585627" and saved.payment_terms_days == 30
    assert [(c.name, c.for_invoices) for c in saved.contacts] == [("Eva Huber", False), ("Karl Berger", True)]
    assert saved.delivery.city == "Linz" and saved.billing.country == "AT"

    qtbot.waitUntil(lambda: win.dialog is None and win.settled())
    qtbot.keyClicks(win.search, "alpen")
    qtbot.waitUntil(lambda: win.settled() and [r.code for r in win.model.rows] == ["ALPEN"])
    assert win.model.rows[0].city == "Wien"
    win.search.clear()
    qtbot.waitUntil(lambda: win.settled() and len(win.model.rows) > 1)
    win.select(saved.id)
    _shot(win, "customers.png", tmp_path)

    # edit it again: the form shows what was saved, a third contact is added
    qtbot.keyClicks(win.search, "alpen")
    qtbot.waitUntil(lambda: win.settled() and len(win.model.rows) == 1)
    win.table.selectRow(0)
    qtbot.mouseClick(win.edit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.dialog is not None and win.settled())
    dlg = win.dialog
    assert dlg is not None and dlg.code.text() == "ALPEN" and dlg.contacts.rowCount() == 2
    qtbot.mouseClick(dlg.add_contact_button, Qt.MouseButton.LeftButton)
    dlg.set_contact(2, NAME, "Lena Wolf")
    _save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert [c.name for c in svc.customer(demo, actor_for(demo, "sales"), saved.id).contacts] == \
        ["Eva Huber", "Karl Berger", "Lena Wolf"]


def test_a_bad_vat_number_is_said_at_its_field_and_nothing_is_saved(qtbot, demo: Database, tmp_path: Path) -> None:
    win = _window(qtbot, demo, "management", tmp_path)
    dlg = _open_new(qtbot, win)
    assert not dlg.credit.isReadOnly()
    qtbot.keyClicks(dlg.code, "RHEIN")
    qtbot.keyClicks(dlg.name, "Rhein Metall Handel GmbH")
    qtbot.keyClicks(dlg.vat_number, "DE136695977")  # the check digit is wrong
    qtbot.keyClicks(dlg.billing.line1, "Rheinallee 1")
    qtbot.keyClicks(dlg.billing.postcode, "40213")
    dlg.billing.city.insert("Düsseldorf")  # QTest types ASCII only
    qtbot.keyClicks(dlg.billing.country, "DE")
    _save(qtbot, dlg)
    assert dlg.isVisible() and dlg.result() != QDialog.DialogCode.Accepted  # stays open, input kept
    assert "not a valid VAT number" in dlg.problem_at("vat_number")
    assert dlg.error.isVisible() and "VAT" in dlg.error.text()
    assert dlg.problem_at("code") == "" and dlg.vat_number.text() == "DE136695977"
    assert not svc.customers(demo, actor_for(demo, "management"), "rhein")
    # corrected, it saves and the mark goes
    dlg.vat_number.clear()
    qtbot.keyClicks(dlg.vat_number, "DE136695976")
    _save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted and dlg.problem_at("vat_number") == ""
    assert [r.vat_number for r in svc.customers(demo, actor_for(demo, "management"), "rhein")] == ["DE136695976"]


def test_someone_elses_save_meanwhile_opens_the_compare_dialog(qtbot, demo: Database, tmp_path: Path) -> None:
    from app.views.common.conflict import ConflictDialog
    from tests.gui.conftest import when_modal

    win = _window(qtbot, demo, "sales", tmp_path)
    qtbot.keyClicks(win.search, "HALDEN")
    qtbot.waitUntil(lambda: win.settled() and len(win.model.rows) == 1)
    win.table.selectRow(0)
    qtbot.mouseClick(win.edit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.dialog is not None and win.settled())
    dlg = win.dialog
    assert dlg is not None
    boss = actor_for(demo, "management")
    theirs = svc.customer(demo, boss, win.model.rows[0].id)
    svc.save_customer(demo, boss, replace(theirs.form(), phone="0113 000 0000"))  # the other desk, first
    dlg.name.setText("Halden Logistics Group Ltd")
    seen: list[ConflictDialog] = []

    def answer(box: ConflictDialog) -> None:
        seen.append(box)
        box.take_theirs("phone")  # keep my new name, take their phone
        box.save_button.click()

    when_modal(qtbot, answer, ConflictDialog)
    _save(qtbot, dlg)
    assert seen and dlg.result() == QDialog.DialogCode.Accepted
    now = svc.customer(demo, boss, theirs.id)
    assert now.name == "Halden Logistics Group Ltd" and now.phone == "0113 000 0000"


def test_archive_is_refused_with_open_orders_then_archive_and_restore(qtbot, demo: Database, tmp_path: Path,
                                                                      boxes: list[str]) -> None:
    from sqlalchemy import select

    from app.models import SalesOrder

    with demo.read() as s:
        busy = s.execute(select(SalesOrder.customer_id).where(SalesOrder.status.in_(svc.OPEN_STATUSES))).scalar()
    assert busy is not None
    sales = actor_for(demo, "sales")
    quiet = svc.save_customer(demo, sales, svc.CustomerForm(code="QUIET", name="Quiet Customer Ltd"))
    win = _window(qtbot, demo, "sales", tmp_path)
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
    assert svc.customer(demo, sales, quiet.id).active and len(boxes) == 1


def test_the_customer_menu_opens_the_customers_window(qtbot, demo: Database) -> None:
    from app.config import WorkstationSettings
    from app.views.main_window import MainWindow

    window = MainWindow(Desk(demo, actor_for(demo, "sales")), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Customer")
    assert [a.text() for a in menu.actions()] == ["&Customers…", "Customer &timeline…"]
    window.actions["customers"].trigger()
    win = window.customers_window
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.isVisible() and win.work.settled())
    assert win.table.model().rowCount() > 0


def test_management_merges_a_duplicate_from_the_list(qtbot, demo: Database, tmp_path: Path) -> None:
    win = _window(qtbot, demo, "management", tmp_path)
    with demo.read() as s:
        from sqlalchemy import select

        from app.models import Customer

        keep, dup = (s.scalar(select(Customer.id).where(Customer.code == c)) for c in ("HALDEN", "OAKWD"))
    assert win.select(dup) and win.merge_button.isVisible() and win.merge_button.isEnabled()
    asked: list[str] = []
    win.merge_selected(keep, confirm=lambda text: asked.append(text) or True)
    qtbot.waitUntil(win.settled, timeout=10000)
    assert asked and asked[0].startswith("Move every order, invoice, claim, note and contact of OAKWD")
    assert win.message.text().startswith("Merged into HALDEN:") and "sales orders" in win.message.text()
    assert not svc.customer(demo, actor_for(demo, "management"), dup).active
    sales = _window(qtbot, demo, "sales", tmp_path)
    assert not sales.merge_button.isVisible()  # management's
