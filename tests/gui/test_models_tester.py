"""Every table model a tab shows passes Qt's model tester (qtmodeltester), on the demo company:
each tab built for a role that works in it, every item view inside it checked (issue 19: models
were checked three of eleven)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractItemView, QWidget

from app.desk import Desk
from app.config import WorkstationSettings
from app.db.uow import Database
from app.views.main_window import MainWindow
from app.views.tabs import HOME_TAB
from tests.gui.conftest import actor_for

ROLES = sorted(set(HOME_TAB) - {"admin"})


@pytest.mark.parametrize("role", ROLES)
def test_every_model_in_every_tab_passes_the_model_tester(qtmodeltester, qtbot, demo: Database, role: str) -> None:
    window = MainWindow(Desk(demo, actor_for(demo, role)), WorkstationSettings(), live=False)
    qtbot.addWidget(window)
    checked = 0
    seen: set[int] = set()
    for i in range(window.tabs.count()):
        tab = window.ensure_tab(window.tabs.tabText(i))
        assert tab is not None
        for w in tab.findChildren(QWidget):  # forms that compute off the GUI thread are done first
            if callable(getattr(w, "settled", None)):
                qtbot.waitUntil(w.settled, timeout=15000)
        for view in tab.findChildren(QAbstractItemView):
            model = view.model()
            if model is None or id(model) in seen:
                continue
            seen.add(id(model))
            qtmodeltester.check(model, force_py=True)
            checked += 1
    assert checked >= 5, f"only {checked} models found for {role}"
