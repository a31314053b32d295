"""The one progress-and-cancel contract for long work, Qt-free: services, the Excel exchange, the
demo builder and the baselines take a ``TaskState`` (or None when nobody watches).

The work calls ``state.progress(fraction, text)`` now and then; when someone asked to cancel, that
call raises ``Cancelled``, so the work stops at its next report and its unit of work rolls back.
``app.tasks`` runs such work off the GUI thread and turns the reports into Qt signals; the command
line passes a state that prints, or none.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Cancelled(Exception):
    """The work stopped because someone cancelled it (nothing it was writing was saved)."""


class TaskState:
    def __init__(self, report: Callable[[float, str], None] | None = None) -> None:
        self._cancel = threading.Event()
        self._report = report

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def cancel_event(self) -> threading.Event:
        """The flag itself, for work that waits on it or hands it to another process's runner."""
        return self._cancel

    def cancel(self) -> None:
        self._cancel.set()

    def progress(self, fraction: float, text: str = "") -> None:
        """Report how far the work is (0–1); raises ``Cancelled`` once cancel was asked."""
        if self._cancel.is_set():
            raise Cancelled()
        if self._report is not None:
            self._report(max(0.0, min(1.0, fraction)), text)

    def report(self, fraction: float, text: str = "") -> None:
        """Report without checking for cancel (from a callback that must not raise)."""
        if self._report is not None:
            self._report(max(0.0, min(1.0, fraction)), text)
