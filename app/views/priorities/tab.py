"""Priority queue: open orders ranked by management's strategy, why each order is where it is,
expedite requests rationed by quota, requester statistics, holds and rejections."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeGuard, TypeVar

from PySide6.QtCore import QAbstractItemModel, QItemSelectionModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
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
from app.errors import UserError
from app.services import expedites, priorities
from app.services.changes import Changes
from app.services.permissions import ROLES, allowed
from app.views.common.action import Actions
from app.views.common.table import Column, RowsTableModel, list_view
from app.views.priorities.dialogs import (
    DecisionDialog,
    ExpediteRequestDialog,
    ProfilesDialog,
    QuotasDialog,
    ReasonDialog,
)
from app.views.priorities.models import QUEUE_COLUMNS, QueueTableModel, RequestsTableModel, parts_model, stats_model

TITLE = "Priority queue"
WATCHED = ("sales_order", "sales_order_line", "expedite_request", "expedite_quota", "priority_profile", "customer",
           "product", "material", "routing_operation", "scheduled_operation")


_TITLE = {'queueTable': 'Priority queue', 'partsTable': 'Score parts', 'requestsTable': 'Expedite requests',
          'statsTable': 'Expedite requesters', 'heldTable': 'Orders on hold', 'rejectedTable': 'Rejected orders'}
_Row = TypeVar("_Row")
Rejected = tuple[int, str, str, str, dt.datetime]  # priorities.rejected_orders: id, number, customer, reason, when


def _table(name: str, model: QAbstractItemModel) -> QTableView:
    return list_view(name, model, _TITLE.get(name, name), compact=True)


class PrioritiesTab(QWidget):
    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor = db, actor
        self.setObjectName("prioritiesTab")
        self.queue: priorities.Queue | None = None
        lay = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.strategy = QLabel()
        self.strategy.setObjectName("strategy")
        bar.addWidget(self.strategy)
        self.profiles_button = QPushButton("Strategy &profiles…")
        self.profiles_button.setObjectName("profilesButton")
        self.profiles_button.clicked.connect(lambda: self.edit_profiles())
        self.quotas_button = QPushButton("Expedite &quotas…")
        self.quotas_button.setObjectName("quotasButton")
        self.quotas_button.clicked.connect(lambda: self.edit_quotas())
        bar.addWidget(self.profiles_button)
        bar.addWidget(self.quotas_button)
        bar.addStretch(1)
        self.request_button = QPushButton("Request &expedite…")
        self.request_button.setObjectName("requestExpedite")
        self.request_button.setVisible(allowed(actor.role, "expedite.request"))
        self.request_button.clicked.connect(lambda: self.request_expedite())
        self.hold_button = QPushButton("&Hold…")
        self.hold_button.setObjectName("holdOrder")
        self.hold_button.clicked.connect(lambda: self.hold_selected())
        self.reject_button = QPushButton("Re&ject…")
        self.reject_button.setObjectName("rejectOrder")
        self.reject_button.clicked.connect(lambda: self.reject_selected())
        for b in (self.hold_button, self.reject_button):
            b.setVisible(allowed(actor.role, "priorities.hold"))
        for b in (self.request_button, self.hold_button, self.reject_button):
            bar.addWidget(b)
        lay.addLayout(bar)

        split = QSplitter(Qt.Orientation.Vertical)
        top = QSplitter(Qt.Orientation.Horizontal)
        self.model = QueueTableModel(self)
        self.table = _table("queueTable", self.model)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self.show_why(cur.row()))
        top.addWidget(self.table)
        why = QWidget()
        wl = QVBoxLayout(why)
        wl.setContentsMargins(0, 0, 0, 0)
        title = QLabel("<b>Why is this order here?</b>")
        wl.addWidget(title)
        self.why_head = QLabel("Select an order.")
        self.why_head.setObjectName("whyHead")
        self.why_head.setWordWrap(True)
        wl.addWidget(self.why_head)
        self.parts = parts_model(self)
        self.parts_table = _table("partsTable", self.parts)
        self.parts_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        wl.addWidget(self.parts_table, 1)
        top.addWidget(why)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        split.addWidget(top)

        self.pages = QTabWidget()
        self.pages.setObjectName("priorityPages")
        # expedite requests
        page = QWidget()
        pl = QVBoxLayout(page)
        self.requests_model = RequestsTableModel(self)
        self.requests_table = _table("requestsTable", self.requests_model)
        pl.addWidget(self.requests_table)
        row = QHBoxLayout()
        self.open_only = QPushButton("Show &all requests")
        self.open_only.setObjectName("showAllRequests")
        self.open_only.setCheckable(True)
        self.open_only.toggled.connect(lambda _on: self.reload_requests())
        self.decide_button = QPushButton(self._decide_text())
        self.decide_button.setObjectName("decideExpedite")
        self.decide_button.clicked.connect(lambda: self.decide_selected())
        self.withdraw_button = QPushButton("&Withdraw")
        self.withdraw_button.setObjectName("withdrawExpedite")
        self.withdraw_button.setVisible(allowed(actor.role, "expedite.request"))
        self.withdraw_button.clicked.connect(lambda: self.withdraw_selected())
        row.addWidget(self.open_only)
        row.addStretch(1)
        row.addWidget(self.withdraw_button)
        row.addWidget(self.decide_button)
        pl.addLayout(row)
        self.pages.addTab(page, "Expedite requests")
        # statistics per requester
        self.stats = stats_model(self)
        self.stats_table = _table("statsTable", self.stats)
        self.pages.addTab(self.stats_table, "Requesters")
        # holds and rejections
        page = QWidget()
        hl = QVBoxLayout(page)
        hl.addWidget(QLabel("On hold"))
        self.held_model = RowsTableModel(
            [c for c in QUEUE_COLUMNS if c.title in ("Order", "Customer", "Promise", "Net value", "Hold")], self,
            key=lambda r: r.order_id)
        self.held_table = _table("heldTable", self.held_model)
        hl.addWidget(self.held_table)
        row = QHBoxLayout()
        row.addStretch(1)
        self.release_button = QPushButton("&Release hold")
        self.release_button.setObjectName("releaseHold")
        self.release_button.clicked.connect(lambda: self.release_selected())
        self.reject_held_button = QPushButton("Reject…")
        self.reject_held_button.setObjectName("rejectHeld")
        self.reject_held_button.clicked.connect(lambda: self.reject_selected(held=True))
        for b in (self.release_button, self.reject_held_button):
            b.setVisible(allowed(actor.role, "priorities.hold"))
            row.addWidget(b)
        hl.addLayout(row)
        hl.addWidget(QLabel("Rejected in the last 90 days"))
        self.rejected_model: RowsTableModel[Rejected] = RowsTableModel([
            Column("Order", lambda r: r[1]), Column("Customer", lambda r: r[2]),
            Column("When", lambda r: fmt.local_time(r[4])), Column("Reason", lambda r: r[3])], self,
            key=lambda r: r[0])
        self.rejected_table = _table("rejectedTable", self.rejected_model)
        hl.addWidget(self.rejected_table)
        self.pages.addTab(page, "Holds && rejections")
        split.addWidget(self.pages)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([540, 300])
        top.setSizes([900, 500])
        lay.addWidget(split, 1)
        self.message = QLabel()
        self.message.setObjectName("priorityMessage")
        self.message.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setObjectName("prioritySummary")
        foot = QHBoxLayout()
        foot.addWidget(self.message, 1)
        foot.addWidget(self.summary)
        lay.addLayout(foot)
        # withdraw and release run off the GUI thread; the dialogs run their own calls the same way
        self.work = Actions(self)
        self.work.busy_changed.connect(self._hold_buttons)
        self.reload()

    # --- loading -------------------------------------------------------------------------
    def _decide_text(self) -> str:
        if allowed(self.actor.role, "expedite.decide"):
            return "&Decide…"
        if allowed(self.actor.role, "expedite.over_quota"):
            return "&Decide (over quota)…"
        return "Show &impact…"

    def reload(self) -> None:
        current = self.selected_row()
        self.queue = priorities.queue(self.db, self.actor)
        q = self.queue
        total = float(sum(q.profile.weights.values()))
        weights = ", ".join(f"{priorities.PART_LABEL[k]} {float(v) * 100 / total:.0f} %"
                            for k, v in q.profile.weights.items() if v)
        self.strategy.setText(f"Strategy: <b>{q.profile.name}</b> — {weights}")
        self.strategy.setToolTip("Management sets the strategy profile; the score is the weighted mean of its "
                                 "parts × 100. Accepted expedites go first.")
        self.model.set_rows(q.rows)
        self.held_model.set_rows(q.held)
        self.rejected_model.set_rows(priorities.rejected_orders(self.db, self.actor))
        late = sum(1 for r in q.rows if r.late)
        self.summary.setText(f"{len(q.rows)} orders in the queue, {late} late, {len(q.held)} on hold · "
                             f"ranked in {q.seconds * 1000:.0f} ms")
        self.reload_requests()
        self.stats.set_rows(expedites.requester_stats(self.db, self.actor))
        if current is not None:
            self.select_order(current.order_id)
        elif q.rows:
            self.table.selectRow(0)
        self.table.resizeColumnsToContents()

    def reload_requests(self) -> None:
        self.requests_model.set_rows(expedites.requests(self.db, self.actor, open_only=not self.open_only.isChecked()))
        self.requests_table.resizeColumnsToContents()

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*WATCHED):
            self.reload()

    def settled(self) -> bool:
        """No service call of this tab running or queued (tests wait for it)."""
        return self.work.settled()

    def _hold_buttons(self, busy: bool) -> None:
        """The action buttons wait while a call runs."""
        for b in (self.profiles_button, self.quotas_button, self.request_button, self.hold_button, self.reject_button,
                  self.decide_button, self.withdraw_button, self.release_button, self.reject_held_button):
            b.setEnabled(not busy)

    # --- selection ------------------------------------------------------------------------
    def selected_row(self) -> priorities.QueueRow | None:
        idx = self.table.currentIndex()
        return self.model.row_at(idx.row()) if idx.isValid() and idx.row() < len(self.model.rows) else None

    def current_customer_id(self) -> int | None:
        r = self.selected_row()
        return r.customer_id if r is not None else None

    def select_order(self, order_id: int) -> bool:
        for i, r in enumerate(self.model.rows):
            if r.order_id == order_id:
                self.table.selectionModel().setCurrentIndex(
                    self.model.index(i, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows)
                self.show_why(i)
                return True
        return False

    def show_why(self, row: int) -> None:
        if not 0 <= row < len(self.model.rows):
            self.parts.set_rows([])
            return
        r = self.model.rows[row]
        head = f"<b>{r.number}</b> {r.customer} — rank {r.rank}, score <b>{r.score:.1f}</b>"
        if r.expedite == "accepted":
            head += f"<br>Expedite accepted for {fmt.date(r.expedite_date)}: accepted expedites go first."
        elif r.expedite:
            head += f"<br>Expedite {r.expedite} for {fmt.date(r.expedite_date)}."
        self.why_head.setText(head)
        self.parts.set_rows(sorted(r.parts, key=lambda p: -p.points))
        self.parts_table.resizeColumnsToContents()

    def selected_request(self) -> expedites.ExpediteView | None:
        idx = self.requests_table.currentIndex()
        rows = self.requests_model.rows
        return rows[idx.row()] if idx.isValid() and idx.row() < len(rows) else None

    # --- actions --------------------------------------------------------------------------
    def _need(self, row: _Row | None, what: str) -> TypeGuard[_Row]:
        """Whether ``row`` is selected; if not, says to select ``what`` first."""
        if row is None:
            self.message.setText(f"Select {what} first.")
            return False
        return True

    def request_expedite(self) -> None:
        r = self.selected_row()
        if not self._need(r, "an order in the queue"):
            return
        use = expedites.my_quota(self.db, self.actor)
        if use.limit is None:
            quota = f"No quota is set for your {use.scope}."
        elif use.over:
            quota = (f"This is request {use.used + 1} this month for your {use.scope}, against a quota of "
                     f"{use.limit}: management must agree before production decides.")
        else:
            quota = f"Request {use.used + 1} of {use.limit} this month for your {use.scope}."
        dlg = ExpediteRequestDialog(self, f"{r.number} — {r.customer}", r.promise_date, quota,
                                    lambda day, reason: expedites.request_expedite(
                                        self.db, self.actor, r.order_id, day, reason),
                                    clock.today())
        if dlg.exec():
            e = dlg.result_value
            self.message.setText(f"Expedite requested for {e.order_number}: {e.status_label.lower()}.")
            self.reload()

    def decide_selected(self) -> None:
        e = self.selected_request()
        if not self._need(e, "an expedite request"):
            return
        # a read, not a write: when the impact cannot be worked out, the dialog still opens and says why
        # in place of the impact (its decision buttons go through the dialog's Actions)
        try:
            imp, err = expedites.impact(self.db, self.actor, e.id), None
        except UserError as exc:
            imp, err = None, str(exc)
        choices: list[tuple[str, str, Callable[[str], expedites.ExpediteView]]] = []
        if e.status == "pending" and allowed(self.actor.role, "expedite.decide"):
            choices = [
                ("accept", "&Accept", lambda c: expedites.decide(self.db, self.actor, e.id, e.version, True, c)),
                ("acceptOvertime", "Accept with &overtime",
                 lambda c: expedites.decide(self.db, self.actor, e.id, e.version, True, c, overtime=True)),
                ("decline", "D&ecline", lambda c: expedites.decide(self.db, self.actor, e.id, e.version, False, c)),
            ]
        elif e.status == "needs_management" and allowed(self.actor.role, "expedite.over_quota"):
            choices = [
                ("agree", "&Agree (over quota)",
                 lambda c: expedites.agree_over_quota(self.db, self.actor, e.id, e.version, True, c)),
                ("turnDown", "&Turn down",
                 lambda c: expedites.agree_over_quota(self.db, self.actor, e.id, e.version, False, c)),
            ]
        header = (f"<b>{e.order_number}</b> {e.customer}: {e.requested_by} ({e.department}) wants it by "
                  f"<b>{fmt.date(e.requested_date)}</b> (promised {fmt.date(e.promise_date)}).<br>"
                  f"Reason: {e.reason}<br>Status: {e.status_label}")
        dlg = DecisionDialog(self, header, imp, err, choices)
        if dlg.exec() and dlg.result_value is not None:
            v = dlg.result_value
            self.message.setText(f"Expedite of {v.order_number}: {v.status_label.lower()}.")
            self.reload()
            self.select_order(v.order_id)

    def withdraw_selected(self) -> None:
        e = self.selected_request()
        if not self._need(e, "an expedite request"):
            return

        def done(_withdrawn: expedites.ExpediteView) -> None:
            self.message.setText(f"Expedite request for {e.order_number} withdrawn.")
            self.reload()

        self.work.run(lambda: expedites.withdraw(self.db, self.actor, e.id, e.version), done=done)

    def _held_selected(self) -> priorities.QueueRow | None:
        idx = self.held_table.currentIndex()
        rows = self.held_model.rows
        return rows[idx.row()] if idx.isValid() and idx.row() < len(rows) else None

    def hold_selected(self) -> None:
        r = self.selected_row()
        if not self._need(r, "an order in the queue"):
            return
        dlg = ReasonDialog(self, "Put an order on hold", "holdDialog", f"{r.number} — {r.customer}",
                           lambda kind, reason: priorities.hold_order(self.db, self.actor, r.order_id, r.version,
                                                                      kind or "", reason), with_kind=True)
        if dlg.exec():
            self.message.setText(f"{r.number} is on hold; sales sees the reason on the order.")
            self.reload()

    def release_selected(self) -> None:
        r = self._held_selected()
        if not self._need(r, "a held order"):
            return

        def done(_released: None) -> None:
            self.message.setText(f"{r.number} released from hold and back in the queue.")
            self.reload()

        self.work.run(lambda: priorities.release_hold(self.db, self.actor, r.order_id, r.version), done=done)

    def reject_selected(self, *, held: bool = False) -> None:
        r = self._held_selected() if held else self.selected_row()
        if not self._need(r, "an order"):
            return
        dlg = ReasonDialog(self, "Reject an order", "rejectDialog", f"{r.number} — {r.customer}",
                           lambda _k, reason: priorities.reject_order(self.db, self.actor, r.order_id, r.version,
                                                                      reason), with_kind=False)
        if dlg.exec():
            self.message.setText(f"{r.number} rejected; its stock is released.")
            self.reload()

    def edit_profiles(self) -> None:
        dlg = ProfilesDialog(
            self, lambda: priorities.profiles(self.db, self.actor), allowed(self.actor.role, "priorities.profile"),
            lambda pid, ver, name, w: priorities.save_profile(self.db, self.actor, pid, ver, name, w),
            lambda pid, ver: priorities.activate_profile(self.db, self.actor, pid, ver),
            lambda pid, ver: priorities.delete_profile(self.db, self.actor, pid, ver))
        dlg.exec()
        self.reload()

    def edit_quotas(self) -> None:
        depts = [r for r in ROLES if allowed(r, "expedite.request")]
        dlg = QuotasDialog(self, lambda: expedites.quotas(self.db, self.actor),
                           allowed(self.actor.role, "priorities.profile"),
                           lambda d, n, who: expedites.set_quota(self.db, self.actor, d, n, username=who), depts)
        dlg.exec()
        self.reload()
