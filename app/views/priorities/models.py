"""Table models of the priority tab (plain rows from the services; nothing ORM inside ``data()``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor

from app import format as fmt
from app.services.expedites import ExpediteView, RequesterStats
from app.services.priorities import Part, QueueRow
from app.views.common.messages import ERROR_COLOUR
from app.views.common.table import Column, Index, RowsTableModel

LATE = QColor(ERROR_COLOUR)
EXPEDITED = QColor("#0b5394")  # blue, not red/green: colour-blind safe next to "late"
AVAILABILITY = {"stock": "Ships from stock", "production": "To make", "materials short": "Materials short"}


def _slack(r: QueueRow) -> str:
    if r.slack_days is None:
        return ""
    return f"late {-r.slack_days:.1f} d" if r.slack_days < 0 else f"{r.slack_days:.1f} d"


QUEUE_COLUMNS: list[Column[QueueRow]] = [
    Column("#", lambda r: str(r.rank) if r.rank else "hold", align_right=True),
    Column("Order", lambda r: r.number),
    Column("Customer", lambda r: r.customer),
    Column("Tier", lambda r: r.tier + (" ★" if r.strategic else "")),
    Column("Status", lambda r: r.status.replace("_", " ")),
    Column("Promise", lambda r: fmt.date(r.promise_date)),
    Column("Slack", _slack, align_right=True),
    Column("Availability", lambda r: AVAILABILITY.get(r.availability, r.availability)),
    Column("Net value", lambda r: fmt.money(r.total_net), align_right=True),
    Column("Margin", lambda r: "" if r.margin is None else f"{r.margin * 100:.0f} %", align_right=True),
    Column("Score", lambda r: f"{r.score:.1f}", align_right=True),
    Column("Expedite", lambda r: "" if not r.expedite else (
        f"{r.expedite} ({fmt.date(r.expedite_date)})" if r.expedite_date else r.expedite)),
    Column("Hold", lambda r: r.hold_reason or ""),
]


class QueueTableModel(RowsTableModel[QueueRow]):
    """The ranked queue; late orders in red, accepted expedites in blue bold; the why as tooltip."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(QUEUE_COLUMNS, parent, key=lambda r: r.order_id)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        r = self.rows[index.row()]
        if role == Qt.ItemDataRole.ForegroundRole:
            if r.late and self.columns[index.column()].title in ("Slack", "Promise", "Order"):
                return LATE
            if r.expedite == "accepted" and self.columns[index.column()].title in ("#", "Expedite"):
                return EXPEDITED
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return r.why()
        return super().data(index, role)


PART_COLUMNS: list[Column[Part]] = [
    Column("Part", lambda p: p.label),
    Column("Weight", lambda p: f"{p.weight * 100:.0f} %", align_right=True),
    Column("Value", lambda p: f"{p.value:.2f}", align_right=True),
    Column("Points", lambda p: f"{p.points:+.1f}", align_right=True),
    Column("Because", lambda p: p.text),
]


def parts_model(parent: QObject | None = None) -> RowsTableModel[Part]:
    return RowsTableModel(PART_COLUMNS, parent, key=lambda p: p.key)


REQUEST_COLUMNS: list[Column[ExpediteView]] = [
    Column("Asked", lambda e: fmt.local_time(e.created_at)),
    Column("Order", lambda e: e.order_number),
    Column("Customer", lambda e: e.customer),
    Column("By", lambda e: f"{e.requested_by} ({e.department})"),
    Column("Wanted", lambda e: fmt.date(e.requested_date)),
    Column("Promise", lambda e: fmt.date(e.promise_date)),
    Column("Status", lambda e: e.status_label + (" · over quota" if e.over_quota and e.status != "needs_management"
                                                   else "")),
    Column("Reason", lambda e: e.reason),
    Column("Decision", lambda e: _decision(e)),
]


def _decision(e: ExpediteView) -> str:
    if e.status == "accepted":
        if e.overtime_hours:
            return f"{fmt.quantity(e.overtime_hours)} h overtime" + (f"; {e.decision_comment}" if e.decision_comment
                                                                     else "")
        return f"{e.slipped_orders or 0} orders slipped {e.slipped_days or 0} d" + (
            f"; {e.decision_comment}" if e.decision_comment else "")
    return e.decision_comment or ""


class RequestsTableModel(RowsTableModel[ExpediteView]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(REQUEST_COLUMNS, parent, key=lambda e: e.id)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (role == Qt.ItemDataRole.ForegroundRole and index.isValid() and index.row() < len(self.rows)
                and self.rows[index.row()].over_quota and self.columns[index.column()].title == "Status"):
            return LATE
        return super().data(index, role)


STATS_COLUMNS: list[Column[RequesterStats]] = [
    Column("Requester", lambda s: s.requested_by),
    Column("Department", lambda s: s.department),
    Column("This month", lambda s: f"{s.this_month} of {s.quota}" if s.quota is not None else f"{s.this_month}",
           align_right=True),
    Column("Requests (12 months)", lambda s: str(s.requests), align_right=True),
    Column("Accepted", lambda s: str(s.accepted), align_right=True),
    Column("Declined", lambda s: str(s.declined), align_right=True),
    Column("Over quota", lambda s: str(s.over_quota), align_right=True),
    Column("Acceptance", lambda s: "" if s.acceptance is None else f"{s.acceptance * 100:.0f} %", align_right=True),
    Column("Orders slipped", lambda s: str(s.slipped_orders), align_right=True),
    Column("Days slipped", lambda s: str(s.slipped_days), align_right=True),
    Column("Overtime h", lambda s: fmt.quantity(s.overtime_hours), align_right=True),
]


def stats_model(parent: QObject | None = None) -> RowsTableModel[RequesterStats]:
    return RowsTableModel(STATS_COLUMNS, parent, key=lambda s: (s.requested_by, s.department))
