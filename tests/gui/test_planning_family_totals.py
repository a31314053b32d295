"""The planning board grouped by family: a family total's cells answer every role Qt asks for
(hovering a total showed nothing but raised: a total has no 'entered by' or sign-offs)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.db.uow import Database
from app.views.planning.board_model import KINDS
from tests.gui.test_planning import make_tab


def test_hovering_a_family_total_shows_its_tooltip(qtbot, demo: Database) -> None:
    tab = make_tab(qtbot, demo, "marketing")
    tab.grouped.setChecked(True)
    assert getattr(tab.model.product_row(0), "total", False)
    for kind in KINDS:  # every role of every line of the total answers (none raises)
        for role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.BackgroundRole,
                     Qt.ItemDataRole.FontRole, Qt.ItemDataRole.TextAlignmentRole):
            tab.model.data(tab.model.index(KINDS.index(kind), 2), role)
    for kind in ("marketing", "production", "consensus"):
        tip = tab.model.data(tab.model.index(KINDS.index(kind), 2), Qt.ItemDataRole.ToolTipRole)
        assert "family total" in tip, kind
