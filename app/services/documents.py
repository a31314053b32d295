"""Printable documents from the database: gathers plain data, hands it to app.printing.documents.

``kinds()`` lists what ``ordercycle print`` can print; each later stage adds its documents here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select

from app.db.uow import Actor, Database
from app.errors import UserError
from app.models import Address, SalesOrder, Setting, Staff
from app.models.enums import AddressKind
from app.printing.documents import Firm, firm_from_settings, order_html
from app.printing.documents import work_list_html as work_list_html_doc
from app.services import orders
from app.services.permissions import require


def firm(db: Database) -> Firm:
    with db.read() as s:
        values = {k: v for k, v in s.execute(select(Setting.key, Setting.value))}
    return firm_from_settings(values)


def customer_address(db: Database, customer_id: int) -> tuple[str, ...]:
    with db.read() as s:
        rows = s.execute(select(Address).where(Address.customer_id == customer_id)).scalars().all()
    pick = next((a for a in rows if a.kind == AddressKind.BILLING), rows[0] if rows else None)
    if pick is None:
        return ()
    return tuple(x for x in (pick.line1, pick.line2, f"{pick.postcode} {pick.city}", pick.country) if x)


def order_document_html(db: Database, actor: Actor, order_id: int, *, printed_on: dt.date | None = None,
                        kind: str | None = None) -> str:
    """The quote for a quote, the confirmation for an order."""
    require(actor, "orders.view")
    view = orders.get_order(db, actor, order_id)
    kind = kind or ("quote" if view.status in ("quote", "lost") else "confirmation")
    return order_html(view, firm(db), kind=kind, customer_address=customer_address(db, view.customer_id),
                      printed_on=printed_on)


def _order_by_number(db: Database, number: str) -> int:
    with db.read() as s:
        oid = s.execute(select(SalesOrder.id).where(SalesOrder.number == number.strip())).scalar()
    if oid is None:
        raise UserError(f"There is no quote or order numbered '{number}'.")
    return oid


def _quote(db: Database, actor: Actor, number: str) -> str:
    return order_document_html(db, actor, _order_by_number(db, number), kind="quote")


def _confirmation(db: Database, actor: Actor, number: str) -> str:
    oid = _order_by_number(db, number)
    view = orders.get_order(db, actor, oid)
    if view.status in ("quote", "lost", "cancelled"):
        raise UserError(f"{number} is not a confirmed order ({view.status}); print its quote instead.")
    return order_document_html(db, actor, oid, kind="confirmation")


def work_list_html(db: Database, actor: Actor, staff_id: int, day: dt.date) -> str:
    """A person's operations on ``day`` in the newest schedule, in time order (story 4)."""
    from app.services import scheduling

    require(actor, "schedule.view")
    with db.read() as s:
        person = s.get(Staff, staff_id)
        if person is None:
            raise UserError("This person is no longer on the staff list.")
        name = f"{person.name} ({person.code})"
    plan = scheduling.view(db, actor)
    if plan is None:
        raise UserError("There is no schedule yet: production plans it on the Schedule tab.")
    ops = scheduling.work_list(plan, day=day, staff_id=staff_id)
    rows = [(f"{o.start.astimezone():%H:%M}", f"{o.end.astimezone():%H:%M}", o.work_center, o.order_number,
             o.customer, o.sku, o.name + (" (locked)" if o.locked else "")) for o in ops]
    return work_list_html_doc(firm(db), name, day, rows)


def _work_list(db: Database, actor: Actor, ref: str) -> str:
    """``CODE@YYYY-MM-DD``: a staff member's work list for a day."""
    code, _, day = ref.partition("@")
    try:
        when = dt.date.fromisoformat(day.strip()) if day.strip() else dt.date.today()
    except ValueError:
        raise UserError(f"'{day}' is not a date; write the work list as CODE@YYYY-MM-DD, e.g. ST04@2026-11-27.")\
            from None
    with db.read() as s:
        sid = s.execute(select(Staff.id).where(Staff.code == code.strip().upper())).scalar()
    if sid is None:
        raise UserError(f"There is no staff member with the code '{code}'.")
    return work_list_html(db, actor, sid, when)


def kinds() -> dict[str, Callable[[Database, Actor, str], str]]:
    return {"quote": _quote, "confirmation": _confirmation, "work-list": _work_list}
