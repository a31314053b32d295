"""The one permission matrix: which role may do which action. Enforced in the services
(``require``), not only by hiding buttons; docs/roles.md is generated from it."""

from __future__ import annotations

from app.errors import PermissionDenied
from app.models.enums import Role

ALL = frozenset(Role)
ROLES: tuple[str, ...] = tuple(r.value for r in Role)  # the role names, in order (for screens)
R = Role

# action -> (description, roles allowed)
MATRIX: dict[str, tuple[str, frozenset[Role]]] = {
    # planning board
    "planning.view": ("See the planning board, bias tracker and plans", ALL),
    "planning.edit_marketing": ("Enter marketing's forecast", frozenset({R.MARKETING})),
    "planning.edit_production": ("Enter production's forecast", frozenset({R.PRODUCTION})),
    "planning.consensus": ("Set the consensus and sign off for one's department",
                           frozenset({R.MARKETING, R.PRODUCTION})),
    "planning.settings": ("Set planning thresholds and horizons", frozenset({R.MANAGEMENT})),
    # order entry
    "orders.view": ("See quotes, orders, hints and promise dates", ALL),
    "orders.edit": ("Create and edit quotes and orders; confirm; cancel", frozenset({R.SALES})),
    "orders.approve_margin": ("Approve an order below the margin floor", frozenset({R.MANAGEMENT})),
    "orders.settings": ("Set the margin floor, excess-stock cover and discounts", frozenset({R.MANAGEMENT})),
    "notes.add": ("Add notes to orders and customers", ALL - {R.ADMIN}),
    # master data: the administrator sets a new firm up (wizard, first records) and may do everything here
    "customers.edit": ("Create and edit customers", frozenset({R.SALES, R.MANAGEMENT, R.ADMIN})),
    "customers.credit": ("Set a customer's credit limit and tier", frozenset({R.MANAGEMENT, R.ADMIN})),
    "customers.merge": ("Merge two records of the same customer (orders, invoices, history move over)",
                        frozenset({R.MANAGEMENT, R.ADMIN})),
    "products.edit": ("Create and edit products, stock levels, routings",
                      frozenset({R.PRODUCTION, R.MANAGEMENT, R.ADMIN})),
    "products.prices": ("Set a product's list price, quantity breaks and standard cost",
                        frozenset({R.MANAGEMENT, R.ADMIN})),
    "products.routing": ("Edit a product's bill of materials and routing", frozenset({R.PRODUCTION, R.ADMIN})),
    "production.master": ("Create and edit work centres, staff, skills, shifts and production calendars",
                          frozenset({R.PRODUCTION, R.MANAGEMENT, R.ADMIN})),
    # priority queue
    "priorities.view": ("See the priority queue and why each order is where it is", ALL),
    "priorities.profile": ("Edit strategy profiles and expedite quotas", frozenset({R.MANAGEMENT})),
    "priorities.hold": ("Put an order on hold or reject it (strategy, credit)",
                        frozenset({R.MANAGEMENT, R.FINANCE})),
    "expedite.request": ("Request an expedite", frozenset({R.MARKETING, R.SALES})),
    "expedite.decide": ("Accept or decline an expedite", frozenset({R.PRODUCTION})),
    "expedite.over_quota": ("Agree to an expedite beyond the quota", frozenset({R.MANAGEMENT})),
    # schedule
    "schedule.view": ("See the schedule and Gantt chart", ALL),
    "schedule.edit": ("Compute, move, lock and publish schedules", frozenset({R.PRODUCTION})),
    # shipping, billing, returns
    "shipping.view": ("See pick lists and shipments", ALL),
    "shipping.edit": ("Create pick lists, confirm picks, ship", frozenset({R.SHIPPING})),
    "billing.view": ("See invoices, payments and refunds",
                     frozenset({R.FINANCE, R.SALES, R.MANAGEMENT, R.ADMIN})),
    "billing.edit": ("Invoice, record payments, issue credit notes, pay refunds", frozenset({R.FINANCE})),
    "returns.view": ("See returns and claims", ALL),
    "returns.open": ("Open a claim (e.g. from a phone call)", frozenset({R.SALES, R.SERVICE, R.SHIPPING})),
    "returns.decide": ("Approve or reject a claim", frozenset({R.SALES, R.MANAGEMENT})),
    "returns.receive": ("Book pickups, receive and inspect returned goods", frozenset({R.SHIPPING})),
    # service
    "service.view": ("See service jobs, debriefs, feedback and leads", ALL),
    "service.edit": ("Plan service jobs and file debriefs", frozenset({R.SERVICE})),
    "leads.edit": ("Work leads from service debriefs", frozenset({R.SALES})),
    # administration
    "users.manage": ("Create users, set roles, reset passwords", frozenset({R.ADMIN})),
    "audit.view": ("Read and export the audit log", frozenset({R.ADMIN, R.MANAGEMENT})),
    "settings.edit": ("Edit firm-wide settings (name, address, bank details)",
                      frozenset({R.ADMIN, R.MANAGEMENT})),
    "calendar.edit": ("Set the firm's closing days (public holidays come from the firm's country)",
                      frozenset({R.ADMIN, R.MANAGEMENT})),
    "db.admin": ("Back up, restore, upgrade and check the database", frozenset({R.ADMIN})),
}


def allowed(role: str | Role, action: str) -> bool:
    try:
        return Role(role) in MATRIX[action][1]
    except KeyError:
        raise KeyError(f"unknown action {action!r}") from None
    except ValueError:
        return False


def require(actor: object, action: str) -> None:
    """Raise PermissionDenied unless the actor's role may perform ``action``."""
    role = getattr(actor, "role", None)
    if not isinstance(role, str) or not allowed(role, action):  # no role (not signed in): nothing allowed
        desc = MATRIX[action][0]
        who = sorted(r.value for r in MATRIX[action][1])
        raise PermissionDenied(
            f"Your role ({role}) may not do this: {desc.lower()}.",
            hint=f"Allowed roles: {', '.join(who)}.",
        )


def roles_markdown() -> str:
    """docs/roles.md's matrix, generated from MATRIX (a test keeps the doc current)."""
    roles = list(Role)
    head = "| action | what it allows | " + " | ".join(r.value for r in roles) + " |"
    sep = "|---|---|" + "|".join(":-:" for _ in roles) + "|"
    rows = [head, sep]
    for action, (desc, who) in MATRIX.items():
        rows.append(f"| `{action}` | {desc} | " + " | ".join("✔" if r in who else "" for r in roles) + " |")
    return "\n".join(rows) + "\n"
