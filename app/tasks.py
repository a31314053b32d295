"""The one place threads are made: run a plain function off the GUI thread, report progress,
support cancel, and deliver the result or the error back on the GUI thread.

The function takes a ``TaskState`` (``app.progress``, Qt-free, re-exported here): it calls
``state.progress(fraction, text)`` now and then and stops early when cancel was asked (the call
raises ``Cancelled``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from app.progress import Cancelled as Cancelled
from app.progress import TaskState as TaskState


class Task(QObject):
    progressed = Signal(float, str)
    succeeded = Signal(object)
    failed = Signal(object)  # the exception
    finished = Signal()

    def __init__(self, fn: Callable[[TaskState], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.done = False  # set on the GUI thread once the result or error was delivered
        self.state = TaskState(lambda f, t: self.progressed.emit(f, t))

    def cancel(self) -> None:
        self.state.cancel()


class _Runner(QRunnable):
    def __init__(self, task: Task) -> None:
        super().__init__()
        self.task = task
        self.setAutoDelete(True)

    def run(self) -> None:
        task = self.task
        try:
            try:
                result = task.fn(task.state)
            except BaseException as exc:  # delivered to the GUI thread, which decides what to show
                task.failed.emit(exc)
            else:
                task.succeeded.emit(result)
            finally:
                task.finished.emit()
        except RuntimeError:  # the task's QObject is gone (the application is ending): no one to tell
            pass


_running: set[Task] = set()


def finish_all(timeout_ms: int = 15000) -> bool:
    """At quit: ask every running task to stop (those that report progress stop at their next
    report) and wait for the thread pool to be idle, so no worker still runs — or emits to a task
    Qt is deleting — while the application is torn down. True when every task ended in time."""
    for task in list(_running):
        task.cancel()
    return QThreadPool.globalInstance().waitForDone(timeout_ms)


def run_task(fn: Callable[[TaskState], Any], *, on_success: Callable[[Any], None] | None = None,
             on_error: Callable[[BaseException], None] | None = None,
             on_progress: Callable[[float, str], None] | None = None) -> Task:
    """Start ``fn(state)`` on the thread pool; callbacks run on the GUI thread (queued signals)."""
    task = Task(fn)
    if on_success:
        task.succeeded.connect(on_success)
    if on_error:
        task.failed.connect(on_error)
    if on_progress:
        task.progressed.connect(on_progress)
    _running.add(task)

    def ended() -> None:
        _running.discard(task)
        task.done = True

    task.finished.connect(ended)
    QThreadPool.globalInstance().start(_Runner(task))
    return task
