"""Priority queue through the real widgets (story 3: strategy decides, expedites are rationed)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt
from sqlalchemy import func, select

from app.desk import Desk
from app.db.uow import Database
from app.models import ExpediteRequest, SalesOrder
from app.services.changes import Changes
from app.views.priorities.dialogs import DecisionDialog, ExpediteRequestDialog, ProfilesDialog, ReasonDialog
from app.views.priorities.tab import PrioritiesTab
from tests.support import TODAY
from tests.gui.conftest import actor_for, when_modal


def make_tab(qtbot, db: Database, who: str) -> PrioritiesTab:
    tab = PrioritiesTab(Desk(db, actor_for(db, who)))
    qtbot.addWidget(tab)
    tab.resize(1400, 860)
    tab.show()
    return tab


def tradeshow(db: Database) -> SalesOrder:
    with db.read() as s:
        return s.scalars(select(SalesOrder).where(SalesOrder.customer_reference == "NEC stand - Logistics Show")).one()


def select_request(tab: PrioritiesTab, order_number: str) -> None:
    row = next(i for i, e in enumerate(tab.requests_model.rows) if e.order_number == order_number)
    tab.requests_table.selectRow(row)


def test_story3_marketing_asks_management_agrees_production_accepts_and_the_queue_reorders(qtbot, demo) -> None:
    order = tradeshow(demo)
    marketing = make_tab(qtbot, demo, "marketing")
    # the strategic customer's order ranks high, and the panel says why
    hal = next(r for r in marketing.model.rows if r.customer.startswith("Halden"))
    assert hal.rank <= 8
    marketing.select_order(hal.order_id)
    parts = [p.label for p in marketing.parts.rows]
    assert {"Customer tier", "Urgency", "Margin"} <= set(parts[:5])
    before = marketing.queue.by_id[order.id].rank
    assert marketing.select_order(order.id)
    seen: dict[str, str] = {}

    def fill(dlg: ExpediteRequestDialog) -> None:
        seen["quota"] = dlg.quota.text()
        d = TODAY + dt.timedelta(days=5)
        dlg.date.setDate(QDate(d.year, d.month, d.day))
        dlg.reason.setPlainText("Stand build at the NEC starts on the 14th")
        dlg.send()

    when_modal(qtbot, fill, ExpediteRequestDialog)
    marketing.request_expedite()
    assert "request 4 this month" in seen["quota"] and "quota of 3" in seen["quota"]
    assert "over quota" in marketing.message.text().lower()

    management = make_tab(qtbot, demo, "management")
    select_request(management, order.number)

    def agree(dlg: DecisionDialog) -> None:
        seen["management_impact"] = dlg.impact_label.text()
        dlg.comment.setPlainText("The show is our biggest lead source")
        dlg.buttons["agree"].click()

    when_modal(qtbot, agree, DecisionDialog)
    management.decide_selected()

    production = make_tab(qtbot, demo, "production")
    select_request(production, order.number)

    def accept(dlg: DecisionDialog) -> None:
        seen["impact"] = dlg.impact_label.text()
        assert set(dlg.buttons) == {"accept", "acceptOvertime", "decline"}
        dlg.comment.setPlainText("Saturday welding shift")
        qtbot.mouseClick(dlg.buttons["acceptOvertime"], Qt.MouseButton.LeftButton)

    when_modal(qtbot, accept, DecisionDialog)
    production.decide_selected()
    assert "would slip" in seen["impact"] and "overtime hours avoid it" in seen["impact"]
    assert seen["impact"] == seen["management_impact"]
    after = production.queue.by_id[order.id]
    assert after.expedite == "accepted" and after.rank < before
    assert production.selected_row().order_id == order.id
    assert "accepted expedites go first" in production.why_head.text()
    # marketing's desk picks it up through the change feed; the statistics show the fourth request
    marketing.on_changes(Changes(seq=999, tables=frozenset({"expedite_request"})))
    assert marketing.queue.by_id[order.id].rank == after.rank
    marketing.pages.setCurrentIndex(1)
    mk = next(s for s in marketing.stats.rows if s.requested_by == "marketing")
    assert (mk.this_month, mk.quota) == (4, 3)
    assert marketing.stats_table.model().index(0, 2).data() == "4 of 3"


def test_a_request_with_a_past_date_shows_the_problem_and_saves_nothing(qtbot, demo) -> None:
    tab = make_tab(qtbot, demo, "sales")
    target = next(r for r in tab.model.rows if not r.expedite)
    tab.select_order(target.order_id)
    with demo.read() as s:
        count = s.scalar(select(func.count()).select_from(ExpediteRequest))
    seen = {}

    def fill(dlg: ExpediteRequestDialog) -> None:
        d = TODAY - dt.timedelta(days=3)
        dlg.date.setDate(QDate(d.year, d.month, d.day))
        dlg.reason.setPlainText("yesterday please")
        dlg.send()
        qtbot.waitUntil(dlg.settled, timeout=20_000)  # the request runs off the GUI thread
        seen["error"] = dlg.error.text()
        seen["open"] = dlg.isVisible()
        dlg.reject()

    when_modal(qtbot, fill, ExpediteRequestDialog)
    tab.request_expedite()
    assert "in the past" in seen["error"] and "requested date" in seen["error"] and seen["open"]
    with demo.read() as s:
        assert s.scalar(select(func.count()).select_from(ExpediteRequest)) == count


def test_management_changes_the_strategy_and_the_queue_follows(qtbot, demo) -> None:
    tab = make_tab(qtbot, demo, "management")

    def edit(dlg: ProfilesDialog) -> None:
        dlg.new()
        dlg.name.setText("Strategic customers only")
        for key, box in dlg.weights.items():
            box.setValue(1.0 if key == "strategic" else 0.0)
        dlg.save()
        qtbot.waitUntil(dlg.settled, timeout=20_000)  # each call runs off the GUI thread
        dlg.activate()
        qtbot.waitUntil(dlg.settled, timeout=20_000)
        assert dlg.current().active
        dlg.accept()

    when_modal(qtbot, edit, ProfilesDialog)
    tab.edit_profiles()
    assert "Strategic customers only" in tab.strategy.text()
    rest = [r for r in tab.model.rows if r.expedite != "accepted"]
    flags = [r.strategic for r in rest]
    assert flags == sorted(flags, reverse=True) and True in flags and False in flags
    # marketing sees the profiles but cannot change them
    marketing = make_tab(qtbot, demo, "marketing")
    seen = {}

    def look(dlg: ProfilesDialog) -> None:
        seen["buttons"] = dlg.save_button.isVisible()
        seen["readonly"] = all(b.isReadOnly() for b in dlg.weights.values())
        dlg.accept()

    when_modal(qtbot, look, ProfilesDialog)
    marketing.edit_profiles()
    assert seen == {"buttons": False, "readonly": True}


def test_finance_holds_an_order_and_sales_sees_why(qtbot, demo) -> None:
    finance = make_tab(qtbot, demo, "finance")
    target = next(r for r in finance.model.rows if r.status == "confirmed")
    finance.select_order(target.order_id)

    def hold(dlg: ReasonDialog) -> None:
        dlg.kind.setCurrentIndex(dlg.kind.findData("credit"))
        dlg.reason.setText("Credit limit exceeded")
        dlg.send()

    when_modal(qtbot, hold, ReasonDialog)
    finance.hold_selected()
    assert target.order_id not in {r.order_id for r in finance.model.rows}
    sales = make_tab(qtbot, demo, "sales")
    assert not sales.hold_button.isVisible()
    sales.pages.setCurrentIndex(2)
    held = {r.number: r.hold_reason for r in sales.held_model.rows}
    assert held[target.number] == "Credit hold: Credit limit exceeded"
    finance.pages.setCurrentIndex(2)
    finance.held_table.selectRow(next(i for i, r in enumerate(finance.held_model.rows)
                                      if r.order_id == target.order_id))
    finance.release_selected()
    assert not finance.release_button.isEnabled() and not finance.hold_button.isEnabled()  # held while it runs
    qtbot.waitUntil(finance.settled, timeout=20_000)
    assert finance.release_button.isEnabled()
    assert target.order_id in {r.order_id for r in finance.model.rows}
