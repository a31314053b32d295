"""Keep a form's unsaved input as a draft while the user types (debounced), drop it on save or
cancel. The form supplies ``values()``; restoring calls its ``set_values()``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QDialog

from app.drafts import DraftStore

DEBOUNCE_MS = 400


class DraftKeeper(QObject):
    def __init__(self, dialog: QObject, store: DraftStore, *, database: str, username: str, form: str,
                 record_id: int | None, title: Callable[[], str], values: Callable[[], dict[str, Any]]) -> None:
        super().__init__(dialog)
        self.store, self.values, self.title = store, values, title
        self.meta = {"database": database, "username": username, "form": form, "record_id": record_id}
        self.key = DraftStore.make_key(database, username, form, record_id)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.save_now)
        if isinstance(dialog, QDialog):
            dialog.finished.connect(self.discard)  # a form that is not a dialog calls discard() itself

    def touch(self, *_args: object) -> None:
        self.timer.start()

    def save_now(self) -> None:
        self.store.save(title=self.title(), values=self.values(), **self.meta)  # type: ignore[arg-type]

    def discard(self, *_args: object) -> None:
        self.timer.stop()
        self.store.discard(self.key)
