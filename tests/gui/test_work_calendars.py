"""Production calendars (issue 20), driven through the real widgets on the demo: production types
a new calendar with Monday–Friday hours and an exception, saves, and finds it in the list; a
second exception on the same day is refused naming the date and nothing is saved; overlapping
hours are refused naming the weekday, at the row; one day added from the list without the form;
delete refused for a used calendar; sales looks but cannot save. ``ORDERCYCLE_SHOTS`` renders the
window and the dialog there (else into the test's folder)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox

from app.db.uow import Database
from app.desk import Desk
from app.drafts import DraftStore
from app.services import work_calendars as svc
from app.views.production.calendars import DAY, END, NOTE, START, WEEKDAY, WORKING, CalendarDialog, CalendarsWindow
from tests.gui.conftest import actor_for


@pytest.fixture(autouse=True)
def boxes(monkeypatch) -> list[str]:
    """The messages a box would have shown (a modal box would block the test)."""
    shown: list[str] = []
    monkeypatch.setattr("app.views.common.messages.show_user_error", lambda _p, exc: shown.append(exc.message))
    return shown


def _window(qtbot, db: Database, role: str, tmp_path: Path) -> CalendarsWindow:
    win = CalendarsWindow(Desk(db, actor_for(db, role), DraftStore(tmp_path / "drafts")))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(win.settled)
    return win


def _open(qtbot, win: CalendarsWindow, button) -> CalendarDialog:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.dialog is not None and win.settled())
    dlg = win.dialog
    assert isinstance(dlg, CalendarDialog)
    return dlg


def _save(qtbot, dlg: CalendarDialog) -> None:
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dlg.settled)


def _shot(widget, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("ORDERCYCLE_SHOTS") or tmp_path)
    assert widget.grab().save(str(folder / name))


def _select(qtbot, win: CalendarsWindow, name: str) -> None:
    row = next(r for r in win.model.rows if r.name == name)
    assert win.select(row.id)
    qtbot.waitUntil(win.settled)


def test_production_types_a_calendar_with_a_week_and_a_day_off(qtbot, demo: Database, tmp_path: Path,
                                                             boxes: list[str]) -> None:
    win = _window(qtbot, demo, "production", tmp_path)
    assert [r.name for r in win.model.rows] == ["Standard week (Mon-Fri 07:00-16:00)",
                                                 "Two shifts (Mon-Fri 06:00-22:00)"]
    assert win.count.text() == "2 calendars" and not win.archive_button.isVisible()
    dlg = _open(qtbot, win, win.new_button)
    qtbot.keyClicks(dlg.name, "Early shift")
    qtbot.mouseClick(dlg.add_hours_button, Qt.MouseButton.LeftButton)  # Monday 07:00–16:00
    dlg.set_hours(0, START, "06:00")
    dlg.set_hours(0, END, "14:00")
    for _ in range(4):  # each new row: the next day, with the last row's times
        qtbot.mouseClick(dlg.add_hours_button, Qt.MouseButton.LeftButton)
    assert [(h.weekday, h.start, h.end) for h in dlg.hours_values()] == [(wd, "06:00", "14:00") for wd in range(5)]
    christmas = dt.date(2026, 12, 24)
    qtbot.mouseClick(dlg.add_exception_button, Qt.MouseButton.LeftButton)
    dlg.set_exception(0, DAY, christmas)
    dlg.set_exception(0, NOTE, "Christmas Eve")
    qtbot.mouseClick(dlg.add_exception_button, Qt.MouseButton.LeftButton)  # the next day, closed
    dlg.set_exception(1, WORKING, "4")
    dlg.set_exception(1, NOTE, "maintenance morning")
    _shot(dlg, "calendar-form.png", tmp_path)
    _save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted and dlg.saved is not None, (dlg.error.text(), boxes)
    saved = dlg.saved
    assert [(e.day, e.minutes, e.note) for e in saved.exceptions] == [
        (christmas, 0, "Christmas Eve"), (dt.date(2026, 12, 25), 240, "maintenance morning")]
    qtbot.waitUntil(lambda: win.dialog is None and win.settled())
    row = next(r for r in win.model.rows if r.name == "Early shift")
    assert row.hours == "Mon–Fri 06:00–14:00" and row.work_centres == 0
    assert win.selected() is not None and win.selected().id == saved.id  # the saved one is selected
    _shot(win, "calendars.png", tmp_path)

    # a second exception on the same day: the date is named, the row is marked, nothing is saved
    dlg = _open(qtbot, win, win.edit_button)
    assert dlg.exceptions.rowCount() == 2 and dlg.problem_at("exceptions") == ""
    qtbot.mouseClick(dlg.add_exception_button, Qt.MouseButton.LeftButton)
    dlg.set_exception(2, DAY, christmas)
    dlg.set_exception(2, WORKING, "7.5")
    _save(qtbot, dlg)
    assert dlg.isVisible() and dlg.saved is None
    assert "24 Dec 2026 is in the exceptions twice (rows 1 and 3)" in dlg.error.text()
    assert "24 Dec 2026" in dlg.problem_at("exceptions") and "24 Dec 2026" in dlg.row_problem(dlg.exceptions, 2)
    assert dlg.row_problem(dlg.exceptions, 0) == ""
    _shot(dlg, "calendar-form-refused.png", tmp_path)
    assert len(svc.calendar(demo, actor_for(demo, "production"), saved.id).exceptions) == 2
    # fixed: the third row moves to New Year's Eve and the save goes through
    dlg.set_exception(2, DAY, dt.date(2026, 12, 31))
    _save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted, dlg.error.text()
    assert [e.minutes for e in svc.calendar(demo, actor_for(demo, "production"), saved.id).exceptions] == [0, 240, 450]


def test_overlapping_hours_are_refused_naming_the_weekday(qtbot, demo: Database, tmp_path: Path) -> None:
    win = _window(qtbot, demo, "production", tmp_path)
    _select(qtbot, win, "Standard week (Mon-Fri 07:00-16:00)")
    dlg = _open(qtbot, win, win.edit_button)
    assert dlg.hours.rowCount() == 5 and "BRAKE — Press brake" in dlg.used_by.text()
    qtbot.mouseClick(dlg.add_hours_button, Qt.MouseButton.LeftButton)  # a sixth row: Saturday
    dlg.set_hours(5, WEEKDAY, 2)  # … made Wednesday, overlapping Wednesday's 07:00–16:00
    dlg.set_hours(5, START, "15:00")
    dlg.set_hours(5, END, "18:00")
    _save(qtbot, dlg)
    assert dlg.isVisible() and dlg.saved is None
    assert "Wednesday: rows 3 and 6 overlap (07:00–16:00 and 15:00–18:00)" in dlg.error.text()
    assert "Wednesday" in dlg.row_problem(dlg.hours, 5) and dlg.row_problem(dlg.hours, 4) == ""
    # a time not typed as HH:MM is said at its row too
    dlg.set_hours(5, START, "16")
    _save(qtbot, dlg)
    assert "row 6: the start '16' is not a time" in dlg.error.text() and dlg.row_problem(dlg.hours, 5)
    dlg.set_hours(5, START, "16:00")  # back to back with 07:00–16:00: two shifts, no overlap
    _save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted, dlg.error.text()
    qtbot.waitUntil(lambda: win.dialog is None and win.settled())
    row = next(r for r in win.model.rows if r.name.startswith("Standard week"))
    assert row.hours == "Mon–Tue 07:00–16:00; Wed 07:00–16:00, 16:00–18:00; Thu–Fri 07:00–16:00"


def test_one_day_from_the_list_and_the_refusal_for_the_same_day(qtbot, demo: Database, tmp_path: Path) -> None:
    win = _window(qtbot, demo, "production", tmp_path)
    _select(qtbot, win, "Two shifts (Mon-Fri 06:00-22:00)")
    before = win.selected()
    assert before is not None
    qtbot.mouseClick(win.add_day_button, Qt.MouseButton.LeftButton)
    dlg = win.add_day_dialog
    assert dlg is not None and dlg.isVisible()
    dlg.day.setDate(dt.date(2026, 12, 24))
    qtbot.keyClicks(dlg.note, "Christmas Eve")
    _shot(dlg, "calendar-add-day.png", tmp_path)
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.settled() and not dlg.isVisible())
    qtbot.waitUntil(win.settled)
    assert "Added 24 Dec 2026" in win.message.text()
    # again, for the same day: refused in the dialog, which stays open
    qtbot.mouseClick(win.add_day_button, Qt.MouseButton.LeftButton)
    dlg = win.add_day_dialog
    assert dlg is not None
    dlg.day.setDate(dt.date(2026, 12, 24))
    dlg.working.setText("4")
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dlg.settled)
    assert dlg.isVisible()
    assert dlg.error.text() == "24 Dec 2026 already has an exception: closed — Christmas Eve"
    dlg.reject()
    days = [e for e in svc.calendar(demo, actor_for(demo, "production"), before.id).exceptions
            if e.day == dt.date(2026, 12, 24)]
    assert [(e.minutes, e.note) for e in days] == [(0, "Christmas Eve")]


def test_delete_refused_while_used_copy_then_delete_the_copy(qtbot, demo: Database, tmp_path: Path,
                                                              boxes: list[str]) -> None:
    win = _window(qtbot, demo, "production", tmp_path)
    _select(qtbot, win, "Two shifts (Mon-Fri 06:00-22:00)")
    win.delete_selected(confirm=lambda _text: True)
    qtbot.waitUntil(win.settled)
    assert boxes and "LASER (Laser cutter)" in boxes[-1]
    win.copy_selected("Two shifts (spare)")
    qtbot.waitUntil(lambda: win.settled() and len(win.model.rows) == 3)
    assert win.selected() is not None and win.selected().name == "Two shifts (spare)"
    win.delete_selected(confirm=lambda _text: True)
    qtbot.waitUntil(lambda: win.settled() and len(win.model.rows) == 2)
    assert "Deleted 'Two shifts (spare)'" in win.message.text()


def test_sales_may_look_but_not_save(qtbot, demo: Database, tmp_path: Path) -> None:
    win = _window(qtbot, demo, "sales", tmp_path)
    assert not win.new_button.isEnabled() and not win.delete_button.isVisible()
    _select(qtbot, win, "Standard week (Mon-Fri 07:00-16:00)")
    dlg = _open(qtbot, win, win.edit_button)
    assert not dlg.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()
    assert dlg.name.isReadOnly() and not dlg.add_hours_button.isEnabled()
    assert not dlg.hours.cellWidget(0, 0).isEnabled() and isinstance(dlg.hours.cellWidget(0, 0), QComboBox)
    assert dlg.hours.item(0, END) is not None and dlg.exceptions.rowCount() == 1  # the demo's Saturday overtime
    _shot(dlg, "calendar-form-read-only.png", tmp_path)
    dlg.reject()


def test_a_day_added_meanwhile_opens_the_compare_dialog_and_is_kept(qtbot, demo: Database, tmp_path: Path) -> None:
    from app.views.common.conflict import ConflictDialog
    from tests.gui.conftest import when_modal

    win = _window(qtbot, demo, "production", tmp_path)
    _select(qtbot, win, "Two shifts (Mon-Fri 06:00-22:00)")
    dlg = _open(qtbot, win, win.edit_button)
    assert dlg.view is not None
    svc.add_exception(demo, actor_for(demo, "management"), dlg.view.id, "2026-12-24", 0, "Christmas Eve")
    dlg.name.setText("Two shifts")
    seen: list[ConflictDialog] = []

    def answer(box: ConflictDialog) -> None:
        seen.append(box)
        _shot(box, "calendar-conflict.png", tmp_path)
        box.take_theirs("exceptions")  # keep my new name, take their day off
        box.save_button.click()

    when_modal(qtbot, answer, ConflictDialog)
    _save(qtbot, dlg)
    assert seen and dlg.result() == QDialog.DialogCode.Accepted, dlg.error.text()
    now = svc.calendar(demo, actor_for(demo, "production"), dlg.view.id)
    assert now.name == "Two shifts" and [(e.day, e.note) for e in now.exceptions] == [
        (dt.date(2026, 12, 24), "Christmas Eve")]


def test_a_draft_comes_back_as_typed(qtbot, demo: Database, tmp_path: Path) -> None:
    from app.views.common.master import to_draft

    win = _window(qtbot, demo, "production", tmp_path)
    dlg = _open(qtbot, win, win.new_button)
    qtbot.keyClicks(dlg.name, "Weekend crew")
    qtbot.mouseClick(dlg.add_hours_button, Qt.MouseButton.LeftButton)
    dlg.set_hours(0, WEEKDAY, 5)
    dlg.set_hours(0, END, "25:00")  # kept as typed, wrong or not
    qtbot.mouseClick(dlg.add_exception_button, Qt.MouseButton.LeftButton)
    dlg.set_exception(0, DAY, dt.date(2026, 12, 26))
    dlg.set_exception(0, WORKING, "7:30")
    typed = dlg.values()
    draft = to_draft(typed)
    dlg.reject()
    qtbot.waitUntil(lambda: win.dialog is None and win.settled())
    again = CalendarDialog(win.desk, None, win)
    qtbot.addWidget(again)
    again.restore(draft)
    assert again.values() == typed
    assert again.hours_values()[0].weekday == 5 and again.exception_values()[0].day == "2026-12-26"
