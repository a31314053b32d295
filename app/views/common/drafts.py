"""Keep a form's unsaved input as a draft while the user types (debounced), drop it on save or
cancel. The form supplies ``values()``; restoring calls its ``set_values()``.

A data folder that cannot be written (read-only profile, full disk) never breaks the form: the
user is told once, in the main window's status bar, that their input is not being kept, and
saving the form itself still works."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMainWindow

from app.drafts import DraftStore

DEBOUNCE_MS = 400
log = logging.getLogger(__name__)


class DraftKeeper(QObject):
    def __init__(self, dialog: QObject, store: DraftStore, *, database: str, username: str, form: str,
                 record_id: int | None, title: Callable[[], str], values: Callable[[], dict[str, Any]]) -> None:
        super().__init__(dialog)
        self.store, self.values, self.title = store, values, title
        self.database, self.username, self.form, self.record_id = database, username, form, record_id
        self.key = DraftStore.make_key(database, username, form, record_id)
        self.problem: str | None = None  # why drafts cannot be kept, once that is known
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.save_now)
        if isinstance(dialog, QDialog):
            dialog.finished.connect(self.discard)  # a form that is not a dialog calls discard() itself

    def touch(self, *_args: object) -> None:
        self.timer.start()

    def save_now(self) -> None:
        try:
            self.store.save(database=self.database, username=self.username, form=self.form, record_id=self.record_id,
                            title=self.title(), values=self.values())
        except OSError as exc:
            self._cannot_keep(exc)
        else:
            self.problem = None

    def discard(self, *_args: object) -> None:
        self.timer.stop()
        try:
            self.store.discard(self.key)
        except OSError as exc:  # the draft stays behind and is offered once more at the next start
            log.warning("draft %s could not be removed: %s", self.key, exc)

    def _cannot_keep(self, exc: OSError) -> None:
        first = self.problem is None
        self.problem = (f"Your unsaved input is not being kept as a draft: {self.store.folder} cannot be written "
                        f"({exc.strerror or exc}). Save the form when you are done; ask your administrator "
                        "about the data folder.")
        if first:
            log.warning("%s", self.problem)
            for widget in QApplication.topLevelWidgets():
                if isinstance(widget, QMainWindow) and widget.isVisible():
                    widget.statusBar().showMessage(self.problem, 30000)
                    break
