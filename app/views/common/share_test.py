"""File → Test this shared folder…: the share test on this desk, off the GUI thread, with progress,
cancel, and plain instructions while it waits for the second desk (``app.services.workstation``)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFrame, QLabel, QProgressBar, QPushButton,
                               QVBoxLayout, QWidget)

from app.services import workstation
from app.errors import UserError
from app.tasks import Cancelled, Task, run_task
from app.views.common.messages import ERROR_COLOUR

INTRO = (
    "<p>Several desks can share one database file only if the shared folder passes file locks between "
    "computers and shows each desk's saves to the others at once. Many NAS set-ups, cloud-sync folders and "
    "FUSE mounts do not, and there saves are lost without any error.</p>"
    "<p>The test runs on <b>two workstations at the same time</b>. It uses its own scratch files beside the "
    "database and never touches the firm's data. It takes under a minute once both desks have started.</p>"
)
WAITING = (
    "<b>Now go to a second workstation</b> and, within {seconds}:"
    "<ol><li>open OrderCycle there on the same database,</li>"
    "<li>choose <b>File → Test this shared folder…</b>,</li>"
    "<li>press <b>Start the test</b>.</li></ol>"
    "Both desks then run the test together; leave this window open."
)
SAFE_STYLE = "background: #e6f4ea; border: 1px solid #8fc79a; padding: 8px;"
UNSAFE_STYLE = "background: #fdecea; border: 1px solid #e8a39b; padding: 8px;"
PLAIN_STYLE = "background: #f3f3f3; border: 1px solid #cccccc; padding: 8px;"


def verdict_html(state: workstation.ShareState) -> str:
    v = state.verdict
    if state.status == "untested" or v is None:
        note = f"<br>{state.note}" if state.note else ""
        return f"<b>Not tested yet.</b>{note}"
    head = ("<b>Safe</b> for several desks." if v.safe else
            "<b>Unsafe</b>: only the first desk to open the database saves; the others open it read-only. "
            "Move the database to a safe share, or to PostgreSQL with <i>ordercycle db copy</i>.")
    rows = "".join(f"<li>{'✔' if c.passed else '✘'} {c.title}: {c.detail}</li>" for c in v.checks)
    timing = f" A save took {v.commit_ms:.1f} ms." if v.commit_ms is not None else ""
    return f"{head}<br>Tested {v.when} between {v.desks[0]} and {v.desks[1]}.{timing}<ul>{rows}</ul>"


class ShareTestDialog(QDialog):
    verdict_ready = Signal(object)  # workstation.Verdict

    def __init__(self, db_path: Path, parent: QWidget | None = None, *, timeout: float = workstation.DEFAULT_TIMEOUT,
                 desk_name: str | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shareTestDialog")
        self.setWindowTitle("Test this shared folder")
        self.db_path, self.timeout, self.desk_name = db_path, timeout, desk_name
        self.task: Task | None = None
        self.verdict: workstation.Verdict | None = None
        self._close_when_done = False
        lay = QVBoxLayout(self)
        intro = QLabel(INTRO + f"<p>Database: <b>{db_path}</b></p>")
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(intro)
        self.result_label = QLabel()
        self.result_label.setObjectName("shareVerdict")
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.result_label)
        self.instructions = QLabel()
        self.instructions.setObjectName("shareInstructions")
        self.instructions.setWordWrap(True)
        self.instructions.setTextFormat(Qt.TextFormat.RichText)
        self.instructions.setFrameShape(QFrame.Shape.StyledPanel)
        self.instructions.setStyleSheet("background: #fff8e1; border: 1px solid #e0c060; padding: 8px;")
        self.instructions.hide()
        lay.addWidget(self.instructions)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.hide()
        lay.addWidget(self.bar)
        self.status = QLabel()
        self.status.setObjectName("shareStatus")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self.error = QLabel()
        self.error.setObjectName("shareError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {ERROR_COLOUR}")
        self.error.hide()
        lay.addWidget(self.error)
        buttons = QDialogButtonBox()
        self.start_button = QPushButton("Start the test")
        self.start_button.setObjectName("startShareTest")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel the test")
        self.cancel_button.setObjectName("cancelShareTest")
        self.cancel_button.hide()
        self.close_button = QPushButton("Close")
        self.close_button.setObjectName("closeShareTest")
        buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.reject)
        lay.addWidget(buttons)
        self.setMinimumWidth(600)
        self._show_state(workstation.saved_share_state(db_path))
        self._fit()

    def _fit(self) -> None:
        """Grow to show everything as instructions and results appear (wrapped labels)."""
        lay = self.layout()
        assert lay is not None  # made in __init__
        lay.activate()
        width = max(self.width(), self.minimumWidth())
        height = lay.heightForWidth(width) if lay.hasHeightForWidth() else lay.sizeHint().height()
        if height > self.height() or width != self.width():
            self.resize(width, max(height, self.height()))

    def _show_state(self, state: workstation.ShareState | None) -> None:
        if state is None:
            self.result_label.setText("PostgreSQL: no share test is needed.")
            self.start_button.setEnabled(False)
            return
        self.result_label.setText(verdict_html(state))
        self.result_label.setStyleSheet(SAFE_STYLE if state.safe else UNSAFE_STYLE if state.unsafe else PLAIN_STYLE)
        self._fit()

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done

    def start(self) -> None:
        if self.running:
            return
        self.error.hide()
        self.start_button.hide()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.bar.setValue(0)
        self.bar.show()
        self.status.setText("Starting…")
        path, timeout, name = self.db_path, self.timeout, self.desk_name or ""  # "": the computer's name
        self.task = run_task(
            lambda state: workstation.run_share_test(path, timeout=timeout, progress=state.progress, name=name),
            on_success=self._done, on_error=self._failed, on_progress=self._progress)
        self.task.finished.connect(self._finished)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText("Stopping the test on both desks…")

    def _progress(self, fraction: float, text: str) -> None:
        self.bar.setValue(int(fraction * 100))
        if text.startswith("Waiting for the second desk"):
            left = text.split("(", 1)[1].split(" left", 1)[0] if "(" in text else f"{self.timeout:.0f} s"
            self.instructions.setText(WAITING.format(seconds=left.replace(" s", " seconds")))
            if self.instructions.isHidden():
                self.instructions.show()
                self._fit()
            self.status.setText(f"Waiting for the second desk ({left} left)…")
        else:
            self.instructions.hide()
            self.status.setText(text)

    def _done(self, verdict: workstation.Verdict) -> None:
        self.verdict = verdict
        self.status.setText("Done. The verdict is stored beside the database; every desk sees it.")
        self._show_state(workstation.ShareState("safe" if verdict.safe else "unsafe", verdict))
        self.verdict_ready.emit(verdict)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            self.status.setText("Cancelled. Nothing was decided; the other desk was told.")
            return
        if isinstance(exc, UserError):
            self.status.setText("")
            self.error.setText(exc.message + (f"\n{exc.hint}" if exc.hint else ""))
            self.error.show()
            self._fit()
            return
        raise exc

    def _finished(self) -> None:
        self.instructions.hide()
        self.bar.hide()
        self.cancel_button.hide()
        self.start_button.setText("Run the test again")
        self.start_button.show()
        if self._close_when_done:
            super().reject()

    def reject(self) -> None:
        """Closing while the test runs stops it on both desks first."""
        if self.running:
            self._close_when_done = True
            self.cancel()
            return
        super().reject()
