"""Merging two customer records that turn out to be the same firm (issue 20): everything of the
duplicate — orders, invoices, claims, service jobs, leads, notes, timeline, contacts — moves to the
customer that stays, in one unit of work, each moved record audited; the duplicate is archived with
a note saying where it went. Addresses the customer that stays lacks (a delivery address, a site)
move too; its own are kept.

Every table with a foreign key to ``customer.id`` is found from the schema, so a table added later
moves with the rest (a test holds that no reference is left behind)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from app import clock
from app.actor import Actor
from app.db.uow import Database, UnitOfWork
from app.errors import UserError
from app.models import Customer, TimelineEvent
from app.models.base import Base, utcnow
from app.models.enums import Stage
from app.services.customers import CustomerView, _view
from app.services.permissions import require


@dataclass(frozen=True)
class MergeResult:
    kept: CustomerView
    moved: dict[str, int]  # table → records moved

    def summary(self) -> str:
        parts = [f"{n} {table.replace('_', ' ')}{'s' if n != 1 else ''}"
                 for table, n in sorted(self.moved.items()) if n]
        return ", ".join(parts) if parts else "nothing"


def references() -> list[tuple[str, str]]:
    """(table, column) of every foreign key to ``customer.id``."""
    out = []
    for table in Base.metadata.sorted_tables:
        for col in table.columns:
            if any(fk.column.table.name == "customer" and fk.column.name == "id" for fk in col.foreign_keys):
                out.append((table.name, col.name))
    return out


def merge_customers(db: Database, actor: Actor, keep_id: int, keep_version: int, duplicate_id: int,
                    duplicate_version: int) -> MergeResult:
    """Move everything of ``duplicate_id`` to ``keep_id`` and archive the duplicate (see the module's
    text). Both versions are checked: a customer changed meanwhile on another desk → ConflictError."""
    require(actor, "customers.merge")
    if keep_id == duplicate_id:
        raise UserError("A customer cannot be merged into itself.", hint="Choose the other record of the same firm.")

    def run(uow: UnitOfWork) -> MergeResult:
        s = uow.session
        keep = uow.get(Customer, keep_id, expected_version=keep_version)
        dup = uow.get(Customer, duplicate_id, expected_version=duplicate_version)
        moved: dict[str, int] = {}
        now, audit = utcnow(), uow.pending_audit
        # addresses: the kinds the customer that stays lacks move over; contacts all move, and the one
        # that gets the invoices stays the kept customer's (if it has one)
        kinds = {a.kind for a in keep.addresses}
        for a in list(dup.addresses):
            if a.kind not in kinds:
                a.customer_id = keep.id
                kinds.add(a.kind)
                moved["address"] = moved.get("address", 0) + 1
        keeps_invoice_contact = any(k.for_invoices for k in keep.contacts)
        for k in list(dup.contacts):
            k.customer_id = keep.id
            if keeps_invoice_contact:
                k.for_invoices = False
            moved["customer_contact"] = moved.get("customer_contact", 0) + 1
        uow.flush()
        s.expire(keep, ["addresses", "contacts"])
        s.expire(dup, ["addresses", "contacts"])
        for table_name, column in references():
            if table_name in ("address", "customer_contact"):
                continue  # done above
            table = Base.metadata.tables[table_name]
            col = table.c[column]
            ids: list[int] = list(s.scalars(select(table.c.id).where(col == dup.id))) if "id" in table.c else []
            if not ids:
                continue
            s.execute(update(table).where(col == dup.id).values({column: keep.id}))
            moved[table_name] = len(ids)
            uow.touched.setdefault(table_name, set()).update(ids)  # all: invoices are on the audit chain
            audit.extend({"at": now, "username": actor.username, "workstation": actor.workstation,
                          "action": "merge", "entity": table_name, "entity_id": i, "field": column,
                          "old_value": str(dup.id), "new_value": str(keep.id)} for i in ids)
        dup.active = False
        note = f"Merged into {keep.code} ({keep.name}) on {clock.today():%d %b %Y} by {actor.display}."
        dup.notes = f"{dup.notes}\n{note}" if dup.notes else note
        result = MergeResult(_view(keep), moved)
        uow.add(TimelineEvent(customer_id=keep.id, order_id=None, stage=Stage.ORDERS, kind="customer_merged",
                              summary=f"{dup.code} ({dup.name}) merged into this customer: {result.summary()}",
                              user=actor.username, ref_table="customer", ref_id=dup.id))
        keep.updated_at = now  # the kept record's version moves: a form open on it reloads
        uow.flush()
        return MergeResult(_view(keep), moved)

    return db.write(actor, run)

