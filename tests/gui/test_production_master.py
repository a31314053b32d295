"""Production master data (issue 20), driven through the real widgets: production creates a work
centre and finds it in the list; a bad rate is said at its field; a staff member with two skills
(added in the skills table); archiving a work centre a routing uses shows the refusal; a shift with
bad times is said at the field; a read-only role cannot save. Each window is rendered once
(``ORDERCYCLE_SHOTS=docs/screenshots`` renders them there)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QRadioButton

from app.db.uow import Database
from app.desk import Desk
from app.drafts import DraftStore
from app.services import skills_shifts as sk_svc
from app.services import staff as staff_svc
from app.views.common.master import MasterDialog, MasterWindow
from app.views.production.skills_shifts import SkillsShiftsWindow
from app.views.production.staff import StaffDialog, StaffWindow
from app.views.production.work_centres import WorkCentreDialog, WorkCentresWindow
from tests.gui.conftest import actor_for


@pytest.fixture(autouse=True)
def boxes(monkeypatch) -> list[str]:
    """The messages a box would have shown (a modal box would block the test)."""
    shown: list[str] = []
    monkeypatch.setattr("app.views.common.messages.show_user_error", lambda _p, exc: shown.append(exc.message))
    return shown


def _desk(db: Database, role: str, tmp_path: Path) -> Desk:
    return Desk(db, actor_for(db, role), DraftStore(tmp_path / "drafts"))


def _show(qtbot, win):
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(win.settled)
    return win


def _open_new(qtbot, win: MasterWindow) -> MasterDialog:
    qtbot.mouseClick(win.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.dialog is not None and win.settled())
    assert win.dialog is not None
    return win.dialog


def _save(qtbot, dlg: MasterDialog) -> None:
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dlg.settled)


def _shot(widget, name: str, tmp_path: Path) -> None:
    QApplication.processEvents()  # the layout's pending requests: labels sized for their text now
    folder = Path(os.environ.get("ORDERCYCLE_SHOTS") or tmp_path)
    assert widget.grab().save(str(folder / name))


def test_production_creates_a_work_centre_a_bad_rate_is_said_at_its_field(qtbot, demo: Database, tmp_path: Path,
                                                                         boxes: list[str]) -> None:
    win = _show(qtbot, WorkCentresWindow(_desk(demo, "production", tmp_path)))
    assert [r.code for r in win.model.rows][:2] == ["ASSY", "BRAKE"] and win.count.text() == "6 work centres"
    _shot(win, "work-centres.png", tmp_path)
    dlg = _open_new(qtbot, win)
    assert isinstance(dlg, WorkCentreDialog)
    qtbot.keyClicks(dlg.code, "weld3")
    assert dlg.code.text() == "WELD3"
    qtbot.keyClicks(dlg.name, "Welding station 3")
    dlg.rate.clear()
    qtbot.keyClicks(dlg.rate, "-5")
    _save(qtbot, dlg)
    assert dlg.isVisible() and dlg.saved is None
    assert dlg.problem_at("hourly_rate") == "the hourly rate cannot be negative"
    assert dlg.error.isVisible() and "cannot be negative" in dlg.error.text() and not boxes
    _shot(dlg, "work-centre-form.png", tmp_path)
    dlg.rate.clear()
    qtbot.keyClicks(dlg.rate, "57.50")
    _save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted and dlg.saved is not None, (dlg.error.text(), boxes)
    assert dlg.saved.code == "WELD3" and str(dlg.saved.hourly_rate) == "57.50"
    qtbot.waitUntil(lambda: win.dialog is None and win.settled())
    assert "WELD3" in [r.code for r in win.model.rows]
    assert win.selected() is not None and win.selected().code == "WELD3"  # the saved one is selected
    qtbot.keyClicks(win.search, "station 3")
    qtbot.waitUntil(lambda: win.settled() and [r.code for r in win.model.rows] == ["WELD3"])


def test_archiving_a_work_centre_a_routing_uses_shows_the_refusal(qtbot, demo: Database, tmp_path: Path,
                                                                  boxes: list[str]) -> None:
    win = _show(qtbot, WorkCentresWindow(_desk(demo, "production", tmp_path)))
    laser = next(r for r in win.model.rows if r.code == "LASER")
    assert win.select(laser.id)
    qtbot.mouseClick(win.archive_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.settled() and bool(boxes))
    assert "LASER (Laser cutter) cannot be archived: the routing of" in boxes[0]
    assert next(r for r in win.model.rows if r.code == "LASER").active


def test_sales_sees_work_centres_read_only(qtbot, demo: Database, tmp_path: Path) -> None:
    win = _show(qtbot, WorkCentresWindow(_desk(demo, "sales", tmp_path)))
    assert win.model.rows and not win.new_button.isEnabled()
    win.table.selectRow(0)
    assert not win.archive_button.isEnabled() and win.edit_button.isEnabled()
    qtbot.mouseClick(win.edit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.dialog is not None and win.settled())
    assert win.dialog is not None and not win.dialog.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()
    win.dialog.reject()


def test_production_creates_a_staff_member_with_two_skills(qtbot, demo: Database, tmp_path: Path,
                                                           boxes: list[str]) -> None:
    desk = _desk(demo, "production", tmp_path)
    win = _show(qtbot, StaffWindow(desk))
    assert len(win.model.rows) == 12
    _shot(win, "staff.png", tmp_path)
    dlg = _open_new(qtbot, win)
    assert isinstance(dlg, StaffDialog)
    qtbot.keyClicks(dlg.code, "st13")
    qtbot.keyClicks(dlg.name, "Ana Kovac")
    dlg.shift.setCurrentIndex(dlg.shift.findText("Early", Qt.MatchFlag.MatchStartsWith))
    dlg.rate.clear()
    qtbot.keyClicks(dlg.rate, "18.75")
    dlg.hours.clear()
    qtbot.keyClicks(dlg.hours, "37.5")
    skills = {c.code: c.id for c in dlg.choices.skills}
    for _ in range(3):
        qtbot.mouseClick(dlg.add_skill_button, Qt.MouseButton.LeftButton)
    assert dlg.skills.rowCount() == 3
    dlg.set_skill(0, skills["welding"], 3)
    dlg.set_skill(1, skills["laser"], 1)
    qtbot.mouseClick(dlg.remove_skill_button, Qt.MouseButton.LeftButton)  # the third, added by mistake
    assert dlg.skills.rowCount() == 2
    _shot(dlg, "staff-form.png", tmp_path)
    _save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted and dlg.saved is not None, (dlg.error.text(), boxes)
    saved = dlg.saved
    assert saved.code == "ST13" and saved.shift == "Early" and str(saved.hours_per_week) == "37.50"
    assert [(k.code, k.level) for k in saved.skills] == [("laser", 1), ("welding", 3)]
    qtbot.waitUntil(lambda: win.dialog is None and win.settled())
    row = next(r for r in win.model.rows if r.code == "ST13")
    assert row.skills_text == "laser (learning), welding (expert)"
    # the same skill twice is said at the skills table
    win.select(saved.id)
    qtbot.mouseClick(win.edit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.dialog is not None and win.settled())
    dlg = win.dialog
    assert isinstance(dlg, StaffDialog) and dlg.skills.rowCount() == 2
    qtbot.mouseClick(dlg.add_skill_button, Qt.MouseButton.LeftButton)
    dlg.set_skill(2, skills["welding"], 2)
    _save(qtbot, dlg)
    assert dlg.isVisible() and "welding is listed twice" in dlg.problem_at("skills")
    dlg.reject()
    assert [k.code for k in staff_svc.person(demo, desk.actor, saved.id).skills] == ["laser", "welding"]


def test_skills_and_shifts_a_shift_with_bad_times_is_said_at_the_field(qtbot, demo: Database, tmp_path: Path,
                                                                        boxes: list[str]) -> None:
    desk = _desk(demo, "production", tmp_path)
    win = _show(qtbot, SkillsShiftsWindow(desk))
    assert [s.name for s in win.shifts_model.rows] == ["Early", "Day", "Late"]
    assert len(win.skills_model.rows) == 6
    _shot(win, "skills-shifts.png", tmp_path)
    qtbot.mouseClick(win.new_shift_button, Qt.MouseButton.LeftButton)
    dlg = win.dialog
    assert dlg is not None
    qtbot.keyClicks(dlg.name, "Night")
    dlg.start.clear()
    qtbot.keyClicks(dlg.start, "22:00")
    dlg.end.clear()
    qtbot.keyClicks(dlg.end, "6:00")
    _save(qtbot, dlg)
    assert dlg.isVisible() and "cannot run past midnight" in dlg.problem_at("end") and not dlg.problem_at("start")
    dlg.start.clear()
    qtbot.keyClicks(dlg.start, "25:99")
    _save(qtbot, dlg)
    assert "not a time of day" in dlg.problem_at("start")
    _shot(dlg, "shift-form.png", tmp_path)
    dlg.start.clear()
    qtbot.keyClicks(dlg.start, "14:00")
    dlg.end.clear()
    qtbot.keyClicks(dlg.end, "22:00")
    qtbot.mouseClick(dlg.day_boxes[5], Qt.MouseButton.LeftButton)  # Saturday too
    _save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted, (dlg.error.text(), boxes)
    qtbot.waitUntil(lambda: win.settled() and "Night" in [s.name for s in win.shifts_model.rows])
    night = next(s for s in win.shifts_model.rows if s.name == "Night")
    assert night.days == "Mon–Sat" and (night.start, night.end) == ("14:00", "22:00")
    # a skill: new, then deleting one people have is refused naming them
    qtbot.mouseClick(win.new_skill_button, Qt.MouseButton.LeftButton)
    skill = win.dialog
    assert skill is not None
    qtbot.keyClicks(skill.code, "grind")
    qtbot.keyClicks(skill.name, "Grinding")
    _save(qtbot, skill)
    assert skill.result() == QDialog.DialogCode.Accepted, (skill.error.text(), boxes)
    qtbot.waitUntil(lambda: win.settled() and "GRIND" in [k.code for k in win.skills_model.rows])
    win.confirm = lambda _text: True
    welding = next(i for i, k in enumerate(win.skills_model.rows) if k.code == "welding")
    win.skills_table.selectRow(welding)
    qtbot.mouseClick(win.delete_skill_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.settled() and bool(boxes))
    assert "cannot be deleted" in boxes[0] and "Mick Rowe" in boxes[0]
    grind = next(i for i, k in enumerate(win.skills_model.rows) if k.code == "GRIND")
    win.skills_table.selectRow(grind)
    qtbot.mouseClick(win.delete_skill_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.settled() and "GRIND" not in [k.code for k in win.skills_model.rows])
    assert "GRIND" not in [k.code for k in sk_svc.skills(demo, desk.actor)]


def test_sales_sees_skills_and_shifts_read_only(qtbot, demo: Database, tmp_path: Path) -> None:
    win = _show(qtbot, SkillsShiftsWindow(_desk(demo, "sales", tmp_path)))
    win.shifts_table.selectRow(0)
    assert not win.new_shift_button.isEnabled() and not win.delete_shift_button.isEnabled()
    assert win.edit_shift_button.isEnabled()
    qtbot.mouseClick(win.edit_shift_button, Qt.MouseButton.LeftButton)
    assert win.dialog is not None and not win.dialog.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()
    win.dialog.reject()


def test_drafts_come_back_as_typed(qtbot, demo: Database, tmp_path: Path) -> None:
    """What the main window does after a crash: a staff form's draft (skills table included) and a
    shift's draft are put back into their forms."""
    from app.views.common.master import to_draft

    desk = _desk(demo, "production", tmp_path)
    win = _show(qtbot, StaffWindow(desk))
    dlg = _open_new(qtbot, win)
    assert isinstance(dlg, StaffDialog)
    qtbot.keyClicks(dlg.code, "st14")
    qtbot.keyClicks(dlg.name, "Piotr Zielinski")
    qtbot.mouseClick(dlg.add_skill_button, Qt.MouseButton.LeftButton)
    weld = next(c.id for c in dlg.choices.skills if c.code == "welding")
    dlg.set_skill(0, weld, 1)
    typed = to_draft(dlg.values())
    dlg.reject()
    qtbot.waitUntil(lambda: win.dialog is None and win.settled())
    win.open_record(None, typed)
    qtbot.waitUntil(lambda: win.dialog is not None and win.settled())
    again = win.dialog
    assert isinstance(again, StaffDialog) and again.code.text() == "ST14"
    assert [(k.skill_id, k.level) for k in again.skill_rows()] == [(weld, 1)]
    again.reject()

    shifts = _show(qtbot, SkillsShiftsWindow(desk))
    night = next(s for s in sk_svc.shifts(demo, desk.actor) if s.name == "Late")
    shifts.open_shift(night.id, {"name": "Late (summer)", "start": "13:00", "end": "21:00", "weekdays": [0, 1, 2]})
    qtbot.waitUntil(lambda: shifts.dialog is not None and shifts.settled())
    form = shifts.dialog
    assert form is not None and form.name.text() == "Late (summer)" and form.start.text() == "13:00"
    assert [b.isChecked() for b in form.day_boxes] == [True, True, True, False, False, False, False]
    assert form.view is not None and form.view.id == night.id
    form.reject()


def test_sales_sees_staff_read_only(qtbot, demo: Database, tmp_path: Path) -> None:
    win = _show(qtbot, StaffWindow(_desk(demo, "sales", tmp_path)))
    assert not win.new_button.isEnabled()
    win.table.selectRow(0)
    qtbot.mouseClick(win.edit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.dialog is not None and win.settled())
    dlg = win.dialog
    assert isinstance(dlg, StaffDialog) and dlg.skills.rowCount() == 2
    assert not dlg.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()
    assert not dlg.add_skill_button.isEnabled() and not dlg.remove_skill_button.isEnabled()
    dlg.reject()


def test_someone_elses_save_of_a_person_opens_the_compare_dialog_with_skills(qtbot, demo: Database,
                                                                              tmp_path: Path) -> None:
    from dataclasses import replace

    from app.views.common.conflict import ConflictDialog
    from tests.gui.conftest import when_modal

    desk = _desk(demo, "production", tmp_path)
    win = _show(qtbot, StaffWindow(desk))
    dave = next(r for r in win.model.rows if r.code == "ST01")
    win.select(dave.id)
    qtbot.mouseClick(win.edit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.dialog is not None and win.settled())
    dlg = win.dialog
    assert isinstance(dlg, StaffDialog)
    boss = actor_for(demo, "management")
    theirs = staff_svc.person(demo, boss, dave.id)
    weld = next(c.id for c in dlg.choices.skills if c.code == "welding")
    staff_svc.save_person(demo, boss, replace(theirs.form(), skills=(*theirs.skills, staff_svc.SkillLevel(weld, 1))))
    dlg.hours.setText("35")  # mine: fewer hours; theirs: welding added
    seen: list[str] = []

    def answer(box: ConflictDialog) -> None:
        seen.append(box.findChild(QRadioButton, "theirs_skills").text())
        box.take_theirs("skills")
        box.save_button.click()

    when_modal(qtbot, answer, ConflictDialog)
    _save(qtbot, dlg)
    assert seen == ["bending (able), laser (expert), welding (learning)"]
    assert dlg.result() == QDialog.DialogCode.Accepted
    now = staff_svc.person(demo, boss, dave.id)
    assert str(now.hours_per_week) == "35.00" and [k.code for k in now.skills] == ["bending", "laser", "welding"]
