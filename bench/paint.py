"""Shared by the benchmarks' child processes: seconds from building a widget to its first paint."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget


def time_to_first_paint(build: Callable[[], QWidget], viewport: Callable[[QWidget], QWidget],
                        size: tuple[int, int]) -> tuple[QWidget, float]:
    """Build the widget, show it, and return it with the seconds until ``viewport(widget)`` paints."""
    painted: dict[str, float] = {}

    class Paint(QObject):
        def eventFilter(self, obj: QObject, ev: QEvent) -> bool:  # noqa: N802
            if ev.type() == QEvent.Type.Paint and "t" not in painted:
                painted["t"] = time.perf_counter()
            return False

    t0 = time.perf_counter()
    widget = build()
    watcher = Paint()
    viewport(widget).installEventFilter(watcher)
    widget.resize(*size)
    widget.show()
    while "t" not in painted:
        QApplication.processEvents()
    return widget, painted["t"] - t0
