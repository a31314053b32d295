"""Python's cyclic garbage collector runs on the GUI thread only.

A collection runs in whichever thread happens to allocate past the collector's threshold. When
that is a worker thread and the garbage holds Qt objects (a closed dialog caught in a reference
cycle), their C++ destructors run on the worker, take Qt's locks and then wait for the GIL — while
the GUI thread, holding the GIL, waits for the same lock: the desk freezes for good. (Seen in the
test suite: the planning tab's baseline computation, importing pandas on a worker, collected an
earlier window's widgets and hung.) So the automatic collector is switched off and the GUI thread
collects on a timer instead — the young generation when it is due, every generation when that is
due — the usual remedy in PySide/PyQt applications. Bulk work pauses collection as before
(``app.gcpause``).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.collect)
        self.timer.start()

    @staticmethod
    def collect() -> None:
        """A collection on this (the GUI) thread of the generations that are due."""
        counts, limits = gc.get_count(), gc.get_threshold()
        if counts[0] <= limits[0]:
            return
        generation = 2 if counts[2] > limits[2] else 1 if counts[1] > limits[1] else 0
        gc.collect(generation)


def install(app: QObject) -> GuiThreadCollector:
    """Once per application: collection moves to the GUI thread (``app`` owns the collector)."""
    existing = app.findChild(GuiThreadCollector)
    return existing if existing is not None else GuiThreadCollector(app)
