"""Admin → Firm settings: management sets the margin floor that order entry then applies."""

from __future__ import annotations

from decimal import Decimal


from app.desk import Desk
from app.db.uow import Database
from app.services import order_preview, orders
from app.services import settings as svc
from app.services.pricing import LineInput
from app.views.admin.settings import SettingsDialog
from tests.gui.conftest import actor_for



def test_management_raises_the_margin_floor_and_order_entry_applies_it(qtbot, demo: Database) -> None:
    boss = actor_for(demo, "management")
    dlg = SettingsDialog(Desk(demo, boss))
    qtbot.addWidget(dlg)
    assert dlg.fields["margin_floor"].text() == "18"
    dlg.fields["margin_floor"].setText("25")
    dlg.fields["tier_discounts"]["A"].setText("6")
    dlg.save()
    qtbot.waitUntil(dlg.settled)  # saved off the GUI thread
    assert dlg.result() == 1
    now = svc.get_settings(demo)
    assert now.margin_floor == Decimal("0.25") and now.tier_discounts["A"] == Decimal("0.06")
    sales = actor_for(demo, "sales")
    cust = orders.search_customers(demo, sales, "")[0][0]
    prod = orders.search_products(demo, sales, "WB-")[0][0]
    view = order_preview.preview(demo, sales, cust, [LineInput(prod, Decimal(1))])
    assert view.margin_floor == Decimal("0.25")


def test_a_bad_value_is_named_and_nothing_is_saved(qtbot, demo: Database, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr("app.views.common.messages.show_user_error", lambda _p, exc: shown.append(exc.message))
    boss = actor_for(demo, "management")
    dlg = SettingsDialog(Desk(demo, boss))
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.fields["excess_cover_months"].setText("9")
    dlg.fields["margin_floor"].setText("lots")
    dlg.save()
    qtbot.waitUntil(dlg.settled)
    assert dlg.error.isVisible() and "margin" in dlg.error.text().lower()
    assert shown == []  # said under the form, not in a box over it
    assert dlg.isVisible() and dlg.fields["margin_floor"].text() == "lots"  # stays open, input kept
    now = svc.get_settings(demo)
    assert now.excess_cover_months == Decimal("6") and now.margin_floor == Decimal("0.18")


def test_the_administrator_edits_the_firm_but_not_the_pricing(qtbot, demo: Database) -> None:
    admin = actor_for(demo, "admin")
    dlg = SettingsDialog(Desk(demo, admin))
    qtbot.addWidget(dlg)
    assert dlg.fields["margin_floor"].isReadOnly()
    assert not dlg.fields["firm_name"].isReadOnly()
    dlg.fields["firm_name"].setText("Northbeam Steel Ltd")
    dlg.save()
    qtbot.waitUntil(dlg.settled)
    assert svc.get_settings(demo).firm_name == "Northbeam Steel Ltd"
