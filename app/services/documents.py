"""Printable documents from the database: gathers plain data, hands it to app.printing.documents.

``kinds()`` lists what ``ordercycle print`` can print; each later stage adds its documents here."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.db.uow import Actor, Database
from app.errors import UserError
from app.models import (
    Address,
    CreditNote,
    Customer,
    Invoice,
    InvoiceLine,
    Package,
    Payment,
    PickList,
    PickListLine,
    Product,
    ReturnAuthorization,
    ReturnLine,
    SalesOrder,
    SalesOrderLine,
    ServiceJob,
    Setting,
    Shipment,
    ShipmentLine,
    Staff,
    User,
)
from app.models.enums import AddressKind
from app.printing import documents as docs
from app.printing.documents import Firm, firm_from_settings, order_html
from app.printing.documents import work_list_html as work_list_html_doc
from app.services import orders
from app.services.permissions import require
from app.services.settings import load_settings


def firm(db: Database) -> Firm:
    with db.read() as s:
        values: dict[str, Any] = {row.key: row.value for row in s.execute(select(Setting.key, Setting.value))}
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
    rows = [(f"{o.start.astimezone(clock.zone()):%H:%M}", f"{o.end.astimezone(clock.zone()):%H:%M}", o.work_center,
             o.order_number, o.customer, o.sku, o.name + (" (locked)" if o.locked else "")) for o in ops]
    return work_list_html_doc(firm(db), name, day, rows)


def _work_list(db: Database, actor: Actor, ref: str) -> str:
    """``CODE@YYYY-MM-DD``: a staff member's work list for a day."""
    code, _, day = ref.partition("@")
    try:
        when = dt.date.fromisoformat(day.strip()) if day.strip() else clock.today()
    except ValueError:
        raise UserError(f"'{day}' is not a date; write the work list as CODE@YYYY-MM-DD, e.g. ST04@2026-11-27.")\
            from None
    with db.read() as s:
        sid = s.execute(select(Staff.id).where(Staff.code == code.strip().upper())).scalar()
    if sid is None:
        raise UserError(f"There is no staff member with the code '{code}'.")
    return work_list_html(db, actor, sid, when)


# -- shipping and billing (issue 8) -----------------------------------------------------------------

def _address(s: Session, customer_id: int, *prefer: AddressKind) -> tuple[str, ...]:
    rows = s.execute(select(Address).where(Address.customer_id == customer_id).order_by(Address.id)).scalars().all()
    pick = next((a for kind in prefer for a in rows if a.kind == kind), rows[0] if rows else None)
    if pick is None:
        return ()
    return tuple(x for x in (pick.line1, pick.line2, f"{pick.postcode} {pick.city}".strip(), pick.country) if x)


def _full_name(s: Session, username: str | None) -> str:
    if not username:
        return ""
    name = s.execute(select(User.full_name).where(User.username == username)).scalar()
    return f"{name} ({username})" if name and name != username else username


def pick_list_html(db: Database, actor: Actor, pick_list_id: int, *, printed_on: dt.date | None = None) -> str:
    """The pick list: lines in walking-route order, identical items grouped with their per-order
    quantities, a box to tick per row."""
    require(actor, "shipping.view")
    with db.read() as s:
        pl = s.get(PickList, pick_list_id)
        if pl is None:
            raise UserError("This pick list no longer exists.")
        rows = s.execute(
            select(PickListLine.location, PickListLine.qty_to_pick, Product.id, Product.sku, Product.name,
                   Product.location, SalesOrder.number, Customer.name)
            .join(SalesOrderLine, SalesOrderLine.id == PickListLine.order_line_id)
            .join(Product, Product.id == SalesOrderLine.product_id)
            .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
            .join(Customer, Customer.id == SalesOrder.customer_id)
            .where(PickListLine.pick_list_id == pl.id)
            .order_by(PickListLine.id)).all()
        items = tuple(docs.PickItem(location=loc or ploc, sku=sku, name=name, order_number=number, quantity=qty,
                                    product_id=pid)
                      for loc, qty, pid, sku, name, ploc, number, _cust in rows)
        orders = tuple(dict.fromkeys(f"{number} {cust}" for *_x, number, cust in rows))
        doc = docs.PickListDoc(number=pl.number, status=pl.status.value, created_by=_full_name(s, pl.created_by),
                               created_at=pl.created_at, orders=tuple(sorted(orders)), items=items,
                               picked_by=_full_name(s, pl.picked_by), picked_at=pl.picked_at)
    return docs.pick_list_html(doc, firm(db), printed_on=printed_on)


def delivery_note_html(db: Database, actor: Actor, shipment_id: int, *, printed_on: dt.date | None = None) -> str:
    """The delivery note that travels with a shipment."""
    require(actor, "shipping.view")
    with db.read() as s:
        sh = s.get(Shipment, shipment_id)
        if sh is None:
            raise UserError("This shipment no longer exists.")
        order = s.get_one(SalesOrder, sh.order_id)
        customer = s.get_one(Customer, order.customer_id)
        lines = s.execute(
            select(ShipmentLine.quantity, SalesOrderLine.quantity, SalesOrderLine.qty_shipped, Product.sku,
                   Product.name)
            .join(SalesOrderLine, SalesOrderLine.id == ShipmentLine.order_line_id)
            .join(Product, Product.id == SalesOrderLine.product_id)
            .where(ShipmentLine.shipment_id == sh.id)
            .order_by(SalesOrderLine.line_no, ShipmentLine.id)).all()
        packages = s.execute(select(Package.weight_kg, Package.dimensions).where(Package.shipment_id == sh.id)
                             .order_by(Package.id)).all()
        doc = docs.DeliveryNoteDoc(
            number=sh.number, order_number=order.number, customer_name=customer.name, customer_code=customer.code,
            address=_address(s, customer.id, AddressKind.SHIPPING, AddressKind.BILLING),
            customer_reference=order.customer_reference or "", carrier=sh.carrier or "",
            tracking_number=sh.tracking_number or "", shipped_at=sh.shipped_at,
            packages=tuple((w, d or "") for w, d in packages),
            lines=tuple(docs.DeliveryLine(sku=sku, name=name, shipped=q, ordered=ordered,
                                          to_come=max(ordered - shipped_total, Decimal(0)))
                        for q, ordered, shipped_total, sku, name in lines),
            note=sh.note or "")
    return docs.delivery_note_html(doc, firm(db), printed_on=printed_on)


def invoice_html(db: Database, actor: Actor, invoice_id: int) -> str:
    """The invoice, through the firm's template (setting ``invoice_template``) or the built-in one."""
    require(actor, "billing.view")
    with db.read() as s:
        inv = s.get(Invoice, invoice_id)
        if inv is None:
            raise UserError("This invoice no longer exists.")
        order = s.get(SalesOrder, inv.order_id)
        customer = s.get_one(Customer, inv.customer_id)
        lines = s.execute(select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)
                          .order_by(InvoiceLine.id)).scalars().all()
        payments = s.execute(select(Payment.received_on, Payment.amount, Payment.method)
                             .where(Payment.invoice_id == inv.id).order_by(Payment.received_on, Payment.id)).all()
        credits = s.execute(select(CreditNote.number, CreditNote.issue_date, CreditNote.net + CreditNote.tax)
                            .where(CreditNote.invoice_id == inv.id).order_by(CreditNote.number)).all()
        doc = docs.InvoiceDoc(
            number=inv.number, status=inv.status.value, issue_date=inv.issue_date, due_date=inv.due_date,
            terms_days=customer.payment_terms_days,
            order_number=order.number if order else "", customer_reference=(order.customer_reference or "") if order
            else "", customer_name=customer.name, customer_code=customer.code,
            billing_address=_address(s, customer.id, AddressKind.BILLING),
            lines=tuple(docs.InvoiceLineDoc(description=ln.description, quantity=ln.quantity, unit_price=ln.unit_price,
                                            tax_rate=ln.tax_rate, net=ln.net) for ln in lines),
            net=inv.net, tax=inv.tax, paid=inv.paid,
            credited=sum((Decimal(g) for _n, _d, g in credits), Decimal(0)),
            payments=tuple((d, a, m) for d, a, m in payments),
            credit_notes=tuple((n, d, Decimal(g)) for n, d, g in credits))
        template = load_settings(s).invoice_template
    return docs.invoice_html(doc, firm(db), template=template or None)


def credit_note_html(db: Database, actor: Actor, credit_note_id: int) -> str:
    """The credit note: the invoice it credits, the reason, and the returned goods that led to it."""
    require(actor, "billing.view")
    with db.read() as s:
        cn = s.get(CreditNote, credit_note_id)
        if cn is None:
            raise UserError("This credit note no longer exists.")
        inv = s.get_one(Invoice, cn.invoice_id)
        order = s.get(SalesOrder, inv.order_id)
        customer = s.get_one(Customer, inv.customer_id)
        rma_number = ""
        returned: tuple[tuple[str, str, Decimal, str], ...] = ()
        if cn.rma_id is not None:
            rma_number = s.execute(select(ReturnAuthorization.number)
                                   .where(ReturnAuthorization.id == cn.rma_id)).scalar() or ""
            returned = tuple((sku, name, qty, why) for sku, name, qty, why in s.execute(
                select(Product.sku, Product.name, ReturnLine.quantity, ReturnLine.reason)
                .join(SalesOrderLine, SalesOrderLine.id == ReturnLine.order_line_id)
                .join(Product, Product.id == SalesOrderLine.product_id)
                .where(ReturnLine.rma_id == cn.rma_id).order_by(ReturnLine.id)).all())
        doc = docs.CreditNoteDoc(
            number=cn.number, issue_date=cn.issue_date, invoice_number=inv.number, invoice_date=inv.issue_date,
            order_number=order.number if order else "",
            customer_reference=(order.customer_reference or "") if order else "",
            customer_name=customer.name, customer_code=customer.code,
            billing_address=_address(s, customer.id, AddressKind.BILLING), reason=cn.reason, net=cn.net,
            tax=cn.tax, rma_number=rma_number, return_lines=returned)
    return docs.credit_note_html(doc, firm(db))


def _id_by_code(db: Database, cls: type[PickList] | type[Shipment] | type[ServiceJob], number: str, what: str,
                example: str) -> int:
    code = number.strip().upper()
    with db.read() as s:
        found = s.execute(select(cls.id).where(func.upper(cls.number) == code)).scalar()
        if found is None and code.isdigit():  # "3" for PL-000003
            prefix = example.split("-")[0] + "-"
            found = s.execute(select(cls.id).where(cls.number == f"{prefix}{int(code):06d}")).scalar()
    if found is None:
        raise UserError(f"There is no {what} numbered '{number}' (write it like {example}).")
    return found


def _id_by_integer(db: Database, cls: type[Invoice] | type[CreditNote], number: str, what: str) -> int:
    m = re.fullmatch(r"\s*(?:[A-Za-z][A-Za-z .-]*)?#?\s*(\d+)\s*", number)
    if m is None:
        raise UserError(f"'{number}' is not a valid {what} number; write the number, e.g. 123.")
    with db.read() as s:
        found = s.execute(select(cls.id).where(cls.number == int(m.group(1)))).scalar()
    if found is None:
        raise UserError(f"There is no {what} numbered {int(m.group(1))}.")
    return found


def _pick_list(db: Database, actor: Actor, number: str) -> str:
    require(actor, "shipping.view")
    return pick_list_html(db, actor, _id_by_code(db, PickList, number, "pick list", "PL-000003"))


def _delivery_note(db: Database, actor: Actor, number: str) -> str:
    require(actor, "shipping.view")
    return delivery_note_html(db, actor, _id_by_code(db, Shipment, number, "shipment", "SH-000012"))


def _invoice(db: Database, actor: Actor, number: str) -> str:
    require(actor, "billing.view")
    return invoice_html(db, actor, _id_by_integer(db, Invoice, number, "invoice"))


def _credit_note(db: Database, actor: Actor, number: str) -> str:
    require(actor, "billing.view")
    return credit_note_html(db, actor, _id_by_integer(db, CreditNote, number, "credit note"))


def service_report_html(db: Database, actor: Actor, job_id: int) -> str:
    """The service report for the customer to sign (story 7)."""
    from app.models import ServiceDebrief
    from app.services import service_jobs

    require(actor, "service.view")
    job = service_jobs.job(db, actor, job_id)
    with db.read() as s:
        did = s.execute(select(ServiceDebrief.id).where(ServiceDebrief.job_id == job_id)).scalar()
        site = _address(s, job.customer_id, AddressKind.SITE, AddressKind.SHIPPING, AddressKind.BILLING)
    debrief = service_jobs.debrief(db, actor, did) if did is not None else None
    return docs.service_report_html(firm(db), job, site, debrief)


def _service_report(db: Database, actor: Actor, number: str) -> str:
    return service_report_html(db, actor, _id_by_code(db, ServiceJob, number, "service job", "SJ-000004"))


def kinds() -> dict[str, Callable[[Database, Actor, str], str]]:
    return {"quote": _quote, "confirmation": _confirmation, "work-list": _work_list,
            "pick-list": _pick_list, "delivery-note": _delivery_note, "invoice": _invoice,
            "credit-note": _credit_note, "service-report": _service_report}
