"""Mermaid ER diagram of the schema, generated from the models (``python -m app.models.diagram``)."""

from __future__ import annotations

from app.models import Base

GROUPS = {
    "Catalogue": ["product_family", "product", "material", "bom_line", "bom_component", "price_break", "promotion",
                  "stock_movement"],
    "Parties": ["customer", "address", "customer_contact"],
    "Planning": ["forecast", "demand_history"],
    "Sales": ["sales_order", "sales_order_line", "note", "timeline_event"],
    "Priorities": ["priority_profile", "priority_score", "expedite_quota", "expedite_request"],
    "Production": ["work_calendar", "calendar_hours", "calendar_exception", "work_center", "skill", "shift",
                   "staff", "staff_skill", "routing_operation", "schedule_version", "scheduled_operation"],
    "Fulfilment": ["pick_list", "pick_list_line", "shipment", "shipment_line", "package"],
    "Billing": ["number_sequence", "invoice", "invoice_line", "payment", "credit_note", "refund"],
    "Returns": ["return_authorization", "return_line"],
    "Service": ["service_job", "service_debrief", "product_feedback", "lead"],
    "System": ["app_user", "sign_in_event", "audit_log", "audit_chain", "change_counter", "change_feed", "setting",
               "desk_session", "edit_lease", "firm_closing_day"],
}


def mermaid(tables: list[str] | None = None) -> str:
    md = Base.metadata
    names = tables or sorted(md.tables)
    lines = ["erDiagram"]
    seen = set()
    for name in names:
        table = md.tables[name]
        for fk in sorted(table.foreign_keys, key=lambda f: f.parent.name):
            target = fk.column.table.name
            if target not in names:
                continue
            key = (target, name, fk.parent.name)
            if key in seen:
                continue
            seen.add(key)
            card = "|o--o{" if fk.parent.nullable else "||--o{"
            lines.append(f"    {target} {card} {name} : {fk.parent.name}")
    return "\n".join(lines)


def group_of(table: str) -> str:
    return next(g for g, ts in GROUPS.items() if table in ts)


if __name__ == "__main__":
    missing = set(Base.metadata.tables) - {t for ts in GROUPS.values() for t in ts}
    assert not missing, f"tables without a group: {missing}"
    print(mermaid())
