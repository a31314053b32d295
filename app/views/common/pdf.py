"""Saving a printed document: the one place a screen asks where to save a PDF (or, when the user
cancels the question, shows the print preview instead) and writes it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget


def save_or_preview(parent: QWidget, html: str, target: Path | None, *, suggested: str, title: str,
                    caption: str = "Save as PDF") -> Path | None:
    """Write ``html`` as a PDF to ``target``; without one, ask (``suggested`` file name) and, if the
    user cancels, show the print preview. The path written, or None."""
    from app.printing.render import preview, to_pdf

    if target is None:
        name, _ = QFileDialog.getSaveFileName(parent, caption, suggested, "PDF (*.pdf)")
        if not name:
            preview(html, parent).exec()
            return None
        target = Path(name)
    return to_pdf(html, target, title=title)
