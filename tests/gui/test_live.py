"""Two desks on one database file: live refresh and presence in the main window."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel

from app.desk import Desk
from app.config import WorkstationSettings
from app.db.open import open_database
from app.db.uow import Actor, Database
from app.services import presence
from app.views.main_window import MainWindow
from tests.factories import make_order, make_product


def test_other_desks_changes_show_without_losing_the_selection(qtbot, sqlite_db: Database, admin: Actor) -> None:
    window = MainWindow(Desk(sqlite_db, admin), WorkstationSettings())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.live.session_id is not None, timeout=5000)  # starts after first paint
    tab = window.tab_widgets["Overview"]
    quotes_row = next(i for i, r in enumerate(tab.model.rows) if r.status == "quote")
    tab.table.selectionModel().select(tab.model.index(quotes_row, 0),
                                      QItemSelectionModel.SelectionFlag.ClearAndSelect
                                      | QItemSelectionModel.SelectionFlag.Rows)
    resets: list[int] = []
    tab.model.modelReset.connect(lambda: resets.append(1))
    desk2 = open_database(sqlite_db.location)
    try:
        make_order(desk2, make_product(desk2), "SO-FROM-DESK-2")
    finally:
        desk2.dispose()
    with qtbot.waitSignal(window.live.changed, timeout=5000) as sig:
        pass
    assert sig.args[0].touches("sales_order")
    qtbot.waitUntil(lambda: tab.model.rows[quotes_row].orders == 1, timeout=3000)
    assert resets == [], "a live refresh must not reset the model (flicker, lost selection)"
    assert [i.row() for i in tab.table.selectionModel().selectedRows()] == [quotes_row]
    window.close()


def test_presence_shows_who_is_signed_in_and_a_closed_desk_leaves(qtbot, sqlite_db: Database, admin: Actor) -> None:
    window = MainWindow(Desk(sqlite_db, admin), WorkstationSettings())
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.desks_label.text() == "1 signed in", timeout=5000)
    other = Actor("pete", "production", "Pete Planner", workstation="desk-7")
    sid = presence.start_session(sqlite_db, other)
    with qtbot.waitSignal(window.live.desks_changed, timeout=5000):
        window.live.beat()
    assert window.desks_label.text() == "2 signed in: also Pete Planner (production) at desk-7"
    assert "Pete Planner (production) at desk-7" in window.desks_label.toolTip()
    presence.end_session(sqlite_db, sid)
    with qtbot.waitSignal(window.live.desks_changed, timeout=5000):
        window.live.beat()
    assert window.desks_label.text() == "1 signed in"
    window.close()
    assert presence.active_desks(sqlite_db) == []
