"""The one conflict dialog every form uses: someone else saved the record while this desk was
editing it. Both versions side by side, field by field; per field keep mine or take theirs; or
reload theirs. What the user typed is never lost until they decide."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import ConflictError


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    show: Callable[[Any], str] = str


class ConflictDialog(QDialog):
    SAVE, RELOAD = 1, 2

    def __init__(self, error: ConflictError, fields: Sequence[FieldSpec], mine: dict[str, Any],
                 theirs: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflictDialog")
        self.setWindowTitle("Changed by someone else")
        self.fields, self.mine, self.theirs = list(fields), dict(mine), dict(theirs)
        self.choice = 0
        lay = QVBoxLayout(self)
        intro = QLabel(error.message + "\nChoose, field by field, which value to keep.")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        grid = QGridLayout()
        for col, title in enumerate(("Field", "Yours", "Theirs")):
            head = QLabel(f"<b>{title}</b>")
            grid.addWidget(head, 0, col)
        self.groups: dict[str, QButtonGroup] = {}
        row = 1
        for spec in self.fields:
            a, b = mine.get(spec.name), theirs.get(spec.name)
            grid.addWidget(QLabel(spec.label), row, 0)
            yours = QRadioButton(spec.show(a) if a is not None else "—")
            yours.setObjectName(f"mine_{spec.name}")
            other = QRadioButton(spec.show(b) if b is not None else "—")
            other.setObjectName(f"theirs_{spec.name}")
            group = QButtonGroup(self)
            group.addButton(yours, 0)
            group.addButton(other, 1)
            yours.setChecked(True)
            if a == b:
                yours.setEnabled(False)
                other.setEnabled(False)
            else:
                for w in (yours, other):
                    w.setStyleSheet("font-weight: bold")
            self.groups[spec.name] = group
            grid.addWidget(yours, row, 1)
            grid.addWidget(other, row, 2)
            row += 1
        lay.addLayout(grid)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("&Save my choices")
        self.save_button.setObjectName("saveChoices")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(lambda: self._finish(self.SAVE))
        self.reload_button = QPushButton("&Reload theirs (discard mine)")
        self.reload_button.setObjectName("reloadTheirs")
        self.reload_button.clicked.connect(lambda: self._finish(self.RELOAD))
        back = QPushButton("&Back to editing")
        back.clicked.connect(self.reject)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.reload_button)
        buttons.addStretch(1)
        buttons.addWidget(back)
        lay.addLayout(buttons)

    def take_theirs(self, name: str) -> None:
        self.groups[name].button(1).setChecked(True)

    def merged(self) -> dict[str, Any]:
        """Mine where the user kept mine, theirs where they took theirs."""
        out = dict(self.mine)
        for name, group in self.groups.items():
            if group.checkedId() == 1:
                out[name] = self.theirs.get(name)
        return out

    def _finish(self, choice: int) -> None:
        self.choice = choice
        self.accept()


def resolve_conflict(parent: QWidget | None, error: ConflictError, fields: Sequence[FieldSpec],
                     mine: dict[str, Any], load_theirs: Callable[[], tuple[dict[str, Any], int]],
                     *, dialog_hook: Callable[[ConflictDialog], None] | None = None
                     ) -> tuple[str, dict[str, Any], int]:
    """Show the dialog. Returns (decision, values, version): ("save", merged, their version) to
    save again on top of their version; ("reload", theirs, version); ("edit", mine, -1) to go back."""
    theirs, version = load_theirs()
    dlg = ConflictDialog(error, fields, mine, theirs, parent)
    if dialog_hook is not None:
        dialog_hook(dlg)
    if dlg.exec() != QDialog.DialogCode.Accepted:
        return "edit", mine, -1
    if dlg.choice == ConflictDialog.RELOAD:
        return "reload", theirs, version
    return "save", dlg.merged(), version


__all__ = ["ConflictDialog", "FieldSpec", "resolve_conflict"]
