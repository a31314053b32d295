"""Count stock… (issue 20): what is on the shelf, as counted, becomes the product's stock on hand.
The rule (a quantity ≥ 0, whole for pieces, the difference booked as a count) is
``services.stock``'s, the same the stock import follows; a refusal is said at its field and the
dialog stays open with what was typed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app import format as fmt
from app.desk import Desk
from app.errors import UserError, ValidationError
from app.services import stock
from app.services.products import ProductRow
from app.views.common.action import Actions
from app.views.common.master import INVALID_STYLE
from app.views.common.messages import error_label


class CountStockDialog(QDialog):
    """Count one product; ``result_count`` holds what was booked once saved."""

    def __init__(self, desk: Desk, row: ProductRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.actor, self.row = desk.db, desk.actor, row
        self.result_count: stock.CountResult | None = None
        self.setObjectName("countStockDialog")
        self.setWindowTitle(f"Count stock — {row.sku}")
        lay = QVBoxLayout(self)
        form = QFormLayout()
        form.addRow("Product", QLabel(f"{row.sku} — {row.name}"))
        form.addRow("On hand now", QLabel(f"{fmt.quantity(row.stock_on_hand)} {row.unit}"))
        self.counted = QLineEdit(fmt.quantity(row.stock_on_hand))
        self.counted.setObjectName("counted")
        self.counted.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.counted.selectAll()
        self.note = QLineEdit()
        self.note.setObjectName("note")
        self.note.setPlaceholderText("e.g. annual count, shelf A-03")
        self.note.setMaxLength(stock.REFERENCE_MAX)
        form.addRow(f"&Counted ({row.unit})", self.counted)
        form.addRow("&Note", self.note)
        lay.addLayout(form)
        self.error = error_label()
        lay.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.fields: dict[str, QWidget] = {"counted": self.counted, "note": self.note}
        self.work = Actions(self, fields=self.fields, show_error=self._show, inline=ValidationError)
        self.work.busy_changed.connect(lambda busy: self.buttons.setEnabled(not busy))

    def settled(self) -> bool:
        return self.work.settled()

    def save(self) -> None:
        if not self.work.settled():
            return
        self.error.hide()
        for w in self.fields.values():
            w.setStyleSheet("")
            w.setToolTip("")
        db, actor, row, counted, note = self.db, self.actor, self.row, self.counted.text(), self.note.text()
        self.work.run(lambda: stock.count_stock(db, actor, row.id, counted, note), done=self._saved)

    def _saved(self, result: stock.CountResult) -> None:
        self.result_count = result
        self.accept()

    def _show(self, exc: UserError) -> None:
        problems = exc.problems if isinstance(exc, ValidationError) else []
        self.error.setText("\n".join(p.reason for p in problems) if problems else str(exc))
        self.error.show()
        for p in problems:
            widget = self.fields.get(p.field or "")
            if widget is not None:
                widget.setToolTip(p.reason)
                widget.setStyleSheet(INVALID_STYLE)


def counted_text(result: stock.CountResult, unit: str) -> str:
    """What the products window says after a count."""
    change = result.difference
    said = (f"{result.sku} counted: {fmt.quantity(result.counted)} {unit} "
            + (f"({'+' if change > 0 else ''}{fmt.quantity(change)})" if change else "(no change)"))
    if result.short > 0:
        said += f"; open orders have {fmt.quantity(result.short)} {unit} more reserved than is on the shelf"
    return said
