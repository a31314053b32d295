"""Admin → Firm settings: the currency saved in the dialog is this desk's at once; the planning gap
threshold is a percentage there like the other rates (issue 20, every setting acts)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app import format as fmt
from app.db.uow import Database
from app.desk import Desk
from app.services import settings as svc
from app.views.admin.settings import SettingsDialog
from tests.gui.conftest import actor_for


@pytest.fixture(autouse=True)
def pounds_again():
    yield
    fmt.set_currency("GBP")


def test_the_administrator_sets_euros_and_the_gap_threshold(qtbot, demo: Database) -> None:
    dlg = SettingsDialog(Desk(demo, actor_for(demo, "admin")))
    qtbot.addWidget(dlg)
    assert dlg.fields["currency"].text() == "GBP" and dlg.fields["planning_gap_threshold"].text() == "15"
    assert fmt.money(Decimal("12.5")) == "£12.50"
    dlg.fields["currency"].setText("eur")
    dlg.fields["planning_gap_threshold"].setText("5")
    dlg.save()
    qtbot.waitUntil(dlg.settled)
    assert dlg.result() == 1
    now = svc.get_settings(demo)
    assert now.currency == "EUR" and now.planning_gap_threshold == Decimal("0.05")
    assert fmt.money(Decimal("12.5")) == "€12.50"  # this desk's screens from now on


def test_another_desks_currency_change_is_taken_at_once(qtbot, demo: Database) -> None:
    from app.config import WorkstationSettings
    from app.services.changes import Changes
    from app.views.main_window import MainWindow

    window = MainWindow(Desk(demo, actor_for(demo, "sales")), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    assert fmt.money(Decimal("5")) == "£5.00"
    svc.set_setting(demo, actor_for(demo, "admin"), "currency", "EUR")  # on another desk
    window.on_changes(Changes(seq=99, tables=frozenset({"setting"})))  # what the change feed hands over
    qtbot.waitUntil(window.work.settled)
    assert fmt.money(Decimal("5")) == "€5.00"
