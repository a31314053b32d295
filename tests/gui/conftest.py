from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget


from sqlalchemy import select

from app.db.uow import Actor, Database
from app.models import User
from app.services import auth
from app.demo import build_demo



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


@pytest.fixture
def demo(sqlite_db: Database) -> Database:
    """The demo company (Northbeam Steelworks) on a real SQLite file, as of TODAY."""
    build_demo(sqlite_db)
    return sqlite_db


def actor_for(db: Database, username: str, *, workstation: str | None = None) -> Actor:
    """The demo user ``username`` signed in at a desk of their own."""
    with db.read() as s:
        u = s.execute(select(User).where(User.username == username)).scalar_one()
    return Actor(u.username, u.role.value, u.full_name, u.id, workstation=workstation or f"desk-{username}")


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

        def unstick() -> None:  # a dialog that refused the input stays open: fail, don't hang the suite
            import shiboken6

            if shiboken6.isValid(widget) and widget.isVisible() and hasattr(widget, "reject"):
                widget.reject()

        QTimer.singleShot(int(seconds * 2000), unstick)

    QTimer.singleShot(0, poll)
