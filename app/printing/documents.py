"""Documents as HTML from plain data (Qt-free). Every value is escaped; the same HTML feeds
print preview, PDF and printer (app/printing/render.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from app import format as fmt
from app.models.base import money
from app.printing.html import address_block, esc, page, table


@dataclass(frozen=True)
class Firm:
    name: str
    address: tuple[str, ...]
    phone: str = ""
    email: str = ""
    vat_number: str = ""
    company_number: str = ""
    bank: tuple[str, ...] = ()


def firm_from_settings(values: dict[str, Any]) -> Firm:
    addr = values.get("firm_address") or {}
    if isinstance(addr, dict):
        address = tuple(x for x in (addr.get("line1"), addr.get("line2"), " ".join(
            x for x in (addr.get("postcode"), addr.get("city")) if x)) if x)
    else:
        address = tuple(str(addr).splitlines())
    bank = values.get("bank_details") or {}
    bank_lines: tuple[str, ...] = ()
    if isinstance(bank, dict):
        bank_lines = tuple(f"{k.replace('_', ' ').capitalize()}: {v}" for k, v in bank.items() if v)
    return Firm(name=str(values.get("firm_name") or "OrderCycle"), address=address,
                phone=str(values.get("firm_phone") or ""), email=str(values.get("firm_email") or ""),
                vat_number=str(values.get("vat_number") or ""),
                company_number=str(values.get("company_number") or ""), bank=bank_lines)


def _letterhead(firm: Firm, title: str, number: str, rows: list[tuple[str, str]]) -> str:
    contact = " · ".join(x for x in (firm.phone, firm.email) if x)
    meta = "".join(f"<tr><td class='muted'>{esc(k)}</td><td><b>{esc(v)}</b></td></tr>" for k, v in rows)
    return (
        "<table width='100%'><tr>"
        f"<td valign='top'><h1>{esc(firm.name)}</h1><span class='muted'>{address_block(firm.address)}"
        f"<br>{esc(contact)}</span></td>"
        f"<td valign='top' align='right'><h1>{esc(title)}</h1><b>{esc(number)}</b>"
        f"<table align='right' cellpadding='1'>{meta}</table></td>"
        "</tr></table>"
    )


def _footer(firm: Firm) -> str:
    parts = [x for x in (f"VAT {firm.vat_number}" if firm.vat_number else "",
                         f"Company no. {firm.company_number}" if firm.company_number else "") if x]
    bank = " · ".join(firm.bank)
    return f"<p class='muted' style='margin-top:18pt'>{esc(' · '.join(parts))}<br>{esc(bank)}</p>"


def order_html(order: Any, firm: Firm, *, kind: str, customer_address: tuple[str, ...] = (),
               printed_on: dt.date | None = None) -> str:
    """The quote or the order confirmation. ``order`` is an ``orders.OrderView``."""
    title = "Quotation" if kind == "quote" else "Order confirmation"
    printed_on = printed_on or dt.date.today()
    rows = [("Date", fmt.date(printed_on)), ("Customer", f"{order.customer_name} ({order.customer_code})")]
    if order.customer_reference:
        rows.append(("Your reference", order.customer_reference))
    if order.promise_date:
        rows.append(("Delivery by" if kind != "quote" else "Can deliver by", fmt.date(order.promise_date)))
    head = _letterhead(firm, title, order.number, rows)
    to = f"<h2>For</h2><p>{esc(order.customer_name)}<br>{address_block(customer_address)}</p>"
    headers = [("#", True), ("Item", False), ("Description", False), ("Qty", True), ("Unit price", True),
               ("Discount", True), ("Net", True), ("Delivery", True)]
    body = []
    for ln in order.lines:
        body.append((ln.line_no, ln.sku, ln.name, fmt.quantity(ln.quantity), fmt.money(ln.unit_price),
                     fmt.percent(ln.discount, 0) if ln.discount else "", fmt.money(money(ln.quantity * ln.unit_price)),
                     fmt.date(ln.promise_date)))
    totals = (
        "<table align='right' style='margin-top:6pt'>"
        f"<tr><td>Net</td><td class='num'>{esc(fmt.money(order.totals.net))}</td></tr>"
        f"<tr><td>VAT</td><td class='num'>{esc(fmt.money(order.totals.tax))}</td></tr>"
        f"<tr class='total'><td><b>Total</b></td><td class='num'><b>{esc(fmt.money(order.totals.gross))}</b></td></tr>"
        "</table>"
    )
    closing = ("<p>This quotation is valid for 30 days. Prices exclude delivery unless stated.</p>"
               if kind == "quote" else
               "<p>Thank you for your order. We will confirm the dispatch date and send tracking details.</p>")
    return page(f"{title} {order.number}", head + to + table(headers, body) + totals +
                "<br clear='all'>" + closing + _footer(firm))


def work_list_html(firm: Firm, person: str, day: dt.date, rows: list[tuple[str, str, str, str, str, str, str]],
                   *, printed_on: dt.date | None = None) -> str:
    """A person's work for one day, in time order: (from, to, machine, order, customer, product,
    operation). Signed off by hand on the shop floor."""
    body = [_letterhead(firm, "Work list", person, [("Day", f"{day:%A %d %B %Y}"),
                                                    ("Printed", fmt.date(printed_on or dt.date.today()))])]
    if rows:
        body.append(table([("From", False), ("To", False), ("Machine", False), ("Order", False), ("Customer", False),
                           ("Product", False), ("Operation", False), ("Done", False)],
                          [(*r, "☐") for r in rows]))
        minutes = sum(_minutes(r[0], r[1]) for r in rows)
        body.append(f"<p>{len(rows)} operations, {minutes // 60} h {minutes % 60:02d} min planned.</p>")
    else:
        body.append("<p>Nothing is planned for this day.</p>")
    body.append("<p class='muted' style='margin-top:18pt'>Signature: ____________________</p>")
    return page(f"Work list {person} {day.isoformat()}", "".join(body))


def _minutes(start: str, end: str) -> int:
    h1, m1 = map(int, start.split(":"))
    h2, m2 = map(int, end.split(":"))
    return (h2 * 60 + m2) - (h1 * 60 + m1)
