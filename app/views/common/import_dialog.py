"""File → Import from Excel…: choose what and the workbook, check it (dry run: every problem with
sheet, row, column, value and reason; a copy of the workbook with the problems marked), map the
columns the program did not recognise, then import — one transaction, or nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.desk import Desk
from app.errors import Problem, UserError
from app.exchange import api, importer
from app.exchange.kinds import IMPORT_KINDS
from app.services.permissions import allowed
from app.tasks import Cancelled, Task, TaskState, run_task
from app.views.common.messages import ERROR_COLOUR, error_label
from app.views.common.table import Column, RowsTableModel

PROBLEM_COLUMNS: list[Column[Problem]] = [
    Column("Sheet", lambda p: p.sheet or ""), Column("Row", lambda p: "" if p.row is None else str(p.row), True),
    Column("Column", lambda p: p.column or ""), Column("Field", lambda p: p.field or ""),
    Column("Value", lambda p: "" if p.value is None else str(p.value)), Column("Problem", lambda p: p.reason),
]


class ImportDialog(QDialog):
    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor = db, actor
        self.setObjectName("importDialog")
        self.setWindowTitle("Import from Excel")
        self.plan: importer.Plan | None = None
        self.task: Task | None = None
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.kind = QComboBox()
        self.kind.setObjectName("importKind")
        for k in IMPORT_KINDS:
            if k.import_permission is not None and allowed(actor.role, k.import_permission):
                self.kind.addItem(k.title, k.name)
                self.kind.setItemData(self.kind.count() - 1, k.description, Qt.ItemDataRole.ToolTipRole)
        self.kind.currentIndexChanged.connect(lambda _i: self.reset())
        row = QHBoxLayout()
        row.addWidget(self.kind, 1)
        self.template_button = QPushButton("Download &template…")
        self.template_button.setObjectName("downloadTemplate")
        self.template_button.clicked.connect(lambda: self.save_template())
        row.addWidget(self.template_button)
        form.addRow("What", row)
        row = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setObjectName("importPath")
        self.path.setPlaceholderText("the .xlsx workbook")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(lambda: self.browse())
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow("Workbook", row)
        self.sheet = QLineEdit()
        self.sheet.setObjectName("importSheet")
        self.sheet.setPlaceholderText("the first sheet")
        form.addRow("Sheet", self.sheet)
        lay.addLayout(form)
        self.mapping_box = QWidget()
        self.mapping_layout = QFormLayout(self.mapping_box)
        self.mapping_combos: dict[str, QComboBox] = {}
        lay.addWidget(self.mapping_box)
        self.summary = QLabel("Choose what to import and the workbook, then Check.")
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.problems = RowsTableModel(PROBLEM_COLUMNS, self)
        self.table = QTableView()
        self.table.setObjectName("importProblems")
        self.table.setModel(self.problems)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.table, 1)
        self.error = error_label()
        lay.addWidget(self.error)
        row = QHBoxLayout()
        self.check_button = QPushButton("&Check (nothing is written)")
        self.check_button.setObjectName("checkImport")
        self.check_button.clicked.connect(lambda: self.check())
        self.report_button = QPushButton("Save workbook with &problems marked…")
        self.report_button.setObjectName("saveReport")
        self.report_button.clicked.connect(lambda: self.save_report())
        self.import_button = QPushButton("&Import")
        self.import_button.setObjectName("runImport")
        self.import_button.clicked.connect(lambda: self.run())
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        for b in (self.check_button, self.report_button, self.import_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(close)
        lay.addLayout(row)
        self.resize(980, 620)
        self.reset()

    # --- state --------------------------------------------------------------------------------
    def reset(self) -> None:
        self.plan = None
        self.problems.set_rows([])
        self.report_button.setEnabled(False)
        self.import_button.setEnabled(False)
        while self.mapping_layout.rowCount():  # removeRow deletes the row's widgets
            self.mapping_layout.removeRow(0)
        self.mapping_combos = {}

    def browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Workbook to import", "", "Excel workbook (*.xlsx);;All files (*)")
        if name:
            self.path.setText(name)
            self.reset()

    def save_template(self, target: Path | None = None) -> Path | None:
        kind = self.kind.currentData()
        if target is None:
            name, _ = QFileDialog.getSaveFileName(self, "Save template", f"{kind}-template.xlsx",
                                                  "Excel workbook (*.xlsx)")
            if not name:
                return None
            target = Path(name)
        api.template(self.db, self.actor, kind, target)
        self.summary.setText(f"Template saved to {target}: fill it in (the comments on the headers explain each "
                             "column) and import it.")
        return target

    def _mapping(self) -> dict[str, str]:
        return {header: combo.currentData() for header, combo in self.mapping_combos.items() if combo.currentData()}

    # --- check and import (off the GUI thread) ------------------------------------------------------
    def check(self) -> None:
        source = Path(self.path.text().strip())
        kind = self.kind.currentData()
        sheet = self.sheet.text().strip() or None
        mapping = self._mapping()
        self._start(lambda state: importer.dry_run(self.db, self.actor, kind, source, sheet=sheet, mapping=mapping,
                                                   state=state), self._checked, "Checking the workbook…")

    def _checked(self, plan: importer.Plan) -> None:
        self.plan = plan
        self.problems.set_rows(plan.problems)
        self.table.resizeColumnsToContents()
        self.report_button.setEnabled(bool(plan.problems))
        self.import_button.setEnabled(plan.ok)
        colour = ERROR_COLOUR if plan.problems else "#1f4e79"
        text = plan.summary()
        if plan.ok:
            text += " Press Import to save it — in one go, or not at all."
        if plan.ignored:
            text += f" Columns not imported: {', '.join(plan.ignored)}."
        self.summary.setText(f"<span style='color:{colour}'>{text}</span>")
        self._offer_mapping(plan)

    def _offer_mapping(self, plan: importer.Plan) -> None:
        """For headers nobody recognised: a choice of the kind's fields not yet matched."""
        from app.exchange.kinds import kind

        k = kind(plan.kind)
        free = [f for f in k.fields if f.name not in plan.columns and "Export only" not in f.help]
        for header in plan.ignored:
            if header in self.mapping_combos or not free:
                continue
            combo = QComboBox()
            combo.setObjectName(f"map_{header}")
            combo.addItem("— not imported —", None)
            for f in free:
                combo.addItem(f.label + (" (required)" if f.required else ""), f.name)
            self.mapping_layout.addRow(f"Column '{header}' is", combo)
            self.mapping_combos[header] = combo

    def map_column(self, header: str, field_name: str) -> None:
        combo = self.mapping_combos[header]
        combo.setCurrentIndex(combo.findData(field_name))

    def save_report(self, target: Path | None = None) -> Path | None:
        if self.plan is None or not self.plan.problems:
            return None
        if target is None:
            name, _ = QFileDialog.getSaveFileName(self, "Save the workbook with the problems marked",
                                                  str(importer.report_name(self.plan.source)),
                                                  "Excel workbook (*.xlsx)")
            if not name:
                return None
            target = Path(name)
        importer.write_report(self.plan, target)
        self.summary.setText(f"Saved {target}: the problem cells are red with a comment; the 'Problems' sheet lists "
                             "them all. Fix the workbook and check it again.")
        return target

    def run(self) -> None:
        plan = self.plan
        if plan is None or not plan.ok:
            return
        self._start(lambda state: importer.run_import(self.db, self.actor, plan, state=state), self._imported,
                    "Importing…")

    def _imported(self, plan: importer.Plan) -> None:
        self.import_button.setEnabled(False)
        self.summary.setText(f"Imported: {plan.created:,} new, {plan.updated:,} changed, "
                             f"{plan.unchanged:,} unchanged.")

    def _start(self, fn: Callable[[TaskState], importer.Plan], done: Callable[[importer.Plan], None],
               text: str) -> None:
        self.error.hide()
        progress = QProgressDialog(text, "Cancel", 0, 100, self)
        progress.setObjectName("importProgress")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(400)
        for b in (self.check_button, self.import_button):
            b.setEnabled(False)

        def ok(result: importer.Plan) -> None:
            progress.close()
            self.check_button.setEnabled(True)
            done(result)

        def failed(exc: BaseException) -> None:
            progress.close()
            self.check_button.setEnabled(True)
            if isinstance(exc, Cancelled):
                self.summary.setText("Cancelled; nothing was written.")
            elif isinstance(exc, UserError):
                self.error.setText(str(exc))
                self.error.show()
                self.summary.setText("Nothing was written.")
            else:
                raise exc

        def progressed(fraction: float, text: str) -> None:
            progress.setValue(int(fraction * 100))
            progress.setLabelText(text)

        task = self.task = run_task(fn, on_success=ok, on_error=failed, on_progress=progressed)
        progress.canceled.connect(task.cancel)
