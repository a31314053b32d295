from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget



from app.db.uow import Actor, Database
from app.services import auth
from tests.support import actor_for as actor_for  # the GUI tests import it from here



@pytest.fixture
def admin(sqlite_db: Database) -> Actor:
    auth.create_first_admin(sqlite_db, "root", "Ruth Admin", "correct horse")
    return auth.sign_in(sqlite_db, "root", "correct horse", workstation="desk-1")


@pytest.fixture
def demo(demo_db: Database) -> Database:
    """A GUI test drives one desk on the demo company's SQLite file: it takes the database
    (``demo_db`` of tests/conftest.py); ``actor_for`` (tests.support) signs its people in."""
    return demo_db


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
