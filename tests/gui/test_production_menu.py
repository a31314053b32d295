"""The Production menu (issue 20): production opens each master-data window from the main window
with the demo's records in it, and a work centre typed before a crash comes back from the
unsaved-work offer at the next start."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from app.config import WorkstationSettings
from app.db.uow import Database
from app.desk import Desk
from app.drafts import DraftStore
from app.views.main_window import MainWindow
from tests.support import actor_for


def _window(qtbot, db: Database, role: str, store: DraftStore | None = None) -> MainWindow:
    window = MainWindow(Desk(db, actor_for(db, role), store or DraftStore()), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    return window


def test_the_production_menu_opens_each_master_data_window(qtbot, demo: Database) -> None:
    window = _window(qtbot, demo, "production")
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "P&roduction")
    assert [a.text() for a in menu.actions()] == ["&Work centres…", "&Staff…", "S&kills and shifts…",
                                                  "Production &calendars…"]
    for key, attr in (("work_centres", "work_centres_window"), ("staff", "staff_window"),
                      ("work_calendars", "work_calendars_window")):
        window.actions[key].trigger()
        win = getattr(window, attr)
        qtbot.addWidget(win)
        qtbot.waitUntil(lambda win=win: win.isVisible() and win.settled())
        assert win.model.rowCount() > 0, key
        assert win.new_button.isEnabled(), key  # production keeps them
    window.actions["skills_shifts"].trigger()
    both = window.skills_shifts_window
    qtbot.addWidget(both)
    qtbot.waitUntil(lambda: both.isVisible() and both.settled())


def test_sales_sees_the_production_windows_read_only(qtbot, demo: Database) -> None:
    window = _window(qtbot, demo, "sales")
    window.actions["work_centres"].trigger()
    win = window.work_centres_window
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.isVisible() and win.settled())
    assert win.model.rowCount() > 0 and not win.new_button.isEnabled()


def test_a_work_centre_typed_before_a_crash_is_offered_back(qtbot, demo: Database, tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    window = _window(qtbot, demo, "production", store)
    window.actions["work_centres"].trigger()
    win = window.work_centres_window
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.isVisible() and win.settled())
    qtbot.mouseClick(win.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.dialog is not None and win.settled())
    dlg = win.dialog
    qtbot.keyClicks(dlg.field_widgets["code"], "drill2")
    qtbot.keyClicks(dlg.field_widgets["name"], "Second pillar drill")
    qtbot.waitUntil(lambda: len(store.pending(database=demo.location, username=win.actor.username)) == 1)
    dlg.keeper = None  # the desk dies with the form open

    again = _window(qtbot, demo, "production", store)
    asked: list[str] = []
    assert again.offer_drafts(store, ask=lambda q: asked.append(q) or True) == 1
    assert "Second pillar drill" in asked[0]
    reopened = again.work_centres_window
    qtbot.addWidget(reopened)
    qtbot.waitUntil(lambda: reopened.dialog is not None and reopened.settled())
    assert reopened.dialog.values()["name"] == "Second pillar drill"


def test_a_master_data_list_exports_what_it_shows_with_typed_values(qtbot, demo: Database, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from app.views.production.work_centres import WorkCentresWindow

    win = WorkCentresWindow(Desk(demo, actor_for(demo, "production"), DraftStore(tmp_path / "drafts")))
    qtbot.addWidget(win)
    qtbot.waitUntil(win.settled)
    qtbot.keyClicks(win.search, "weld")
    qtbot.waitUntil(lambda: win.settled() and len(win.model.rows) == 2)
    win.export(tmp_path / "centres.xlsx")
    qtbot.waitUntil(lambda: "rows exported" in win.message.text(), timeout=15000)
    ws = load_workbook(tmp_path / "centres.xlsx").active
    rows = list(ws.iter_rows(values_only=True))
    codes = [r[0] for r in rows if r and r[0] in ("WELD1", "WELD2")]
    assert codes == ["WELD1", "WELD2"] and len([r for r in rows if r and r[0]]) <= 4  # title/header + the two
    rate = next(r for r in rows if r and r[0] == "WELD1")[3]
    assert rate == 55.0  # '£55.00' on screen, a number in the workbook
