"""The thread pool at quit: a window closed right after it opened may still have work running (the
order form pricing its first screen). ``finish_all`` (connected to ``aboutToQuit``) stops what can
stop and waits for the rest, so no worker reports to a task Qt is deleting — the desktop test saw
the application abort with "Signal source has been deleted … double free" on Ctrl+Q."""

from __future__ import annotations

import threading
import time

from app.tasks import Cancelled, finish_all, run_task


def test_finish_all_stops_what_reports_progress_and_waits_for_the_rest(qapp) -> None:
    ended: list[str] = []
    started = threading.Event()

    def long_job(state) -> None:  # noqa: ANN001 - reports progress: stops at the next report
        started.set()
        for i in range(500):
            time.sleep(0.01)
            state.progress(i / 500)
        ended.append("long job ran to the end")

    def short_job(_state) -> str:  # noqa: ANN001 - no progress: runs to its end
        time.sleep(0.3)
        ended.append("short job")
        return "done"

    cancelled: list[BaseException] = []
    long_task = run_task(long_job, on_error=cancelled.append)
    run_task(short_job)
    assert started.wait(5)
    assert finish_all(10_000)
    assert ended == ["short job"]  # the long one stopped at its next report; the short one finished
    qapp.processEvents()
    assert long_task.state.cancelled and len(cancelled) == 1 and isinstance(cancelled[0], Cancelled)


def test_a_widgets_job_is_cancelled_by_its_next_job_and_when_its_window_closes(qtbot) -> None:
    """``Actions.job``: one long job per widget — starting another cancels the running one, closing
    the window cancels it too; a cancelled job ends quietly through ``cancelled`` (no message)."""
    from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout

    from app.views.common.action import Actions

    dialog = QDialog()
    qtbot.addWidget(dialog)
    inner = QLabel("a panel inside the dialog", dialog)
    QVBoxLayout(dialog).addWidget(inner)
    dialog.show()
    work = Actions(inner)
    outcome: list[str] = []
    started = threading.Event()

    def slow(state) -> str:  # noqa: ANN001 - reports until cancelled
        started.set()
        for i in range(3000):
            time.sleep(0.005)
            state.progress(i / 3000)
        return "ran to the end"

    first = work.job(slow, label="first", done=outcome.append, cancelled=lambda: outcome.append("first cancelled"))
    assert started.wait(5)
    second = work.job(lambda _state: "second done", label="second", done=outcome.append,
                      cancelled=lambda: outcome.append("second cancelled"))
    qtbot.waitUntil(lambda: first.done and second.done, timeout=10000)
    assert sorted(outcome) == ["first cancelled", "second done"]
    assert not work.job_running()

    started.clear()
    third = work.job(slow, label="third", done=outcome.append, cancelled=lambda: outcome.append("third cancelled"))
    assert started.wait(5) and work.job_running()
    dialog.close()  # the window of the widget that runs it
    qtbot.waitUntil(lambda: third.done, timeout=10000)
    assert outcome[-1] == "third cancelled" and "ran to the end" not in outcome
