"""``ordercycle screenshots``: render the main window, every tab and the main dialogs to PNG."""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy import select


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def render_screenshots(db_arg: str, out: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.config import WorkstationSettings
    from app.db.open import open_database
    from app.db.uow import Actor
    from app.models import User
    from app.models.enums import Role
    from app.views.about import AboutDialog
    from app.views.app import make_application
    from app.views.auth.sign_in import SignInDialog
    from app.views.auth.users import UsersDialog
    from app.views.main_window import MainWindow

    app = make_application()
    out.mkdir(parents=True, exist_ok=True)
    db = open_database(db_arg, create=False)
    with db.read() as s:
        users = {u.role: u for u in s.execute(select(User).where(User.active.is_(True))).scalars()}
    if Role.ADMIN not in users:
        raise SystemExit("screenshots need a database with an active administrator")
    admin = users[Role.ADMIN]
    actor = Actor(admin.username, admin.role.value, admin.full_name, admin.id, workstation="screenshots")
    files: list[Path] = []
    window = MainWindow(db, actor, WorkstationSettings(), live=False)
    window.resize(1280, 800)
    window.show()
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        app.processEvents()
        path = out / f"{_slug(window.tabs.tabText(i))}.png"
        window.grab().save(str(path))
        files.append(path)
    window.tabs.setCurrentIndex(0)
    app.processEvents()
    path = out / "main-window.png"
    window.grab().save(str(path))
    files.append(path)
    for name, dialog in (("sign-in", SignInDialog(db, username=admin.username)),
                         ("users", UsersDialog(db, actor)), ("about", AboutDialog(db))):
        dialog.show()
        app.processEvents()
        path = out / f"dialog-{name}.png"
        dialog.grab().save(str(path))
        files.append(path)
        dialog.close()
    window.close()
    db.dispose()
    QApplication.processEvents()
    return files
