"""Live refresh and presence for one desk: poll the change counter (one tiny query, off the GUI
thread) and tell the tabs what other desks changed; keep this desk's presence alive."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from app.desk import Desk
from app.services import presence
from app.services.changes import Changes, changes_since
from app.tasks import TaskState, run_task

log = logging.getLogger(__name__)
POLL_MS = 1000  # other desks' changes show within ~1–2 s
HEARTBEAT_MS = int(presence.HEARTBEAT.total_seconds() * 1000)


class LiveUpdates(QObject):
    """One per signed-in desk. ``LiveUpdates.current`` is that desk's, so forms can take edit
    leases under its session."""

    current: LiveUpdates | None = None
    changed = Signal(object)  # Changes
    desks_changed = Signal(list)  # list[DeskInfo]
    unreachable = Signal(str)  # the share blinked: message for the status bar

    def __init__(self, desk: Desk, parent: QObject | None = None, *, start: bool = True) -> None:
        super().__init__(parent)
        db, actor = desk.db, desk.actor
        self.desk = desk
        self.db, self.actor = db, actor
        self.seq = db.change_seq()
        self.session_id: int | None = None
        self._polling = False
        self.desks: list[presence.DeskInfo] = []
        self.clock_warning: str | None = None
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(POLL_MS)
        self.poll_timer.timeout.connect(self.poll)
        self.beat_timer = QTimer(self)
        self.beat_timer.setInterval(HEARTBEAT_MS)
        self.beat_timer.timeout.connect(self.beat)
        if start:
            self.start()

    def start(self) -> None:
        self.seq = self.db.change_seq()
        self.session_id = presence.start_session(self.db, self.actor)
        LiveUpdates.current = self
        try:
            self.clock_warning = presence.check_clock(self.db)
        except Exception:  # the check is advisory; never let it stop the desk
            self.clock_warning = None
        self.desks = presence.active_desks(self.db)
        self.poll_timer.start()
        self.beat_timer.start()

    def stop(self) -> None:
        if LiveUpdates.current is self:
            LiveUpdates.current = None
        self.poll_timer.stop()
        self.beat_timer.stop()
        if self.session_id is not None:
            try:
                presence.end_session(self.db, self.session_id)
            except Exception:  # closing must not fail because the share is gone
                log.warning("could not end the desk session", exc_info=True)
            self.session_id = None

    def poll(self) -> None:
        if self._polling:
            return
        self._polling = True
        seq = self.seq
        self.poll_task = run_task(lambda _s: changes_since(self.db, seq), on_success=self._got,
                                  on_error=self._failed)

    def _got(self, changes: Changes) -> None:
        self._polling = False
        if changes.seq == self.seq and not changes.everything:
            return
        self.seq = changes.seq
        self.changed.emit(changes)

    def _failed(self, exc: BaseException) -> None:
        self._polling = False
        log.warning("change poll failed: %s", exc)
        self.unreachable.emit("The database cannot be reached right now; retrying…")

    def beat(self) -> None:
        sid = self.session_id
        if sid is None:
            return

        def work(_state: TaskState) -> list[presence.DeskInfo]:
            # our session row is gone (a restore): sign in again
            if not presence.heartbeat(self.db, sid, username=self.actor.username):
                self.session_id = presence.start_session(self.db, self.actor)
            return presence.active_desks(self.db)

        self.beat_task = run_task(work, on_success=self._desks, on_error=self._failed)

    def _desks(self, desks: list[presence.DeskInfo]) -> None:
        if desks != self.desks:
            self.desks = desks
            self.desks_changed.emit(desks)
