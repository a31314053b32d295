"""The app shell: sign-in, first administrator, main window, users, about, errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QMessageBox, QPlainTextEdit, QRadioButton

from app.actor import SYSTEM
from app.desk import Desk
from app.config import WorkstationSettings
from app.db.uow import Actor, Database
from app.errors import ConflictError
from app.services import auth
from app.views.auth.sign_in import FirstAdminDialog, SignInDialog
from app.views.auth.users import UserEditDialog, UsersDialog, UsersTableModel
from app.views.common.messages import CrashDialog, install_excepthook
from app.views.main_window import MainWindow
from app.views.overview.tab import OverviewTableModel
from tests.factories import make_order, make_product
from tests.gui.conftest import when_modal


def test_first_start_on_an_empty_database_creates_the_administrator(qtbot, sqlite_db: Database) -> None:
    assert auth.needs_first_admin(sqlite_db)
    dlg = FirstAdminDialog(sqlite_db)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.keyClicks(dlg.full_name, "Ruth Admin")
    qtbot.keyClicks(dlg.password, "correct horse")
    qtbot.keyClicks(dlg.repeat, "correct horsf")
    dlg.create()
    assert dlg.error.isVisible() and "differ" in dlg.error.text()
    assert auth.needs_first_admin(sqlite_db)
    dlg.repeat.clear()
    qtbot.keyClicks(dlg.repeat, "correct horse")
    with qtbot.waitSignal(dlg.accepted, timeout=5000):
        qtbot.keyClick(dlg.repeat, Qt.Key.Key_Return)
    assert dlg.actor is not None and dlg.actor.role == "admin" and dlg.actor.username == "admin"
    assert not auth.needs_first_admin(sqlite_db)


def test_sign_in_dialog_refuses_a_wrong_password_then_signs_in(qtbot, sqlite_db: Database, admin: Actor) -> None:
    dlg = SignInDialog(sqlite_db, username="root")
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.keyClicks(dlg.password, "wrong password")
    qtbot.keyClick(dlg.password, Qt.Key.Key_Return)
    qtbot.waitUntil(dlg.work.settled)  # the password is checked off the GUI thread
    assert dlg.error.isVisible() and "not right" in dlg.error.text()
    assert dlg.password.text() == "" and dlg.result() == 0
    qtbot.keyClicks(dlg.password, "correct horse")
    with qtbot.waitSignal(dlg.accepted, timeout=5000):
        qtbot.keyClick(dlg.password, Qt.Key.Key_Return)
    assert dlg.actor.full_name == "Ruth Admin"


def test_main_window_shows_stages_status_bar_and_admin_menu(qtbot, sqlite_db: Database, admin: Actor) -> None:
    pid = make_product(sqlite_db)
    make_order(sqlite_db, pid, "SO-1")
    window = MainWindow(Desk(sqlite_db, admin), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
        "Overview", "Planning board", "Order entry", "Priority queue", "Schedule", "Shipping/returns", "Service"]
    assert sqlite_db.location in window.db_label.text()
    assert window.user_label.text() == "Ruth Admin (admin) at desk-1"
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Customer", "&Products", "P&roduction", "&Admin", "&Help"]
    model = window.tab_widgets["Overview"].model
    quotes = next(r for r in model.rows if r.status == "quote")
    assert quotes.orders == 1 and model.index(0, 2).data() == "1"


def test_a_salesperson_sees_no_admin_menu_and_no_backup(qtbot, sqlite_db: Database) -> None:
    window = MainWindow(Desk(sqlite_db, Actor("sam", "sales", "Sam Seller")), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    assert [a.text() for a in window.menuBar().actions()] == ["&File", "&Customer", "&Products", "P&roduction", "&Help"]
    assert not window.actions["backup"].isEnabled()
    assert not window.actions["users"].isEnabled()


def test_window_geometry_is_remembered_per_workstation(qtbot, sqlite_db: Database, admin: Actor) -> None:
    window = MainWindow(Desk(sqlite_db, admin), WorkstationSettings.load(), live=False)
    qtbot.addWidget(window)
    window.show()
    window.resize(700, 520)  # the offscreen screen is 800 × 600, and the tabs set a minimum width
    window.move(12, 34)
    assert window.height() == 520
    window.close()
    saved = WorkstationSettings.load()
    assert saved.window_geometry, "geometry not written to the workstation settings"
    again = MainWindow(Desk(sqlite_db, admin), saved, live=False)
    qtbot.addWidget(again)
    assert again.height() == 520  # the default would be 800 (clamped to the 600-pixel screen)


def test_backup_now_runs_off_the_gui_thread_and_reports_the_file(qtbot, sqlite_db: Database, admin: Actor,
                                                                 tmp_path: Path) -> None:
    settings = WorkstationSettings(backup_dir=str(tmp_path / "bk"))
    window = MainWindow(Desk(sqlite_db, admin), settings, live=False)
    qtbot.addWidget(window)
    window.actions["backup"].trigger()
    qtbot.waitUntil(window.work.settled, timeout=10000)  # through the action helper, off the GUI thread
    qtbot.waitUntil(lambda: "Backup written" in window.statusBar().currentMessage(), timeout=5000)
    assert len(list((tmp_path / "bk").glob("*.db"))) == 1
    assert window.actions["backup"].isEnabled()


def test_admin_adds_a_user_through_the_dialogs(qtbot, sqlite_db: Database, admin: Actor) -> None:
    dlg = UsersDialog(Desk(sqlite_db, admin))
    qtbot.addWidget(dlg)
    assert [u.username for u in dlg.model.rows] == ["root"]

    def fill(edit: QDialog) -> None:
        assert isinstance(edit, UserEditDialog)
        qtbot.keyClicks(edit.username, "sam")
        qtbot.keyClicks(edit.full_name, "Sam Seller")
        edit.role.setCurrentText("sales")
        qtbot.keyClicks(edit.password, "sales-pass-1")
        edit.accept()

    when_modal(qtbot, fill)
    dlg.add_button.click()
    assert [(u.username, u.role) for u in dlg.model.rows] == [("root", "admin"), ("sam", "sales")]
    assert auth.sign_in(sqlite_db, "sam", "sales-pass-1").role == "sales"


def test_a_bad_user_entry_gets_a_message_and_keeps_what_was_typed(qtbot, sqlite_db: Database, admin: Actor,
                                                                   monkeypatch) -> None:
    dlg = UsersDialog(Desk(sqlite_db, admin))
    qtbot.addWidget(dlg)
    shown: list[str] = []
    monkeypatch.setattr("app.views.common.messages.show_user_error", lambda _p, exc: shown.append(exc.message))
    edit = UserEditDialog(None, dlg)
    stayed: list[bool] = []

    def fill(widget: QDialog) -> None:
        qtbot.keyClicks(widget.username, "pat")
        qtbot.keyClicks(widget.password, "short")
        widget.accept()  # refused: no full name, password too short
        qtbot.waitUntil(widget.settled)  # saved (refused) off the GUI thread
        stayed.append(widget.isVisible())  # the dialog stays open with what was typed
        widget.reject()

    when_modal(qtbot, fill)
    dlg.add_user(dialog=edit)
    assert stayed == [True]
    assert len(shown) == 1 and "full name" in shown[0] and "8 characters" in shown[0]
    assert edit.username.text() == "pat", "what the user typed must survive the error"
    assert [u.username for u in dlg.model.rows] == ["root"]


def test_table_models_pass_the_model_tester(qtmodeltester, sqlite_db: Database, admin: Actor) -> None:
    users = UsersTableModel()
    users.set_rows(auth.list_users(sqlite_db, admin))
    qtmodeltester.check(users)
    from app.services.overview import cycle_overview

    stages = OverviewTableModel()
    stages.set_rows(cycle_overview(sqlite_db, admin))
    qtmodeltester.check(stages)


def test_known_errors_get_a_plain_message_and_bugs_the_crash_dialog(qtbot, tmp_path: Path) -> None:
    log_path = tmp_path / "ordercycle.log"
    install_excepthook(log_path)
    seen: dict[str, str] = {}

    def read_and_close(widget: QDialog) -> None:
        if isinstance(widget, QMessageBox):
            seen["message"] = widget.text()
        elif isinstance(widget, CrashDialog):
            seen["crash"] = " ".join(lbl.text() for lbl in widget.findChildren(QLabel))
            seen["trace"] = widget.findChild(QPlainTextEdit).toPlainText()
        widget.done(0)

    try:
        when_modal(qtbot, read_and_close)
        err = ConflictError("sales_order", 7, "ann", None)
        sys.excepthook(type(err), err, None)
        assert "changed by ann" in seen["message"]
        when_modal(qtbot, read_and_close)
        try:
            raise ZeroDivisionError("a real bug")
        except ZeroDivisionError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
        assert str(log_path) in seen["crash"]
        assert "ZeroDivisionError: a real bug" in seen["trace"]
    finally:
        sys.excepthook = sys.__excepthook__


def test_about_names_version_database_and_licences(qtbot, sqlite_db: Database, admin: Actor) -> None:
    from app import __version__
    from app.views.about import AboutDialog

    dlg = AboutDialog(Desk(sqlite_db, SYSTEM))
    qtbot.addWidget(dlg)
    text = dlg.findChild(QLabel, "aboutHeading").text()
    assert __version__ in text and sqlite_db.location in text
    browser = dlg.findChildren(QLineEdit) or dlg.findChildren(QDialogButtonBox)
    assert browser
    from PySide6.QtWidgets import QTextBrowser

    assert "LGPL" in dlg.findChild(QTextBrowser).toPlainText()


@pytest.mark.parametrize("bad", ["not-a-db", "missing-folder"])
def test_opening_a_bad_database_in_the_app_says_what_is_wrong(qtbot, tmp_path: Path, bad: str, monkeypatch) -> None:
    from app.views import app as gui

    if bad == "not-a-db":
        target = tmp_path / "notes.db"
        target.write_text("shopping list")
    else:
        target = tmp_path / "gone" / "ordercycle.db"
    shown: list[str] = []
    monkeypatch.setattr(gui, "show_user_error", lambda _p, exc: shown.append(exc.message))
    monkeypatch.setattr(gui.QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: ("", "")))
    assert gui.run_gui(str(target)) == 1
    assert len(shown) == 1
    assert ("not an OrderCycle database" in shown[0]) if bad == "not-a-db" else ("cannot be reached" in shown[0])


def test_conflicting_user_edit_shows_both_versions_and_saves_the_chosen_mix(qtbot, sqlite_db: Database,
                                                                           admin: Actor) -> None:
    from app.views.common.conflict import ConflictDialog

    sam = auth.create_user(sqlite_db, admin, "sam", "Sam Seller", "sales", "sales-pass-1")
    dlg = UsersDialog(Desk(sqlite_db, admin))
    qtbot.addWidget(dlg)
    dlg.table.selectRow(1)
    # meanwhile another admin desk renames Sam and makes him marketing
    other = Actor("root", "admin", "Ruth Admin", workstation="desk-9")
    auth.update_user(sqlite_db, other, sam.id, version=sam.version, full_name="Samuel Seller", role="marketing")
    seen: dict[str, str] = {}

    def edit(widget) -> None:  # our desk changes the role to finance and the name to "Sam S."
        widget.full_name.setText("Sam S.")
        widget.role.setCurrentText("finance")
        widget.accept()

    def choose(conflict: ConflictDialog) -> None:
        seen["mine_role"] = conflict.findChild(QRadioButton, "mine_role").text()
        seen["theirs_role"] = conflict.findChild(QRadioButton, "theirs_role").text()
        conflict.take_theirs("full_name")  # keep their spelling of the name, my role
        QTimer.singleShot(0, conflict.save_button.click)

    when_modal(qtbot, edit)
    dlg.edit_selected(conflict_hook=choose)
    assert seen == {"mine_role": "finance", "theirs_role": "marketing"}
    final = auth.get_user(sqlite_db, admin, sam.id)
    assert (final.full_name, final.role) == ("Samuel Seller", "finance")


def test_first_start_of_the_day_makes_the_daily_backup(qtbot, sqlite_db: Database, admin: Actor,
                                                       tmp_path: Path) -> None:
    window = MainWindow(Desk(sqlite_db, admin), WorkstationSettings(backup_dir=str(tmp_path / "daily")), live=False)
    qtbot.addWidget(window)
    window.daily_backup()
    qtbot.waitUntil(lambda: window.daily_task.done, timeout=10000)
    qtbot.waitUntil(lambda: "Today's backup written" in window.statusBar().currentMessage(), timeout=5000)
    assert len(list((tmp_path / "daily").glob("*-daily-*.db"))) == 1
    window.daily_backup()  # second start the same day: nothing new
    qtbot.waitUntil(lambda: window.daily_task.done, timeout=10000)
    assert len(list((tmp_path / "daily").glob("*-daily-*.db"))) == 1


def test_a_failing_daily_backup_warns_and_work_goes_on(qtbot, sqlite_db: Database, admin: Actor,
                                                       tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    window = MainWindow(Desk(sqlite_db, admin), WorkstationSettings(backup_dir=str(blocker / "sub")), live=False)
    qtbot.addWidget(window)
    window.daily_backup()
    qtbot.waitUntil(lambda: window.daily_task.done, timeout=10000)
    qtbot.waitUntil(lambda: "automatic backup failed" in window.statusBar().currentMessage(), timeout=5000)
    assert str(blocker) in window.backup_warning
    assert window.isEnabled()


def test_file_menu_asks_for_another_database(qtbot, sqlite_db: Database, admin: Actor, tmp_path: Path,
                                             monkeypatch) -> None:
    from app.views import main_window as mw

    window = MainWindow(Desk(sqlite_db, admin), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    other = str(tmp_path / "branch.db")
    monkeypatch.setattr(mw.QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (other, "")))
    monkeypatch.setattr(mw.QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (other, "")))
    with qtbot.waitSignal(window.database_requested, timeout=2000) as opened:
        window.actions["open_db"].trigger()
    assert opened.args == [other, False]
    with qtbot.waitSignal(window.database_requested, timeout=2000) as created:
        window.actions["new_db"].trigger()
    assert created.args == [other, True]
