"""Start the GUI: open the database (the embedded default with a demo company if none is set),
sign in, show the main window. Known errors get a plain message and a way forward."""

from __future__ import annotations

import logging
import socket
import sys
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog

from app.config import WorkstationSettings, default_db_path
from app.db.open import open_database
from app.db.uow import Actor, Database
from app.errors import DatabaseError, UserError
from app.services import auth
from app.services.settings import use_firm_clock
from app.views.common.messages import install_excepthook, show_user_error

log = logging.getLogger(__name__)


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("OrderCycle")
    app.setOrganizationName("OrderCycle")
    app.setStyle("Fusion")
    return app  # type: ignore[return-value]


def open_or_create(location: str, *, create: bool = True, username: str = "",
                   log_path: Path | None = None) -> Database:
    """Open ``location``; the embedded default gets the demo company the first time. The demo is
    built all or nothing (``build_demo_file``): if it fails, no file is left and the next start
    tries again."""
    is_default = Path(location) == default_db_path()
    if is_default:
        try:
            default_db_path().parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(
                f"The folder {default_db_path().parent} for this workstation's database cannot be created "
                f"({exc.strerror or exc}).",
                hint="Choose the firm's database on the shared folder, or ask your administrator for write "
                "access to that folder.") from exc
    if is_default and not default_db_path().exists():
        _build_first_demo(location, log_path)
    db = open_database(location, create=create, username=username, workstation=socket.gethostname())
    use_firm_clock(db)
    return db


def _build_first_demo(location: str, log_path: Path | None) -> None:
    from PySide6.QtWidgets import QProgressDialog

    from app.services.demo import build_demo_file

    dlg = QProgressDialog("Setting up the demo company (Northbeam Steelworks)…", "", 0, 100)
    dlg.setCancelButton(None)  # type: ignore[arg-type]
    dlg.setWindowTitle("OrderCycle — first start")
    dlg.setMinimumDuration(0)
    dlg.setValue(0)

    def progress(fraction: float) -> None:
        dlg.setValue(int(fraction * 100))
        QApplication.processEvents()

    try:
        build_demo_file(location, progress=progress)
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - a plain message, the details in the log
        log.exception("building the demo company failed")
        where = f"The details are in {log_path}." if log_path else "The details are in OrderCycle's log."
        raise DatabaseError(
            f"The demo company could not be set up ({type(exc).__name__}). Nothing was written: "
            "OrderCycle will try again the next time it starts.", hint=where) from exc
    finally:
        dlg.close()


def sign_in_flow(db: Database, settings: WorkstationSettings) -> Actor | None:
    from app.views.auth.sign_in import FirstAdminDialog, SignInDialog

    if auth.needs_first_admin(db):
        dlg = FirstAdminDialog(db)
    else:
        dlg = SignInDialog(db, username=settings.last_username)
    if dlg.exec() != QDialog.DialogCode.Accepted or dlg.actor is None:
        return None
    settings.last_username = dlg.actor.username
    return dlg.actor


def run_gui(db_arg: str | None, *, log_path: Path | None = None) -> int:
    app = make_application()
    install_excepthook(log_path)
    settings = WorkstationSettings.load()
    problem = WorkstationSettings.folder_problem()
    if problem:  # not fatal: OrderCycle runs, but cannot remember this workstation's choices
        show_user_error(None, UserError(
            problem, hint="OrderCycle will work, but will not remember the database, the window layout or "
            "your user name on this workstation. Ask your administrator for write access to that folder "
            "(or set ORDERCYCLE_CONFIG_DIR to a writable one)."))
    location, create = (db_arg or settings.database_or_default()), True
    while True:
        try:
            db = open_or_create(location, create=create, username=settings.last_username, log_path=log_path)
        except UserError as exc:
            show_user_error(None, exc)
            path, _ = QFileDialog.getOpenFileName(None, "Choose an OrderCycle database", "",
                                                  "OrderCycle database (*.db *.sqlite);;All files (*)")
            if not path:
                return 1
            location, create = path, False
            continue
        actor = sign_in_flow(db, settings)
        if actor is None:
            db.dispose()
            return 0
        if db_arg is None or location != db_arg:
            settings.database = "" if Path(location) == default_db_path() else location
        from app.views.main_window import MainWindow

        window = MainWindow(db, actor, settings)
        switch: dict[str, object] = {}

        def on_request(path: str, new: bool, window: MainWindow = window) -> None:
            switch["to"], switch["create"] = path, new
            window.close()

        window.database_requested.connect(on_request, Qt.ConnectionType.QueuedConnection)
        window.show()
        QTimer.singleShot(0, window.offer_drafts)
        app.exec()
        db.dispose()
        if "to" not in switch:
            return 0
        location, create = str(switch["to"]), bool(switch["create"])


