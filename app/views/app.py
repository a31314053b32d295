"""Start the GUI: open the database (the embedded default with a demo company if none is set),
sign in, show the main window. Known errors get a plain message and a way forward."""

from __future__ import annotations

import logging
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog

from app.config import WorkstationSettings, default_db_path
from app.desk import Desk
from app.errors import DatabaseError, UserError
from app.views.common.messages import install_excepthook, show_user_error

if TYPE_CHECKING:  # SQLAlchemy and the models load on the worker that opens the database
    from app.actor import Actor
    from app.desk import Database
    from app.tasks import Task
    from app.views.auth.sign_in import FirstAdminDialog, SignInDialog
    from app.views.main_window import MainWindow

log = logging.getLogger(__name__)


def make_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if existing is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    elif isinstance(existing, QApplication):
        app = existing
    else:
        raise RuntimeError("a QCoreApplication without widgets already exists; OrderCycle's windows need a "
                           "QApplication")
    app.setApplicationName("OrderCycle")
    app.setOrganizationName("OrderCycle")
    app.setStyle("Fusion")
    from app.views.common.gc_thread import install

    install(app)  # the cyclic collector runs on the GUI thread only (see gc_thread)
    from app.tasks import finish_all

    # a window closed right after it opened may still have work on the thread pool (the order
    # form pricing its first screen): let it end before Qt deletes the objects it reports to
    app.aboutToQuit.connect(finish_all)
    return app


def open_or_create(location: str, *, create: bool = True, username: str = "",
                   log_path: Path | None = None) -> Database:
    """Open ``location``; the embedded default gets the demo company the first time. The demo is
    built all or nothing (``build_demo_file``): if it fails, no file is left and the next start
    tries again."""
    prepare_location(location, log_path)
    return open_location(location, create=create, username=username)


def prepare_location(location: str, log_path: Path | None = None) -> None:
    """On the GUI thread, before the sign-in dialog: the embedded default's folder, and the demo
    company on a first start (with its own progress window)."""
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


def open_location(location: str, *, create: bool = True, username: str = "") -> Database:
    """Open the database (any thread: the GUI start runs it on a worker). Imports SQLAlchemy."""
    from app.services.settings import use_firm_settings
    from app.services.workstation import open_database

    db = open_database(location, create=create, username=username, workstation=socket.gethostname())
    use_firm_settings(db)  # the firm's time zone and currency for this desk
    return db


class Opened(NamedTuple):
    """What the worker hands the sign-in dialog: the open database, whether it has no users yet
    (the first administrator is created instead of signing in) and the demo company's hint."""

    db: Database
    first_admin: bool
    hint: str | None
    new_firm: bool = False  # no users and nothing else either: the new-firm wizard sets the firm up


def open_for_sign_in(location: str, *, create: bool = True, username: str = "") -> Opened:
    """The worker's part of the start: open, then what the sign-in dialog shows."""
    db = open_location(location, create=create, username=username)
    try:
        from app.services import auth
        from app.views.auth.sign_in import SignInDialog

        first_admin = auth.needs_first_admin(db)
        return Opened(db, first_admin, None if first_admin else SignInDialog.read_hint(db),
                      first_admin and is_new_firm(db))
    except BaseException:
        db.dispose()
        raise


def is_new_firm(db: Database) -> bool:
    """Whether ``db`` is new and empty — no users, products, customers or orders — so that the
    new-firm wizard can set the firm up (``firm_setup.new_firm`` refuses anything else; a database
    with data but no users still gets only its first administrator)."""
    from app.services import firm_setup

    return firm_setup.is_new(db)


@dataclass
class _Opening:
    """How the worker opening the database is getting on (``open_behind``)."""

    task: Task | None = None  # started
    cancelled: bool = False  # the dialog was closed while it ran
    opened: Opened | None = None  # its result, or
    error: BaseException | None = None  # its failure

    @property
    def arrived(self) -> bool:
        return self.opened is not None or self.error is not None


def open_behind(dialog: SignInDialog, location: str, *, create: bool = True, username: str = "") -> Opened | None:
    """Show ``dialog`` and open the database on a worker once it has painted; wait (the dialog
    takes typing meanwhile) for the result. None if the dialog was cancelled while opening (the
    database is closed again as soon as it is open); the worker's error is raised here."""
    from app.tasks import run_task

    loop = QEventLoop()
    got = _Opening()

    def opened(result: Opened) -> None:
        got.opened = result
        loop.quit()

    def failed(exc: BaseException) -> None:
        got.error = exc
        loop.quit()

    def start() -> None:
        if got.task is not None or got.cancelled:
            return
        got.task = run_task(lambda _state: open_for_sign_in(location, create=create, username=username),
                            on_success=opened, on_error=failed)

    dialog.first_painted.connect(start)  # painting first: the worker's imports would slow the paint
    QTimer.singleShot(300, start)  # a window that never paints (minimised) still opens the database
    dialog.rejected.connect(loop.quit)
    dialog.setModal(True)
    dialog.show()
    if not got.arrived:
        loop.exec()
    dialog.rejected.disconnect(loop.quit)
    if not got.arrived:  # cancelled while opening
        got.cancelled = True
        while got.task is not None and not got.arrived:
            loop.exec()
        if got.opened is not None:
            got.opened.db.dispose()
        return None
    if got.error is not None:
        raise got.error
    assert got.opened is not None  # arrived: one or the other
    return got.opened


def _build_first_demo(location: str, log_path: Path | None) -> None:
    from PySide6.QtWidgets import QProgressDialog

    from app.demo import build_demo_file

    dlg = QProgressDialog("Setting up the demo company (Northbeam Steelworks)…", "", 0, 100)
    dlg.setCancelButton(None)
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


def sign_in_flow(db: Database, settings: WorkstationSettings, dialog: SignInDialog | None = None,
                 opened: Opened | None = None, start: list[str] | None = None) -> Actor | None:
    """Sign in on the open ``db``: in ``dialog`` (already on screen while it opened) or a new one;
    on a new, empty database the new-firm wizard sets the firm up instead (its start choice —
    ``new_firm.START_*`` — is appended to ``start``), on one with data but no users the first
    administrator is created."""
    from app.views.auth.new_firm import NewFirmWizard
    from app.views.auth.sign_in import FirstAdminDialog, SignInDialog

    if opened is None:
        from app.services import auth

        first_admin = auth.needs_first_admin(db)
        opened = Opened(db, first_admin, None, first_admin and is_new_firm(db))
    if opened.first_admin:
        if dialog is not None:
            dialog.close()
        dlg: NewFirmWizard | FirstAdminDialog | SignInDialog = (NewFirmWizard(db) if opened.new_firm
                                                                 else FirstAdminDialog(db))
    elif dialog is not None:
        dialog.set_database(db, opened.hint)
        dlg = dialog
    else:
        dlg = SignInDialog(db, username=settings.last_username)
    try:
        if dlg.exec() != QDialog.DialogCode.Accepted or dlg.actor is None:
            return None
        actor = dlg.actor
        if isinstance(dlg, NewFirmWizard) and start is not None:
            start.append(dlg.start)
    finally:
        dlg.close()
    settings.last_username = actor.username
    return actor


def begin_new_firm(window: MainWindow, start: str) -> None:
    """After the new-firm wizard, once the main window shows: the import dialog or the customers
    window, as chosen on its last page (``start_empty``: nothing more)."""
    from app.views.auth.new_firm import START_IMPORT, START_TYPE

    if start == START_IMPORT:
        window.show_import()
    elif start == START_TYPE:
        window.show_customers()


def choose_database(parent: QDialog | None) -> str:
    path, _ = QFileDialog.getOpenFileName(parent, "Choose an OrderCycle database", "",
                                          "OrderCycle database (*.db *.sqlite);;All files (*)")
    return path


def run_gui(db_arg: str | None, *, log_path: Path | None = None) -> int:
    """The start, in paint order: the sign-in dialog is on screen (and takes typing) before
    SQLAlchemy and the models are imported; the database opens on a worker meanwhile. Only a first
    start's demo company is built before it, behind its own progress window."""
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
    from app.views.auth.sign_in import SignInDialog

    while True:
        dialog: SignInDialog | None = None
        try:
            prepare_location(location, log_path)
            dialog = SignInDialog(None, location=location, username=settings.last_username)
            opened = open_behind(dialog, location, create=create, username=settings.last_username)
        except UserError as exc:
            if dialog is not None:
                dialog.show_open_error(exc)
            show_user_error(dialog, exc)
            path = choose_database(dialog)
            if dialog is not None:
                dialog.close()
            if not path:
                return 1
            location, create = path, False
            continue
        if opened is None:  # cancelled while the database was opening
            dialog.close()
            return 0
        db = opened.db
        start: list[str] = []  # the new-firm wizard's "how to begin"
        actor = sign_in_flow(db, settings, dialog, opened, start)
        if actor is None:
            dialog.close()
            db.dispose()
            return 0
        if db_arg is None or location != db_arg:
            settings.database = "" if Path(location) == default_db_path() else location
        from app.views.main_window import MainWindow

        window = MainWindow(Desk(db, actor), settings)
        switch: list[tuple[str, bool]] = []  # the database the window asked for, and whether to create it

        def on_request(path: str, new: bool, window: MainWindow = window) -> None:
            switch[:] = [(path, new)]
            window.close()

        window.database_requested.connect(on_request, Qt.ConnectionType.QueuedConnection)
        window.show()
        QTimer.singleShot(0, window.offer_drafts)
        if start:
            QTimer.singleShot(0, lambda window=window, begin=start[0]: begin_new_firm(window, begin))
        app.exec()
        db.dispose()
        if not switch:
            return 0
        location, create = switch[0]
