"""A dialog whose OK button saves through the action helper — shared by the shipping and service
tabs' dialogs (a tab never imports another tab's package)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPushButton, QWidget

from app.errors import UserError
from app.views.common.action import Actions
from app.views.common.messages import error_label


class SubmitDialog(QDialog):
    """A dialog whose OK (or Approve/Reject) button saves: ``attempt(fn)`` runs the service call
    through ``self.work``; success stores ``result_value`` and closes (accept), a known error
    keeps the dialog open with the problem in its error line. Its buttons are held while the call
    runs."""

    def __init__(self, parent: QWidget | None, title: str, name: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName(name)
        self.error = error_label()
        self.result_value: Any = None
        self.action_buttons: list[QPushButton] = []  # held while a call runs
        # a known error (bad input, not allowed, someone saved first) is said in the dialog's own
        # error line, the dialog staying open with what was typed; bugs get the crash dialog
        self.work = Actions(self, show_error=self._say)
        self.work.busy_changed.connect(self._hold)

    def _say(self, exc: UserError) -> None:
        self.error.setText(str(exc))
        self.error.show()

    def settled(self) -> bool:
        """No call of this dialog is pending (tests wait for it)."""
        return self.work.settled()

    def attempt(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` off the GUI thread: read what was typed before, never inside ``fn``."""
        if not self.work.settled():
            return  # one save at a time (the buttons are held anyway)
        self.work.run(fn, done=self._succeeded)

    def _succeeded(self, value: Any) -> None:
        self.result_value = value
        self.error.hide()
        self.accept()

    def reject(self) -> None:
        if self.work.settled():  # not while a save runs: its result would be lost on the tab
            super().reject()

    def _hold(self, busy: bool) -> None:
        for b in self.action_buttons:
            b.setEnabled(not busy)

    def buttons(self, ok_text: str, on_ok: Callable[[], Any]) -> QDialogButtonBox:
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = box.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(ok_text)
        self.action_buttons += [ok, box.button(QDialogButtonBox.StandardButton.Cancel)]
        box.accepted.connect(on_ok)
        box.rejected.connect(self.reject)
        return box
