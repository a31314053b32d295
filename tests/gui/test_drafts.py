"""Unsaved input survives a crash of the desk and is offered back at the next start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from app.desk import Desk
from app.config import WorkstationSettings
from app.db.uow import Actor, Database
from app.drafts import DraftStore
from app.services import auth
from app.views.auth.users import UserEditDialog, UsersDialog
from app.views.main_window import MainWindow
from tests.gui.conftest import when_modal

ROOT = Path(__file__).resolve().parents[2]


def test_draft_store_survives_a_killed_process(tmp_path: Path) -> None:
    folder = tmp_path / "drafts"
    code = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from app.drafts import DraftStore\n"
        f"DraftStore(Path({str(folder)!r})).save(database='db', username='ann', form='order', record_id=None,"
        " title='Order for Acme', values={'customer': 'ACME', 'lines': [['SH-1', 20]]})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60)
    assert res.returncode == -signal.SIGKILL
    drafts = DraftStore(folder).pending(database="db", username="ann")
    assert [(d.form, d.title, d.values) for d in drafts] == [
        ("order", "Order for Acme", {"customer": "ACME", "lines": [["SH-1", 20]]})]
    assert DraftStore(folder).pending(database="db", username="bob") == []
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_typing_keeps_a_draft_and_saving_drops_it(qtbot, sqlite_db: Database, admin: Actor, tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    dlg = UsersDialog(Desk(sqlite_db, admin), drafts=store)
    qtbot.addWidget(dlg)
    edit = UserEditDialog(None, dlg)

    def type_then_check(widget: UserEditDialog) -> None:
        qtbot.keyClicks(widget.username, "pat")
        qtbot.keyClicks(widget.full_name, "Pat Packer")
        qtbot.keyClicks(widget.password, "secret-pass-9")

        def saved() -> None:
            drafts = store.pending(database=sqlite_db.location, username="root")
            assert [d.values["full_name"] for d in drafts] == ["Pat Packer"]
            assert "secret-pass-9" not in (store.folder / f"{drafts[0].key}.json").read_text()
            widget.accept()

        qtbot.waitUntil(lambda: bool(store.pending(database=sqlite_db.location, username="root")), timeout=3000)
        saved()

    when_modal(qtbot, type_then_check, UserEditDialog)
    dlg.add_user(dialog=edit)
    assert [u.username for u in auth.list_users(sqlite_db, admin)] == ["pat", "root"]
    assert store.pending(database=sqlite_db.location, username="root") == []


def test_a_draft_left_by_a_crash_is_offered_back_and_reopened(qtbot, sqlite_db: Database, admin: Actor,
                                                              tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    store.save(database=sqlite_db.location, username="root", form="user", record_id=None, title="User pat",
               values={"username": "pat", "full_name": "Pat Packer", "role": "shipping", "active": True})
    window = MainWindow(Desk(sqlite_db, admin), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    seen: dict[str, str] = {}

    def inspect_editor(widget: UserEditDialog) -> None:
        seen["name"], seen["role"] = widget.full_name.text(), widget.role.currentText()
        widget.reject()
        when_modal(qtbot, lambda d: d.accept(), UsersDialog)  # then close the users list

    when_modal(qtbot, inspect_editor, UserEditDialog)
    asked: list[str] = []
    assert window.offer_drafts(store, ask=lambda q: asked.append(q) or True) == 1
    assert "User pat" in asked[0]
    assert seen == {"name": "Pat Packer", "role": "shipping"}
    # cancelling the reopened form discards the draft: it is not offered again
    assert store.pending(database=sqlite_db.location, username="root") == []


def test_declining_a_draft_discards_it(qtbot, sqlite_db: Database, admin: Actor, tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    store.save(database=sqlite_db.location, username="root", form="user", record_id=None, title="User x",
               values={"username": "x", "full_name": "X", "role": "sales", "active": True})
    window = MainWindow(Desk(sqlite_db, admin), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    assert window.offer_drafts(store, ask=lambda q: False) == 0
    assert store.pending(database=sqlite_db.location, username="root") == []
    assert os.path.isdir(store.folder)


def test_an_unwritable_data_folder_is_reported_once_and_the_form_still_saves(
        qtbot, sqlite_db: Database, admin: Actor, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the drafts folder should be")
    store = DraftStore(blocker / "drafts")  # mkdir fails: what a read-only profile does
    window = MainWindow(Desk(sqlite_db, admin), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    window.show()
    dlg = UsersDialog(Desk(sqlite_db, admin), drafts=store)
    qtbot.addWidget(dlg)
    edit = UserEditDialog(None, dlg)

    def type_then_save(widget: UserEditDialog) -> None:
        qtbot.keyClicks(widget.username, "pat")
        qtbot.keyClicks(widget.full_name, "Pat Packer")
        qtbot.keyClicks(widget.password, "secret-pass-9")
        qtbot.waitUntil(lambda: dlg.keeper.problem is not None, timeout=3000)
        assert str(blocker) in dlg.keeper.problem
        widget.accept()

    when_modal(qtbot, type_then_save, UserEditDialog)
    dlg.add_user(dialog=edit)
    assert "not being kept as a draft" in window.statusBar().currentMessage()
    assert [u.username for u in auth.list_users(sqlite_db, admin)] == ["pat", "root"]
