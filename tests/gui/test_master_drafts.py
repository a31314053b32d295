"""Master-data forms keep what is typed as a draft (issue 20): a customer form left open when the
desk dies comes back at the next start with its contacts and addresses, a product form with its
quantity breaks and routing; saving or cancelling drops the draft."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from app.config import WorkstationSettings
from app.db.uow import Database
from app.desk import Desk
from app.drafts import DraftStore
from app.services import customers as csvc
from app.services import products as psvc
from app.views.common.master import from_draft, to_draft
from app.views.customers.form import NAME, CustomerDialog
from app.views.customers.window import CustomersWindow
from app.views.main_window import MainWindow
from app.views.products.form import ProductDialog
from tests.support import actor_for


def _pending(store: DraftStore, db: Database, user: str) -> list:
    return store.pending(database=db.location, username=user)


def test_a_customer_form_left_open_comes_back_with_its_contacts(qtbot, demo: Database, tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    sales = actor_for(demo, "sales")
    win = CustomersWindow(Desk(demo, sales, store))
    qtbot.addWidget(win)
    qtbot.waitUntil(win.settled)
    first = win.model.rows[0]
    win.select(first.id)
    qtbot.mouseClick(win.edit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.dialog is not None and win.settled())
    dlg = win.dialog
    assert isinstance(dlg, CustomerDialog)
    assert _pending(store, demo, "sales") == []  # opening a form is not typing: no draft
    dlg.name.clear()
    qtbot.keyClicks(dlg.name, "Renamed While Typing Ltd")
    qtbot.mouseClick(dlg.add_contact_button, Qt.MouseButton.LeftButton)
    dlg.set_contact(dlg.contacts.rowCount() - 1, NAME, "Nina Neu")
    qtbot.keyClicks(dlg.billing.city, " Nord")
    qtbot.waitUntil(lambda: any("Nina Neu" in json.dumps(d.values) for d in _pending(store, demo, "sales")))
    [draft] = _pending(store, demo, "sales")
    assert draft.form == "customer" and draft.record_id == first.id and first.code in draft.title
    # the desk dies here (the dialog is never closed); nothing was saved
    assert csvc.customer(demo, sales, first.id).name == first.name
    dlg.keeper = None  # what a dead process keeps: nothing (the file stays)

    window = MainWindow(Desk(demo, sales, store), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    asked: list[str] = []
    assert window.offer_drafts(store, ask=lambda q: asked.append(q) or True) == 1
    assert f"Customer {first.code}" in asked[0]
    reopened = window.customers_window
    qtbot.waitUntil(lambda: reopened.dialog is not None and reopened.settled())
    again = reopened.dialog
    assert isinstance(again, CustomerDialog) and again is not dlg
    assert again.name.text() == "Renamed While Typing Ltd"
    assert "Nina Neu" in [c.name for c in again.contact_values()]
    assert again.billing.value().city.endswith(" Nord")
    qtbot.mouseClick(again.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: reopened.dialog is None and reopened.settled())
    saved = csvc.customer(demo, sales, first.id)
    assert saved.name == "Renamed While Typing Ltd" and "Nina Neu" in [c.name for c in saved.contacts]
    assert _pending(store, demo, "sales") == []  # saved: the draft is gone


def test_a_product_forms_values_survive_the_draft_file_exactly(qtbot, demo: Database, tmp_path: Path) -> None:
    production = actor_for(demo, "production")
    rows = psvc.products(demo, production, "")
    made = next(r for r in rows if psvc.product(demo, production, r.id).routing)
    view = psvc.product(demo, production, made.id)
    dlg = ProductDialog(Desk(demo, production, DraftStore(tmp_path / "drafts")), view, psvc.choices(demo, production))
    qtbot.addWidget(dlg)
    values = dlg.values()
    assert values["routing"] and values["price_breaks"] is not None
    back = from_draft(json.loads(json.dumps(to_draft(values))), dlg.draft_types)
    assert back["routing"] == values["routing"] and back["bom"] == values["bom"]
    assert back["price_breaks"] == values["price_breaks"]
    dlg.set_values({**values, "name": "changed"})
    dlg.restore(to_draft(values))  # a draft puts every field back
    assert dlg.values() == values


def test_cancelling_a_form_drops_its_draft(qtbot, demo: Database, tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    win = CustomersWindow(Desk(demo, actor_for(demo, "sales"), store))
    qtbot.addWidget(win)
    qtbot.waitUntil(win.settled)
    qtbot.mouseClick(win.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.dialog is not None and win.settled())
    dlg = win.dialog
    assert dlg is not None
    qtbot.keyClicks(dlg.field_widgets["name"], "Half Typed GmbH")
    qtbot.waitUntil(lambda: len(_pending(store, demo, "sales")) == 1)
    assert _pending(store, demo, "sales")[0].record_id is None
    assert _pending(store, demo, "sales")[0].title == "New customer: Half Typed GmbH"
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _pending(store, demo, "sales") == [])
