"""Dialogs of the priority tab. Each takes a ``submit`` callable that calls a service; the call runs
off the GUI thread through the one door (``app.views.common.action``), and a known error (bad input,
not allowed, conflict) shows in the dialog, which stays open with what was typed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import format as fmt
from app.services.expedites import Impact, QuotaView
from app.services.priorities import HOLD_KINDS, PART_LABEL, PARTS, ProfileView
from app.views.common.action import Actions
from app.views.common.messages import error_label
from app.views.common.table import Column, RowsTableModel


class _SubmitDialog(QDialog):
    def __init__(self, parent: QWidget | None, title: str, name: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName(name)
        self.result_value: Any = None
        self.error = error_label()
        # a known error is said in the dialog's error line, the dialog staying open with what was typed
        self.work = Actions(self, show_error=lambda exc: self.show_error(str(exc)))
        self.work.busy_changed.connect(self._hold_buttons)
        self._held: list[QPushButton] = []

    def settled(self) -> bool:
        """No service call running or queued (tests wait for it)."""
        return self.work.settled()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _submit(self, call: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """Run ``call`` off the GUI thread; on success keep its answer, clear the error and ``done(answer)``."""
        if not self.work.settled():
            return  # one at a time: the buttons are held until the answer is in

        def ok(value: Any) -> None:
            self.result_value = value
            self.error.hide()
            done(value)

        self.work.run(call, done=ok)

    def _hold_buttons(self, busy: bool) -> None:
        """The dialog's buttons (Close and Cancel too) wait while a call runs."""
        if busy:
            self._held = [b for b in self.findChildren(QPushButton) if b.isEnabled()]
            for b in self._held:
                b.setEnabled(False)
        else:
            for b in self._held:
                b.setEnabled(True)
            self._held = []

    def reject(self) -> None:
        if not self.work.settled():
            return  # Escape while a save runs: wait for its answer (the dialog shows it)
        super().reject()


class ExpediteRequestDialog(_SubmitDialog):
    """Marketing or sales asks for an earlier date; the quota is shown before they ask."""

    def __init__(self, parent: QWidget | None, order_text: str, promise: dt.date | None, quota_text: str,
                 submit: Callable[[dt.date, str], Any], today: dt.date) -> None:
        super().__init__(parent, "Request an expedite", "expediteRequestDialog")
        self.submit = submit
        form = QFormLayout(self)
        form.addRow("Order", QLabel(order_text))
        form.addRow("Promised", QLabel(fmt.date(promise) or "no promise date yet"))
        self.date = QDateEdit()
        self.date.setObjectName("requestedDate")
        self.date.setCalendarPopup(False)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.date.setMinimumDate(QDate(2000, 1, 1))
        start = (promise - dt.timedelta(days=2)) if promise and promise - dt.timedelta(days=2) > today else today
        self.date.setDate(QDate(start.year, start.month, start.day))
        form.addRow("Needed by", self.date)
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("reason")
        self.reason.setPlaceholderText("Why the customer needs it earlier (production and management read this)")
        self.reason.setTabChangesFocus(True)
        form.addRow("Reason", self.reason)
        self.quota = QLabel(quota_text)
        self.quota.setObjectName("quotaInfo")
        self.quota.setWordWrap(True)
        form.addRow(self.quota)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Send request")
        buttons.accepted.connect(self.send)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.work.fields.update({"requested date": self.date, "reason": self.reason})

    def send(self) -> None:
        d = self.date.date()
        day, reason = dt.date(d.year(), d.month(), d.day()), self.reason.toPlainText()
        self._submit(lambda: self.submit(day, reason), lambda _v: self.accept())


class DecisionDialog(_SubmitDialog):
    """Production (or management, for over-quota requests) decides, with the impact in front of them."""

    def __init__(self, parent: QWidget | None, header: str, impact: Impact | None, impact_error: str | None,
                 choices: list[tuple[str, str, Callable[[str], Any]]]) -> None:
        super().__init__(parent, "Decide on an expedite", "expediteDecisionDialog")
        lay = QVBoxLayout(self)
        head = QLabel(header)
        head.setWordWrap(True)
        lay.addWidget(head)
        self.impact_label = QLabel(impact.summary() if impact else (impact_error or ""))
        self.impact_label.setObjectName("impact")
        self.impact_label.setWordWrap(True)
        self.impact_label.setStyleSheet("font-weight: bold")
        lay.addWidget(QLabel(f"Impact ({impact.method if impact else 'not available'}):"))
        lay.addWidget(self.impact_label)
        self.comment = QPlainTextEdit()
        self.comment.setObjectName("comment")
        self.comment.setPlaceholderText("Comment for the requester (required to decline)")
        self.comment.setTabChangesFocus(True)
        lay.addWidget(self.comment)
        lay.addWidget(self.error)
        row = QHBoxLayout()
        row.addStretch(1)
        self.buttons: dict[str, QPushButton] = {}
        for name, text, fn in choices:
            b = QPushButton(text)
            b.setObjectName(name)
            b.clicked.connect(lambda _c=False, f=fn: self._choose(f))
            row.addWidget(b)
            self.buttons[name] = b
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        row.addWidget(cancel)
        lay.addLayout(row)
        self.resize(560, 320)
        self.work.fields["comment"] = self.comment

    def _choose(self, fn: Callable[[str], Any]) -> None:
        comment = self.comment.toPlainText()
        self._submit(lambda: fn(comment), lambda _v: self.accept())


class ReasonDialog(_SubmitDialog):
    """Hold (with a kind) or reject an order, with a reason sales will read."""

    def __init__(self, parent: QWidget | None, title: str, name: str, order_text: str,
                 submit: Callable[[str | None, str], Any], *, with_kind: bool) -> None:
        super().__init__(parent, title, name)
        self.submit = submit
        form = QFormLayout(self)
        form.addRow("Order", QLabel(order_text))
        self.kind = QComboBox()
        self.kind.setObjectName("holdKind")
        for key, label in HOLD_KINDS.items():
            self.kind.addItem(label, key)
        if with_kind:
            form.addRow("Kind", self.kind)
        self.with_kind = with_kind
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        form.addRow("Reason", self.reason)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.send)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.work.fields.update({"kind": self.kind, "reason": self.reason})

    def send(self) -> None:
        kind = self.kind.currentData() if self.with_kind else None
        reason = self.reason.text()
        self._submit(lambda: self.submit(kind, reason), lambda _v: self.accept())


class ProfilesDialog(_SubmitDialog):
    """Strategy profiles: weights per part of the score; one is active. Read-only unless management."""

    def __init__(self, parent: QWidget | None, load: Callable[[], list[ProfileView]], editable: bool,
                 save: Callable[[int | None, int | None, str, dict[str, Any]], ProfileView],
                 activate: Callable[[int, int], Any], delete: Callable[[int, int], Any]) -> None:
        super().__init__(parent, "Strategy profiles", "profilesDialog")
        self.load, self.save_fn, self.activate_fn, self.delete_fn = load, save, activate, delete
        self.editable = editable
        lay = QHBoxLayout(self)
        left = QVBoxLayout()
        self.list = QListWidget()
        self.list.setObjectName("profileList")
        self.list.currentRowChanged.connect(self._show)
        left.addWidget(self.list)
        lay.addLayout(left, 1)
        right = QVBoxLayout()
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setObjectName("profileName")
        form.addRow("Name", self.name)
        self.weights: dict[str, QDoubleSpinBox] = {}
        for key, label, what in PARTS:
            box = QDoubleSpinBox()
            box.setObjectName(f"weight_{key}")
            box.setRange(0, 100)
            box.setDecimals(2)
            box.setSingleStep(0.05)
            box.setToolTip(f"Rewards {what}")
            box.valueChanged.connect(self._share)
            self.weights[key] = box
            form.addRow(label, box)
        self.shares = QLabel()
        self.shares.setObjectName("shares")
        self.shares.setWordWrap(True)
        form.addRow("Share of the score", self.shares)
        right.addLayout(form)
        right.addWidget(self.error)
        self.status = QLabel()
        self.status.setObjectName("profileStatus")
        right.addWidget(self.status)
        row = QHBoxLayout()
        self.new_button = QPushButton("&New")
        self.new_button.setObjectName("newProfile")
        self.new_button.clicked.connect(self.new)
        self.save_button = QPushButton("&Save")
        self.save_button.setObjectName("saveProfile")
        self.save_button.clicked.connect(self.save)
        self.activate_button = QPushButton("&Activate")
        self.activate_button.setObjectName("activateProfile")
        self.activate_button.clicked.connect(self.activate)
        self.delete_button = QPushButton("&Delete")
        self.delete_button.setObjectName("deleteProfile")
        self.delete_button.clicked.connect(self.delete)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        for b in (self.new_button, self.save_button, self.activate_button, self.delete_button):
            b.setVisible(editable)
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(close)
        right.addLayout(row)
        lay.addLayout(right, 2)
        self.name.setReadOnly(not editable)
        for box in self.weights.values():
            box.setReadOnly(not editable)
        if not editable:
            self.status.setText("Only management changes the strategy; you can see it here.")
        self.profiles: list[ProfileView] = []
        self.work.fields.update({"name": self.name, "weights": self.weights[PARTS[0][0]],
                                 **{PART_LABEL[key]: box for key, box in self.weights.items()}})
        self.refresh()
        self.resize(720, 420)

    def refresh(self, select_id: int | None = None) -> None:
        self.profiles = self.load()
        self.list.blockSignals(True)
        self.list.clear()
        for p in self.profiles:
            QListWidgetItem(p.name + ("  (active)" if p.active else ""), self.list)
        self.list.blockSignals(False)
        idx = next((i for i, p in enumerate(self.profiles) if p.id == select_id), None)
        if idx is None:
            idx = next((i for i, p in enumerate(self.profiles) if p.active), 0)
        if self.profiles:
            self.list.setCurrentRow(idx)
            self._show(idx)

    def current(self) -> ProfileView | None:
        row = self.list.currentRow()
        return self.profiles[row] if 0 <= row < len(self.profiles) else None

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self.profiles):
            return
        p = self.profiles[row]
        self.name.setText(p.name)
        for key, box in self.weights.items():
            box.blockSignals(True)
            box.setValue(float(p.weights[key]))
            box.blockSignals(False)
        self._share()
        if self.editable:
            self.status.setText(f"{'Active. ' if p.active else ''}Last changed by {p.updated_by or '—'} "
                                f"{fmt.local_time(p.updated_at)}")

    def _share(self) -> None:
        total = sum(b.value() for b in self.weights.values())
        if total <= 0:
            self.shares.setText("All weights are 0: nothing would rank the orders.")
            return
        self.shares.setText(", ".join(f"{label} {self.weights[k].value() / total * 100:.0f} %"
                                      for k, label, _w in PARTS if self.weights[k].value()))

    def new(self) -> None:
        self.list.clearSelection()
        self.list.setCurrentRow(-1)
        self.name.setText("")
        self.name.setFocus()
        self.status.setText("New profile: give it a name and weights, then Save.")

    def save(self) -> None:
        p = self.current()
        values = {k: Decimal(str(round(b.value(), 4))) for k, b in self.weights.items()}
        name = self.name.text()
        self._submit(lambda: self.save_fn(p.id if p else None, p.version if p else None, name, values),
                     lambda saved: self.refresh(saved.id))

    def activate(self) -> None:
        p = self.current()
        if p:
            self._submit(lambda: self.activate_fn(p.id, p.version), lambda _v: self.refresh(p.id))

    def delete(self) -> None:
        p = self.current()
        if p:
            self._submit(lambda: self.delete_fn(p.id, p.version), lambda _v: self.refresh())


QUOTA_COLUMNS: list[Column[QuotaView]] = [
    Column("Department", lambda q: q.department),
    Column("Requester", lambda q: q.username or "whole department"),
    Column("Per month", lambda q: str(q.per_month), align_right=True),
]


class QuotasDialog(_SubmitDialog):
    """Expedite quotas per month, per department or per requester (management)."""

    def __init__(self, parent: QWidget | None, load: Callable[[], list[QuotaView]], editable: bool,
                 set_quota: Callable[[str, int, str | None], Any], departments: list[str]) -> None:
        super().__init__(parent, "Expedite quotas", "quotasDialog")
        self.load, self.set_fn = load, set_quota
        lay = QVBoxLayout(self)
        self.model = RowsTableModel(QUOTA_COLUMNS, self, key=lambda q: q.id)
        table = QTableView()
        table.setObjectName("quotaTable")
        table.setModel(self.model)
        table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(table)
        form = QFormLayout()
        self.department = QComboBox()
        self.department.setObjectName("quotaDepartment")
        self.department.addItems(departments)
        self.requester = QLineEdit()
        self.requester.setObjectName("quotaRequester")
        self.requester.setPlaceholderText("empty: the whole department")
        self.per_month = QSpinBox()
        self.per_month.setObjectName("quotaPerMonth")
        self.per_month.setRange(0, 999)
        self.per_month.setValue(3)
        form.addRow("Department", self.department)
        form.addRow("Requester", self.requester)
        form.addRow("Requests per month", self.per_month)
        lay.addLayout(form)
        lay.addWidget(self.error)
        row = QHBoxLayout()
        self.set_button = QPushButton("&Set quota")
        self.set_button.setObjectName("setQuota")
        self.set_button.clicked.connect(self.set_quota)
        self.set_button.setVisible(editable)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        row.addWidget(self.set_button)
        row.addStretch(1)
        row.addWidget(close)
        lay.addLayout(row)
        for w in (self.department, self.requester, self.per_month):
            w.setEnabled(editable)
        self.model.set_rows(self.load())
        self.resize(520, 380)
        self.work.fields.update({"department": self.department, "requester": self.requester,
                                 "per month": self.per_month})

    def set_quota(self) -> None:
        department, per_month = self.department.currentText(), self.per_month.value()
        requester = self.requester.text().strip() or None
        self._submit(lambda: self.set_fn(department, per_month, requester), lambda _v: self.model.set_rows(self.load()))


__all__ = ["ExpediteRequestDialog", "DecisionDialog", "ReasonDialog", "ProfilesDialog", "QuotasDialog"]
