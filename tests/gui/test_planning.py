"""Planning board through the real widgets (story 1: one number instead of two guesses)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from PySide6.QtCore import Qt

from app.desk import Desk
from app.db.uow import Database
from app.views.planning.board_model import KINDS
from app.views.planning.tab import PlanningTab
from tests.support import TODAY
from tests.gui.conftest import actor_for



def make_tab(qtbot, db: Database, who: str) -> PlanningTab:
    tab = PlanningTab(Desk(db, actor_for(db, who)))
    qtbot.addWidget(tab)
    tab.resize(1400, 860)
    tab.show()
    return tab


def edit(qtbot, tab: PlanningTab, product_index: int, period_index: int, kind: str, text: str) -> None:
    """Type ``text`` in a cell and wait for its save (off the GUI thread) to come back."""
    row = tab.model.row_of(product_index, kind)
    index = tab.model.index(row, 2 + period_index)
    assert tab.model.flags(index) & tab.model.flags(index).ItemIsEditable, f"{kind} not editable here"
    tab.model.setData(index, text)
    qtbot.waitUntil(tab.settled, timeout=20_000)


def sign_off(qtbot, tab: PlanningTab):  # type: ignore[no-untyped-def]
    """Sign off the selected month and wait for the answer (the SignOffResult)."""
    got = {}
    tab.sign_off_selected_month(on_done=lambda result: got.setdefault("result", result))
    assert not tab.sign_button.isEnabled() and not tab.import_button.isEnabled()  # held while it runs
    qtbot.waitUntil(tab.settled, timeout=20_000)
    assert tab.sign_button.isEnabled()
    return got.get("result")


def value(tab: PlanningTab, product_index: int, period_index: int, kind: str) -> Decimal | None:
    return getattr(tab.model.board.rows[product_index].cells[period_index], kind)


def test_marketing_and_production_enter_agree_sign_off_and_the_plans_follow(qtbot, demo: Database) -> None:
    marketing = make_tab(qtbot, demo, "marketing")
    p, m = 0, 3  # first product, fourth month
    sku = marketing.board.rows[p].sku
    marketing.pages.setCurrentIndex(2)  # the inventory plan, computed when shown
    plan_before = next(r for r in marketing.inventory_model.rows if r.sku == sku
                       and r.period_start == marketing.board.periods[m])
    edit(qtbot, marketing, p, m, "marketing", "120")
    assert value(marketing, p, m, "marketing") == Decimal(120)
    # marketing cannot type in production's line
    idx = marketing.model.index(marketing.model.row_of(p, "production"), 2 + m)
    assert not (marketing.model.flags(idx) & marketing.model.flags(idx).ItemIsEditable)
    production = make_tab(qtbot, demo, "production")
    edit(qtbot, production, p, m, "production", "80")
    assert value(production, p, m, "production") == Decimal(80)
    assert production.model.board.rows[p].cells[m].gap, "a 120 vs 80 gap must be flagged"
    edit(qtbot, production, p, m, "consensus", "100")
    production.table.setCurrentIndex(production.model.index(0, 2 + m))
    result = sign_off(qtbot, production)
    assert result is not None and result.signed >= 1
    assert production.model.board.rows[p].cells[m].status != "signed_off"  # marketing has not signed
    marketing.pages.setCurrentIndex(0)
    marketing.reload()
    marketing.table.setCurrentIndex(marketing.model.index(0, 2 + m))
    assert sign_off(qtbot, marketing) is not None
    cell = marketing.model.board.rows[p].cells[m]
    assert cell.status == "signed_off"
    assert cell.marketing_signed_by == "marketing" and cell.production_signed_by == "production"
    marketing.pages.setCurrentIndex(2)
    plan_after = next(r for r in marketing.inventory_model.rows if r.sku == sku
                      and r.period_start == marketing.board.periods[m])
    assert plan_after.demand == Decimal(100) and plan_after.demand_source == "consensus"
    assert plan_after.demand != plan_before.demand or plan_before.demand_source != "consensus"
    # editing after sign-off reopens the month
    edit(qtbot, marketing, p, m, "marketing", "125")
    assert marketing.model.board.rows[p].cells[m].status == "open"


def test_a_bad_figure_gets_a_message_and_nothing_is_saved(qtbot, demo: Database, monkeypatch) -> None:
    tab = make_tab(qtbot, demo, "marketing")
    shown: list[str] = []
    monkeypatch.setattr("app.views.common.messages.show_user_error", lambda _p, e: shown.append(e.message))
    before = value(tab, 0, 0, "marketing")
    edit(qtbot, tab, 0, 0, "marketing", "-5")
    edit(qtbot, tab, 0, 0, "marketing", "lots")
    assert len(shown) == 2 and all("marketing_qty" in s or "number" in s or "negative" in s for s in shown)
    tab.reload()
    assert value(tab, 0, 0, "marketing") == before


def test_sales_only_views_the_board(qtbot, demo: Database) -> None:
    tab = make_tab(qtbot, demo, "sales")
    assert not tab.sign_button.isVisible() and not tab.import_button.isVisible()
    for kind in KINDS:
        idx = tab.model.index(KINDS.index(kind), 2)
        assert not (tab.model.flags(idx) & tab.model.flags(idx).ItemIsEditable)


def test_bias_tracker_and_headcount_plan_show_numbers(qtbot, demo: Database) -> None:
    tab = make_tab(qtbot, demo, "management")
    tab.pages.setCurrentIndex(1)
    departments = {r.department for r in tab.bias_model.rows}
    assert {"marketing", "production"} <= departments
    overall = {r.department: r for r in tab.bias_model.rows if r.family_id is None}
    # story 1: marketing ran about 18 % over actual demand, production about 7 % under
    assert Decimal("0.15") <= overall["marketing"].bias <= Decimal("0.21")
    assert Decimal("-0.09") <= overall["production"].bias <= Decimal("-0.05")
    assert overall["marketing"].mape > overall["production"].mape > 0
    tab.pages.setCurrentIndex(3)
    assert tab.headcount_model.rowCount() > 0 and tab.skill.count() > 0
    assert tab.capacity_chart.curves.keys() == {"required", "available"}
    # products without a routing are named, with the reason, not silently dropped
    assert tab.headcount_skipped.text().startswith("Left out (") and "routing" in tab.headcount_skipped.text()


def test_export_then_import_a_departments_figures(qtbot, demo: Database, tmp_path: Path) -> None:
    tab = make_tab(qtbot, demo, "marketing")
    out = tab.export_board(tmp_path / "board.xlsx")
    ws = load_workbook(out).active
    header = [c.value for c in ws[1]]
    assert header[:4] == ["SKU", "Product", "Family", "Line"] and len(header) == 4 + 12
    assert ws.max_row == 1 + 5 * len(tab.board.rows)
    sku = tab.board.rows[1].sku
    wb2 = Workbook()
    s2 = wb2.active
    s2.append(["SKU", "Line", tab.board.periods[0].strftime("%Y-%m"), tab.board.periods[1].strftime("%Y-%m")])
    s2.append([sku.lower(), "Marketing", 77, "1,200"])
    s2.append([sku, "Production", 5, 5])  # another department's line is skipped
    src = tmp_path / "marketing.xlsx"
    wb2.save(src)
    imported = {}
    tab.import_figures(src, on_done=lambda changed: imported.setdefault("changed", changed))
    qtbot.waitUntil(tab.settled, timeout=20_000)
    assert imported["changed"] == 2
    assert value(tab, 1, 0, "marketing") == Decimal(77) and value(tab, 1, 1, "marketing") == Decimal(1200)
    bad = Workbook()
    b = bad.active
    b.append(["SKU", "Line", tab.board.periods[0].strftime("%Y-%m")])
    b.append(["NO-SUCH", "Marketing", 1])
    b.append([sku, "Marketing", -3])
    b.append([sku, "Marketing", "ten"])
    bad_path = tmp_path / "bad.xlsx"
    bad.save(bad_path)
    from app.errors import ValidationError
    from app.exchange import planning_xlsx

    with pytest.raises(ValidationError) as info:
        planning_xlsx.read_figures(demo, bad_path, "marketing")
    where = [(p.row, p.column) for p in info.value.problems]
    assert where == [(2, "A"), (3, "C"), (4, "C")]
    assert "Sheet" in str(info.value.problems[0]) or "sheet" in str(info.value.problems[0])
    assert value(tab, 1, 0, "marketing") == Decimal(77)  # nothing changed


def test_baselines_are_computed_off_the_gui_thread_and_saved(qtbot, demo: Database) -> None:
    tab = make_tab(qtbot, demo, "production")
    seen = {}
    tab.compute_baselines(on_done=lambda result: seen.setdefault("result", result))
    assert not tab.baseline_button.isEnabled() and not tab.settled()  # the window stays usable; the button waits
    qtbot.waitUntil(tab.settled, timeout=120_000)
    result = seen["result"]
    assert result.products and tab.baseline_button.isEnabled()
    assert "Baselines computed" in tab.message.text()
    methods = {c.baseline_method for r in tab.board.rows for c in r.cells if c.baseline is not None}
    from app.services.baseline import method_label

    assert methods and methods <= {method_label(p) for p in result.products}
    assert any("naive" in m for m in methods), "the backtest error is shown next to seasonal naive"


def test_computing_baselines_can_be_cancelled_and_saves_nothing(qtbot, demo: Database) -> None:
    tab = make_tab(qtbot, demo, "production")
    before = [(c.baseline, c.baseline_method) for r in tab.board.rows for c in r.cells]
    tab.compute_baselines()
    tab.baseline_task.cancel()
    qtbot.waitUntil(tab.settled, timeout=120_000)
    assert "cancelled" in tab.message.text()
    tab.reload()
    assert [(c.baseline, c.baseline_method) for r in tab.board.rows for c in r.cells] == before


def test_family_totals_sum_the_products_and_cannot_be_typed_in(qtbot, demo: Database) -> None:
    tab = make_tab(qtbot, demo, "marketing")
    tab.grouped.setChecked(True)
    first = tab.model.product_row(0)
    assert getattr(first, "total", False) and "family total" in tab.model.data(tab.model.index(0, 0))
    members = [r for r in tab.board.rows if r.family_code == first.sku]
    for kind in ("marketing", "production"):
        expected = sum((c.cells[0].__getattribute__(kind) or 0 for c in members), Decimal(0))
        assert first.cells[0].__getattribute__(kind) == expected
    row = KINDS.index("marketing")
    idx = tab.model.index(row, 2)
    assert not (tab.model.flags(idx) & tab.model.flags(idx).ItemIsEditable)
    # a product under the total still edits the right product
    edit(qtbot, tab, 0, 1, "marketing", "55")
    assert value(tab, 0, 1, "marketing") == Decimal(55)


def test_the_board_by_week(qtbot, demo: Database) -> None:
    tab = make_tab(qtbot, demo, "marketing")
    tab.granularity.setCurrentIndex(1)  # Weeks
    assert tab.board.granularity == "week"
    monday = TODAY + dt.timedelta(days=7 - TODAY.weekday())  # the first week after this one
    assert tab.model.headerData(2, Qt.Orientation.Horizontal) == f"W{monday.isocalendar()[1]:02d} {monday:%d %b}"
    assert not tab.import_button.isEnabled()
    edit(qtbot, tab, 0, 0, "marketing", "12")
    assert value(tab, 0, 0, "marketing") == Decimal(12)
    tab.granularity.setCurrentIndex(0)  # back to months: the weekly figure is not a monthly one
    assert tab.board.granularity == "month" and value(tab, 0, 0, "marketing") != Decimal(12)


def test_story_1_the_headcount_plan_shows_welding_short_in_march(qtbot, demo: Database) -> None:
    """After the planning meeting agrees March, welding is about 1.5 people short."""
    from app.services import planning

    production = actor_for(demo, "production")
    board = planning.board(demo, production)
    march = next(p for p in board.periods if p.month == 3)  # the coming March, whatever today is
    i = board.periods.index(march)
    for row in board.rows:
        c = row.cells[i]
        if c.marketing is not None and c.production is not None:
            planning.set_consensus(demo, production, row.product_id, march, (c.marketing + c.production) / 2,
                                   version=c.version)
    tab = make_tab(qtbot, demo, "management")
    tab.pages.setCurrentIndex(3)
    weld = next(r for r in tab.headcount_model.rows if r.skill_code == "welding" and r.period_start == march)
    assert Decimal("1.2") <= weld.shortfall <= Decimal("1.9"), weld
    row = tab.headcount_model.rows.index(weld)
    assert tab.headcount_model.data(tab.headcount_model.index(row, 6), Qt.ItemDataRole.ForegroundRole) is not None
    assert tab.skill.currentText() == weld.skill_name  # the most loaded skill is charted first
