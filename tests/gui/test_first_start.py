"""The first minutes: a first start that cannot half-fail, each role on its own tab, the firm
calendar in the app (issue 17)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QDate

from app import clock
from app.desk import Desk
from app.config import WorkstationSettings
from app.db.uow import Database
from app.services import firm_calendar
from app.views.main_window import MainWindow
from app.views.tabs import HOME_TAB
from tests.gui.conftest import actor_for


def test_a_failed_first_start_leaves_no_database_and_the_next_start_builds_the_demo(
        qtbot, tmp_path: Path, monkeypatch) -> None:
    from app.demo import build as demo_module
    from app.views import app as gui

    default = tmp_path / "data" / "ordercycle.db"
    monkeypatch.setattr(gui, "default_db_path", lambda: default)
    shown: list[str] = []
    monkeypatch.setattr(gui, "show_user_error", lambda _p, exc: shown.append(str(exc)))
    monkeypatch.setattr(gui.QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: ("", "")))
    real = demo_module.build_demo

    def broken(db, **kw):  # type: ignore[no-untyped-def]
        real(db, **kw)  # everything written …
        raise RuntimeError("UNIQUE constraint failed: calendar_exception.calendar_id, calendar_exception.day")

    monkeypatch.setattr(demo_module, "build_demo", broken)
    log = tmp_path / "logs" / "ordercycle.log"
    assert gui.run_gui(None, log_path=log) == 1
    assert len(shown) == 1 and "could not be set up" in shown[0] and "try again" in shown[0]
    assert str(log) in shown[0]  # where the details are
    assert not default.exists() and list(default.parent.iterdir()) == []  # … and nothing left behind

    # the next start tries again and gets the demo company (the sign-in dialog is cancelled)
    monkeypatch.setattr(demo_module, "build_demo", real)
    signed_in: list[object] = []
    monkeypatch.setattr(gui, "sign_in_flow", lambda db, _s, *_shown: signed_in.append(db) or None)
    assert gui.run_gui(None, log_path=log) == 0
    assert default.exists() and signed_in
    from app.services.settings import get_settings

    db = signed_in[0]
    assert isinstance(db, Database) and get_settings(db).demo_company is True


@pytest.mark.parametrize("role", sorted(HOME_TAB))
def test_each_role_opens_on_its_own_tab(qtbot, demo: Database, role: str) -> None:
    username = "admin" if role == "admin" else role
    window = MainWindow(Desk(demo, actor_for(demo, username)), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    assert window.tabs.tabText(window.tabs.currentIndex()) == HOME_TAB[role]
    assert window.tab_widgets.get(HOME_TAB[role]) is not None  # built, and only it
    assert len(window.tab_widgets) == 1


def test_management_keeps_the_firm_calendar(qtbot, demo: Database) -> None:
    boss = actor_for(demo, "management")
    window = MainWindow(Desk(demo, boss), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    dlg = window.show_calendar()
    qtbot.addWidget(dlg)
    year = clock.today().year
    days = {d.day: d for d in dlg.model.rows}
    assert dt.date(year, 12, 25) in days and days[dt.date(year, 12, 25)].source == "public holiday"
    assert "GB (ENG)" in dlg.intro.text() and "Europe/London" in dlg.intro.text()
    # a closing day on a working day in the coming weeks
    cal = firm_calendar.get_calendar(demo)
    day = cal.add_business_days(clock.today(), 15)
    dlg.day.setDate(QDate(day.year, day.month, day.day))
    qtbot.keyClicks(dlg.note, "Stocktaking")
    dlg.add_button.click()
    qtbot.waitUntil(dlg.settled)  # saved off the GUI thread
    assert not dlg.error.isVisible()
    dlg.year.setValue(day.year)
    entry = next(d for d in dlg.model.rows if d.day == day)
    assert entry.source == "closed by the firm" and entry.name == "Stocktaking"
    assert not firm_calendar.get_calendar(demo).is_business_day(day)
    # the same day twice is refused at the field, nothing saved
    dlg.day.setDate(QDate(day.year, day.month, day.day))
    qtbot.keyClicks(dlg.note, "Again")
    dlg.add_button.click()
    qtbot.waitUntil(dlg.settled)  # saved off the GUI thread
    assert dlg.error.isVisible() and "already has an entry" in dlg.error.text()
    # a public holiday cannot be "closed" again
    xmas = dt.date(day.year, 12, 25)
    dlg.day.setDate(QDate(xmas.year, xmas.month, xmas.day))
    dlg.note.setText("Shut")
    dlg.add_button.click()
    qtbot.waitUntil(dlg.settled)  # saved off the GUI thread
    assert "already a public holiday" in dlg.error.text()
    # removing the firm's own day
    row = dlg.model.rows.index(entry)
    dlg.table.selectRow(row)
    dlg.remove_button.click()
    qtbot.waitUntil(dlg.settled)
    assert firm_calendar.get_calendar(demo).is_business_day(day)


def test_a_salesperson_has_no_calendar_to_edit(qtbot, demo: Database) -> None:
    window = MainWindow(Desk(demo, actor_for(demo, "sales")), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    assert not window.actions["calendar"].isEnabled()
    from app.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        firm_calendar.add_day(demo, actor_for(demo, "sales"), clock.today(), "Party")
