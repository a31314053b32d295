"""Documents as HTML from plain data (Qt-free). Every value is escaped; the same HTML feeds
print preview, PDF and printer (app/printing/render.py)."""

from __future__ import annotations

import datetime as dt
import functools
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from string import Template
from typing import Any, ParamSpec, TypeVar

from app import clock
from app import format as fmt
from app.errors import UserError
from app.models.base import money
from app.printing.html import STYLE, address_block, esc, page, table


@dataclass(frozen=True)
class Firm:
    name: str
    address: tuple[str, ...]
    phone: str = ""
    email: str = ""
    vat_number: str = ""
    company_number: str = ""
    bank: tuple[str, ...] = ()
    logo: str = ""  # path of a PNG/JPEG printed in the letterhead when the file exists
    currency: str = "GBP"  # the firm setting: every amount on the document is in it (app.format's rule)
    locale: str = "en_GB"  # the firm setting: how its numbers and amounts are written


P = ParamSpec("P")
R = TypeVar("R")


def _in_firm_currency(fn: Callable[P, R]) -> Callable[P, R]:
    """A document maker whose amounts are in the currency of the ``Firm`` it is given, whatever
    this process's screens were last set to (``ordercycle print`` sets nothing)."""

    @functools.wraps(fn)
    def make(*args: P.args, **kwargs: P.kwargs) -> R:
        firm = next((a for a in (*args, *kwargs.values()) if isinstance(a, Firm)), None)
        if firm is None:
            return fn(*args, **kwargs)
        with fmt.using_currency(firm.currency, firm.locale):
            return fn(*args, **kwargs)

    return make


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
                company_number=str(values.get("company_number") or ""), bank=bank_lines,
                logo=str(values.get("logo_path") or "").strip(), currency=str(values.get("currency") or "GBP"),
                locale=str(values.get("locale") or "en_GB"))


def _letterhead(firm: Firm, title: str, number: str, rows: list[tuple[str, str]]) -> str:
    contact = " · ".join(x for x in (firm.phone, firm.email) if x)
    meta = "".join(f"<tr><td class='muted'>{esc(k)}</td><td><b>{esc(v)}</b></td></tr>" for k, v in rows)
    return (
        "<table width='100%'><tr>"
        f"<td valign='top'>{logo_html(firm.logo)}<h1>{esc(firm.name)}</h1>"
        f"<span class='muted'>{address_block(firm.address)}<br>{esc(contact)}</span></td>"
        f"<td valign='top' align='right'><h1>{esc(title)}</h1><b>{esc(number)}</b>"
        f"<table align='right' cellpadding='1'>{meta}</table></td>"
        "</tr></table>"
    )


def _footer(firm: Firm) -> str:
    parts = [x for x in (f"VAT {firm.vat_number}" if firm.vat_number else "",
                         f"Company no. {firm.company_number}" if firm.company_number else "") if x]
    bank = " · ".join(firm.bank)
    return f"<p class='muted' style='margin-top:18pt'>{esc(' · '.join(parts))}<br>{esc(bank)}</p>"


@_in_firm_currency
def order_html(order: Any, firm: Firm, *, kind: str, customer_address: tuple[str, ...] = (),
               printed_on: dt.date | None = None) -> str:
    """The quote or the order confirmation. ``order`` is an ``orders.OrderView``."""
    title = "Quotation" if kind == "quote" else "Order confirmation"
    printed_on = printed_on or clock.today()
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


@_in_firm_currency
def work_list_html(firm: Firm, person: str, day: dt.date, rows: list[tuple[str, str, str, str, str, str, str]],
                   *, printed_on: dt.date | None = None) -> str:
    """A person's work for one day, in time order: (from, to, machine, order, customer, product,
    operation). Signed off by hand on the shop floor."""
    body = [_letterhead(firm, "Work list", person, [("Day", f"{day:%A %d %B %Y}"),
                                                    ("Printed", fmt.date(printed_on or clock.today()))])]
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


# -- shipping and billing documents (issue 8) -------------------------------------------------------

LOGO_HEIGHT_PX = 56  # at QTextDocument's 96 dpi: about 15 mm


def resources_dir() -> Path:
    """The folder of files shipped with the program (templates…): ``resources/`` beside the ``app``
    package, or inside a PyInstaller bundle. The one place that knows where it is."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def logo_html(path: str) -> str:
    """The firm's logo as an <img> (QTextDocument loads file:/// URLs itself), or "" when no logo is
    set or the file is not there (a missing logo never stops a document from printing)."""
    if not path:
        return ""
    try:
        file = Path(path).expanduser().resolve()
        if not file.is_file():
            return ""
    except OSError:
        return ""
    return f"<img src='{esc(file.as_uri())}' height='{LOGO_HEIGHT_PX}'><br>"


def natural_location_key(location: str | None) -> tuple[Any, ...]:
    """Walking-route order of storage locations: numbers compare as numbers (A-3-2 before A-10-1),
    letters case-insensitively; lines without a location come last."""
    if not location or not location.strip():
        return (1, ())
    parts = re.findall(r"\d+|[^\W\d_]+", location)
    return (0, tuple((0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in parts), location)


def _meta_rows(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in rows if v]


@dataclass(frozen=True)
class PickItem:
    """One order line on a pick list."""
    location: str | None
    sku: str
    name: str
    order_number: str
    quantity: Decimal
    product_id: int | None = None


@dataclass(frozen=True)
class PickListDoc:
    number: str
    status: str
    created_by: str
    created_at: dt.datetime | None
    orders: tuple[str, ...]  # "SO-000712 Harlow Logistics"
    items: tuple[PickItem, ...]
    picked_by: str = ""
    picked_at: dt.datetime | None = None


def pick_rows(items: tuple[PickItem, ...] | list[PickItem]) -> list[tuple[str, str, str, Decimal, str]]:
    """(location, sku, name, total, per-order quantities) in walking-route order, one row per
    product: identical items of several orders are picked in one go."""
    groups: dict[object, list[PickItem]] = {}
    for it in items:
        groups.setdefault(it.product_id if it.product_id is not None else it.sku, []).append(it)
    rows = []
    for group in groups.values():
        location = next((g.location for g in group if g.location), None)
        per_order: dict[str, Decimal] = {}
        for g in group:
            per_order[g.order_number] = per_order.get(g.order_number, Decimal(0)) + g.quantity
        total = sum(per_order.values(), Decimal(0))
        split = ", ".join(f"{o}: {fmt.quantity(q)}" for o, q in sorted(per_order.items()))
        rows.append((location or "", group[0].sku, group[0].name, total, split))
    rows.sort(key=lambda r: (natural_location_key(r[0]), r[1]))
    return rows


@_in_firm_currency
def pick_list_html(doc: PickListDoc, firm: Firm, *, printed_on: dt.date | None = None) -> str:
    rows = _meta_rows([("Status", doc.status.replace("_", " ").capitalize()),
                       ("Created by", doc.created_by), ("Created", fmt.local_time(doc.created_at)),
                       ("Picked by", doc.picked_by), ("Picked", fmt.local_time(doc.picked_at)),
                       ("Printed", fmt.date(printed_on or clock.today()))])
    body = [_letterhead(firm, "Pick list", doc.number, rows)]
    label = "Order" if len(doc.orders) == 1 else f"Orders ({len(doc.orders)})"
    body.append(f"<h2>{esc(label)}</h2><p>{'<br>'.join(esc(o) for o in doc.orders) or '–'}</p>")
    lines = pick_rows(doc.items)
    if lines:
        body.append(table([("Location", False), ("Item", False), ("Description", False), ("Qty", True),
                           ("Per order", False), ("Picked", False)],
                          [(loc or "–", sku, name, fmt.quantity(total), split, "☐ ______")
                           for loc, sku, name, total, split in lines]))
        units = sum((r[3] for r in lines), Decimal(0))
        body.append(f"<p>{len(lines)} item(s), {esc(fmt.quantity(units))} unit(s) in walking-route order. "
                    "Write the quantity picked when it differs; a short pick becomes a backorder.</p>")
    else:
        body.append("<p>This pick list has no lines.</p>")
    body.append("<p>&nbsp;</p><p class='muted'>Picked by: ____________________ "
                "&nbsp;&nbsp; Checked by: ____________________</p>")
    return page(f"Pick list {doc.number}", "".join(body))


@dataclass(frozen=True)
class DeliveryLine:
    sku: str
    name: str
    shipped: Decimal
    ordered: Decimal
    to_come: Decimal


@dataclass(frozen=True)
class DeliveryNoteDoc:
    number: str
    order_number: str
    customer_name: str
    customer_code: str
    address: tuple[str, ...]
    customer_reference: str
    carrier: str
    tracking_number: str
    shipped_at: dt.datetime | None
    packages: tuple[tuple[Decimal, str], ...]  # (weight kg, dimensions)
    lines: tuple[DeliveryLine, ...]
    note: str = ""


@_in_firm_currency
def delivery_note_html(doc: DeliveryNoteDoc, firm: Firm, *, printed_on: dt.date | None = None) -> str:
    rows = _meta_rows([("Order", doc.order_number), ("Your reference", doc.customer_reference),
                       ("Shipped", fmt.local_time(doc.shipped_at) or "not yet shipped"),
                       ("Carrier", doc.carrier), ("Tracking no.", doc.tracking_number),
                       ("Printed", fmt.date(printed_on or clock.today()))])
    body = [_letterhead(firm, "Delivery note", doc.number, rows)]
    body.append(f"<h2>Deliver to</h2><p>{esc(doc.customer_name)} ({esc(doc.customer_code)})<br>"
                f"{address_block(doc.address)}</p>")
    body.append(table([("Item", False), ("Description", False), ("Shipped", True), ("Ordered", True),
                       ("Still to come", True)],
                      [(ln.sku, ln.name, fmt.quantity(ln.shipped), fmt.quantity(ln.ordered),
                        fmt.quantity(ln.to_come) if ln.to_come > 0 else "–") for ln in doc.lines]))
    if any(ln.to_come > 0 for ln in doc.lines):
        body.append("<p>This is a part delivery: the quantities still to come follow in a later shipment.</p>")
    if doc.packages:
        weight = sum((w for w, _d in doc.packages), Decimal(0))
        each = "<br>".join(f"{i}. {esc(fmt.quantity(w))} kg{' · ' + esc(d) if d else ''}"
                           for i, (w, d) in enumerate(doc.packages, 1))
        body.append(f"<h2>Packages</h2><p><b>{len(doc.packages)} package(s), {esc(fmt.quantity(weight))} kg in "
                    f"total</b><br>{each}</p>")
    if doc.note:
        body.append(f"<p>{esc(doc.note)}</p>")
    body.append("<p>&nbsp;</p><p class='muted'>Received in good condition — name: ________________ &nbsp; "
                "signature: ________________ &nbsp; date: __________</p>")
    body.append(_footer(firm))
    return page(f"Delivery note {doc.number}", "".join(body))


@dataclass(frozen=True)
class InvoiceLineDoc:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    net: Decimal


@dataclass(frozen=True)
class InvoiceDoc:
    number: int
    status: str
    issue_date: dt.date
    due_date: dt.date
    terms_days: int
    order_number: str
    customer_reference: str
    customer_name: str
    customer_code: str
    billing_address: tuple[str, ...]
    lines: tuple[InvoiceLineDoc, ...]
    net: Decimal
    tax: Decimal
    paid: Decimal
    credited: Decimal
    payments: tuple[tuple[dt.date, Decimal, str], ...] = ()  # (received on, amount, method)
    credit_notes: tuple[tuple[int, dt.date, Decimal], ...] = ()  # (number, date, gross)


#: what an invoice template may use; each value is ready-made, escaped HTML
INVOICE_PLACEHOLDERS: dict[str, str] = {
    "style": "the standard style sheet of OrderCycle's documents (put it inside <style>)",
    "title": "'Invoice 123'",
    "logo": "the logo from the settings as an image, or nothing",
    "firm_name": "the firm's name",
    "firm_block": "the firm's name, address, telephone and e-mail",
    "firm_address": "the firm's address, one line per line",
    "customer_name": "the customer's name",
    "customer_code": "the customer's account code",
    "customer_address": "the customer's billing address, one line per line (without the name)",
    "invoice_number": "the invoice number, e.g. 123",
    "issue_date": "the date of issue",
    "due_date": "the date payment is due",
    "terms": "the payment terms, e.g. '30 days net'",
    "order_number": "the order number, e.g. SO-000712",
    "customer_reference": "the customer's order reference (may be empty)",
    "details_table": "a small table: date, due date, terms, order, customer reference, account",
    "lines_table": "the invoice lines: description, quantity, unit price, VAT rate, net",
    "totals_table": "net, VAT per rate, total, paid so far, credited and the amount due",
    "payments_table": "the payments received so far (empty when none)",
    "net": "the net amount",
    "vat": "the VAT amount",
    "total": "the total including VAT",
    "paid": "paid so far",
    "credited": "credited so far (credit notes)",
    "amount_due": "what is still to pay",
    "status": "issued, partially paid, paid or credited",
    "bank_details": "the bank details from the settings, one per line",
    "vat_number": "the firm's VAT number",
    "company_number": "the firm's company number",
    "footer": "VAT number, company number and bank details in one small paragraph",
}


def builtin_invoice_template() -> Path:
    return resources_dir() / "templates" / "invoice.html"


def _rate(rate: Decimal) -> str:
    pct = (Decimal(rate) * 100).normalize()
    return f"{pct:f}%"


@_in_firm_currency
def invoice_values(doc: InvoiceDoc, firm: Firm) -> dict[str, str]:
    """The placeholders of an invoice template, each as escaped HTML."""
    gross = doc.net + doc.tax
    due = gross - doc.paid - doc.credited
    by_rate: dict[Decimal, Decimal] = {}
    for ln in doc.lines:
        by_rate[Decimal(ln.tax_rate)] = by_rate.get(Decimal(ln.tax_rate), Decimal(0)) + money(ln.net * ln.tax_rate)
    if len(by_rate) <= 1:  # the invoice row's VAT is the figure that counts
        by_rate = {next(iter(by_rate), Decimal(0)): doc.tax}
    lines_table = table([("Description", False), ("Qty", True), ("Unit price", True), ("VAT", True), ("Net", True)],
                        [(ln.description, fmt.quantity(ln.quantity), fmt.money(ln.unit_price), _rate(ln.tax_rate),
                          fmt.money(ln.net)) for ln in doc.lines])
    trows = [("Net", fmt.money(doc.net), False)]
    trows += [(f"VAT {_rate(rate)}", fmt.money(amount), False) for rate, amount in sorted(by_rate.items())]
    trows.append(("Total", fmt.money(gross), True))
    if doc.paid:
        trows.append(("Paid so far", f"−{fmt.money(doc.paid)}", False))
    if doc.credited:
        trows.append(("Credited", f"−{fmt.money(doc.credited)}", False))
    if due >= 0:
        trows.append(("Amount due", fmt.money(due), True))
    else:
        trows.append(("In your favour", fmt.money(-due), True))
    totals_table = ("<table class='totals' align='right' cellspacing='0' cellpadding='3'>" + "".join(
        f"<tr{' class=total' if bold else ''}><td>{'<b>' if bold else ''}{esc(k)}{'</b>' if bold else ''}</td>"
        f"<td align='right'>{'<b>' if bold else ''}{esc(v)}{'</b>' if bold else ''}</td></tr>"
        for k, v, bold in trows) + "</table>")
    payments_table = ""
    if doc.payments:
        payments_table = table([("Payment received", False), ("Method", False), ("Amount", True)],
                               [(fmt.date(d), m, fmt.money(a)) for d, a, m in doc.payments])
    terms = f"{doc.terms_days} days net" if doc.terms_days else "due on receipt"
    details = _meta_rows([("Date", fmt.date(doc.issue_date)), ("Due", fmt.date(doc.due_date)),
                          ("Terms", terms), ("Order", doc.order_number),
                          ("Your reference", doc.customer_reference), ("Account", doc.customer_code)])
    details_table = ("<table class='details' cellpadding='1'>" + "".join(
        f"<tr><td class='muted'>{esc(k)}</td><td><b>{esc(v)}</b></td></tr>" for k, v in details) + "</table>")
    contact = " · ".join(x for x in (firm.phone, firm.email) if x)
    firm_block = (f"<b>{esc(firm.name)}</b><br><span class='muted'>{address_block(firm.address)}"
                  f"{'<br>' + esc(contact) if contact else ''}</span>")
    return {
        "style": STYLE,
        "title": esc(f"Invoice {doc.number}"),
        "logo": logo_html(firm.logo),
        "firm_name": esc(firm.name),
        "firm_block": firm_block,
        "firm_address": address_block(firm.address),
        "customer_name": esc(doc.customer_name),
        "customer_code": esc(doc.customer_code),
        "customer_address": address_block(doc.billing_address),
        "invoice_number": esc(doc.number),
        "issue_date": esc(fmt.date(doc.issue_date)),
        "due_date": esc(fmt.date(doc.due_date)),
        "terms": esc(terms),
        "order_number": esc(doc.order_number),
        "customer_reference": esc(doc.customer_reference),
        "details_table": details_table,
        "lines_table": lines_table,
        "totals_table": totals_table,
        "payments_table": payments_table,
        "net": esc(fmt.money(doc.net)),
        "vat": esc(fmt.money(doc.tax)),
        "total": esc(fmt.money(gross)),
        "paid": esc(fmt.money(doc.paid)),
        "credited": esc(fmt.money(doc.credited)),
        "amount_due": esc(fmt.money(max(due, Decimal(0)))),
        "status": esc(doc.status.replace("_", " ")),
        "bank_details": address_block(firm.bank),
        "vat_number": esc(firm.vat_number),
        "company_number": esc(firm.company_number),
        "footer": _footer(firm),
    }


def render_template(path: Path, values: dict[str, str], *, what: str = "invoice") -> str:
    """Fill an HTML template's $placeholders (string.Template: $name or ${name}; $$ is a dollar
    sign). An unreadable file, a misplaced $ or an unknown placeholder is a UserError naming the
    file and the placeholder."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UserError(f"The {what} template {path} cannot be read ({reason}). Check the file, or clear the "
                        f"template setting to print the built-in layout.") from None
    template = Template(text)
    if not template.is_valid():
        bad = next((m for m in template.pattern.finditer(text) if m.group("invalid") is not None), None)
        where = f" near '{text[bad.start():bad.start() + 12].splitlines()[0]}'" if bad else ""
        line = text.count("\n", 0, bad.start()) + 1 if bad else 0
        raise UserError(f"The {what} template {path} has a '$' that is not a placeholder{where}"
                        f"{f' (line {line})' if line else ''}. Write $$ for a dollar sign, or a placeholder such "
                        f"as $invoice_number.")
    unknown = [n for n in template.get_identifiers() if n not in values]
    if unknown:
        names = ", ".join(f"${n}" for n in unknown)
        raise UserError(f"The {what} template {path} uses {'placeholders' if len(unknown) > 1 else 'the placeholder'} "
                        f"{names}, which OrderCycle does not know. Known placeholders: "
                        f"{', '.join('$' + k for k in values)}.")
    html = template.substitute(values)
    if "<html" not in html.lower():
        html = page(values.get("title", what), html)
    return html


@_in_firm_currency
def invoice_html(doc: InvoiceDoc, firm: Firm, *, template: str | Path | None = None) -> str:
    """The invoice, from the firm's template (``template``) or the built-in
    resources/templates/invoice.html: both are filled the same way."""
    path = Path(template).expanduser() if template else builtin_invoice_template()
    return render_template(path, invoice_values(doc, firm))


@dataclass(frozen=True)
class CreditNoteDoc:
    number: int
    issue_date: dt.date
    invoice_number: int
    invoice_date: dt.date | None
    order_number: str
    customer_reference: str
    customer_name: str
    customer_code: str
    billing_address: tuple[str, ...]
    reason: str
    net: Decimal
    tax: Decimal
    rma_number: str = ""
    return_lines: tuple[tuple[str, str, Decimal, str], ...] = ()  # (sku, name, qty, reason)


@_in_firm_currency
def credit_note_html(doc: CreditNoteDoc, firm: Firm) -> str:
    rows = _meta_rows([("Date", fmt.date(doc.issue_date)),
                       ("For invoice", f"Invoice {doc.invoice_number}"
                        + (f" of {fmt.date(doc.invoice_date)}" if doc.invoice_date else "")),
                       ("Order", doc.order_number), ("Your reference", doc.customer_reference),
                       ("Return", doc.rma_number), ("Account", doc.customer_code)])
    body = [_letterhead(firm, "Credit note", f"Credit note {doc.number}", rows)]
    body.append(f"<h2>For</h2><p>{esc(doc.customer_name)}<br>{address_block(doc.billing_address)}</p>")
    body.append(f"<h2>Reason</h2><p>{esc(doc.reason)}</p>")
    if doc.return_lines:
        body.append(f"<h2>Goods returned ({esc(doc.rma_number)})</h2>")
        body.append(table([("Item", False), ("Description", False), ("Qty", True), ("Reason", False)],
                          [(sku, name, fmt.quantity(q), why) for sku, name, q, why in doc.return_lines]))
    gross = doc.net + doc.tax
    body.append(
        "<table align='right' cellspacing='0' cellpadding='3' style='margin-top:6pt'>"
        f"<tr><td>Net</td><td align='right'>{esc(fmt.money(doc.net))}</td></tr>"
        f"<tr><td>VAT</td><td align='right'>{esc(fmt.money(doc.tax))}</td></tr>"
        f"<tr class='total'><td><b>Total credited</b></td><td align='right'><b>{esc(fmt.money(gross))}</b></td></tr>"
        "</table><br clear='all'>")
    body.append(f"<p>This credit note reduces invoice {esc(doc.invoice_number)} by {esc(fmt.money(gross))}. "
                "Where the invoice was already paid, the amount is refunded to you.</p>")
    body.append(_footer(firm))
    return page(f"Credit note {doc.number}", "".join(body))


@_in_firm_currency
def service_report_html(firm: Firm, job: Any, customer_address: tuple[str, ...], debrief: Any | None, *,
                        printed_on: dt.date | None = None) -> str:
    """The report the customer signs on site: the job, the work done, time and materials, and —
    once filed — what the debrief records that concerns the customer (not internal leads)."""
    when = (f"{job.start.astimezone(clock.zone()):%a %d %b %Y %H:%M}–{job.end.astimezone(clock.zone()):%H:%M}"
            if job.start and job.end else "not booked")
    rows = [("Job", f"{job.kind.capitalize()}"), ("Order", job.order_number or "—"),
            ("Technician", job.technician or "—"), ("Booked", when), ("Printed", fmt.date(printed_on or clock.today()))]
    body = [_letterhead(firm, "Service report", job.number, rows)]
    body.append(f"<h2>{esc(job.customer)}</h2><p>{address_block(customer_address)}</p>")
    body.append(f"<h2>Job</h2><p>{esc(job.description)}</p>")
    minutes = (debrief.minutes_on_site if debrief else 0) or job.minutes_spent
    facts = [("Time on site", f"{minutes // 60} h {minutes % 60:02d} min" if minutes else "—"),
             ("Materials used", job.materials_used or "—")]
    body.append("<table cellpadding='2'>" + "".join(f"<tr><td class='muted'>{esc(k)}</td><td>{esc(v)}</td></tr>"
                                                    for k, v in facts) + "</table>")
    if debrief is not None:
        body.append(f"<h2>Work done</h2><p>{esc(debrief.work_done)}</p>")
        fb = [f for f in debrief.feedback]
        if fb:
            body.append("<h2>Observations on the products</h2>")
            body.append(table([("Product", False), ("Note", False)], [(sku or "—", text) for sku, _tag, text in fb]))
    body.append("<table width='100%' style='margin-top:28pt'><tr>"
                "<td>Technician: ____________________</td><td>Customer: ____________________</td></tr>"
                "<tr><td class='muted'>signature</td><td class='muted'>name, signature, date</td></tr></table>")
    return page(f"Service report {job.number}", "".join(body))
