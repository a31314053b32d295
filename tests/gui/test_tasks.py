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
