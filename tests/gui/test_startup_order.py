"""Paint first (issue 19 item 5): the sign-in dialog is on screen before SQLAlchemy and the models
are imported; the database opens on a worker meanwhile, and everything after it is as before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer

from app.db.uow import Actor, Database
from app.views.auth.sign_in import FirstAdminDialog, SignInDialog
from tests.gui.conftest import when_modal

ROOT = Path(__file__).resolve().parents[2]
PROBE = ROOT / "bench" / "_sign_in_paint.py"  # also the start-up benchmark's child


def test_the_sign_in_dialog_paints_before_sqlalchemy_and_the_models_are_imported(
        sqlite_db: Database, admin: Actor, tmp_path: Path) -> None:
    # the real `python -m app --db DB` path in a fresh interpreter; an application-wide event
    # filter records sys.modules at the sign-in dialog's first paint, then signs in as a person
    # would once "Sign in" is enabled and waits for the main window's first paint
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ORDERCYCLE_BENCH_T0": repr(time.time()),
           "ORDERCYCLE_LOG_DIR": str(tmp_path / "logs")}
    done = subprocess.run([sys.executable, str(PROBE), sqlite_db.location, "root", "correct horse"], check=False,
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["heavy"] == [], f"imported before the sign-in dialog's first paint: {out['heavy']}"
    assert out["main"] > 0  # it went on: the database opened, the user signed in, the main window painted


def test_the_sign_in_dialog_waits_for_the_database_and_a_return_typed_meanwhile_signs_in(
        qtbot, sqlite_db: Database, admin: Actor) -> None:
    dlg = SignInDialog(None, location=sqlite_db.location, username="root")
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.location.text() == f"Database: {sqlite_db.location}"
    assert dlg.status.isVisible() and "Opening" in dlg.status.text()
    assert not dlg.sign_in_button.isEnabled()
    assert dlg.focusWidget() is dlg.password  # a remembered user name: the password is next
    qtbot.keyClicks(dlg.password, "correct horse")
    qtbot.keyClick(dlg.password, Qt.Key.Key_Return)
    assert dlg.result() == 0 and dlg.actor is None and "as soon as it is open" in dlg.status.text()
    with qtbot.waitSignal(dlg.accepted, timeout=5000):
        dlg.set_database(sqlite_db, None)
    assert dlg.actor is not None and dlg.actor.username == "root"


def test_a_database_that_cannot_be_opened_is_said_in_the_dialog_and_then_as_before(
        qtbot, tmp_path: Path, monkeypatch) -> None:
    from app.views import app as gui

    target = tmp_path / "notes.db"
    target.write_text("shopping list")
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(gui, "show_user_error", lambda parent, exc: seen.append((parent.error.text(), exc.message)))
    monkeypatch.setattr(gui.QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: ("", "")))
    assert gui.run_gui(str(target)) == 1
    assert len(seen) == 1
    in_place, message = seen[0]
    assert "not an OrderCycle database" in message and in_place.startswith(message)


def test_a_database_with_data_but_no_users_still_asks_for_the_first_administrator(
        qtbot, tmp_path: Path, monkeypatch) -> None:
    from app.views import app as gui

    # a new, empty one gets the new-firm wizard (tests/gui/test_new_firm.py); one that holds data
    # but no users (not new: firm_setup.new_firm would refuse it) only its first administrator
    monkeypatch.setattr(gui, "is_new_firm", lambda _db: False)
    shown: list[str] = []
    when_modal(qtbot, lambda d: (shown.append(d.objectName()), d.reject()), FirstAdminDialog)
    assert gui.run_gui(str(tmp_path / "new.db")) == 0
    assert shown == ["firstAdminDialog"]


def test_cancelling_while_the_database_opens_ends_the_start_and_closes_it(
        qtbot, sqlite_db: Database, admin: Actor, monkeypatch) -> None:
    from app.views import app as gui

    real = gui.open_for_sign_in
    disposed: list[str] = []

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.5)  # the person cancels before the database is open
        opened = real(*args, **kwargs)
        dispose = opened.db.dispose
        opened.db.dispose = lambda: (disposed.append("yes"), dispose())  # type: ignore[method-assign]
        return opened

    monkeypatch.setattr(gui, "open_for_sign_in", slow)
    # the worker starts at the first paint (at the latest 0.3 s after showing) and takes ≥ 0.5 s
    when_modal(qtbot, lambda d: QTimer.singleShot(400, d.reject), SignInDialog)
    assert gui.run_gui(sqlite_db.location) == 0
    assert disposed == ["yes"]


@pytest.mark.parametrize("args", [[], ["--db", "x.db"], ["--db=x.db"]])
def test_a_gui_start_builds_its_command_line_without_the_database_layer(args: list[str]) -> None:
    code = ("import sys; from app.main import _gui_start, _parser; "
            f"args = {args!r}; assert _gui_start(args); _parser(exchange=False).parse_args(args); "
            "heavy = [m for m in ('sqlalchemy', 'app.models', 'app.db') if m in sys.modules]; "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
