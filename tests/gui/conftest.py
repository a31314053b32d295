from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from app.db.uow import Actor, Database
from app.services import auth


@pytest.fixture(autouse=True)
def isolated_workstation(tmp_path, monkeypatch):
    """Each GUI test gets its own per-workstation settings and log folders."""
    monkeypatch.setenv("ORDERCYCLE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("ORDERCYCLE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ORDERCYCLE_LOG_DIR", str(tmp_path / "logs"))


@pytest.fixture
def admin(sqlite_db: Database) -> Actor:
    auth.create_first_admin(sqlite_db, "root", "Ruth Admin", "correct horse")
    return auth.sign_in(sqlite_db, "root", "correct horse", workstation="desk-1")


def when_modal(qtbot, action: Callable[[QWidget], None], kind: type = QWidget, *, seconds: float = 10) -> None:
    """Run ``action`` on the next modal dialog of type ``kind`` once it is shown (exec() blocks the
    test). Gives up after ``seconds`` so a poll never leaks into later tests."""
    import time

    deadline = time.monotonic() + seconds

    def poll() -> None:
        widget = QApplication.activeModalWidget()
        if widget is None or not isinstance(widget, kind):
            if time.monotonic() < deadline:
                QTimer.singleShot(10, poll)
            return
        action(widget)

    QTimer.singleShot(0, poll)
