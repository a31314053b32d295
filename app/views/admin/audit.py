"""Admin → Audit log: who changed what, when, from which desk; filter, page, export to Excel."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import clock
from app import format as fmt
from app.desk import Desk
from app.errors import UserError
from app.services import audit
from app.services.audit import AuditFilter, AuditRow
from app.tasks import Task, TaskState, run_task
from app.views.common.action import Actions
from app.views.common.export import enable_export
from app.views.common.table import Column, RowsTableModel

PAGE = 500
ANY = "(any)"


class ChainVerdict(Protocol):
    """What the view reads of ``audit.chain_verdict``'s answer (the database layer's ``Verdict``,
    which a view does not import)."""

    @property
    def ok(self) -> bool: ...

    def summary(self) -> str: ...


def _day(date: QDate) -> dt.date:
    return dt.date(date.year(), date.month(), date.day())


class AuditTableModel(RowsTableModel[AuditRow]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__([
            Column("Time", lambda r: fmt.local_time(r.at)),
            Column("User", lambda r: r.username),
            Column("Workstation", lambda r: r.workstation or ""),
            Column("Action", lambda r: r.action),
            Column("Entity", lambda r: r.entity),
            Column("Id", lambda r: "" if r.entity_id is None else str(r.entity_id), align_right=True),
            Column("Field", lambda r: r.field or ""),
            Column("Old value", lambda r: r.old_value or ""),
            Column("New value", lambda r: r.new_value or ""),
        ], parent, key=lambda r: r.id)


class AuditDialog(QDialog):
    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor = db, actor
        self.offset = 0
        self.total = 0
        self.work = Actions(self)
        self.work.busy_changed.connect(lambda _busy: self._show_buttons())
        self.chain_task: Task | None = None
        self.export_task: Task | None = None
        self.setObjectName("auditDialog")
        self.setWindowTitle("Audit log")
        lay = QVBoxLayout(self)
        # the audit chain's verdict (what 'ordercycle db check' says), computed off the GUI thread
        self.verdict = QLabel("Checking the audit chain…")
        self.verdict.setObjectName("chainVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.verdict)
        bar = QHBoxLayout()
        users, entities = audit.choices(db, actor)
        self.user = QComboBox()
        self.user.setObjectName("userFilter")
        self.user.addItems([ANY, *users])
        self.entity = QComboBox()
        self.entity.setObjectName("entityFilter")
        self.entity.addItems([ANY, *entities])
        self.entity_id = QLineEdit()
        self.entity_id.setObjectName("entityIdFilter")
        self.entity_id.setPlaceholderText("id")
        self.entity_id.setMaximumWidth(70)
        self.use_dates = QCheckBox("from")
        self.use_dates.setObjectName("useDates")
        now = clock.today()
        today = QDate(now.year, now.month, now.day)
        self.since = QDateEdit(today.addDays(-30))
        self.since.setCalendarPopup(True)
        self.until = QDateEdit(today)
        self.until.setCalendarPopup(True)
        for label, w in (("User", self.user), ("Entity", self.entity), ("", self.entity_id)):
            if label:
                bar.addWidget(QLabel(label))
            bar.addWidget(w)
        bar.addWidget(self.use_dates)
        bar.addWidget(self.since)
        bar.addWidget(QLabel("to"))
        bar.addWidget(self.until)
        self.apply_button = QPushButton("&Filter")
        self.apply_button.setObjectName("applyFilter")
        self.apply_button.setDefault(True)
        self.apply_button.clicked.connect(self.apply)
        bar.addWidget(self.apply_button)
        bar.addStretch(1)
        lay.addLayout(bar)
        self.model = AuditTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("auditTable")
        self.table.setModel(self.model)
        enable_export(self.table, "Audit log", self)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.table)
        nav = QHBoxLayout()
        self.count = QLabel()
        self.count.setObjectName("auditCount")
        self.newer = QPushButton("◀ &Newer")
        self.newer.clicked.connect(lambda: self.page(-1))
        self.older = QPushButton("&Older ▶")
        self.older.clicked.connect(lambda: self.page(1))
        self.export_button = QPushButton("&Export to Excel…")
        self.export_button.setObjectName("exportAudit")
        self.export_button.clicked.connect(lambda: self.export())
        nav.addWidget(self.count, 1)
        nav.addWidget(self.newer)
        nav.addWidget(self.older)
        nav.addWidget(self.export_button)
        lay.addLayout(nav)
        self.resize(1100, 600)
        self.apply()
        self.check_chain()

    def settled(self) -> bool:
        """No search, export or chain check of this dialog is pending (tests wait for it)."""
        return self.work.settled() and all(t is None or t.done for t in (self.chain_task, self.export_task))

    def _show_buttons(self) -> None:
        idle = self.work.settled()
        exporting = self.export_task is not None and not self.export_task.done
        last = min(self.offset + PAGE, self.total)
        self.apply_button.setEnabled(idle)
        self.newer.setEnabled(idle and self.offset > 0)
        self.older.setEnabled(idle and last < self.total)
        self.export_button.setEnabled(idle and not exporting)

    def check_chain(self) -> None:
        """Verify the hash chain and the protected rows on a worker thread; the line at the top says
        "Audit chain intact (N rows)" or names the first break in red."""
        self.verdict_ok: bool | None = None
        self.chain_task = run_task(lambda state: audit.chain_verdict(self.db, self.actor, progress=state.progress),
                                   on_success=self._show_verdict, on_error=self._verdict_failed)

    def _show_verdict(self, verdict: ChainVerdict) -> None:
        self.verdict_ok = verdict.ok
        self.verdict.setText(verdict.summary())
        self.verdict.setStyleSheet("" if verdict.ok else "color: #b00020; font-weight: bold;")

    def _verdict_failed(self, exc: BaseException) -> None:
        self.verdict_ok = False
        self.verdict.setText(f"The audit chain could not be checked: {exc}")
        self.verdict.setStyleSheet("color: #b00020;")

    def current_filter(self) -> AuditFilter | None:
        """What the filter bar says; None (after the message) when the id is not a whole number."""
        text = self.entity_id.text().strip()
        if text and not text.isdigit():
            self.work.report(UserError("The id filter takes a whole number.",
                                       hint="Clear it or type a record number."))
            return None
        return AuditFilter(
            username=None if self.user.currentText() == ANY else self.user.currentText(),
            entity=None if self.entity.currentText() == ANY else self.entity.currentText(),
            entity_id=int(text) if text else None,
            since=_day(self.since.date()) if self.use_dates.isChecked() else None,
            until=_day(self.until.date()) if self.use_dates.isChecked() else None,
        )

    def apply(self) -> None:
        self.offset = 0
        self.load()

    def page(self, step: int) -> None:
        self.offset = max(0, min(self.offset + step * PAGE, max(0, self.total - 1)))
        self.load()

    def load(self) -> None:
        """Search off the GUI thread (the log can be long); the page shows when it is back."""
        flt = self.current_filter()
        if flt is None:
            return
        offset = self.offset
        self.work.run(lambda: audit.search(self.db, self.actor, flt, limit=PAGE, offset=offset),
                      done=self._show_page, write=False)

    def _show_page(self, found: tuple[list[AuditRow], int]) -> None:
        rows, self.total = found
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        last = min(self.offset + PAGE, self.total)
        self.count.setText(f"{self.offset + 1 if self.total else 0:,}–{last:,} of {self.total:,} changes")
        self._show_buttons()

    def export(self, target: Path | None = None) -> None:
        if target is None:
            name, _ = QFileDialog.getSaveFileName(self, "Export the audit log", f"audit-{clock.today()}.xlsx",
                                                  "Excel workbook (*.xlsx)")
            if not name:
                return
            target = Path(name)
        flt = self.current_filter()
        if flt is None:
            return
        self.export_button.setEnabled(False)

        def work(state: TaskState) -> int:
            return audit.export_xlsx(self.db, self.actor, flt, target, progress=state.progress)

        def done(n: int) -> None:
            self.export_button.setEnabled(True)
            self.count.setText(f"Exported {n:,} changes to {target}")

        def cancelled() -> None:
            self.export_button.setEnabled(True)
            self.count.setText("Export cancelled")

        def failed(exc: BaseException) -> bool:
            self.export_button.setEnabled(True)
            if isinstance(exc, OSError):  # the chosen file: a plain message, through the one mapping
                self.work.report(UserError(f"The file {target} cannot be written: {exc.strerror}."))
                return True
            return False  # a known error gets its message, a bug the crash dialog

        self.export_task = self.work.job(work, label="Exporting the audit log…", name="exportProgress", done=done,
                                         cancelled=cancelled, failed=failed, show_after_ms=500)
