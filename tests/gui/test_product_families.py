"""Product families (issue 20), driven through the real widgets on the demo company: production
types a new family (installed on site) and finds it in the list; a duplicate code is said at the
code field and the dialog stays open with what was typed; deleting a family products use is
refused naming their SKUs, deleting an unused one removes it (both asked first); sales sees the
families read-only; a draft comes back as typed. ``ORDERCYCLE_SHOTS=<folder>`` also renders the
window and the form there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from app.db.uow import Database
from app.desk import Desk
from app.drafts import DraftStore
from app.services import product_families as svc
from app.views.products.families import ProductFamiliesWindow, ProductFamilyDialog
from tests.gui.conftest import actor_for


@pytest.fixture(autouse=True)
def boxes(monkeypatch) -> list[str]:
    """The messages a box would have shown (a modal box would block the test)."""
    shown: list[str] = []
    monkeypatch.setattr("app.views.common.messages.show_user_error", lambda _p, exc: shown.append(exc.message))
    return shown


def _window(qtbot, db: Database, role: str, tmp_path: Path) -> ProductFamiliesWindow:
    win = ProductFamiliesWindow(Desk(db, actor_for(db, role), DraftStore(tmp_path / "drafts")))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.settled() and bool(win.model.rows))
    return win


def _open(qtbot, win: ProductFamiliesWindow, button) -> ProductFamilyDialog:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.dialog is not None and win.settled())
    dlg = win.dialog
    assert isinstance(dlg, ProductFamilyDialog)
    return dlg


def _save(qtbot, dlg: ProductFamilyDialog) -> None:
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dlg.settled)


def _shot(widget, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("ORDERCYCLE_SHOTS") or tmp_path)
    assert widget.grab().save(str(folder / name))


def _row(win: ProductFamiliesWindow, code: str) -> svc.FamilyRow:
    return next(r for r in win.model.rows if r.code == code)


def test_production_creates_a_family_through_the_dialog_and_sees_it_in_the_list(
        qtbot, demo: Database, tmp_path: Path, boxes: list[str]) -> None:
    win = _window(qtbot, demo, "production", tmp_path)
    assert [r.code for r in win.model.rows] == ["MG", "SHS", "SHU", "SP", "WB"]
    assert win.count.text() == "5 product families" and not win.archive_button.isVisible()
    assert not win.show_archived.isVisible() and win.new_button.isEnabled()
    assert win.model.data(win.model.index(2, 3)) == "8"  # SHU's products
    assert win.model.data(win.model.index(1, 2)) == "on site"  # shelving systems are installed
    dlg = _open(qtbot, win, win.new_button)
    assert dlg.windowTitle() == "New product family"
    qtbot.keyClicks(dlg.code, "racks-2")
    assert dlg.code.text() == "RACKS-2"  # capitals as typed
    qtbot.keyClicks(dlg.name, "Racking accessories")
    qtbot.mouseClick(dlg.needs_installation, Qt.MouseButton.LeftButton)
    assert dlg.needs_installation.isChecked()
    _shot(dlg, "product-family-form.png", tmp_path)
    _save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted and dlg.saved is not None, (dlg.error.text(), boxes)
    qtbot.waitUntil(lambda: win.dialog is None and win.settled() and len(win.model.rows) == 6)
    made = _row(win, "RACKS-2")
    assert made.name == "Racking accessories" and made.needs_installation and made.products == 0
    assert win.selected() == made  # the saved family is selected
    qtbot.keyClicks(win.search, "racking")
    qtbot.waitUntil(lambda: win.settled() and [r.code for r in win.model.rows] == ["RACKS-2"])
    assert win.count.text() == "1 product family"
    win.search.clear()
    qtbot.waitUntil(lambda: win.settled() and len(win.model.rows) == 6)
    win.select(made.id)
    _shot(win, "product-families.png", tmp_path)
    assert boxes == []


def test_a_duplicate_code_is_said_at_the_code_field_and_the_dialog_stays_open(
        qtbot, demo: Database, tmp_path: Path, boxes: list[str]) -> None:
    win = _window(qtbot, demo, "production", tmp_path)
    dlg = _open(qtbot, win, win.new_button)
    qtbot.keyClicks(dlg.code, "wb")
    qtbot.keyClicks(dlg.name, "Benches again")
    _save(qtbot, dlg)
    assert dlg.isVisible() and dlg.result() != QDialog.DialogCode.Accepted and dlg.saved is None
    assert dlg.problem_at("code") == "family code WB is already taken by Workbenches"
    assert dlg.problem_at("name") == "" and dlg.error.isVisible() and "already taken" in dlg.error.text()
    assert dlg.code.text() == "WB" and dlg.name.text() == "Benches again"  # what was typed stays
    _shot(dlg, "product-family-duplicate.png", tmp_path)
    dlg.code.selectAll()
    qtbot.keyClicks(dlg.code, "WB2")
    _save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted, dlg.error.text()
    qtbot.waitUntil(lambda: win.dialog is None and win.settled() and len(win.model.rows) == 6)
    assert boxes == []


def test_delete_is_refused_naming_the_products_then_an_unused_family_is_deleted(
        qtbot, demo: Database, tmp_path: Path, boxes: list[str]) -> None:
    prod = actor_for(demo, "production")
    spare = svc.save_family(demo, prod, svc.FamilyForm("EMPTY", "Nothing in it yet"))
    win = _window(qtbot, demo, "production", tmp_path)
    asked: list[str] = []
    answers = [False, True, True]

    def confirm(text: str) -> bool:
        asked.append(text)
        return answers.pop(0)

    win.confirm = confirm
    assert not win.delete_button.isEnabled()  # nothing selected
    assert win.select(_row(win, "WB").id) and win.delete_button.isEnabled()
    qtbot.mouseClick(win.delete_button, Qt.MouseButton.LeftButton)  # answered No
    qtbot.waitUntil(win.settled)
    assert asked == ["Delete the product family WB (Workbenches)?"] and boxes == [] and len(win.model.rows) == 6
    qtbot.mouseClick(win.delete_button, Qt.MouseButton.LeftButton)  # Yes: refused
    qtbot.waitUntil(lambda: win.settled() and bool(boxes))
    assert boxes[-1].startswith("The product family WB (Workbenches) cannot be deleted: 8 products are in it: "
                                "WB-1500-ESD, WB-1500-STD,")
    assert "WB-CUST" in boxes[-1] and len(win.model.rows) == 6
    assert win.select(spare.id)
    qtbot.mouseClick(win.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.settled() and spare.id not in {r.id for r in win.model.rows})
    assert len(win.model.rows) == 5 and len(boxes) == 1 and asked[-1].startswith("Delete the product family EMPTY")
    assert win.message.text() == "Deleted the family EMPTY (Nothing in it yet)."
    assert [r.code for r in svc.families(demo, prod)] == ["MG", "SHS", "SHU", "SP", "WB"]


def test_sales_sees_the_families_read_only(qtbot, demo: Database, tmp_path: Path) -> None:
    win = _window(qtbot, demo, "sales", tmp_path)
    assert not win.new_button.isEnabled()
    assert win.select(_row(win, "SHU").id)
    assert not win.delete_button.isEnabled() and win.edit_button.isEnabled()
    assert "Production, management" in win.delete_button.toolTip()
    dlg = _open(qtbot, win, win.edit_button)
    assert dlg.code.text() == "SHU" and dlg.name.text() == "Shelving units" and not dlg.needs_installation.isChecked()
    assert not dlg.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()
    assert "8 products in this family" in dlg.findChild(type(dlg.error), "note").text()


def test_a_draft_comes_back_as_typed(qtbot, demo: Database, tmp_path: Path) -> None:
    win = _window(qtbot, demo, "production", tmp_path)
    win.open_record(None, {"code": "HALF", "name": "Half typed", "needs_installation": True})
    qtbot.waitUntil(lambda: win.dialog is not None and win.settled())
    dlg = win.dialog
    assert isinstance(dlg, ProductFamilyDialog)
    assert (dlg.code.text(), dlg.name.text(), dlg.needs_installation.isChecked()) == ("HALF", "Half typed", True)
    assert dlg.draft_title() == "New product family: Half typed"
    dlg.reject()


def test_someone_elses_save_meanwhile_opens_the_compare_dialog(qtbot, demo: Database, tmp_path: Path) -> None:
    from dataclasses import replace

    from app.views.common.conflict import ConflictDialog
    from tests.gui.conftest import when_modal

    win = _window(qtbot, demo, "production", tmp_path)
    sp = _row(win, "SP")
    assert win.select(sp.id)
    dlg = _open(qtbot, win, win.edit_button)
    boss = actor_for(demo, "management")
    svc.save_family(demo, boss, replace(svc.family(demo, boss, sp.id).form(), name="Spares"))  # management, first
    qtbot.mouseClick(dlg.needs_installation, Qt.MouseButton.LeftButton)
    seen: list[ConflictDialog] = []

    def answer(box: ConflictDialog) -> None:
        seen.append(box)
        box.take_theirs("name")  # keep my flag, take their name
        box.save_button.click()

    when_modal(qtbot, answer, ConflictDialog)
    _save(qtbot, dlg)
    assert seen and dlg.result() == QDialog.DialogCode.Accepted, dlg.error.text()
    now = svc.family(demo, boss, sp.id)
    assert now.name == "Spares" and now.needs_installation
