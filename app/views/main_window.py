"""Wiring only: menus, tabs, status bar. Each tab owns its own widgets (app/views/<tab>/)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QByteArray, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import clock
from app.config import WorkstationSettings
from app.drafts import Draft, DraftStore
from app.desk import Desk
from app.errors import UserError
from app.services import settings as settings_service
from app.services import workstation
from app.services.permissions import allowed
from app.tasks import run_task
from app.views.about import AboutDialog
from app.services.changes import Changes
from app.services.presence import DeskInfo
from app.views.common.action import Actions
from app.views.common.idle import IdleLock
from app.views.common.live import LiveUpdates
from app.views.common.messages import error_label
from app.views.common.master import MasterWindow

if TYPE_CHECKING:
    from app.views.production.skills_shifts import SkillsShiftsWindow
from app.views.tabs import home_tab, tab_registry


class _DailyBackup(Protocol):
    """What the window reads of ``workstation.daily``'s answer (the day's backup outcome)."""

    @property
    def path(self) -> Path | None: ...


class MainWindow(QMainWindow):
    database_requested = Signal(str, bool)  # path, create

    def __init__(self, desk: Desk, settings: WorkstationSettings | None = None, *, live: bool = True) -> None:
        super().__init__()
        self.desk = desk
        db, actor = desk.db, desk.actor
        self.db, self.actor = db, actor
        self.work = Actions(self)  # the window's own service calls (``self.actions`` are its QActions)
        self.settings = settings or WorkstationSettings.load()
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"OrderCycle — {db.location}")
        self.tabs = QTabWidget()
        self.tabs.setObjectName("stageTabs")
        self.tabs.setDocumentMode(True)
        central = QWidget()
        central_lay = QVBoxLayout(central)
        central_lay.setContentsMargins(0, 0, 0, 0)
        central_lay.setSpacing(0)
        self.banner = QLabel()  # shown when this desk has the database read-only
        self.banner.setObjectName("readOnlyBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #fdecea; color: #5f2120; border-bottom: 1px solid #e8a39b; "
                                  "padding: 8px 12px;")
        self.banner.hide()
        central_lay.addWidget(self.banner)
        central_lay.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self._asked_share_test = False
        # Tabs are built the first time they are shown: start-up pays only for the first tab.
        self.tab_widgets: dict[str, QWidget] = {}
        self._factories: dict[str, Callable[[Desk], QWidget]] = {}
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
        home = home_tab(actor.role)
        if home in self._pages:  # each role opens on its own tab
            self.tabs.setCurrentWidget(self._pages[home])
        if self.tabs.count():
            self.ensure_tab(self.tabs.tabText(self.tabs.currentIndex()))
        # the window's QActions by name (menus, shortcuts and tests find them here); the name hides
        # QWidget.actions(), which nothing calls on the window
        self.actions: dict[str, QAction] = {}  # type: ignore[assignment]
        self.draft_handlers: dict[str, Callable[[Draft, DraftStore], None]] = {
            "user": self._reopen_user_draft, "order": self._reopen_order_draft}
        for kind, show in self.master_windows().items():  # every master-data form keeps drafts the same way
            self.draft_handlers[kind] = self._reopen_master_draft(show)
        self.draft_handlers["skill"] = lambda draft, _store: self.show_skills_shifts().open_skill(draft.record_id,
                                                                                                 draft.values)
        self.draft_handlers["shift"] = lambda draft, _store: self.show_skills_shifts().open_shift(draft.record_id,
                                                                                                 draft.values)
        self._build_actions()
        self._build_menus()
        self._build_status_bar()
        self._restore_geometry()
        self.live: LiveUpdates | None = None
        if live:
            # presence and polling start right after the first paint, not before it
            self.live = LiveUpdates(desk, self, start=False)
            self.live.changed.connect(self.on_changes)
            self.live.desks_changed.connect(self.show_desks)
            self.live.unreachable.connect(lambda msg: self.statusBar().showMessage(msg, 5000))
            QTimer.singleShot(0, self._start_live)
        if live:
            QTimer.singleShot(0, self.daily_backup)
        self.idle = IdleLock(desk, self.settings.idle_lock_minutes if live else 0, self)
        self.idle.signed_out.connect(self.close)
        self.show_share_state()
        # the single writer on an unsafe share keeps its lease alive while it is open
        self.lease_timer = QTimer(self)
        self.lease_timer.setInterval(int(workstation.LEASE_RENEW_SECONDS * 1000))
        self.lease_timer.timeout.connect(self.renew_writer_lease)
        if db.writer_lease is not None:
            self.lease_timer.start()

    def _start_live(self) -> None:
        if self.live is not None and self.db.read_only is not None:
            # A read-only desk writes nothing, not even its presence: it only follows the others' saves.
            LiveUpdates.current = self.live
            self.live.poll_timer.start()
            return
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
        widget = factory(self.desk)
        page_layout = self._pages[title].layout()
        assert page_layout is not None  # each page gets its layout in __init__
        page_layout.addWidget(widget)
        self.tab_widgets[title] = widget
        return widget

    def on_changes(self, changes: Changes) -> None:
        """Another desk saved something: each tab reloads what concerns it; a change of the firm's
        settings (currency, time zone) is taken at once and every table repaints in it."""
        for widget in self.tab_widgets.values():
            handler = getattr(widget, "on_changes", None)
            if handler is not None:
                handler(changes)
        if changes.touches("setting"):
            db = self.db

            def repaint(_zone: str) -> None:
                for view in self.findChildren(QAbstractItemView):
                    view.viewport().update()

            self.work.run(lambda: settings_service.use_firm_settings(db), done=repaint, write=False)

    def show_desks(self, desks: list[DeskInfo]) -> None:
        others = [d for d in desks if d.session_id != (self.live.session_id if self.live else None)]
        names = ", ".join(f"{d.full_name or d.username} ({d.role}) at {d.workstation}" for d in others[:2])
        more = f" and {len(others) - 2} more" if len(others) > 2 else ""
        self.desks_label.setText(f"{len(desks)} signed in" + (f": also {names}{more}" if others else "")
                                 if desks else "")
        self.desks_label.setToolTip("\n".join(
            f"{d.full_name or d.username} ({d.role}) at {d.workstation} since {d.since.astimezone(clock.zone()):%H:%M}"
            for d in desks))
        self.desks_label.setProperty("others", len(others))
        self.maybe_ask_for_share_test(desks)

    # --- actions: one registry so menus and shortcuts agree --------------------------------
    def _action(self, key: str, text: str, slot: Callable[[], object],
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None, enabled: bool = True) -> QAction:
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
        self._action("share_test", "&Test this shared folder…", self.show_share_test, enabled=is_file)
        from app.exchange.kinds import IMPORT_KINDS

        self._action("import_xlsx", "&Import from Excel…", self.show_import, "Ctrl+I",
                     enabled=any(k.import_permission is not None and allowed(self.actor.role, k.import_permission)
                                 for k in IMPORT_KINDS))
        self._action("quit", "&Quit", self.close, QKeySequence.StandardKey.Quit)
        self._action("users", "&Users…", self.manage_users, "Ctrl+Shift+U",
                     enabled=allowed(self.actor.role, "users.manage"))
        self._action("audit", "&Audit log…", self.show_audit, "Ctrl+Shift+L",
                     enabled=allowed(self.actor.role, "audit.view"))
        self._action("settings", "Firm &settings…", self.show_settings, "Ctrl+,",
                     enabled=allowed(self.actor.role, "orders.settings") or allowed(self.actor.role, "settings.edit"))
        self._action("calendar", "Firm &calendar…", self.show_calendar,
                     enabled=allowed(self.actor.role, "calendar.edit"))
        self._action("customers", "&Customers…", self.show_customers, "Ctrl+Shift+K",
                     enabled=allowed(self.actor.role, "orders.view"))
        self._action("products", "&Products…", self.show_products, "Ctrl+Shift+P",
                     enabled=allowed(self.actor.role, "orders.view"))
        self._action("families", "Product &families…", self.show_families,
                     enabled=allowed(self.actor.role, "orders.view"))
        for key, label, show in (("work_centres", "&Work centres…", self.show_work_centres),
                                 ("staff", "&Staff…", self.show_staff),
                                 ("skills_shifts", "S&kills and shifts…", self.show_skills_shifts),
                                 ("work_calendars", "Production &calendars…", self.show_work_calendars)):
            self._action(key, label, show, enabled=allowed(self.actor.role, "schedule.view"))
        self._action("timeline", "Customer &timeline…", self.show_timeline, "Ctrl+Shift+T")
        self._action("about", "&About OrderCycle", self.show_about, QKeySequence.StandardKey.HelpContents)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for key in ("open_db", "new_db", "backup", "share_test", "import_xlsx"):
            file_menu.addAction(self.actions[key])
        file_menu.addSeparator()
        file_menu.addAction(self.actions["quit"])
        customer_menu = bar.addMenu("&Customer")
        customer_menu.addAction(self.actions["customers"])
        customer_menu.addAction(self.actions["timeline"])
        products_menu = bar.addMenu("&Products")
        products_menu.addAction(self.actions["products"])
        products_menu.addAction(self.actions["families"])
        production_menu = bar.addMenu("P&roduction")
        for key in ("work_centres", "staff", "skills_shifts", "work_calendars"):
            production_menu.addAction(self.actions[key])
        admin_items = [k for k, perm in (("users", "users.manage"), ("audit", "audit.view"),
                                         ("settings", "orders.settings"), ("settings", "settings.edit"),
                                         ("calendar", "calendar.edit"))
                       if allowed(self.actor.role, perm)]
        admin_items = list(dict.fromkeys(admin_items))
        if admin_items:
            menu = bar.addMenu("&Admin")
            for key in admin_items:
                menu.addAction(self.actions[key])
        bar.addMenu("&Help").addAction(self.actions["about"])

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.share = workstation.share(self.db)
        where = f" — {self.share.status_text()}" if self.share is not None else " — PostgreSQL server"
        self.db_label = QLabel(f"Database: {self.db.location}{where}")
        self.db_label.setObjectName("dbLabel")
        self.user_label = QLabel(f"{self.actor.display} ({self.actor.role}) at {self.actor.workstation}")
        self.user_label.setObjectName("userLabel")
        self.desks_label = QLabel()
        self.desks_label.setObjectName("desksLabel")
        self.clock_label = error_label("clockLabel")
        self.share_label = QLabel()
        self.share_label.setObjectName("shareLabel")
        self.share_label.hide()
        bar.addPermanentWidget(self.clock_label)
        bar.addWidget(self.db_label, 1)
        bar.addPermanentWidget(self.share_label)
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
        if workstation.database_file(self.db) is None:
            return
        self.actions["backup"].setEnabled(False)
        self.statusBar().showMessage("Backing up…")

        def done(path: Path | None) -> None:
            self.actions["backup"].setEnabled(True)
            self.statusBar().showMessage(f"Backup written to {path}", 10000)

        def failed(_exc: BaseException) -> None:
            self.actions["backup"].setEnabled(True)
            self.statusBar().clearMessage()

        self.work.run(lambda: workstation.backup_now(self.db, self.actor, self.settings.backup_dir), done=done,
                      failed=failed, write=False)

    def daily_backup(self) -> None:
        """The first start of the day on any desk makes the day's verified backup (kept 14 days,
        then weekly for 8 weeks). A failure is reported, never blocking: work goes on."""
        if workstation.database_file(self.db) is None:
            return

        def done(outcome: _DailyBackup | None) -> None:
            if outcome is not None and outcome.path is not None:
                self.statusBar().showMessage(f"Today's backup written to {outcome.path}", 10000)

        def failed(exc: BaseException) -> None:
            msg = exc.message if isinstance(exc, UserError) else str(exc)
            self.backup_warning = f"Today's automatic backup failed: {msg}"
            self.statusBar().showMessage(self.backup_warning, 30000)

        self.daily_task = run_task(lambda _s: workstation.daily(self.db, self.settings.backup_dir), on_success=done,
                                   on_error=failed)

    def manage_users(self) -> None:
        from app.views.auth.users import UsersDialog

        try:
            UsersDialog(self.desk, self).exec()
        except UserError as exc:  # opening it read something it may not (one mapping: the action helper's)
            self.work.report(exc)

    def offer_drafts(self, store: DraftStore | None = None, *, ask: Callable[[str], bool] | None = None) -> int:
        """At start: unsaved work this user left on this database (a crash, a power cut) is offered
        back. Returns how many drafts were reopened."""
        store = store or DraftStore()
        reopened = 0
        for draft in store.pending(database=self.db.location, username=self.actor.username):
            question = (f"You have unsaved work from {draft.saved_at.astimezone(clock.zone()):%Y-%m-%d %H:%M}: "
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

    @staticmethod
    def _reopen_master_draft(show: Callable[[], MasterWindow]) -> Callable[[Draft, DraftStore], None]:
        def reopen(draft: Draft, _store: DraftStore) -> None:
            show().open_record(draft.record_id, draft.values)

        return reopen

    def _reopen_user_draft(self, draft: Draft, store: DraftStore) -> None:
        from app.views.auth.users import UsersDialog

        dlg = UsersDialog(self.desk, self, drafts=store)
        if draft.record_id is None:
            QTimer.singleShot(0, lambda: dlg.add_user(values=draft.values))
        elif dlg.select_user(draft.record_id):
            QTimer.singleShot(0, lambda: dlg.edit_selected(values=draft.values))
        dlg.exec()

    def _reopen_order_draft(self, draft: Draft, store: DraftStore) -> None:
        from app.views.orders.tab import TITLE, OrdersTab

        if TITLE not in self._pages:
            return
        self.tabs.setCurrentWidget(self._pages[TITLE])
        tab = self.ensure_tab(TITLE)
        assert isinstance(tab, OrdersTab), tab  # its page is there (checked above), so the tab is built
        form = tab.form
        form.drafts = store
        if draft.record_id is not None:  # the order opens off the GUI thread, then the draft goes back in
            form.load(draft.record_id, then=lambda: form.restore_values(draft.values))
        else:
            form.clear()
            form.restore_values(draft.values)

    def show_audit(self) -> None:
        from app.views.admin.audit import AuditDialog

        try:
            AuditDialog(self.desk, self).exec()
        except UserError as exc:  # opening it read something it may not (one mapping: the action helper's)
            self.work.report(exc)

    def show_calendar(self) -> QDialog:
        from app.views.admin.calendar import FirmCalendarDialog

        dlg = FirmCalendarDialog(self.desk, self)
        dlg.open()
        return dlg

    def show_settings(self) -> None:
        from app.views.admin.settings import SettingsDialog

        SettingsDialog(self.desk, self).exec()

    # --- the share test and what its verdict means here ------------------------------------------
    def share_state(self) -> workstation.ShareState | None:
        return workstation.share_state(self.db)

    def show_share_state(self) -> None:
        """The verdict in the status bar; the banner when this desk has the database read-only."""
        state = self.share_state()
        if state is None:
            self.share_label.hide()
        elif state.status != "untested" or (self.share is not None and self.share.network):
            self.share_label.setText(state.short())
            self.share_label.setToolTip(state.text())
            self.share_label.setStyleSheet("color: #b00020; font-weight: bold" if state.unsafe else "")
            self.share_label.show()
        else:
            self.share_label.hide()
        ro = self.db.read_only
        if ro is not None:
            why = ro.message.split(": ", 1)[-1]
            what = (ro.hint or "").replace(" Nothing was saved; what you typed is kept.", "")
            self.banner.setText(f"<b>Read-only.</b> {why[:1].upper() + why[1:]}<br>{what}")
            self.banner.show()
            self.setWindowTitle(f"OrderCycle — {self.db.location} (read-only)")
        else:
            self.banner.hide()

    def show_share_test(self) -> QDialog | None:
        from app.views.common.share_test import ShareTestDialog

        path = workstation.database_file(self.db)
        if path is None:
            return None
        self.share_test_dialog = ShareTestDialog(path, self, desk_name=self.actor.workstation)
        self.share_test_dialog.verdict_ready.connect(self.on_share_verdict)
        self.share_test_dialog.show()
        return self.share_test_dialog

    def on_share_verdict(self, verdict: workstation.Verdict) -> None:
        """A new verdict: on an unsafe share this desk becomes the single writer if no other desk is."""
        if not verdict.safe and workstation.verdict_on_unsafe_share(self.db, self.actor):
            self.lease_timer.start()
        self.show_share_state()

    def renew_writer_lease(self) -> None:
        lease = self.db.writer_lease
        if lease is None:
            self.lease_timer.stop()
            return

        def done(ok: bool) -> None:
            if not ok and self.db.writer_lease is lease:  # gone too long (asleep): another desk took over
                workstation.lease_lost(self.db, lease)
                self.lease_timer.stop()
                self.show_share_state()

        self.lease_task = run_task(lambda _s: workstation.renew_lease(lease), on_success=done,
                                   on_error=lambda exc: self.statusBar().showMessage(str(exc), 10000))

    def maybe_ask_for_share_test(self, desks: list[DeskInfo]) -> None:
        """The first time two desks are connected on a shared folder not yet tested, an administrator
        is asked to run the share test (others are told to ask one)."""
        if self._asked_share_test or len(desks) < 2 or self.share is None or not self.share.network:
            return
        state = self.share_state()
        if state is None or state.status != "untested":
            return
        self._asked_share_test = True
        if allowed(self.actor.role, "db.admin"):
            QTimer.singleShot(0, self._ask_admin_for_share_test)
        else:
            self.statusBar().showMessage(
                "Several desks now share this database on a shared folder that has not been tested: ask your "
                "administrator to run File → Test this shared folder….", 60000)

    def _ask_admin_for_share_test(self) -> None:
        if self.confirm("Test this shared folder?",
                        "Two desks are now using this database on a shared folder that has not been tested.\n\n"
                        "Some shares (many NAS set-ups, FUSE mounts, cloud-sync folders) lose saves silently when "
                        "several desks write. The share test finds out in under a minute; it needs a second "
                        "workstation to start it at the same time.\n\nRun the share test now?"):
            self.show_share_test()

    def show_about(self) -> None:
        AboutDialog(self.desk, self).exec()

    def show_import(self) -> QDialog:
        from app.views.common.import_dialog import ImportDialog

        self.import_dialog = ImportDialog(self.desk, self)
        self.import_dialog.show()
        return self.import_dialog

    def master_windows(self) -> dict[str, Callable[[], MasterWindow]]:
        """Each master-data form's kind (its drafts' name) -> what opens its list window."""
        return {"customer": self.show_customers, "product": self.show_products, "product_family": self.show_families,
                "work_centre": self.show_work_centres, "staff": self.show_staff,
                "work_calendar": self.show_work_calendars}

    def show_customers(self) -> MasterWindow:
        """The customers: find, create, edit, archive (a window of its own)."""
        from app.views.customers.window import CustomersWindow

        self.customers_window = CustomersWindow(self.desk, self)
        self.customers_window.show()
        return self.customers_window

    def show_products(self) -> MasterWindow:
        """The products: find, create, edit (BOM, routing, prices), archive (a window of its own)."""
        from app.views.products.window import ProductsWindow

        self.products_window = ProductsWindow(self.desk, self)
        self.products_window.show()
        return self.products_window

    def show_families(self) -> MasterWindow:
        """The product families: the groups products belong to (a window of its own)."""
        from app.views.products.families import ProductFamiliesWindow

        self.families_window = ProductFamiliesWindow(self.desk, self)
        self.families_window.show()
        return self.families_window

    def show_work_centres(self) -> MasterWindow:
        """The machines and stations the schedule plans on, each with its calendar and rate."""
        from app.views.production.work_centres import WorkCentresWindow

        self.work_centres_window = WorkCentresWindow(self.desk, self)
        self.work_centres_window.show()
        return self.work_centres_window

    def show_staff(self) -> MasterWindow:
        """The people the schedule plans with: shift, skills and levels, rate."""
        from app.views.production.staff import StaffWindow

        self.staff_window = StaffWindow(self.desk, self)
        self.staff_window.show()
        return self.staff_window

    def show_skills_shifts(self) -> SkillsShiftsWindow:
        """The skills operations need and the shifts people work, side by side."""
        from app.views.production.skills_shifts import SkillsShiftsWindow

        self.skills_shifts_window = SkillsShiftsWindow(self.desk, self)
        self.skills_shifts_window.show()
        return self.skills_shifts_window

    def show_work_calendars(self) -> MasterWindow:
        """The production calendars: weekly hours and exceptions of the work centres."""
        from app.views.production.calendars import CalendarsWindow

        self.work_calendars_window = CalendarsWindow(self.desk, self)
        self.work_calendars_window.show()
        return self.work_calendars_window

    def show_timeline(self, *, customer_id: int | None = None) -> QDialog:
        """The customer timeline, for the customer of whatever is selected in the current tab."""
        from app.views.common.timeline import CustomerTimelineDialog

        if customer_id is None:
            current = self.tab_widgets.get(self.tabs.tabText(self.tabs.currentIndex()))
            pick = getattr(current, "current_customer_id", None)
            customer_id = pick() if callable(pick) else None
        self.timeline_dialog = CustomerTimelineDialog(self.desk, customer_id, self)
        self.timeline_dialog.show()
        return self.timeline_dialog

    def confirm(self, title: str, text: str) -> bool:
        return QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes
