"""One path for every document: HTML -> QTextDocument -> print preview, PDF or printer."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QWidget


def make_document(html: str) -> QTextDocument:
    doc = QTextDocument()
    doc.setHtml(html)
    return doc


def _setup(printer: QPrinter) -> None:
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)


def _print(doc: QTextDocument, printer: QPrinter) -> None:
    # Lay the document out on the printable width at 96 dpi (how QTextDocument measures points);
    # print_() then scales it to the printer's resolution, so 9.5pt text prints as 9.5pt.
    rect = printer.pageRect(QPrinter.Unit.Inch)
    doc.setPageSize(QSizeF(rect.width() * 96, rect.height() * 96))
    doc.print_(printer)


def to_pdf(html: str, target: Path, *, title: str = "") -> Path:
    target = Path(target)
    # Qt says nothing when it cannot write the file (a folder that is gone, no permission): try first
    try:
        with open(target, "wb"):
            pass
    except OSError as exc:
        raise _unwritable(target, exc.strerror) from None
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    _setup(printer)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(target))
    if title:
        printer.setDocName(title)
        printer.setPdfVersion(QPrinter.PdfVersion.PdfVersion_1_6)
    _print(make_document(html), printer)
    if not target.exists() or target.stat().st_size == 0:
        raise _unwritable(target, None)
    return target


def _unwritable(target: Path, why: str | None) -> Exception:
    from app.errors import UserError

    return UserError(f"The PDF could not be written to {target}" + (f" ({why})." if why else "."),
                     hint="Check that the folder exists and that you may write there, or choose another.")


def to_printer(html: str, printer: QPrinter) -> None:
    _print(make_document(html), printer)


def preview(html: str, parent: QWidget | None = None) -> QPrintPreviewDialog:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    _setup(printer)
    dlg = QPrintPreviewDialog(printer, parent)
    dlg.paintRequested.connect(lambda p: to_printer(html, p))
    return dlg
