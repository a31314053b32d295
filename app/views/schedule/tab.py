"""Schedule: the plan on machines and staff as a Gantt chart. Production computes it from the
dispatching rules (instant), improves it with CP-SAT in a background process (progress, cancel),
drags an operation to another time or machine (validated, then locked; rescheduling keeps locks),
publishes it (releasing the week) and prints a person's work list for a day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import clock
from app import format as fmt
from app.desk import Desk
from app.services import scheduling
from app.services.changes import Changes
from app.services.permissions import allowed
from app.tasks import Task, TaskState
from app.views.common.action import Actions
from app.views.common.export import enable_export
from app.views.common.table import Column, RowsTableModel
from app.views.common.gantt import Bar, GanttChart, tooltip

if TYPE_CHECKING:
    from app.scheduling.model import Solution

TITLE = "Schedule"
WATCHED = ("schedule_version", "scheduled_operation", "sales_order", "sales_order_line", "routing_operation",
           "staff", "work_center", "calendar_exception", "calendar_hours", "shift")
LATE_COLUMNS: list[Column[tuple]] = [
    Column("Order", lambda r: r[0]), Column("Customer", lambda r: r[1]),
    Column("Promised", lambda r: fmt.date(r[2])),
    Column("Finishes", lambda r: f"{r[3].astimezone(clock.zone()):%a %d %b %H:%M}"),
]


class ScheduleTab(QWidget):
    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor = db, actor
        self.setObjectName("scheduleTab")
        self.plan: scheduling.ScheduleView | None = None
        self.editable = allowed(actor.role, "schedule.edit")
        lay = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.by = QComboBox()
        self.by.setObjectName("ganttBy")
        self.by.addItem("By machine", "machine")
        self.by.addItem("By person", "staff")
        self.by.currentIndexChanged.connect(lambda _i: self.show_plan())
        zoom_in = QPushButton("Zoom &in")
        zoom_in.clicked.connect(lambda: self.gantt.zoom(1.5))
        zoom_out = QPushButton("Zoom &out")
        zoom_out.clicked.connect(lambda: self.gantt.zoom(1 / 1.5))
        bar.addWidget(self.by)
        bar.addWidget(zoom_in)
        bar.addWidget(zoom_out)
        bar.addStretch(1)
        self.compute_button = QPushButton("&Plan now (rules)")
        self.compute_button.setObjectName("computeSchedule")
        self.compute_button.clicked.connect(lambda: self.compute())
        self.seconds = QSpinBox()
        self.seconds.setObjectName("improveSeconds")
        self.seconds.setRange(1, 600)
        self.seconds.setValue(10)
        self.seconds.setSuffix(" s")
        self.seconds.setToolTip("How long the improve step may search")
        self.improve_button = QPushButton("&Improve…")
        self.improve_button.setObjectName("improveSchedule")
        self.improve_button.clicked.connect(lambda: self.improve())
        self.lock_button = QPushButton("&Lock / unlock")
        self.lock_button.setObjectName("toggleLock")
        self.lock_button.clicked.connect(lambda: self.toggle_lock())
        self.finish_button = QPushButton("Production &finished")
        self.finish_button.setObjectName("finishProduction")
        self.finish_button.setToolTip("The selected operation's order is made: ready to pick and ship")
        self.finish_button.clicked.connect(lambda: self.finish_selected())
        self.publish_button = QPushButton("P&ublish and release")
        self.publish_button.setObjectName("publishSchedule")
        self.publish_button.clicked.connect(lambda: self.publish())
        for w in (self.compute_button, self.seconds, self.improve_button, self.lock_button, self.finish_button,
                  self.publish_button):
            w.setVisible(self.editable)
            bar.addWidget(w)
        lay.addLayout(bar)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.gantt: GanttChart = GanttChart()  # annotated: the zoom buttons above refer to it
        self.gantt.moved.connect(self.on_moved)
        self.gantt.selected.connect(self.on_selected)
        split.addWidget(self.gantt)
        side = QWidget()
        sl = QVBoxLayout(side)
        sl.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel()
        self.summary.setObjectName("scheduleSummary")
        self.summary.setWordWrap(True)
        sl.addWidget(self.summary)
        sl.addWidget(QLabel("<b>Late orders</b>"))
        self.late_model: RowsTableModel[tuple] = RowsTableModel(LATE_COLUMNS, self, key=lambda r: r[0])
        self.late_table = QTableView()
        self.late_table.setObjectName("lateTable")
        self.late_table.setModel(self.late_model)
        enable_export(self.late_table, "Late orders", self)
        self.late_table.verticalHeader().hide()
        self.late_table.horizontalHeader().setStretchLastSection(True)
        sl.addWidget(self.late_table, 1)
        self.detail = QLabel("Hover over an operation for its order, customer, due date and slack.")
        self.detail.setObjectName("opDetail")
        self.detail.setWordWrap(True)
        sl.addWidget(self.detail)
        wl = QHBoxLayout()
        self.person = QComboBox()
        self.person.setObjectName("workListPerson")
        self.day = QDateEdit()
        self.day.setObjectName("workListDay")
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setDate(QDate(clock.today().year, clock.today().month, clock.today().day))
        self.print_button = QPushButton("&Work list…")
        self.print_button.setObjectName("printWorkList")
        self.print_button.clicked.connect(lambda: self.print_work_list())
        wl.addWidget(self.person, 1)
        wl.addWidget(self.day)
        wl.addWidget(self.print_button)
        sl.addLayout(wl)
        split.addWidget(side)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        split.setSizes([1050, 340])
        lay.addWidget(split, 1)
        self.message = QLabel()
        self.message.setObjectName("scheduleMessage")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.selected_op: int | None = None
        # every service call runs off the GUI thread; failures are mapped in one place (the chart's
        # drags by their own Actions, which say a refused drop in the message line)
        self.work = Actions(self)
        # a refused drop (not a working time, a broken rule, someone moved it first) is said in the
        # message line and the bar snaps back, not in a message box for every bad drop
        self.move_actions = Actions(self.gantt, show_error=lambda exc: self.message.setText(str(exc)))
        self.improve_task: Task | None = None
        self._improving = False
        for actions in (self.work, self.move_actions):
            actions.busy_changed.connect(lambda _busy: self._hold_buttons())
        self.reload()

    # --- loading ---------------------------------------------------------------------------
    def reload(self) -> None:
        self.plan = scheduling.view(self.db, self.actor)
        self.show_plan()

    def show_plan(self) -> None:
        p = self.plan
        if p is None:
            self.summary.setText("No schedule yet." + (" Press <b>Plan now</b>." if self.editable else
                                                       " Production computes it."))
            self.gantt.set_plan(scheduling._local_midnight(clock.today()), 14, [], [], False)
            self.late_model.set_rows([])
            return
        if self.person.count() == 0:
            for sid, name in p.staff:
                self.person.addItem(name, sid)
        by_machine = self.by.currentData() == "machine"
        rows = p.machines if by_machine else [r for r in p.staff if any(o.staff_id == r[0] for o in p.ops)]
        bars = [Bar(o.id, o.work_center_id if by_machine else (o.staff_id or -1),
                    self._minute(o.start), self._minute(o.end), o.order_number,
                    tooltip(o.order_number, o.customer, f"{o.sku}: {o.name}", o.work_center, o.staff, o.start, o.end,
                            o.due, o.slack_minutes, o.late, o.locked, self.editable), o.late, o.locked) for o in p.ops]
        last = max((self._minute(o.end) for o in p.ops), default=0)
        days = max(14, last // 1440 + 2)
        self.gantt.set_plan(scheduling._local_midnight(clock.today()), days, rows, bars, self.editable)
        self.late_model.set_rows(p.late_orders)
        self.late_table.resizeColumnsToContents()
        published = (f"published {fmt.local_time(p.published_at)} by {p.published_by}" if p.published_at
                     else "not published")
        self.summary.setText(
            f"<b>Version {p.version_id}</b> ({p.method}), {fmt.local_time(p.created_at)} by {p.created_by}, "
            f"{published}.<br>{len(p.ops)} operations, {len(p.late_orders)} late orders, weighted lateness "
            f"{float(p.weighted_tardiness or 0) / 60:,.0f} h (late hours × the queue's weight)."
            + (f"<br><span style='color:#b00020'>Not planned: {'; '.join(p.unscheduled[:5])}</span>"
               if p.unscheduled else ""))

    def _minute(self, when: dt.datetime) -> int:
        return clock.wall_minutes(scheduling._local_midnight(clock.today()), when)

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*WATCHED):
            self.reload()

    def settled(self) -> bool:
        """Nothing pending: no service call running or queued, no improve run (tests wait for it)."""
        return self.work.settled() and self.move_actions.settled() and not self._improving

    def _hold_buttons(self) -> None:
        """The action buttons (and dragging on the chart) wait while a call runs; Improve also while
        an improve run is under way."""
        idle = self.work.settled() and self.move_actions.settled()
        for b in (self.compute_button, self.lock_button, self.finish_button, self.publish_button, self.print_button):
            b.setEnabled(idle)
        self.improve_button.setEnabled(idle and not self._improving)
        self.gantt.setInteractive(idle)

    # --- actions -----------------------------------------------------------------------------
    def compute(self) -> None:
        def done(plan: scheduling.ScheduleView) -> None:
            self.plan = plan
            self.show_plan()
            self.message.setText(f"Planned by the dispatching rules ({plan.method}).")

        self.work.run(lambda: scheduling.compute(self.db, self.actor), done=done)

    def improve(self, *, on_done: Callable[[Solution], object] | None = None) -> None:
        """CP-SAT in a background process, seeded with the rules' plan; progress and cancel."""
        seconds = self.seconds.value()
        self._improving = True
        self._hold_buttons()

        def work(state: TaskState) -> tuple[scheduling.Built, Solution, Solution]:
            from app.scheduling.cpsat import improve_in_process
            from app.scheduling.rules import fast_plan

            built = scheduling.problem_for(self.db, self.actor)  # the problem as it stands, read off the GUI thread
            seed = fast_plan(built.problem)
            sol = improve_in_process(
                built.problem, seed, seconds=seconds, cancel=state.cancel_event,
                progress=lambda wt, _cm, s: state.report(min(1.0, s / seconds), f"weighted lateness {wt / 600:,.0f} h"))
            return built, seed, sol

        def done(out: tuple[scheduling.Built, Solution, Solution]) -> None:
            built, seed, sol = out

            def saved(plan: scheduling.ScheduleView) -> None:
                self.plan = plan
                gain = (1 - sol.weighted_tardiness / seed.weighted_tardiness) * 100 if seed.weighted_tardiness else 0.0
                self.message.setText(f"Improved: weighted lateness {seed.weighted_tardiness / 600:,.0f} h → "
                                     f"{sol.weighted_tardiness / 600:,.0f} h ({gain:.0f} % lower than the best rule, "
                                     f"{seed.method}).")
                self.show_plan()
                if on_done:
                    on_done(sol)

            # the save goes through the one door (queued first, so settled() stays false until it is in)
            self.work.run(lambda: scheduling.save_solution(self.db, self.actor, built, sol, f"cp-sat {seconds}s"),
                          done=saved)
            self._improving = False
            self._hold_buttons()

        def cancelled() -> None:
            self._improving = False
            self._hold_buttons()
            self.message.setText("Improve cancelled; the plan is unchanged.")

        def failed(_exc: BaseException) -> bool:
            self._improving = False
            self._hold_buttons()
            return False  # the helper says it: a known refusal its message, a bug the crash dialog

        self.improve_task = self.work.job(work, label="Improving the schedule…", name="improveProgress",
                                          done=done, cancelled=cancelled, failed=failed, show_after_ms=300)

    def on_selected(self, op_id: int) -> None:
        self.selected_op = op_id
        op = self._op(op_id)
        if op is not None:
            self.detail.setText(self.gantt.items[op_id].toolTip().replace("\n", "<br>"))

    def _op(self, op_id: int) -> scheduling.PlannedOp | None:
        return next((o for o in self.plan.ops if o.id == op_id), None) if self.plan else None

    def on_moved(self, op_id: int, minute: int, row_id: int) -> None:
        op = self._op(op_id)
        if op is None:
            return
        start = clock.wall_plus(scheduling._local_midnight(clock.today()), minute)
        by_machine = self.by.currentData() == "machine"
        work_center_id = row_id if by_machine else op.work_center_id
        staff_id = None if by_machine else row_id

        def done(plan: scheduling.ScheduleView) -> None:
            self.plan = plan
            self.show_plan()
            moved = next((o for o in plan.ops if o.line_id == op.line_id
                          and o.routing_operation_id == op.routing_operation_id), None)
            if moved is not None:
                self.gantt.select(moved.id)
                self.message.setText(f"{moved.order_number} {moved.name} moved to "
                                     f"{moved.start.astimezone(clock.zone()):%a %d %b %H:%M} on {moved.work_center}"
                                     + (f" ({moved.staff})" if moved.staff else "") + " and locked; the rest was "
                                     "rescheduled around it.")

        # refused (a rule, or someone moved it first): the reason in the message line, the bar snaps back
        self.move_actions.run(lambda: scheduling.move(self.db, self.actor, op.id, op.version, start, work_center_id,
                                                      staff_id=staff_id),
                              done=done, failed=lambda _exc: self.show_plan())

    def toggle_lock(self) -> None:
        op = self._op(self.selected_op) if self.selected_op else None
        if op is None:
            self.message.setText("Select an operation first.")
            return

        def done(_saved: object) -> None:
            self.reload()
            self.message.setText(f"{op.order_number} {op.name} {'unlocked' if op.locked else 'locked'}.")

        self.work.run(lambda: scheduling.set_locked(self.db, self.actor, op.id, op.version, not op.locked), done=done)

    def finish_selected(self) -> None:
        op = self._op(self.selected_op) if self.selected_op else None
        if op is None:
            self.message.setText("Select an operation of the order first.")
            return

        def done(number: str) -> None:
            self.reload()
            self.message.setText(f"{number}: production finished; shipping can pick it now.")

        self.work.run(lambda: scheduling.finish_production(self.db, self.actor, op.order_id), done=done)

    def publish(self) -> None:
        if self.plan is None:
            return
        version_id = self.plan.version_id

        def done(released: int) -> None:
            self.reload()
            self.message.setText(f"Version {version_id} published; {released} orders released to "
                                 "production for the coming week.")

        self.work.run(lambda: scheduling.publish(self.db, self.actor, version_id), done=done)

    def print_work_list(self, target: Path | None = None, *, on_done: Callable[[Path], None] | None = None) -> None:
        """The chosen person's operations on the chosen day, to PDF (or the print preview when no file
        is chosen). The work list is read off the GUI thread; ``on_done(path)`` once the PDF is saved."""
        from app.views.common.pdf import save_or_preview
        from app.services import documents

        if self.plan is None or self.person.currentData() is None:
            self.message.setText("There is no schedule to print from.")
            return
        d = self.day.date()
        day = dt.date(d.year(), d.month(), d.day())
        person = self.person.currentData()

        def done(html: str) -> None:  # asked where once the work list could be made, as before
            chosen = save_or_preview(self, html, target, suggested=f"work-list-{day.isoformat()}.pdf",
                                     title="Work list", caption="Save work list as PDF")
            if chosen is None:
                return
            self.message.setText(f"Work list saved to {chosen}.")
            if on_done:
                on_done(chosen)

        self.work.run(lambda: documents.work_list_html(self.db, self.actor, person, day), done=done, write=False)

