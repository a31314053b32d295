"""The import dialog on a workbook it refuses before reading: the reason shows in the dialog,
nothing is written, and the desk goes on working (the next, ordinary file checks as usual)."""

from __future__ import annotations

from openpyxl import Workbook

from app.desk import Desk
from app.db.uow import Database
from app.services import settings as firm
from app.views.common.import_dialog import ImportDialog
from tests.gui.conftest import actor_for
from tests.unit.test_workbook_hostile import HEAD, book


def test_a_refused_workbook_shows_why_and_the_dialog_goes_on(qtbot, demo: Database, tmp_path) -> None:
    firm.set_setting(demo, actor_for(demo, "admin"), "import_cell_budget", 1000)
    dlg = ImportDialog(Desk(demo, actor_for(demo, "production")))
    qtbot.addWidget(dlg)
    dlg.kind.setCurrentIndex(dlg.kind.findData("stock"))
    # a stray cell at Z500: 500 rows × 26 columns, more than this firm's budget of 1,000 cells
    far = book(tmp_path / "stray.xlsx", HEAD + '<row r="2"><c r="A2" t="inlineStr"><is><t>SH-1200-5</t></is></c>'
               '<c r="B2"><v>4</v></c></row><row r="500"><c r="Z500"><v>1</v></c></row>')
    dlg.path.setText(str(far))
    dlg.check()
    qtbot.waitUntil(lambda: dlg.task.done, timeout=20_000)
    assert dlg.error.isVisibleTo(dlg)
    assert "spans 500 rows × 26 columns (13,000 cells; the limit is 1,000)" in dlg.error.text()
    assert "Nothing was written." in dlg.summary.text() and not dlg.import_button.isEnabled()
    # the same desk checks an ordinary file right after
    wb = Workbook()
    wb.active.append(["SKU", "Counted"])
    wb.active.append(["SH-1200-5", 4])
    wb.save(tmp_path / "count.xlsx")
    dlg.path.setText(str(tmp_path / "count.xlsx"))
    dlg.check()
    qtbot.waitUntil(lambda: dlg.task.done, timeout=20_000)
    assert not dlg.error.isVisibleTo(dlg) and dlg.import_button.isEnabled() and "1 rows read" in dlg.summary.text()
