"""The stage tabs in cycle order. Each tab package adds itself here; the main window only iterates.

(title, permission needed to see it, factory(desk) -> QWidget). A tab's module is imported
only when the tab is first shown, so start-up does not pay for every stage's widgets and services.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from app.desk import Desk

# title, permission, "module:class"
TABS: list[tuple[str, str, str]] = [
    ("Overview", "orders.view", "app.views.overview.tab:OverviewTab"),
    ("Planning board", "planning.view", "app.views.planning.tab:PlanningTab"),
    ("Order entry", "orders.view", "app.views.orders.tab:OrdersTab"),
    ("Priority queue", "priorities.view", "app.views.priorities.tab:PrioritiesTab"),
    ("Schedule", "schedule.view", "app.views.schedule.tab:ScheduleTab"),
    ("Shipping/returns", "shipping.view", "app.views.shipping.tab:ShippingTab"),
    ("Service", "service.view", "app.views.service.tab:ServiceTab"),
]


# Each role opens on the tab where its work is (story order: who does what first).
HOME_TAB: dict[str, str] = {
    "marketing": "Planning board",
    "sales": "Order entry",
    "production": "Schedule",
    "shipping": "Shipping/returns",
    "finance": "Shipping/returns",
    "service": "Service",
    "management": "Overview",
    "admin": "Overview",
}


def home_tab(role: str) -> str:
    return HOME_TAB.get(str(getattr(role, "value", role)), TABS[0][0])


def _lazy(target: str) -> Callable[[Desk], QWidget]:
    def build(desk: Desk) -> QWidget:
        module, cls = target.split(":")
        return getattr(importlib.import_module(module), cls)(desk)

    return build


def tab_registry() -> list[tuple[str, str, Callable[[Desk], QWidget]]]:
    return [(title, permission, _lazy(target)) for title, permission, target in TABS]
