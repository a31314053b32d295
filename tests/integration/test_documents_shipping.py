"""Shipping and billing documents on the demo company (issue 8): pick list, delivery note, invoice
(built-in template, the firm's own template, logo) and credit note, each written to a real PDF
whose text is read back with pypdf; and ``ordercycle print`` for these kinds."""

from __future__ import annotations

import re
from decimal import Decimal as D
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app import format as fmt
from app.db.uow import Database
from app.errors import PermissionDenied, UserError
from app.models import (
    CreditNote,
    Customer,
    Invoice,
    InvoiceLine,
    Package,
    PickList,
    PickListLine,
    Product,
    ReturnAuthorization,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
)
from app.models.enums import PickListStatus
from tests.support import actor_for
from app.printing import documents as pdocs
from app.services import documents
from app.services.settings import set_setting

ROOT = Path(__file__).resolve().parents[2]




def _pdf(qapp, html: str, path: Path) -> PdfReader:
    from app.printing.render import to_pdf

    to_pdf(html, path)
    assert path.stat().st_size > 1000
    return PdfReader(str(path))


def _text(reader: PdfReader) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in reader.pages))


def _images(reader: PdfReader) -> int:
    count = 0
    for page in reader.pages:
        xobjects = page["/Resources"].get_object().get("/XObject")
        if xobjects is not None:
            count += sum(1 for ref in xobjects.get_object().values() if ref.get_object().get("/Subtype") == "/Image")
    return count


def _pos(text: str, word: str) -> int:
    m = re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)
    assert m is not None, f"{word!r} not in {text[:400]!r}…"
    return m.start()


# -- pick list -------------------------------------------------------------------------------------

def _batched_pick_list(db: Database) -> tuple[str, dict[str, str], tuple[str, str]]:
    """A pick list over two orders: product X on both (4 + 2) at A-10-1, product Y at A-3-2 and
    product Z without a location. Returns (number, {role: sku}, (order a, order b))."""
    with db.read() as s:
        # a product on two orders, and two lines of other products
        pid = s.execute(select(SalesOrderLine.product_id).group_by(SalesOrderLine.product_id)
                        .having(func.count(func.distinct(SalesOrderLine.order_id)) >= 2)
                        .order_by(SalesOrderLine.product_id)).scalars().first()
        x_lines = s.execute(select(SalesOrderLine.id, SalesOrder.number).join(SalesOrder)
                            .where(SalesOrderLine.product_id == pid, SalesOrder.number.like("SO-%"))
                            .order_by(SalesOrder.number.desc())
                            .limit(2)).all()
        others = s.execute(select(SalesOrderLine.id, SalesOrderLine.product_id).join(SalesOrder)
                           .where(SalesOrderLine.product_id != pid, SalesOrder.number.like("SO-%"))
                           .order_by(SalesOrderLine.id.desc())).all()
        y = others[0]
        z = next(o for o in others if o.product_id != y.product_id)
        skus = dict(s.execute(select(Product.id, Product.sku).where(Product.id.in_([pid, y.product_id, z.product_id]))
                              ).all())

    def run(uow):  # type: ignore[no-untyped-def]
        uow.session.get(Product, z.product_id).location = None
        pl = uow.add(PickList(number="PL-000900", status=PickListStatus.OPEN, created_by="shipping"))
        uow.flush()
        for line_id, loc, qty in ((x_lines[0].id, "A-10-1", 4), (z.id, None, 3), (y.id, "A-3-2", 1),
                                  (x_lines[1].id, "A-10-1", 2)):
            uow.add(PickListLine(pick_list_id=pl.id, order_line_id=line_id, location=loc, qty_to_pick=D(qty)))

    db.write(actor_for(db, "shipping"), run)
    return "PL-000900", {"x": skus[pid], "y": skus[y.product_id], "z": skus[z.product_id]}, \
        (x_lines[0].number, x_lines[1].number)


def test_natural_location_order() -> None:
    locs = ["A-10-1", None, "B-2-1", "a-3-2", "A-3-10", "", "A-03-3"]
    assert sorted(locs, key=pdocs.natural_location_key) == ["a-3-2", "A-03-3", "A-3-10", "A-10-1", "B-2-1", None, ""]


def test_pick_list_pdf_in_walking_route_order_with_grouped_items(qapp, demo_db, tmp_path) -> None:
    number, sku, (so_a, so_b) = _batched_pick_list(demo_db)
    html = documents.kinds()["pick-list"](demo_db, actor_for(demo_db, "shipping"), number)
    text = _text(_pdf(qapp, html, tmp_path / "pick.pdf"))
    assert "Pick list" in text and number in text and "Sean Doyle" in text and "Open" in text
    assert so_a in text and so_b in text  # the orders it covers
    # walking route: A-3-2, A-10-1, then the line without a location
    assert _pos(text, "A-3-2") < _pos(text, "A-10-1")
    assert _pos(text, sku["y"]) < _pos(text, sku["x"]) < _pos(text, sku["z"])
    # product X once, with its total and the per-order split
    assert len(re.findall(rf"(?<![\w-]){re.escape(sku['x'])}(?![\w-])", text)) == 1
    first, second = sorted([(so_a, 4), (so_b, 2)])
    assert f"{first[0]}: {first[1]}, {second[0]}: {second[1]}" in text
    row_x = text[_pos(text, sku["x"]):_pos(text, sku["z"])]
    assert " 6 " in row_x
    assert text.count("☐") == 3
    assert "3 item(s), 10 unit(s)" in text


# -- delivery note ---------------------------------------------------------------------------------

def test_delivery_note_pdf_with_packages_and_part_delivery(qapp, demo_db, tmp_path) -> None:
    with demo_db.read() as s:
        sh = s.execute(select(Shipment).join(Package).where(Shipment.tracking_number.is_not(None))
                       .join(ShipmentLine).where(ShipmentLine.quantity > 1).order_by(Shipment.id)).scalars().first()
        number, tracking, carrier, sid = sh.number, sh.tracking_number, sh.carrier, sh.id
        line = s.execute(select(ShipmentLine).where(ShipmentLine.shipment_id == sid, ShipmentLine.quantity > 1)
                         ).scalars().first()
        order_line = s.get(SalesOrderLine, line.order_line_id)
        ordered = order_line.quantity
        sku = s.get(Product, order_line.product_id).sku
        order = s.get(SalesOrder, sh.order_id)
        cust_name = s.get(Customer, order.customer_id).name

    def make_partial(uow):  # type: ignore[no-untyped-def]
        # one fewer unit went on this shipment: it still has to come; and a second package
        uow.session.get(ShipmentLine, line.id).quantity = line.quantity - 1
        ol = uow.session.get(SalesOrderLine, line.order_line_id)
        ol.qty_shipped = ol.quantity - 1
        uow.session.get(SalesOrder, order.id).customer_reference = "PO <7> & co"
        uow.add(Package(shipment_id=sid, weight_kg=D("12.5"), dimensions="600×400×300 box"))

    demo_db.write(actor_for(demo_db, "shipping"), make_partial)
    with demo_db.read() as s:
        weights = s.execute(select(Package.weight_kg).where(Package.shipment_id == sid)).scalars().all()
    html = documents.kinds()["delivery-note"](demo_db, actor_for(demo_db, "service"), number)
    assert "PO &lt;7&gt; &amp; co" in html and "<7>" not in html  # every value escaped
    text = _text(_pdf(qapp, html, tmp_path / "delivery.pdf"))
    assert "Delivery note" in text and number in text and order.number in text
    assert tracking in text and carrier in text and cust_name in text and "Goods In" in text  # delivery address
    row = text[_pos(text, sku):]
    assert re.match(rf"{re.escape(sku)} .*? {fmt.quantity(ordered - 1)} {fmt.quantity(ordered)} 1\b", row), row[:200]
    assert "part delivery" in text
    assert f"2 package(s), {fmt.quantity(sum(weights))} kg" in text and "600×400×300 box" in text


# -- invoice and credit note -----------------------------------------------------------------------

def _invoice_row(db: Database, number: int) -> tuple[Invoice, list[InvoiceLine]]:
    with db.read() as s:
        inv = s.execute(select(Invoice).where(Invoice.number == number)).scalar_one()
        lines = s.execute(select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)).scalars().all()
        return inv, lines


def test_invoice_pdf_totals_equal_the_invoice_row(qapp, demo_db, tmp_path) -> None:
    with demo_db.read() as s:
        number = s.execute(select(Invoice.number).where(Invoice.status == "partially_paid")).scalars().first()
    inv, lines = _invoice_row(demo_db, number)
    html = documents.kinds()["invoice"](demo_db, actor_for(demo_db, "finance"), str(number))
    text = _text(_pdf(qapp, html, tmp_path / "invoice.pdf"))
    assert f"Invoice {number}" in text
    assert f"Net {fmt.money(inv.net)}" in text
    assert f"VAT 20% {fmt.money(inv.tax)}" in text
    assert f"Total {fmt.money(inv.net + inv.tax)}" in text
    assert f"Paid so far −{fmt.money(inv.paid)}" in text
    assert f"Amount due {fmt.money(inv.net + inv.tax - inv.paid)}" in text
    for ln in lines:
        assert ln.description in text and fmt.money(ln.net) in text and fmt.money(ln.unit_price) in text
    assert fmt.date(inv.issue_date) in text and fmt.date(inv.due_date) in text and "days net" in text
    assert "Sort code: 40-12-76" in text and "GB 987 6543 21" in text and "09876543" in text


def test_credit_note_pdf_and_credited_invoice(qapp, demo_db, tmp_path) -> None:
    with demo_db.read() as s:
        cn = s.execute(select(CreditNote).where(CreditNote.rma_id.is_not(None)).order_by(CreditNote.number)
                       ).scalars().first()
        inv = s.get(Invoice, cn.invoice_id)
        rma = s.get(ReturnAuthorization, cn.rma_id)
        cn_number, inv_number, gross, rma_number = cn.number, inv.number, cn.net + cn.tax, rma.number
        net, tax = cn.net, cn.tax
    finance = actor_for(demo_db, "finance")
    text = _text(_pdf(qapp, documents.kinds()["credit-note"](demo_db, finance, str(cn_number)), tmp_path / "cn.pdf"))
    assert f"Credit note {cn_number}" in text and f"Invoice {inv_number}" in text and rma_number in text
    assert f"Net {fmt.money(net)}" in text and f"VAT {fmt.money(tax)}" in text
    assert f"Total credited {fmt.money(gross)}" in text
    assert "Wrong colour" in text  # the return line's reason
    # the credited invoice shows the credit
    text = _text(_pdf(qapp, documents.kinds()["invoice"](demo_db, finance, str(inv_number)), tmp_path / "inv.pdf"))
    assert f"Credited −{fmt.money(gross)}" in text


def test_shipping_cannot_print_invoices(demo_db) -> None:
    with pytest.raises(PermissionDenied):
        documents.kinds()["invoice"](demo_db, actor_for(demo_db, "shipping"), "1")
    with pytest.raises(PermissionDenied):
        documents.kinds()["credit-note"](demo_db, actor_for(demo_db, "production"), "1")
    with pytest.raises(UserError, match="no invoice numbered 99999"):
        documents.kinds()["invoice"](demo_db, actor_for(demo_db, "finance"), "99999")
    with pytest.raises(UserError, match="no pick list numbered 'PL-999999'"):
        documents.kinds()["pick-list"](demo_db, actor_for(demo_db, "shipping"), "PL-999999")


# -- template and logo ----------------------------------------------------------------------------

def _logo(path: Path) -> Path:
    from PySide6.QtGui import QColor, QImage

    img = QImage(120, 40, QImage.Format.Format_RGB32)
    img.fill(QColor("#1f5fa8"))
    assert img.save(str(path), "PNG")
    return path


def test_firm_template_and_logo(qapp, demo_db, tmp_path) -> None:
    boss = actor_for(demo_db, "management")
    template = tmp_path / "our-invoice.html"
    template.write_text("<html><head><style>$style</style></head><body>$logo<h1>RECHNUNG $invoice_number</h1>"
                        "<p>$firm_name · $customer_name · due $due_date · $$ prices in GBP</p>"
                        "$lines_table $totals_table <p>Zu zahlen: $amount_due</p></body></html>", encoding="utf-8")
    set_setting(demo_db, boss, "invoice_template", str(template))
    set_setting(demo_db, actor_for(demo_db, "admin"), "logo_path", str(_logo(tmp_path / "logo.png")))
    with demo_db.read() as s:
        number = s.execute(select(Invoice.number).order_by(Invoice.number)).scalars().first()
    inv, _lines = _invoice_row(demo_db, number)
    reader = _pdf(qapp, documents.kinds()["invoice"](demo_db, boss, str(number)), tmp_path / "invoice.pdf")
    text = _text(reader)
    assert f"RECHNUNG {number}" in text and "Northbeam Steelworks Ltd" in text and "$ prices in GBP" in text
    assert f"Total {fmt.money(inv.net + inv.tax)}" in text and "Zu zahlen" in text
    assert _images(reader) == 1
    # the letterhead of the other documents carries the logo too
    reader = _pdf(qapp, documents.kinds()["pick-list"](demo_db, boss, "PL-000003"), tmp_path / "pick.pdf")
    assert _images(reader) == 1
    # a logo file that went missing is left out, the document still prints
    (tmp_path / "logo.png").unlink()
    assert _images(_pdf(qapp, documents.kinds()["pick-list"](demo_db, boss, "PL-000003"), tmp_path / "p2.pdf")) == 0


def test_bad_templates_give_a_clear_message(demo_db, tmp_path) -> None:
    boss = actor_for(demo_db, "management")
    bad = tmp_path / "bad.html"
    bad.write_text("<p>Invoice $invoice_numbr for $customer_name</p>", encoding="utf-8")
    set_setting(demo_db, boss, "invoice_template", str(bad))
    with pytest.raises(UserError) as exc:
        documents.kinds()["invoice"](demo_db, boss, "1")
    assert "$invoice_numbr" in str(exc.value) and str(bad) in str(exc.value)
    assert "$customer_name" not in str(exc.value).split("Known")[0]
    bad.write_text("<p>Price: $ 5 for $invoice_number</p>", encoding="utf-8")
    with pytest.raises(UserError, match=r"not a placeholder.*line 1"):
        documents.kinds()["invoice"](demo_db, boss, "1")
    missing = tmp_path / "gone" / "invoice.html"
    set_setting(demo_db, boss, "invoice_template", str(missing))
    with pytest.raises(UserError, match="cannot be read") as exc:
        documents.kinds()["invoice"](demo_db, boss, "1")
    assert str(missing) in str(exc.value)


def test_builtin_template_is_the_resource_file_and_documented() -> None:
    path = pdocs.builtin_invoice_template()
    assert path == ROOT / "resources" / "templates" / "invoice.html" and path.is_file()
    from string import Template

    used = set(Template(path.read_text(encoding="utf-8")).get_identifiers())
    assert used <= set(pdocs.INVOICE_PLACEHOLDERS)
    guide = (ROOT / "docs" / "guide" / "admin.md").read_text(encoding="utf-8")
    assert [k for k in pdocs.INVOICE_PLACEHOLDERS if f"`${k}`" not in guide] == []


# -- ordercycle print ------------------------------------------------------------------------------

def test_ordercycle_print_shipping_and_billing_kinds(qapp, demo_db, tmp_path, capsys) -> None:
    from app.main import main

    with demo_db.read() as s:
        sh = s.execute(select(Shipment.number).order_by(Shipment.id.desc())).scalars().first()
        inv = s.execute(select(Invoice.number).order_by(Invoice.number.desc())).scalars().first()
    path = str(demo_db.location)
    for kind, number, expect in (("pick-list", "PL-000003", "Pick list"), ("delivery-note", sh, sh),
                                 ("invoice", str(inv), f"Invoice {inv}"), ("credit-note", "2", "Credit note 2")):
        pdf = tmp_path / f"{kind}.pdf"
        assert main(["print", "--db", path, kind, number, "--pdf", str(pdf)]) == 0
        assert expect in _text(PdfReader(str(pdf)))
    assert main(["print", "--db", path, "invoice", "123456", "--pdf", str(tmp_path / "x.pdf")]) == 1
    assert "no invoice numbered 123456" in capsys.readouterr().err
