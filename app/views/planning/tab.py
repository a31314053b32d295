"""Planning board: marketing's and production's forecasts side by side, one signed-off consensus,
the bias tracker, and the inventory and headcount plans derived from the consensus."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import clock
from app import format as fmt
from app.desk import Desk
from app.errors import ConflictError, UserError
from app.services import planning, plans, queries
from app.services.changes import Changes
from app.services.permissions import allowed
from app.tasks import Task, TaskState
from app.views.common.action import Actions
from app.views.common.export import enable_export
from app.views.common.messages import ERROR_COLOUR
from app.views.common.table import Column, RowsTableModel
from app.views.planning.board_model import KINDS, BoardTableModel

if TYPE_CHECKING:
    from app.services.baseline import BaselineResult  # imported when baselines are computed (numpy)

TITLE = "Planning board"
Skipped = Sequence[tuple[int, str, str]]  # products a plan left out: (product id, sku, reason)


def _editable_lines(role: str) -> set[str]:
    lines = set()
    if allowed(role, "planning.edit_marketing"):
        lines.add("marketing")
    if allowed(role, "planning.edit_production"):
        lines.add("production")
    if allowed(role, "planning.consensus"):
        lines.add("consensus")
    return lines


class PlanningTab(QWidget):
    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor = db, actor
        self.setObjectName("planningTab")
        lay = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.family = QComboBox()
        self.family.setObjectName("familyFilter")
        self.family.addItem("All product families", None)
        for fid, name in queries.families(db, actor):
            self.family.addItem(name, fid)
        self.family.currentIndexChanged.connect(lambda _i: self.reload())
        self.granularity = QComboBox()
        self.granularity.setObjectName("granularity")
        self.granularity.addItem("Months", "month")
        self.granularity.addItem("Weeks", "week")
        self.granularity.setToolTip("The board by month (12 months) or by ISO week (12 weeks); "
                                    "the bias tracker and the plans stay monthly")
        self.granularity.currentIndexChanged.connect(lambda _i: self.reload())
        self.grouped = QCheckBox("Family totals")
        self.grouped.setObjectName("groupByFamily")
        self.grouped.setToolTip("Show each family's totals above its products")
        self.grouped.toggled.connect(lambda on: self.model.set_board(self.board, _editable_lines(self.actor.role),
                                                                     grouped=on))
        dept = sorted(_editable_lines(actor.role) - {"consensus"})
        self.role_label = QLabel(f"You enter: <b>{', '.join(dept) or 'nothing (view only)'}</b>"
                                 + (" · consensus" if "consensus" in _editable_lines(actor.role) else ""))
        self.sign_button = QPushButton("&Sign off month…")
        self.sign_button.setObjectName("signOff")
        self.sign_button.setVisible(allowed(actor.role, "planning.consensus"))
        self.sign_button.clicked.connect(lambda: self.sign_off_selected_month())
        self.baseline_button = QPushButton("Compute &baselines")
        self.baseline_button.setObjectName("computeBaselines")
        self.baseline_button.setVisible(allowed(actor.role, "planning.consensus")
                                        or allowed(actor.role, "planning.settings"))
        self.baseline_button.clicked.connect(lambda: self.compute_baselines())
        self.export_button = QPushButton("E&xport…")
        self.export_button.setObjectName("exportBoard")
        self.export_button.clicked.connect(lambda: self.export_board())
        self.import_button = QPushButton("&Import figures…")
        self.import_button.setObjectName("importFigures")
        self.import_button.setVisible(bool(_editable_lines(actor.role) - {"consensus"}))
        self.import_button.clicked.connect(lambda: self.import_figures())
        for w in (QLabel("Family"), self.family, self.granularity, self.grouped, self.role_label):
            bar.addWidget(w)
        bar.addStretch(1)
        for b in (self.sign_button, self.baseline_button, self.import_button, self.export_button):
            bar.addWidget(b)
        lay.addLayout(bar)
        self.pages = QTabWidget()
        self.pages.setObjectName("planningPages")
        lay.addWidget(self.pages, 1)
        self._build_board()
        self._build_bias()
        self._build_plans()
        self.message = QLabel()
        self.message.setObjectName("planningMessage")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.pages.currentChanged.connect(self._refresh_page)
        # saves (a cell, a sign-off, an import) run off the GUI thread; failures are mapped in one place
        self.work = Actions(self)
        self.work.busy_changed.connect(lambda _busy: self._show_buttons())
        self.baseline_task: Task | None = None
        self._baselines_running = False
        self._edit_triggers = self.table.editTriggers()
        self.reload()

    # --- pages -----------------------------------------------------------------------------
    def _build_board(self) -> None:
        from app.views.common.charts import SeriesChart

        split = QSplitter(Qt.Orientation.Vertical)
        self.model = BoardTableModel(self)
        self.model.edited.connect(self.on_edited)
        self.table = QTableView()
        self.table.setObjectName("boardTable")
        self.table.setModel(self.model)
        enable_export(self.table, "Planning board", self)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.selectionModel().currentChanged.connect(lambda cur, _prev: self.show_chart(cur.row()))
        split.addWidget(self.table)
        self.chart = SeriesChart("History and forecasts")
        split.addWidget(self.chart.widget)
        split.setSizes([520, 220])
        self.pages.addTab(split, "Board")

    def _build_bias(self) -> None:
        from app.views.common.charts import SeriesChart

        page = QWidget()
        v = QVBoxLayout(page)
        v.addWidget(QLabel("How far each department's forecast was from what customers really ordered, "
                           "over the last 12 months (bias > 0: forecast too high)."))
        self.bias_model: RowsTableModel[plans.BiasRow] = RowsTableModel([
            Column("Department", lambda r: r.department),
            Column("Family", lambda r: r.family_name),
            Column("Product-months", lambda r: str(r.cells), align_right=True),
            Column("Forecast", lambda r: fmt.quantity(r.forecast_total), align_right=True),
            Column("Actual", lambda r: fmt.quantity(r.actual_total), align_right=True),
            Column("Bias", lambda r: fmt.percent(r.bias), align_right=True),
            Column("MAPE", lambda r: fmt.percent(r.mape), align_right=True),
        ], self)
        self.bias_table = QTableView()
        self.bias_table.setObjectName("biasTable")
        self.bias_table.setModel(self.bias_model)
        enable_export(self.bias_table, "Bias tracker", self)
        self.bias_table.verticalHeader().hide()
        self.bias_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        v.addWidget(self.bias_table, 1)
        self.bias_chart = SeriesChart("Bias by month (all products)")
        v.addWidget(self.bias_chart.widget, 1)
        self.pages.addTab(page, "Bias tracker")

    def _build_plans(self) -> None:
        from app.views.common.charts import SeriesChart

        inv = QWidget()
        v = QVBoxLayout(inv)
        v.addWidget(QLabel("From the consensus (else production's, marketing's or the baseline figure): "
                           "what to build each month to end at the target (safety) stock."))
        self.inventory_model: RowsTableModel[plans.InventoryRow] = RowsTableModel([
            Column("Product", lambda r: f"{r.sku} {r.name}"),
            Column("Month", lambda r: r.period_start.strftime("%b %Y")),
            Column("Opening", lambda r: fmt.quantity(r.opening), align_right=True),
            Column("Demand", lambda r: fmt.quantity(r.demand), align_right=True),
            Column("Planned production", lambda r: fmt.quantity(r.planned_production), align_right=True),
            Column("Closing", lambda r: fmt.quantity(r.closing), align_right=True),
            Column("Target (safety) stock", lambda r: fmt.quantity(r.target_stock), align_right=True),
            Column("Demand from", lambda r: r.demand_source),
        ], self)
        self.inventory_table = QTableView()
        self.inventory_table.setObjectName("inventoryTable")
        self.inventory_table.setModel(self.inventory_model)
        enable_export(self.inventory_table, "Inventory plan", self)
        self.inventory_table.verticalHeader().hide()
        v.addWidget(self.inventory_table)
        self.inventory_skipped = QLabel()
        self.inventory_skipped.setObjectName("inventorySkipped")
        self.inventory_skipped.setWordWrap(True)
        v.addWidget(self.inventory_skipped)
        self.pages.addTab(inv, "Inventory plan")
        head = QWidget()
        hv = QVBoxLayout(head)
        hv.addWidget(QLabel("Hours the plan needs per skill against the hours the staff with that skill "
                            "have; shortfalls in red."))
        self.headcount_model = HeadcountTableModel(self)
        self.headcount_table = QTableView()
        self.headcount_table.setObjectName("headcountTable")
        self.headcount_table.setModel(self.headcount_model)
        enable_export(self.headcount_table, "Headcount plan", self)
        self.headcount_table.verticalHeader().hide()
        hv.addWidget(self.headcount_table, 1)
        self.headcount_skipped = QLabel()
        self.headcount_skipped.setObjectName("headcountSkipped")
        self.headcount_skipped.setWordWrap(True)
        hv.addWidget(self.headcount_skipped)
        self.skill = QComboBox()
        self.skill.setObjectName("skillChart")
        self.skill.currentIndexChanged.connect(lambda _i: self.show_capacity())
        hv.addWidget(self.skill)
        self.capacity_chart = SeriesChart("Capacity load")
        hv.addWidget(self.capacity_chart.widget, 1)
        self.pages.addTab(head, "Headcount plan")

    # --- loading ---------------------------------------------------------------------------
    def reload(self) -> None:
        fam = self.family.currentData()
        current = self.table.currentIndex()
        gran = self.granularity.currentData()
        self.board = planning.board(self.db, self.actor, family_id=fam, granularity=gran)
        self._show_buttons()
        self.model.set_board(self.board, _editable_lines(self.actor.role))
        self.table.setColumnWidth(0, 260)
        if current.isValid() and current.row() < self.model.rowCount():
            self.table.setCurrentIndex(self.model.index(current.row(), current.column()))
        self.stale = {1, 2, 3}  # bias, inventory and headcount pages reload when shown
        self._refresh_page(self.pages.currentIndex())
        if self.board.rows and not current.isValid():
            self.show_chart(0)

    def _refresh_page(self, index: int) -> None:
        """The board is always current; the other pages are computed when they are shown."""
        if index not in getattr(self, "stale", set()):
            return
        self.stale.discard(index)
        fam = self.family.currentData()
        if index == 1:
            self.bias_rows = planning.bias(self.db, self.actor, family_id=fam)
            self.bias_model.set_rows(list(self.bias_rows))
            self.show_bias_chart()
        elif index == 2:
            rows = plans.inventory_plan(self.db, self.actor)
            self.inventory_model.set_rows(list(rows))
            self.inventory_table.resizeColumnsToContents()
            self.inventory_skipped.setText(_skipped_text(rows.skipped))
        elif index == 3:
            self.headcount = plans.headcount_plan(self.db, self.actor)
            self.headcount_model.set_rows(list(self.headcount))
            load: dict[str, Decimal] = {}
            for r in self.headcount:
                load[r.skill_name] = max(load.get(r.skill_name, Decimal(0)),
                                         r.required_hours / r.available_hours if r.available_hours else Decimal(99))
            skills = sorted(load, key=lambda k: -load[k])  # the most loaded skill first
            if [self.skill.itemText(i) for i in range(self.skill.count())] != skills:
                self.skill.blockSignals(True)
                self.skill.clear()
                self.skill.addItems(skills)
                self.skill.blockSignals(False)
            self.headcount_table.resizeColumnsToContents()
            self.headcount_skipped.setText(_skipped_text(self.headcount.skipped))
            self.show_capacity()

    def on_changes(self, changes: Changes) -> None:
        # "setting": the gap threshold (planning_gap_threshold) another desk changed re-flags the cells
        if changes.touches("forecast", "demand_history", "product", "staff", "routing_operation", "setting"):
            self.reload()

    def settled(self) -> bool:
        """Nothing pending: no save running or queued, no baselines being computed (tests wait for it)."""
        return self.work.settled() and not self._baselines_running

    def _show_buttons(self) -> None:
        """The action buttons (and typing in the board) wait while a save runs."""
        idle = self.work.settled()
        self.sign_button.setEnabled(idle)
        self.baseline_button.setEnabled(idle and not self._baselines_running)
        monthly = self.granularity.currentData() == "month"  # department sheets are monthly
        self.import_button.setEnabled(idle and monthly)
        self.export_button.setEnabled(idle)
        self.table.setEditTriggers(self._edit_triggers if idle else QAbstractItemView.EditTrigger.NoEditTriggers)

    def _reload_after(self, exc: ConflictError) -> None:
        """Someone saved the cell first: say so, then show theirs."""
        self.work.report(exc)
        self.reload()

    # --- the board -------------------------------------------------------------------------
    def on_edited(self, product_index: int, period_index: int, kind: str, qty: Decimal | str | None) -> None:
        """A cell typed in the board: ``qty`` as typed when it is not a number (the service says so)."""
        row = self.board.rows[product_index]
        cell = row.cells[period_index]
        gran = self.board.granularity

        def call() -> planning.Cell:
            if kind == "consensus":
                return planning.set_consensus(self.db, self.actor, row.product_id, cell.period_start, qty,
                                              version=cell.version, granularity=gran)
            return planning.set_figure(self.db, self.actor, row.product_id, cell.period_start, kind, qty,
                                       version=cell.version, granularity=gran)

        def done(_saved: planning.Cell) -> None:
            self.reload()
            self.message.setText(f"{row.sku} {cell.period_start:%d %b %Y}: {kind} saved.")

        self.work.run(call, done=done, conflict=self._reload_after)

    def show_chart(self, row: int) -> None:
        if self.model.board is None or not self.board.rows or row < 0:
            return
        if row >= self.model.rowCount():
            return
        prod = self.model.product_row(row)
        labels = [p.strftime("%b") if self.board.granularity == "month" else f"W{p.isocalendar()[1]}"
                  for p in self.board.periods]
        series: dict[str, Sequence[float | None]] = {k: [getattr(c, k) for c in prod.cells] for k in KINDS}
        self.chart.show(labels, series, title=f"{prod.sku} {prod.name}")

    def sign_off_selected_month(self, period_index: int | None = None, *,
                                on_done: Callable[[planning.SignOffResult], object] | None = None) -> None:
        """Sign off the selected month (off the GUI thread); ``on_done(SignOffResult)`` once it is saved."""
        if period_index is None:
            idx = self.table.currentIndex()
            if not idx.isValid() or idx.column() < 2:
                self.message.setText("Select a month on the board first, then sign it off.")
                return
            period_index = idx.column() - 2
        period = self.board.periods[period_index]
        fam, gran = self.family.currentData(), self.board.granularity

        def done(result: planning.SignOffResult) -> None:
            self.reload()
            skipped = f"; {len(result.skipped)} without a consensus yet" if result.skipped else ""
            label = f"{period:%B %Y}" if gran == "month" else f"week of {period:%d %B %Y}"
            self.message.setText(f"{label}: you signed {result.signed}; {result.signed_off} signed off by both"
                                 f"{skipped}.")
            if on_done:
                on_done(result)

        self.work.run(lambda: planning.sign_off_range(self.db, self.actor, period, family_id=fam, granularity=gran),
                      done=done)

    def compute_baselines(self, *, on_done: Callable[[BaselineResult], object] | None = None) -> None:
        from app.services import baseline

        self._baselines_running = True
        self._show_buttons()

        def work(state: TaskState) -> tuple[BaselineResult, int]:
            result = baseline.compute_baselines(self.db, self.actor, state=state)
            return result, baseline.save_baselines(self.db, self.actor, result)

        def done(out: tuple[BaselineResult, int]) -> None:
            self._baselines_running = False
            self._show_buttons()
            result, saved = out
            beats = sum(1 for p in result.products if p.method != "seasonal naive")
            self.message.setText(f"Baselines computed for {len(result.products)} products ({saved} figures saved); "
                                 f"{beats} beat the seasonal-naive benchmark in the backtest. "
                                 + _skipped_text(result.skipped))
            self.reload()
            if on_done:
                on_done(result)

        def cancelled() -> None:
            self._baselines_running = False
            self._show_buttons()
            self.message.setText("Baselines cancelled; nothing was saved.")

        def failed(_exc: BaseException) -> bool:
            self._baselines_running = False
            self._show_buttons()
            return False  # the helper says it: a known refusal its message, a bug the crash dialog

        self.baseline_task = self.work.job(work, label="Computing statistical baselines…", name="baselineProgress",
                                           done=done, cancelled=cancelled, failed=failed, show_after_ms=500)

    # --- Excel -----------------------------------------------------------------------------
    def export_board(self, target: Path | None = None) -> Path | None:
        from app.exchange import planning_xlsx

        if target is None:
            name, _ = QFileDialog.getSaveFileName(self, "Export the planning board",
                                                  f"planning-{clock.today()}.xlsx", "Excel workbook (*.xlsx)")
            if not name:
                return None
            target = Path(name)
        try:
            planning_xlsx.export_board(self.board, target)
        except OSError as exc:
            self.work.report(UserError(f"The file {target} cannot be written: {exc.strerror}."))
            return None
        self.message.setText(f"Board exported to {target}")
        return target

    def import_figures(self, source: Path | None = None, *, on_done: Callable[[int], object] | None = None) -> None:
        """Read a department's sheet and save its figures (off the GUI thread); ``on_done(changed)``."""
        from app.exchange import planning_xlsx

        dept = sorted(_editable_lines(self.actor.role) - {"consensus"})
        if not dept:
            return
        if source is None:
            name, _ = QFileDialog.getOpenFileName(self, f"Import {dept[0]}'s figures", "", "Excel workbook (*.xlsx)")
            if not name:
                return
            source = Path(name)
        chosen = source

        def call() -> int:
            cells = planning_xlsx.read_figures(self.db, chosen, dept[0])
            return planning.set_figures(self.db, self.actor, dept[0], cells)

        def done(changed: int) -> None:
            self.reload()
            self.message.setText(f"Imported {changed} {dept[0]} figures from {chosen.name}.")
            if on_done:
                on_done(changed)

        self.work.run(call, done=done)

    def show_bias_chart(self) -> None:
        series_rows = [r for r in self.bias_rows if r.family_id is None]
        if not series_rows:
            return
        months = sorted({p.period_start for r in series_rows for p in r.months})
        labels = [m.strftime("%b %y") for m in months]
        series: dict[str, Sequence[float | None]] = {}
        for r in series_rows:
            by = {p.period_start: (float(p.bias) * 100 if p.bias is not None else None) for p in r.months}
            series[r.department] = [by.get(m) for m in months]
        self.bias_chart.show(labels, series, title="Bias by month, % (all products)")

    def show_capacity(self) -> None:
        skill = self.skill.currentText()
        rows = [r for r in getattr(self, "headcount", []) if r.skill_name == skill]
        if not rows:
            return
        labels = [r.period_start.strftime("%b") for r in rows]
        self.capacity_chart.show(labels, {"required": [float(r.required_hours) for r in rows],
                                          "available": [float(r.available_hours) for r in rows]},
                                 title=f"{skill}: hours needed against hours available")


def _skipped_text(skipped: Skipped) -> str:
    """Products left out of a plan, and why ("SP-BOLT-M12: no routing")."""
    if not skipped:
        return ""
    shown = "; ".join(f"{sku}: {reason}" for _pid, sku, reason in skipped[:8])
    more = f" and {len(skipped) - 8} more" if len(skipped) > 8 else ""
    return f"Left out ({len(skipped)}): {shown}{more}."


class HeadcountTableModel(RowsTableModel[plans.HeadcountRow]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__([
            Column("Skill", lambda r: r.skill_name),
            Column("Month", lambda r: r.period_start.strftime("%b %Y")),
            Column("Hours needed", lambda r: fmt.quantity(r.required_hours), align_right=True),
            Column("Hours available", lambda r: fmt.quantity(r.available_hours), align_right=True),
            Column("People", lambda r: fmt.quantity(r.staff), align_right=True),
            Column("People needed", lambda r: fmt.quantity(r.people_needed), align_right=True),
            Column("Short (+) / spare (−)", lambda r: f"{r.shortfall:+.1f}", align_right=True),
        ], parent)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid():
            r = self.rows[index.row()]
            if r.short:
                from PySide6.QtGui import QBrush, QColor

                return QBrush(QColor(ERROR_COLOUR))
        return super().data(index, role)
