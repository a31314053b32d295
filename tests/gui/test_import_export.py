"""Excel through the real widgets: export what a table shows, and the import dialog's check →
marked workbook → fix → import workflow."""

from __future__ import annotations

import datetime as dt

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from app.desk import Desk
from app.db.uow import Database
from app.models import Product
from app.views.common.export import export_table
from app.views.common.import_dialog import ImportDialog
from tests.gui.conftest import actor_for


def test_a_table_exports_what_it_shows_with_real_types(qtbot, demo, tmp_path) -> None:
    from app.views.priorities.tab import PrioritiesTab

    tab = PrioritiesTab(Desk(demo, actor_for(demo, "production")))
    qtbot.addWidget(tab)
    assert any(a.text() == "Export to Excel…" for a in tab.table.actions())
    task = export_table(tab, tab.table, "Priority queue", tmp_path / "queue.xlsx")
    qtbot.waitUntil(lambda: task.done, timeout=20_000)
    ws = load_workbook(tmp_path / "queue.xlsx").active
    heads = [c.value for c in ws[1]]
    assert heads[:3] == ["#", "Order", "Customer"] and ws.max_row == len(tab.model.rows) + 1
    first = [c.value for c in ws[2]]
    assert first[1] == tab.model.rows[0].number
    col = {h: i for i, h in enumerate(heads)}
    assert isinstance(first[col["Net value"]], (int, float))
    assert ws.cell(2, col["Net value"] + 1).number_format == '"£"#,##0.00'
    assert isinstance(first[col["Promise"]], dt.datetime)
    assert "rows exported" in tab.message.text()


def test_the_big_orders_list_exports_every_matching_row_from_sql(qtbot, demo, tmp_path) -> None:
    from app.views.orders.list_panel import OrdersListPanel

    panel = OrdersListPanel(Desk(demo, actor_for(demo, "sales")))
    qtbot.addWidget(panel)
    task = export_table(panel, panel.table, "Orders", tmp_path / "orders.xlsx")
    qtbot.waitUntil(lambda: task.done, timeout=20_000)
    ws = load_workbook(tmp_path / "orders.xlsx").active
    assert ws.max_row == panel.table.model().rowCount() + 1
    assert ws.cell(2, 1).value == panel.table.model().data(panel.table.model().index(0, 0))


def test_import_dialog_check_mark_fix_and_import(qtbot, demo: Database, tmp_path) -> None:
    dlg = ImportDialog(Desk(demo, actor_for(demo, "production")))
    qtbot.addWidget(dlg)
    dlg.kind.setCurrentIndex(dlg.kind.findData("stock"))
    template = dlg.save_template(tmp_path / "stock-template.xlsx")
    assert template.exists() and "Template saved" in dlg.summary.text()
    wb = Workbook()
    ws = wb.active
    ws.append(["Stock count"])
    ws.append(["Item No.", "Counted"])
    ws.append(["SH-1200-5", 40])
    ws.append(["NOPE-1", 3])
    ws.append(["SP-ANCHOR-M12", "lots"])
    wb.save(tmp_path / "count.xlsx")
    dlg.path.setText(str(tmp_path / "count.xlsx"))
    dlg.check()
    qtbot.waitUntil(lambda: dlg.task.done, timeout=20_000)
    assert not dlg.import_button.isEnabled() and dlg.report_button.isEnabled()
    rows = {(p.row, p.column) for p in dlg.problems.rows}
    assert rows == {(4, "A"), (5, "B")}
    report = dlg.save_report(tmp_path / "count-problems.xlsx")
    marked = load_workbook(report)["Sheet"]
    assert marked["A4"].comment is not None and "NOPE-1" in marked["A4"].comment.text
    # the user fixes the sheet and checks again; now it imports
    ws["A4"] = "SP-SHELF-1200"
    ws["B5"] = 12
    wb.save(tmp_path / "count.xlsx")
    dlg.check()
    qtbot.waitUntil(lambda: dlg.task.done, timeout=20_000)
    assert dlg.import_button.isEnabled() and "3 rows read" in dlg.summary.text()
    dlg.run()
    qtbot.waitUntil(lambda: dlg.task.done, timeout=20_000)
    assert "Imported:" in dlg.summary.text()
    with demo.read() as s:
        assert s.scalars(select(Product.stock_on_hand).where(Product.sku == "SP-ANCHOR-M12")).one() == 12


def test_an_unknown_column_is_mapped_in_the_dialog(qtbot, demo: Database, tmp_path) -> None:
    dlg = ImportDialog(Desk(demo, actor_for(demo, "management")))
    qtbot.addWidget(dlg)
    dlg.kind.setCurrentIndex(dlg.kind.findData("prices"))
    wb = Workbook()
    ws = wb.active
    ws.append(["SKU", "Preisliste 2027"])
    ws.append(["SH-1200-5", 149])
    wb.save(tmp_path / "p.xlsx")
    dlg.path.setText(str(tmp_path / "p.xlsx"))
    dlg.check()
    qtbot.waitUntil(lambda: dlg.task.done, timeout=20_000)
    assert "no column for List price" in dlg.problems.rows[0].reason
    dlg.map_column("Preisliste 2027", "list_price")
    dlg.check()
    qtbot.waitUntil(lambda: dlg.task.done, timeout=20_000)
    assert dlg.import_button.isEnabled() and "1 changed" in dlg.summary.text()
