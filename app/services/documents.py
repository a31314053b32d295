"""Printable documents from the database: gathers plain data, hands it to app.printing.documents.

``kinds()`` lists what ``ordercycle print`` can print; each later stage adds its documents here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select

from app.db.uow import Actor, Database
from app.errors import UserError
from app.models import Address, SalesOrder, Setting
from app.models.enums import AddressKind
from app.printing.documents import Firm, firm_from_settings, order_html
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


def kinds() -> dict[str, Callable[[Database, Actor, str], str]]:
    return {"quote": _quote, "confirmation": _confirmation}
