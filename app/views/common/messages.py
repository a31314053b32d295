"""Two kinds of error: known ones get a plain message; bugs get one crash dialog with the log path."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError

log = logging.getLogger(__name__)


ERROR_COLOUR = "#b00020"


def error_label(name: str = "error") -> QLabel:
    """The one look for a form's problem text: red, wrapped, hidden until there is a problem."""
    label = QLabel()
    label.setObjectName(name)
    label.setStyleSheet(f"color: {ERROR_COLOUR}")
    label.setWordWrap(True)
    label.hide()
    return label


def show_user_error(parent: QWidget | None, exc: UserError) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, exc.title, exc.message, QMessageBox.StandardButton.Ok, parent)
    if exc.hint:
        box.setInformativeText(exc.hint)
    box.setObjectName("userErrorBox")
    box.exec()


class CrashDialog(QDialog):
    def __init__(self, text: str, log_path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setWindowTitle("OrderCycle — unexpected error")
        lay = QVBoxLayout(self)
        where = f"The details are in the log file:\n{log_path}" if log_path else "The details are below."
        lay.addWidget(QLabel("Something went wrong inside OrderCycle. What you saved before is safe.\n"
                             f"{where}\nPlease send it to your administrator."))
        details = QPlainTextEdit(text)
        details.setReadOnly(True)
        lay.addWidget(details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(640, 360)


def install_excepthook(log_path: Path | None) -> None:
    """Known errors that escape a slot get the plain message; anything else the crash dialog."""

    def parent() -> QWidget | None:
        window = QApplication.activeWindow()
        return window if window is not None and window.isVisible() else None

    def hook(etype: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if isinstance(value, UserError):
            show_user_error(parent(), value)
            return
        text = "".join(traceback.format_exception(etype, value, tb))
        log.error("unhandled exception\n%s", text)
        if QApplication.instance() is not None:
            CrashDialog(text, log_path, parent()).exec()
        else:
            sys.__excepthook__(etype, value, tb)

    sys.excepthook = hook
