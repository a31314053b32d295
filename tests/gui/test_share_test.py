"""File → Test this shared folder…, the verdict in the status bar, the read-only banner, and the
administrator asked to run the test when a second desk connects on an untested share."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from app.desk import Desk
from app.config import WorkstationSettings
from app.db import sharetest
from app.db.open import open_database
from app.db.share import ShareInfo
from app.db.uow import Actor, Database
from app.services.presence import DeskInfo
from app.views.common.share_test import ShareTestDialog
from app.views.main_window import MainWindow
from tests.gui.conftest import when_modal
from tests.integration.test_share_test import plant_verdict

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("ORDERCYCLE_SHOTS", "")) if os.environ.get("ORDERCYCLE_SHOTS") else None


def shot(widget, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(SHOTS / f"{name}.png"))


def second_desk(db_path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "app", "db", "share-test", "--db", str(db_path), "--timeout", "30",
                             "--name", "desk-2"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_dialog_waits_with_instructions_then_shows_the_verdict(qtbot, sqlite_db: Database, admin: Actor) -> None:
    window = MainWindow(Desk(sqlite_db, admin), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    assert window.actions["share_test"].isEnabled()
    assert "Test this shared folder" in window.actions["share_test"].text()
    dialog = window.show_share_test()
    assert dialog is not None
    assert "Not tested yet" in dialog.result_label.text()
    dialog.timeout = 30
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.instructions.isVisible(), timeout=10000)
    assert "second workstation" in dialog.instructions.text()
    assert "File → Test this shared folder" in dialog.instructions.text()
    shot(dialog, "share-test-waiting")
    other = second_desk(Path(sqlite_db.location))
    try:
        with qtbot.waitSignal(dialog.verdict_ready, timeout=30000) as got:
            pass
    finally:
        out, err = other.communicate(timeout=30)
    assert other.returncode == 0, err
    verdict = got.args[0]
    assert verdict.safe and verdict.desks == ("desk-1", "desk-2")
    qtbot.waitUntil(lambda: dialog.start_button.isVisible(), timeout=5000)
    assert not dialog.instructions.isVisible()
    assert "Safe" in dialog.result_label.text() and "desk-1 and desk-2" in dialog.result_label.text()
    shot(dialog, "share-test-safe")
    assert window.share_label.text() == "Share: tested safe"
    assert "desk-1 and desk-2" in window.share_label.toolTip()
    dialog.close()


def test_cancel_while_waiting_stops_cleanly(qtbot, sqlite_db: Database) -> None:
    path = Path(sqlite_db.location)
    dialog = ShareTestDialog(path, timeout=30)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.instructions.isVisible(), timeout=10000)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: dialog.task is not None and dialog.task.done, timeout=10000)
    assert "Cancelled" in dialog.status.text()
    assert dialog.start_button.isVisible() and not dialog.cancel_button.isVisible()
    assert not sharetest.verdict_path(path).exists()
    assert not (path.parent / sharetest.WORK_DIR).exists()


def test_no_second_desk_gets_a_plain_message(qtbot, sqlite_db: Database) -> None:
    dialog = ShareTestDialog(Path(sqlite_db.location), timeout=1)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10000)
    assert "No second desk joined" in dialog.error.text()
    assert dialog.start_button.text() == "Run the test again"


def test_an_unsafe_share_opens_read_only_with_a_banner(qtbot, sqlite_db: Database, admin: Actor) -> None:
    path = Path(sqlite_db.location)
    sqlite_db.dispose()
    plant_verdict(path, safe=False)
    first = open_database(path, username="ann", workstation="desk-1")
    second = open_database(path, username="root", workstation="desk-2")
    try:
        writer_window = MainWindow(Desk(first, admin), WorkstationSettings(), live=False)
        qtbot.addWidget(writer_window)
        assert writer_window.banner.isHidden()
        assert writer_window.share_label.text() == "Share: UNSAFE (one desk writes)"
        assert writer_window.lease_timer.isActive()
        window = MainWindow(Desk(second, admin), WorkstationSettings(), live=False)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        assert window.banner.isVisible()
        text = window.banner.text()
        assert "Read-only" in text and "failed the share test" in text and "ann at desk-1" in text
        assert "PostgreSQL" in text and "ordercycle db copy" in text
        assert "read-only" in window.windowTitle()
        assert "UNSAFE" in window.share_label.toolTip()
        shot(window, "read-only-banner")
    finally:
        second.dispose()
        first.dispose()


def _desks(n: int) -> list[DeskInfo]:
    now = dt.datetime.now(dt.timezone.utc)
    return [DeskInfo(i + 1, f"user{i}", f"User {i}", "sales", f"desk-{i}", now) for i in range(n)]


def test_the_first_time_two_desks_connect_on_an_untested_share_an_admin_is_asked(qtbot, sqlite_db: Database,
                                                                                   admin: Actor) -> None:
    window = MainWindow(Desk(sqlite_db, admin), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    window.share = ShareInfo(True, "SMB/CIFS share, cifs", "/mnt/orders")
    window.show_share_state()
    assert window.share_label.text() == "Share: not tested"
    window.show_desks(_desks(1))  # one desk: nothing to ask
    assert not window._asked_share_test
    asked: list[str] = []

    def answer_no(box: QMessageBox) -> None:
        asked.append(box.text())
        box.button(QMessageBox.StandardButton.No).click()

    when_modal(qtbot, answer_no, QMessageBox)
    window.show_desks(_desks(2))
    qtbot.waitUntil(lambda: bool(asked), timeout=5000)
    assert "not been tested" in asked[0]
    window.show_desks(_desks(3))  # only the first time
    qtbot.wait(50)
    assert len(asked) == 1


def test_other_roles_are_told_to_ask_an_administrator(qtbot, sqlite_db: Database) -> None:
    window = MainWindow(Desk(sqlite_db, Actor("sam", "sales", "Sam Seller")), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    window.share = ShareInfo(True, "NFS share, nfs4", "/srv/nas")
    window.show_desks(_desks(2))
    assert "ask your administrator" in window.statusBar().currentMessage()


def test_a_tested_share_asks_nothing(qtbot, sqlite_db: Database, admin: Actor) -> None:
    plant_verdict(Path(sqlite_db.location), safe=True)
    window = MainWindow(Desk(sqlite_db, admin), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    window.share = ShareInfo(True, "SMB/CIFS share, cifs", "/mnt/orders")
    window.show_desks(_desks(2))
    assert not window._asked_share_test
    assert window.share_label.text() == "Share: tested safe"
