"""The one door from a screen to the services: ``Actions.run`` calls a service off the GUI thread and
brings the answer back to it, mapping every kind of failure the same way everywhere.

In the style of Anki's ``CollectionOp``: the widget says what to call and what to do with the
result; the helper does the rest —

* the call runs on the thread pool (``app.tasks``), the window keeps painting;
* one call at a time per widget: while it runs, ``busy`` is true (``busy_changed`` tells the
  widget, which disables its action buttons); a second ``run`` waits for the first (queued, in
  order);
* ``ValidationError`` → the message, and the first problem's field gets the focus (``fields``
  maps a service's field name to its input widget); a dialog or form that has its own error line
  says known errors there instead (``show_error``);
* ``ConflictError`` (someone saved first) → the ``conflict`` callback (the compare dialog), else
  the message;
* any other ``UserError`` → the message (``show_user_error``);
* anything else is a bug → the crash dialog (``sys.excepthook``), never swallowed;
* a write that succeeded makes the desk look for changes at once (``LiveUpdates.poll``), so the
  other panels and tabs refresh through the change feed rather than by hand.

Long work (``job``): ``fn(state)`` with a progress dialog and Cancel, the same mapping of failures,
``Cancelled`` ending quietly in the widget's own words; the widget's running job is cancelled when
it starts another job or is closed. ``TaskState`` (``app.progress``) is the one Qt-free
progress/cancel contract the services take.

A widget keeps its helper as ``self.work`` (not ``self.actions``: that name is ``QWidget.actions()``,
the widget's QActions, which an attribute would hide). Tests wait for ``settled()``
(``qtbot.waitUntil(form.work.settled)``).
"""

from __future__ import annotations

import logging
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QProgressDialog, QWidget

from app.errors import ConflictError, UserError, ValidationError
from app.progress import Cancelled, TaskState
from app.tasks import Task, run_task

log = logging.getLogger(__name__)


@dataclass
class _Call:
    call: Callable[[], Any]
    done: Callable[[Any], None] | None
    conflict: Callable[[ConflictError], None] | None
    failed: Callable[[BaseException], None] | None
    write: bool


class Actions(QObject):
    """A widget's service calls (see the module's text)."""

    busy_changed = Signal(bool)

    def __init__(self, widget: QWidget, *, fields: dict[str, QWidget] | None = None,
                 show_error: Callable[[UserError], None] | None = None,
                 inline: type[UserError] = UserError) -> None:
        """``show_error``: where a known error of kind ``inline`` is said instead of a message box
        over the widget (a dialog's or a form's own error line, a tab's message line); the focus
        still goes to the field named."""
        super().__init__(widget)
        self.widget = widget
        self.fields = dict(fields or {})
        self.show_error = show_error
        self.inline = inline
        self.task: Task | None = None
        self._queue: deque[_Call] = deque()
        self._finishing = False  # a result's callbacks are running (a run() there queues)
        self.error: BaseException | None = None  # the last failure (tests read it)
        self.long_task: Task | None = None  # the running ``job``
        self._window: QWidget | None = None  # the window whose closing cancels it

    # --- state ------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.task is not None

    def settled(self) -> bool:
        return self.task is None and not self._queue and not self._finishing

    # --- running ----------------------------------------------------------------------------
    def run(self, call: Callable[[], Any], *, done: Callable[[Any], None] | None = None,
            conflict: Callable[[ConflictError], None] | None = None,
            failed: Callable[[BaseException], None] | None = None, write: bool = True) -> None:
        """Call ``call()`` off the GUI thread; then ``done(result)`` on it, or the failure mapped
        as described above (``failed(exc)`` runs after the message, e.g. to reload). ``write``:
        the call saves something (the desk polls for changes when it succeeds)."""
        self._queue.append(_Call(call, done, conflict, failed, write))
        if self.task is None and not self._finishing:
            self.busy_changed.emit(True)
            self._next()

    def _next(self) -> None:
        if not self._queue:
            self.busy_changed.emit(False)
            return
        job = self._queue.popleft()
        if QGuiApplication.overrideCursor() is None:
            QGuiApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
        self.task = run_task(lambda _state: job.call(), on_success=lambda result: self._finish(job, result, None),
                             on_error=lambda exc: self._finish(job, None, exc))

    def _finish(self, job: _Call, result: Any, exc: BaseException | None) -> None:
        self.task = None
        self._finishing = True
        if QGuiApplication.overrideCursor() is not None:
            QGuiApplication.restoreOverrideCursor()
        self.error = exc
        try:
            if exc is None:
                if job.write:
                    self._poll()
                if job.done is not None:
                    job.done(result)
            else:
                self._queue.clear()  # what was queued behind a failure no longer stands
                self.report(exc, conflict=job.conflict)
                if job.failed is not None:
                    job.failed(exc)
        finally:
            self._finishing = False
            self._next()

    # --- long work -------------------------------------------------------------------------
    def job(self, fn: Callable[[TaskState], Any], *, label: str, name: str = "jobProgress",
            done: Callable[[Any], None] | None = None, cancelled: Callable[[], None] | None = None,
            failed: Callable[[BaseException], bool] | None = None, show_after_ms: int = 400) -> Task:
        """Run ``fn(state)`` off the GUI thread with a progress dialog (``label``, Cancel; object
        name ``name``; shown only if it takes longer than ``show_after_ms``). A job this widget is
        already running is cancelled first. ``done(result)``; ``cancelled()`` when it stopped on
        Cancel, on a newer job or on close (no message); any other failure goes to ``failed(exc)``
        first — True means it was dealt with — and otherwise is mapped as in ``run``."""
        self.cancel_job()
        window = self.widget.window()
        if window is not self._window:  # the widget's window closing (a dialog, the main window) cancels it
            window.installEventFilter(self)
            self._window = window
        dialog = QProgressDialog(label, "Cancel", 0, 100, self.widget)
        dialog.setObjectName(name)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(show_after_ms)

        def progressed(fraction: float, text: str) -> None:
            dialog.setValue(int(fraction * 100))
            if text:
                dialog.setLabelText(f"{label} {text}")

        def ended(result: Any, exc: BaseException | None) -> None:
            if self.long_task is task:
                self.long_task = None
            dialog.close()
            dialog.deleteLater()
            if exc is None:
                if done is not None:
                    done(result)
            elif isinstance(exc, Cancelled):
                if cancelled is not None:
                    cancelled()
            elif failed is None or not failed(exc):
                self.report(exc)

        task = run_task(fn, on_success=lambda result: ended(result, None), on_error=lambda exc: ended(None, exc),
                        on_progress=progressed)
        dialog.canceled.connect(task.cancel)
        self.long_task = task
        return task

    def cancel_job(self) -> None:
        """Ask the running ``job`` to stop (it ends at its next progress report)."""
        if self.long_task is not None and not self.long_task.done:
            self.long_task.cancel()

    def job_running(self) -> bool:
        return self.long_task is not None and not self.long_task.done

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self._window and event.type() == QEvent.Type.Close:
            self.cancel_job()
        return False

    # --- the one mapping of failures --------------------------------------------------------
    def report(self, exc: BaseException, *, conflict: Callable[[ConflictError], None] | None = None) -> None:
        from app.views.common.messages import show_user_error

        if isinstance(exc, ConflictError) and conflict is not None:
            conflict(exc)
            return
        if self.show_error is not None and isinstance(exc, self.inline):
            self.show_error(exc)
            self._focus(exc)
            return
        if isinstance(exc, ValidationError):
            show_user_error(self.widget, exc)
            self._focus(exc)
            return
        if isinstance(exc, UserError):
            show_user_error(self.widget, exc)
            return
        log.error("a service call failed", exc_info=(type(exc), exc, exc.__traceback__))
        sys.excepthook(type(exc), exc, exc.__traceback__)

    def _focus(self, exc: UserError) -> None:
        if isinstance(exc, ValidationError):
            target = next((self.fields[p.field] for p in exc.problems if p.field in self.fields), None)
            if target is not None:
                target.setFocus()

    # --- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _poll() -> None:
        from app.views.common.live import LiveUpdates

        live = LiveUpdates.current
        if live is not None:
            live.poll()
