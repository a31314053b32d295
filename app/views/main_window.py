"""Wiring only: menus, tabs, status bar. Each tab owns its own widgets (app/views/<tab>/)."""

from __future__ import annotations

import base64
from pathlib import Path

from PySide6.QtCore import QByteArray, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDialog, QFileDialog, QLabel, QMainWindow, QMessageBox, QTabWidget, QVBoxLayout, QWidget

from app.config import WorkstationSettings
from app.drafts import DraftStore
from app.db.backup import backup_sqlite, daily_backup
from app.db.engine import sqlite_path
from app.db.share import share_info
from app.db.open import default_backup_dir
from app.db.uow import Actor, Database
from app.errors import UserError
from app.services.permissions import allowed, require
from app.tasks import run_task
from app.views.about import AboutDialog
from app.services.changes import Changes
from app.views.common.idle import IdleLock
from app.views.common.live import LiveUpdates
from app.views.common.messages import error_label, show_user_error
from app.views.tabs import tab_registry


class MainWindow(QMainWindow):
    database_requested = Signal(str, bool)  # path, create

    def __init__(self, db: Database, actor: Actor, settings: WorkstationSettings | None = None,
                 *, live: bool = True) -> None:
        super().__init__()
        self.db, self.actor = db, actor
        self.settings = settings or WorkstationSettings.load()
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"OrderCycle — {db.location}")
        self.tabs = QTabWidget()
        self.tabs.setObjectName("stageTabs")
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        # Tabs are built the first time they are shown: start-up pays only for the first tab.
        self.tab_widgets: dict[str, QWidget] = {}
        self._factories: dict[str, object] = {}
        self._pages: dict[str, QWidget] = {}
        for title, permission, factory in tab_registry():
            if allowed(actor.role, permission):
                page = QWidget()
                page.setObjectName(f"page_{title}")
                QVBoxLayout(page).setContentsMargins(0, 0, 0, 0)
                self._factories[title] = factory
                self._pages[title] = page
                self.tabs.addTab(page, title)
        self.tabs.currentChanged.connect(lambda i: self.ensure_tab(self.tabs.tabText(i)))
        if self.tabs.count():
            self.ensure_tab(self.tabs.tabText(0))
        self.actions: dict[str, QAction] = {}
        self.draft_handlers = {"user": self._reopen_user_draft, "order": self._reopen_order_draft}
        self._build_actions()
        self._build_menus()
        self._build_status_bar()
        self._restore_geometry()
        self.live: LiveUpdates | None = None
        if live:
            # presence and polling start right after the first paint, not before it
            self.live = LiveUpdates(db, actor, self, start=False)
            self.live.changed.connect(self.on_changes)
            self.live.desks_changed.connect(self.show_desks)
            self.live.unreachable.connect(lambda msg: self.statusBar().showMessage(msg, 5000))
            QTimer.singleShot(0, self._start_live)
        if live:
            QTimer.singleShot(0, self.daily_backup)
        self.idle = IdleLock(db, actor, self.settings.idle_lock_minutes if live else 0, self)
        self.idle.signed_out.connect(self.close)

    def _start_live(self) -> None:
        if self.live is not None and self.live.session_id is None:
            self.live.start()
            self.show_desks(self.live.desks)
            if self.live.clock_warning:
                self.clock_label.setText("⚠ clock")
                self.clock_label.setToolTip(self.live.clock_warning)
                self.clock_label.show()
                self.statusBar().showMessage(self.live.clock_warning, 30000)

    def ensure_tab(self, title: str) -> QWidget | None:
        """Build the tab's widget on first use (and return it)."""
        if title in self.tab_widgets:
            return self.tab_widgets[title]
        factory = self._factories.get(title)
        if factory is None:
            return None
        widget = factory(self.db, self.actor)  # type: ignore[operator]
        self._pages[title].layout().addWidget(widget)
        self.tab_widgets[title] = widget
        return widget

    def on_changes(self, changes: Changes) -> None:
        """Another desk saved something: each tab reloads what concerns it."""
        for widget in self.tab_widgets.values():
            handler = getattr(widget, "on_changes", None)
            if handler is not None:
                handler(changes)

    def show_desks(self, desks: list) -> None:
        others = [d for d in desks if d.session_id != (self.live.session_id if self.live else None)]
        names = ", ".join(f"{d.full_name or d.username} ({d.role}) at {d.workstation}" for d in others[:2])
        more = f" and {len(others) - 2} more" if len(others) > 2 else ""
        self.desks_label.setText(f"{len(desks)} signed in" + (f": also {names}{more}" if others else "")
                                 if desks else "")
        self.desks_label.setToolTip("\n".join(
            f"{d.full_name or d.username} ({d.role}) at {d.workstation} since {d.since.astimezone():%H:%M}"
            for d in desks))
        self.desks_label.setProperty("others", len(others))

    # --- actions: one registry so menus and shortcuts agree --------------------------------
    def _action(self, key: str, text: str, slot, shortcut: QKeySequence | str | None = None,  # type: ignore[no-untyped-def]
                enabled: bool = True) -> QAction:
        act = QAction(text, self)
        act.setObjectName(f"action_{key}")
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        act.setEnabled(enabled)
        self.actions[key] = act
        return act

    def _build_actions(self) -> None:
        is_file = self.db.is_sqlite
        self._action("open_db", "&Open database…", self.open_database, QKeySequence.StandardKey.Open)
        self._action("new_db", "&New database…", self.new_database, QKeySequence.StandardKey.New)
        self._action("backup", "&Back up now", self.backup_now, "Ctrl+Shift+B",
                     enabled=is_file and allowed(self.actor.role, "db.admin"))
        self._action("quit", "&Quit", self.close, QKeySequence.StandardKey.Quit)
        self._action("users", "&Users…", self.manage_users, "Ctrl+Shift+U",
                     enabled=allowed(self.actor.role, "users.manage"))
        self._action("audit", "&Audit log…", self.show_audit, "Ctrl+Shift+L",
                     enabled=allowed(self.actor.role, "audit.view"))
        self._action("settings", "Firm &settings…", self.show_settings, "Ctrl+,",
                     enabled=allowed(self.actor.role, "orders.settings") or allowed(self.actor.role, "settings.edit"))
        self._action("timeline", "Customer &timeline…", self.show_timeline, "Ctrl+Shift+T")
        self._action("about", "&About OrderCycle", self.show_about, QKeySequence.StandardKey.HelpContents)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for key in ("open_db", "new_db", "backup"):
            file_menu.addAction(self.actions[key])
        file_menu.addSeparator()
        file_menu.addAction(self.actions["quit"])
        bar.addMenu("&Customer").addAction(self.actions["timeline"])
        admin_items = [k for k, perm in (("users", "users.manage"), ("audit", "audit.view"),
                                         ("settings", "orders.settings"), ("settings", "settings.edit"))
                       if allowed(self.actor.role, perm)]
        admin_items = list(dict.fromkeys(admin_items))
        if admin_items:
            menu = bar.addMenu("&Admin")
            for key in admin_items:
                menu.addAction(self.actions[key])
        bar.addMenu("&Help").addAction(self.actions["about"])

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        path = sqlite_path(self.db.url)
        self.share = share_info(path) if path is not None else None
        where = f" — {self.share.status_text()}" if self.share is not None else " — PostgreSQL server"
        self.db_label = QLabel(f"Database: {self.db.location}{where}")
        self.db_label.setObjectName("dbLabel")
        self.user_label = QLabel(f"{self.actor.display} ({self.actor.role}) at {self.actor.workstation}")
        self.user_label.setObjectName("userLabel")
        self.desks_label = QLabel()
        self.desks_label.setObjectName("desksLabel")
        self.clock_label = error_label("clockLabel")
        bar.addPermanentWidget(self.clock_label)
        bar.addWidget(self.db_label, 1)
        bar.addPermanentWidget(self.desks_label)
        bar.addPermanentWidget(self.user_label)

    # --- geometry per workstation -----------------------------------------------------------
    def _restore_geometry(self) -> None:
        if self.settings.window_geometry:
            self.restoreGeometry(QByteArray(base64.b64decode(self.settings.window_geometry)))
        else:
            self.resize(1280, 800)
        if self.settings.window_state:
            self.restoreState(QByteArray(base64.b64decode(self.settings.window_state)))

    def save_geometry(self) -> None:
        self.settings.window_geometry = base64.b64encode(bytes(self.saveGeometry().data())).decode()
        self.settings.window_state = base64.b64encode(bytes(self.saveState().data())).decode()
        try:
            self.settings.save()
        except OSError:
            pass  # a read-only settings folder must not stop the app from closing

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_geometry()
        self.idle.stop()
        if self.live is not None:
            self.live.stop()
            self.live.poll_timer.stop()
        super().closeEvent(event)

    # --- File menu -------------------------------------------------------------------------
    def open_database(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an OrderCycle database", "",
                                              "OrderCycle database (*.db *.sqlite);;All files (*)")
        if path:
            self.database_requested.emit(path, False)

    def new_database(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Create an OrderCycle database", "ordercycle.db",
                                              "OrderCycle database (*.db)")
        if path:
            self.database_requested.emit(path, True)

    def backup_now(self) -> None:
        try:
            require(self.actor, "db.admin")
        except UserError as exc:
            show_user_error(self, exc)
            return
        src = sqlite_path(self.db.url)
        if src is None:
            return
        dest = Path(self.settings.backup_dir) if self.settings.backup_dir else default_backup_dir(src)
        self.actions["backup"].setEnabled(False)
        self.statusBar().showMessage("Backing up…")

        def done(path: Path) -> None:
            self.actions["backup"].setEnabled(True)
            self.statusBar().showMessage(f"Backup written to {path}", 10000)

        def failed(exc: BaseException) -> None:
            self.actions["backup"].setEnabled(True)
            self.statusBar().clearMessage()
            if isinstance(exc, UserError):
                show_user_error(self, exc)
            else:
                raise exc

        self.backup_task = run_task(lambda _state: backup_sqlite(src, dest), on_success=done, on_error=failed)

    def daily_backup(self) -> None:
        """The first start of the day on any desk makes the day's verified backup (kept 14 days,
        then weekly for 8 weeks). A failure is reported, never blocking: work goes on."""
        src = sqlite_path(self.db.url)
        if src is None:
            return
        dest = Path(self.settings.backup_dir) if self.settings.backup_dir else default_backup_dir(src)

        def done(outcome) -> None:  # type: ignore[no-untyped-def]
            if outcome.path is not None:
                self.statusBar().showMessage(f"Today's backup written to {outcome.path}", 10000)

        def failed(exc: BaseException) -> None:
            msg = exc.message if isinstance(exc, UserError) else str(exc)
            self.backup_warning = f"Today's automatic backup failed: {msg}"
            self.statusBar().showMessage(self.backup_warning, 30000)

        self.daily_task = run_task(lambda _s: daily_backup(src, dest), on_success=done, on_error=failed)

    def manage_users(self) -> None:
        from app.views.auth.users import UsersDialog

        try:
            UsersDialog(self.db, self.actor, self).exec()
        except UserError as exc:
            show_user_error(self, exc)

    def offer_drafts(self, store: DraftStore | None = None, *, ask=None) -> int:  # type: ignore[no-untyped-def]
        """At start: unsaved work this user left on this database (a crash, a power cut) is offered
        back. Returns how many drafts were reopened."""
        store = store or DraftStore()
        reopened = 0
        for draft in store.pending(database=self.db.location, username=self.actor.username):
            question = (f"You have unsaved work from {draft.saved_at.astimezone():%Y-%m-%d %H:%M}: "
                        f"{draft.title}.\nOpen it again to finish it? (No discards it.)")
            yes = ask(question) if ask else self.confirm("Unsaved work", question)
            if not yes:
                store.discard(draft.key)
                continue
            handler = self.draft_handlers.get(draft.form)
            if handler is not None:
                handler(draft, store)
                reopened += 1
        return reopened

    def _reopen_user_draft(self, draft, store: DraftStore) -> None:  # type: ignore[no-untyped-def]
        from app.views.auth.users import UsersDialog

        dlg = UsersDialog(self.db, self.actor, self, drafts=store)
        if draft.record_id is None:
            QTimer.singleShot(0, lambda: dlg.add_user(values=draft.values))
        elif dlg.select_user(draft.record_id):
            QTimer.singleShot(0, lambda: dlg.edit_selected(values=draft.values))
        dlg.exec()

    def _reopen_order_draft(self, draft, store: DraftStore) -> None:  # type: ignore[no-untyped-def]
        from app.views.orders.tab import TITLE

        if TITLE not in self._pages:
            return
        self.tabs.setCurrentWidget(self._pages[TITLE])
        tab = self.ensure_tab(TITLE)
        form = tab.form  # type: ignore[union-attr]
        form.drafts = store
        if draft.record_id is not None:
            form.load(draft.record_id)
        else:
            form.clear()
        form.restore_values(draft.values)

    def show_audit(self) -> None:
        from app.views.admin.audit import AuditDialog

        try:
            AuditDialog(self.db, self.actor, self).exec()
        except UserError as exc:
            show_user_error(self, exc)

    def show_settings(self) -> None:
        from app.views.admin.settings import SettingsDialog

        SettingsDialog(self.db, self.actor, self).exec()

    def show_about(self) -> None:
        AboutDialog(self.db, self).exec()

    def show_timeline(self, *, customer_id: int | None = None) -> QDialog:
        """The customer timeline, for the customer of whatever is selected in the current tab."""
        from app.views.common.timeline import CustomerTimelineDialog

        if customer_id is None:
            current = self.tab_widgets.get(self.tabs.tabText(self.tabs.currentIndex()))
            pick = getattr(current, "current_customer_id", None)
            customer_id = pick() if callable(pick) else None
        self.timeline_dialog = CustomerTimelineDialog(self.db, self.actor, customer_id, self)
        self.timeline_dialog.show()
        return self.timeline_dialog

    def confirm(self, title: str, text: str) -> bool:
        return QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes
