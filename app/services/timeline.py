"""The customer timeline: every department's part of a customer's business in time order —
orders, expedites, shipments, invoices, payments, returns and refunds, service jobs and debriefs,
leads and notes — the one place where the customer is never lost between departments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from app.db.uow import Actor, Database
from app.errors import UserError
from app.models import Customer, Note, SalesOrder, TimelineEvent
from app.services.permissions import require

STAGE_LABEL = {"planning": "Planning", "orders": "Sales", "priorities": "Priorities", "schedule": "Production",
               "shipping": "Shipping", "billing": "Finance", "returns": "Returns", "service": "Service",
               "admin": "Admin"}


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    stage: str
    department: str
    kind: str
    summary: str
    user: str
    order_number: str | None


@dataclass(frozen=True)
class CustomerTimeline:
    customer_id: int
    code: str
    name: str
    tier: str
    strategic: bool
    entries: list[Entry]  # oldest first

    def stages(self) -> set[str]:
        return {e.stage for e in self.entries}


def customer_timeline(db: Database, actor: Actor, customer_id: int, *, since: dt.date | None = None
                      ) -> CustomerTimeline:
    require(actor, "orders.view")
    with db.read() as s:
        cust = s.get(Customer, customer_id)
        if cust is None:
            raise UserError("This customer no longer exists.")
        numbers = dict(s.execute(select(SalesOrder.id, SalesOrder.number)
                                 .where(SalesOrder.customer_id == customer_id)).all())
        ev = select(TimelineEvent).where(TimelineEvent.customer_id == customer_id)
        notes = select(Note).where(Note.customer_id == customer_id)
        if since is not None:
            start = dt.datetime.combine(since, dt.time(), dt.timezone.utc)
            ev = ev.where(TimelineEvent.at >= start)
            notes = notes.where(Note.created_at >= start)
        entries = [Entry(e.at, e.stage.value, STAGE_LABEL.get(e.stage.value, e.stage.value), e.kind, e.summary, e.user,
                         numbers.get(e.order_id) if e.order_id else None) for e in s.scalars(ev)]
        entries += [Entry(n.created_at, n.stage.value, STAGE_LABEL.get(n.stage.value, n.stage.value), "note", n.text,
                          n.author, numbers.get(n.order_id) if n.order_id else None) for n in s.scalars(notes)]
        entries.sort(key=lambda e: e.at)
        return CustomerTimeline(cust.id, cust.code, cust.name, cust.tier.value, cust.strategic, entries)
