"""Beside the order form: products in excess (worth a discount) and products on the shelf (fast
delivery), most relevant to this customer first; each says why it appears. Enter or a double
click adds it to the order with its discount."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from app import format as fmt
from app.services.hints import Hint


class HintsPanel(QWidget):
    add_requested = Signal(object)  # hints.Hint

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        title = QLabel("<b>Worth offering</b> — excess stock and what is on the shelf")
        title.setWordWrap(True)
        lay.addWidget(title)
        self.list = QListWidget()
        self.list.setObjectName("hintsList")
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.itemActivated.connect(self._activated)
        lay.addWidget(self.list)
        self.add_button = QPushButton("&Add to order")
        self.add_button.setObjectName("addHint")
        self.add_button.clicked.connect(lambda: self._activated(self.list.currentItem()))
        lay.addWidget(self.add_button)
        self.hints: list[Hint] = []
        self.setMinimumWidth(220)

    def set_hints(self, hints: list[Hint]) -> None:
        self.hints = list(hints)
        self.list.clear()
        for h in self.hints:
            tag = "EXCESS" if h.kind == "excess" else "ON THE SHELF"
            offer = f" · offer −{fmt.percent(h.suggested_discount, 0)}" if h.suggested_discount else ""
            item = QListWidgetItem(f"{tag}: {h.sku} {h.name}{offer}\n{h.reason}")
            item.setData(Qt.ItemDataRole.UserRole, h)
            item.setToolTip(h.reason)
            self.list.addItem(item)
        self.add_button.setEnabled(bool(self.hints))

    def _activated(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.add_requested.emit(item.data(Qt.ItemDataRole.UserRole))
