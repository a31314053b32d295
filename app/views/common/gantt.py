"""A Gantt chart of planned operations, one row per machine or per person.

Plain ``QGraphicsScene`` items: one rectangle per operation (its order number painted inside when
it fits), day columns with a header and row labels that stay in view while panning. Zoom changes
the minutes-per-pixel scale and re-lays the items (text never stretches); pan with the scroll
bars, the wheel (Shift+wheel sideways) or by dragging the background. Dragging an operation
emits ``moved(op_id, start_minute, row_id)`` when it is dropped, snapped to 15 minutes; the tab
asks the schedule service, which validates and reschedules, then reloads the chart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QStyle,
    QStyleOptionGraphicsItem,
    QWidget,
)

from app import clock
from app import format as fmt

ROW_H = 34
BAR_H = 24
LABEL_W = 150
HEADER_H = 26
SNAP = 15  # minutes
LATE = QColor("#c62828")
LATE_FILL = QColor("#f8d7da")
ON_TIME_FILL = QColor("#d6e4f0")
ON_TIME = QColor("#1f4e79")
LOCKED = QColor("#111111")
WEEKEND = QColor("#f2f2f2")
SELECTED = QColor("#f9a825")


@dataclass(frozen=True)
class Bar:
    op_id: int
    row: int  # resource id (work center or staff)
    start: int  # minutes from the chart's origin
    end: int
    text: str  # painted inside (order number)
    tooltip: str
    late: bool
    locked: bool


class BarItem(QGraphicsRectItem):
    def __init__(self, bar: Bar, chart: GanttChart) -> None:
        super().__init__()
        self.bar, self.chart = bar, chart
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, chart.editable)
        self.setAcceptHoverEvents(True)
        self.setToolTip(bar.tooltip)
        self.setZValue(2)
        self.setBrush(QBrush(LATE_FILL if bar.late else ON_TIME_FILL))
        pen = QPen(LOCKED if bar.locked else (LATE if bar.late else ON_TIME))
        pen.setWidthF(2.5 if bar.locked else 1.0)
        if bar.late and not bar.locked:
            pen.setStyle(Qt.PenStyle.DashLine)  # late is also a dashed outline, not colour alone
        self.setPen(pen)
        self._press: QPointF | None = None

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        option.state &= ~QStyle.StateFlag.State_Selected  # our own highlight, not Qt's dotted box
        super().paint(painter, option, widget)
        r = self.rect()
        if self.isSelected():
            painter.setPen(QPen(SELECTED, 3))
            painter.drawRect(r.adjusted(1, 1, -1, -1))
        if r.width() > 40:
            painter.setPen(QPen(LATE if self.bar.late else ON_TIME))
            painter.setFont(self.chart.bar_font)
            text = ("🔒 " if self.bar.locked else "") + self.bar.text
            painter.drawText(r.adjusted(3, 0, -2, 0), int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                             text)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        self._press = self.pos()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        super().mouseReleaseEvent(event)
        if self._press is None or self.pos() == self._press:
            return
        self.chart.dropped(self)


class GanttChart(QGraphicsView):
    moved = Signal(int, int, int)  # op id, new start minute, row id
    selected = Signal(int)  # op id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gantt")
        self.scene_ = QGraphicsScene(self)
        self.setScene(self.scene_)
        self.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.px_per_min = 0.25  # 360 px per day
        self.editable = False
        self.origin = clock.now()
        self.days = 14
        self.rows: list[tuple[int, str]] = []
        self.bars: list[Bar] = []
        # the bars by operation id (the schedule tab and its tests read ``gantt.items``); it hides
        # QGraphicsView.items(), which nothing calls on this view
        self.items: dict[int, BarItem] = {}  # type: ignore[assignment]
        self.labels: list[QGraphicsItem] = []
        self.header: list[QGraphicsItem] = []
        self.bar_font = QFont(self.font())
        self.bar_font.setPointSizeF(max(7.0, self.font().pointSizeF() - 1))
        self.scene_.selectionChanged.connect(self._selection)

    # --- data ---------------------------------------------------------------------------------
    def set_plan(self, origin: dt.datetime, days: int, rows: list[tuple[int, str]], bars: list[Bar],
                 editable: bool) -> None:
        self.origin, self.days, self.rows, self.bars, self.editable = origin, days, rows, bars, editable
        self._layout()

    def row_index(self) -> dict[int, int]:
        return {rid: i for i, (rid, _n) in enumerate(self.rows)}

    def x_of(self, minute: float) -> float:
        return LABEL_W + minute * self.px_per_min

    def minute_of(self, x: float) -> int:
        return int(round((x - LABEL_W) / self.px_per_min))

    def zoom(self, factor: float) -> None:
        """Zoom about the centre of the view: hours at the largest, weeks at the smallest."""
        centre = self.minute_of(self.mapToScene(self.viewport().rect().center()).x())
        self.px_per_min = min(4.0, max(0.02, self.px_per_min * factor))
        self._layout()
        self.centerOn(self.x_of(centre), self.mapToScene(self.viewport().rect().center()).y())

    def _layout(self) -> None:
        self.scene_.clear()
        self.items.clear()
        width = self.x_of(self.days * 1440) + 20
        height = HEADER_H + len(self.rows) * ROW_H + 10
        self.scene_.setSceneRect(0, 0, width, height)
        grid = QPen(QColor("#d0d0d0"))
        day_w = 1440 * self.px_per_min
        head_bg = self.scene_.addRect(QRectF(0, 0, width, HEADER_H), QPen(Qt.PenStyle.NoPen),
                                      QBrush(self.palette().window()))
        head_bg.setZValue(4)
        self.header = [head_bg]
        for d in range(self.days):
            day = (self.origin + dt.timedelta(days=d)).date()
            x = self.x_of(d * 1440)
            if day.weekday() >= 5:
                shade = self.scene_.addRect(QRectF(x, HEADER_H, day_w, height - HEADER_H), QPen(Qt.PenStyle.NoPen),
                                            QBrush(WEEKEND))
                shade.setZValue(-2)
            self.scene_.addLine(x, HEADER_H, x, height, grid).setZValue(-1)
            label = f"{day:%a %d %b}" if day_w > 70 else (f"{day:%d}" if day_w > 18 else "")
            if label:
                t = QGraphicsSimpleTextItem(label)
                t.setPos(x + 3, 0)
                t.setZValue(5)
                self.scene_.addItem(t)
                self.header.append(t)
        for i, (_rid, name) in enumerate(self.rows):
            y = HEADER_H + i * ROW_H
            self.scene_.addLine(0, y + ROW_H, width, y + ROW_H, grid).setZValue(-1)
        self.labels = []
        for i, (_rid, name) in enumerate(self.rows):
            bg = self.scene_.addRect(QRectF(0, HEADER_H + i * ROW_H, LABEL_W - 4, ROW_H), QPen(Qt.PenStyle.NoPen),
                                     QBrush(self.palette().window()))
            bg.setZValue(6)
            t = QGraphicsSimpleTextItem(name, bg)
            t.setPos(4, HEADER_H + i * ROW_H + (ROW_H - 16) / 2)
            self.labels.append(bg)
        idx = self.row_index()
        for b in self.bars:
            if b.row not in idx:
                continue
            item = BarItem(b, self)
            item.setRect(QRectF(0, 0, max(2.0, (b.end - b.start) * self.px_per_min), BAR_H))
            item.setPos(self.x_of(b.start), HEADER_H + idx[b.row] * ROW_H + (ROW_H - BAR_H) / 2)
            self.scene_.addItem(item)
            self.items[b.op_id] = item
        self._pin()

    def _pin(self) -> None:
        """Keep the row labels at the left edge and the day header at the top while panning."""
        top_left = self.mapToScene(0, 0)
        for item in self.labels:
            item.setPos(max(0.0, top_left.x()), 0)
        for item in self.header:
            item.setY(max(0.0, top_left.y()))

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802
        super().scrollContentsBy(dx, dy)
        self._pin()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom(1.25 if event.angleDelta().y() > 0 else 0.8)
            event.accept()
            return
        super().wheelEvent(event)

    # --- interaction ----------------------------------------------------------------------------
    def dropped(self, item: BarItem) -> None:
        """Snap the drop to 15 minutes and a row; the service decides whether it may go there."""
        minute = self.minute_of(item.pos().x())
        minute = int(round(minute / SNAP) * SNAP)
        row = int(round((item.pos().y() - HEADER_H - (ROW_H - BAR_H) / 2) / ROW_H))
        row = min(max(row, 0), len(self.rows) - 1)
        self.moved.emit(item.bar.op_id, max(0, minute), self.rows[row][0])

    def drag(self, op_id: int, minute: int, row_id: int) -> None:
        """What a mouse drag does, for keyboard users and tests: move the bar and drop it."""
        item = self.items[op_id]
        item.setPos(self.x_of(minute), HEADER_H + self.row_index()[row_id] * ROW_H + (ROW_H - BAR_H) / 2)
        item._press = QPointF(-1, -1)
        self.dropped(item)

    def _selection(self) -> None:
        sel = [i for i in self.scene_.selectedItems() if isinstance(i, BarItem)]
        if sel:
            self.selected.emit(sel[0].bar.op_id)

    def select(self, op_id: int) -> None:
        item = self.items.get(op_id)
        if item is not None:
            self.scene_.clearSelection()
            item.setSelected(True)
            self.ensureVisible(item)

    def show_day(self, day: int) -> None:
        self.horizontalScrollBar().setValue(int(self.x_of(day * 1440) - LABEL_W))


def tooltip(order: str, customer: str, op: str, machine: str, staff: str | None, start: dt.datetime,
            end: dt.datetime, due: dt.date, slack_minutes: int, late: bool, locked: bool, editable: bool = True) -> str:
    slack = f"{slack_minutes / 60:.1f} h" if abs(slack_minutes) < 2 * 1440 else f"{slack_minutes / 1440:.1f} days"
    return "\n".join([
        f"{order} — {customer}", op, f"{machine}" + (f", {staff}" if staff else ""),
        f"{start.astimezone(clock.zone()):%a %d %b %H:%M} – {end.astimezone(clock.zone()):%H:%M}",
        f"Promised {fmt.date(due)}; " + (f"LATE by {slack[1:] if slack.startswith('-') else slack}" if late
                                         else f"slack {slack}"),
        "Locked" if locked else ("Drag to move (it is then locked)" if editable else "Planned"),
    ])
