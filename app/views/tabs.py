"""The stage tabs in cycle order. Each tab package adds itself here; the main window only iterates.

(title, permission needed to see it, factory(db, actor) -> QWidget)
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from app.db.uow import Actor, Database


def tab_registry() -> list[tuple[str, str, Callable[[Database, Actor], QWidget]]]:
    from app.views.orders.tab import TITLE as ORDERS, OrdersTab
    from app.views.overview.tab import TITLE as OVERVIEW, OverviewTab
    from app.views.planning.tab import TITLE as PLANNING, PlanningTab

    return [
        (OVERVIEW, "orders.view", OverviewTab),
        (PLANNING, "planning.view", PlanningTab),
        (ORDERS, "orders.view", OrdersTab),
    ]
