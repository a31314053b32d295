"""Every firm setting acts (issue 20, item 3): each one changed through ``set_setting`` changes what
the program does — the currency on screen, in exports and on printed invoices; the VAT rate of
imported products; the planning board's gap threshold; the refund target; payment terms — and no
declared setting is left that nothing reads."""

from __future__ import annotations

import re
import threading
from decimal import Decimal as D
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from app import clock
from app import format as fmt
from app.errors import ValidationError
from app.exchange import api, importer
from app.exchange.writing import typed_text, write_table
from app.models import Customer, Invoice, Product, Setting
from app.services import billing, documents, planning
from app.services import settings as svc
from app.services.firm_calendar import get_calendar
from app.services.settings import set_setting
from tests.support import actor_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def pounds_again():
    """The currency and locale are the process's (a desk's): put them back for the tests that follow."""
    yield
    fmt.set_currency("GBP")
    fmt.set_locale("en_GB")


def _book(path: Path, rows: list[list]) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


# -- currency --------------------------------------------------------------------------------------

def test_the_currency_rule() -> None:
    assert fmt.money(D("1234.5")) == "£1,234.50" and fmt.money(-5) == "-£5.00"
    fmt.set_currency("EUR")
    assert fmt.money(D("1234.5")) == "€1,234.50" and fmt.money(D("-0.5")) == "-€0.50"
    assert fmt.money(12, symbol=False) == "12.00"
    assert fmt.excel_money_format() == '"€"#,##0.00'
    fmt.set_currency("chf")
    assert fmt.money(D("1234.5")) == "CHF 1,234.50" and fmt.money(-3) == "-CHF 3.00"
    fmt.set_currency("USD")
    assert fmt.money(1) == "$1.00"
    with fmt.using_currency("EUR"):
        assert fmt.money(1) == "€1.00" and fmt.excel_money_format() == '"€"#,##0.00'
        seen: list[str] = []
        other = threading.Thread(target=lambda: seen.append(fmt.money(1)))  # a screen meanwhile: the desk's
        other.start()
        other.join()
        assert seen == ["$1.00"]
    assert fmt.money(1) == "$1.00"
    # what is shown reads back, in any of them
    assert fmt.parse_money("$1,234.50") == D("1234.50") and fmt.parse_money("€ 12") == D("12")
    fmt.set_currency("CHF")
    assert fmt.parse_money("CHF 3.50") == D("3.50")
    for shown in ("€1,234.50", "-CHF 5.00", "£0.99"):
        assert typed_text(shown)[1] == "money"


def test_the_currency_setting_is_an_iso_code(demo_db) -> None:
    admin = actor_for(demo_db, "admin")
    for bad in ("£", "EURO", "E1R", ""):
        with pytest.raises(ValidationError, match="three-letter ISO currency code"):
            set_setting(demo_db, admin, "currency", bad)
    assert set_setting(demo_db, admin, "currency", " eur ").currency == "EUR"


def test_currency_eur_on_screen_in_exports_and_on_the_invoice(qapp, demo_db, tmp_path) -> None:
    admin, finance = actor_for(demo_db, "admin"), actor_for(demo_db, "finance")
    with demo_db.read() as s:
        inv = s.execute(select(Invoice).where(Invoice.status == "partially_paid")).scalars().first()
        assert inv is not None
        number, net = inv.number, inv.net
    set_setting(demo_db, admin, "currency", "EUR")
    # the printed invoice takes the firm's currency from the settings it is made from, even in a
    # process whose desk has not caught up (ordercycle print)
    assert fmt.money(1) == "£1.00"
    from app.printing.render import to_pdf

    html = documents.kinds()["invoice"](demo_db, finance, str(number))
    to_pdf(html, tmp_path / "invoice.pdf")
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in PdfReader(str(tmp_path / "invoice.pdf")).pages))
    assert f"Net €{net:,.2f}" in text and "Total €" in text
    assert "£" not in text
    assert fmt.money(1) == "£1.00", "printing leaves the desk's currency as it was"
    # the desk takes it when it opens the database (and the settings dialog's save)
    svc.use_firm_settings(demo_db)
    assert fmt.money(D("1234.5")) == "€1,234.50"
    # an export's money column is formatted in euros
    write_table(tmp_path / "out.xlsx", "Out", [("Invoice", "text"), ("Net", "money")], [(str(number), net)])
    ws = load_workbook(tmp_path / "out.xlsx").active
    assert ws is not None
    assert "€" in ws.cell(2, 2).number_format and "£" not in ws.cell(2, 2).number_format
    assert ws.cell(2, 2).value == float(net)
    # an export of a kind (the tabs' and ``ordercycle export``'s) takes the saved currency even where
    # the process has not (a command sets none)
    fmt.set_currency("GBP")
    api.export_kind(demo_db, finance, "invoices", tmp_path / "invoices.xlsx")
    ws = load_workbook(tmp_path / "invoices.xlsx").active
    assert ws is not None
    money = [c.number_format for c in ws[2] if "0.00" in c.number_format]
    assert money and all(f == '"€"#,##0.00' for f in money)


# -- locale ---------------------------------------------------------------------------------------
def test_locale_de_on_screen_on_the_invoice_in_exports_and_in_what_finance_types(qapp, demo_db, tmp_path) -> None:
    admin, finance = actor_for(demo_db, "admin"), actor_for(demo_db, "finance")
    with pytest.raises(ValidationError, match="not a locale"):
        set_setting(demo_db, admin, "locale", "klingon_QQ")
    svc.set_settings(demo_db, admin, {"currency": "EUR", "locale": "de-DE"})
    assert svc.get_settings(demo_db).locale == "de_DE"
    with demo_db.read() as s:
        inv = s.execute(select(Invoice).where(Invoice.status == "issued").order_by(Invoice.net.desc())).scalars() \
            .first()
        assert inv is not None and inv.net + inv.tax >= 1000
        number, gross = inv.number, inv.net + inv.tax
    from app.printing.render import to_pdf

    html = documents.kinds()["invoice"](demo_db, finance, str(number))  # a process whose desk is British
    to_pdf(html, tmp_path / "invoice.pdf")
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in PdfReader(str(tmp_path / "invoice.pdf")).pages))
    german = f"{gross:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".") + " €"
    assert german in text and "£" not in text
    svc.use_firm_settings(demo_db)  # the desk follows
    assert fmt.money(D("1234.5")) == "1.234,50 €"
    api.export_kind(demo_db, finance, "invoices", tmp_path / "invoices.xlsx")
    ws = load_workbook(tmp_path / "invoices.xlsx").active
    assert ws is not None
    assert {c.number_format for c in ws[2] if "0.00" in c.number_format} == {'#,##0.00 "€"'}
    # finance types a payment the German way: 1.000,00 is a thousand (it was read as 1.00000 before)
    paid = billing.record_payment(demo_db, finance, inv.id, "1.000,00 €")
    assert paid.paid == D("1000.00")


# -- default VAT rate ------------------------------------------------------------------------------

def test_default_tax_rate_for_imported_products_without_a_rate(demo_db, tmp_path) -> None:
    set_setting(demo_db, actor_for(demo_db, "admin"), "default_tax_rate", "0.19")
    rows = [["SKU", "Name", "Family", "List price", "VAT rate"],
            ["NEW-1", "New one", "SHU", 10, None],
            ["NEW-2", "New two", "SHU", 12, "7 %"]]
    manager = actor_for(demo_db, "management")  # new products with prices: management's import
    plan = importer.dry_run(demo_db, manager, "products", _book(tmp_path / "p.xlsx", rows))
    assert plan.ok, [str(p) for p in plan.problems]
    importer.run_import(demo_db, manager, plan)
    # a workbook without the column at all
    plan = importer.dry_run(demo_db, manager, "products",
                            _book(tmp_path / "q.xlsx", [["SKU", "Name", "Family", "List price"],
                                                        ["NEW-3", "New three", "SHU", 9]]))
    importer.run_import(demo_db, manager, plan)
    with demo_db.read() as s:
        rates = dict(s.execute(select(Product.sku, Product.tax_rate).where(Product.sku.like("NEW-%"))).all())
    assert rates == {"NEW-1": D("0.19"), "NEW-2": D("0.07"), "NEW-3": D("0.19")}


# -- payment terms ---------------------------------------------------------------------------------

def test_default_payment_terms_for_imported_customers(demo_db, tmp_path) -> None:
    set_setting(demo_db, actor_for(demo_db, "admin"), "default_payment_terms_days", 14)
    rows = [["Customer code", "Name"], ["NEWCO", "New Co Ltd"]]
    who = actor_for(demo_db, "management")
    plan = importer.dry_run(demo_db, who, "customers", _book(tmp_path / "c.xlsx", rows))
    assert plan.ok, [str(p) for p in plan.problems]
    importer.run_import(demo_db, who, plan)
    with demo_db.read() as s:
        assert s.execute(select(Customer.payment_terms_days).where(Customer.code == "NEWCO")).scalar_one() == 14


# -- planning gap threshold ------------------------------------------------------------------------

def test_planning_gap_threshold_decides_which_cells_are_flagged(demo_db) -> None:
    admin, sales = actor_for(demo_db, "admin"), actor_for(demo_db, "sales")

    def flagged() -> int:
        return sum(r.gaps for r in planning.board(demo_db, sales).rows)

    board = planning.board(demo_db, sales)
    assert board.gap_threshold == D("0.15")
    default = flagged()
    assert set_setting(demo_db, admin, "planning_gap_threshold", "0.01").planning_gap_threshold == D("0.01")
    assert planning.board(demo_db, sales).gap_threshold == D("0.01")
    assert flagged() > default
    set_setting(demo_db, admin, "planning_gap_threshold", 1)
    assert flagged() == 0
    with pytest.raises(ValidationError, match="fraction"):
        set_setting(demo_db, admin, "planning_gap_threshold", "15")


# -- refund target ---------------------------------------------------------------------------------

def test_refund_target_sets_the_refunds_due_date(demo_db) -> None:
    fin = actor_for(demo_db, "finance")
    set_setting(demo_db, actor_for(demo_db, "admin"), "refund_target_business_days", 7)
    row = billing.to_invoice(demo_db, fin)[0]
    inv = billing.invoice_order(demo_db, fin, row.order_id)
    billing.record_payment(demo_db, fin, inv.id, inv.gross)
    billing.credit_note(demo_db, fin, inv.id, "5.00", "goodwill")
    refund = next(r for r in billing.refunds(demo_db, fin) if r.invoice_number == inv.number)
    assert refund.due_by == get_calendar(demo_db).add_business_days(clock.local_date(refund.queued_at), 7)


# -- every setting is declared once and read somewhere ----------------------------------------------

def test_every_setting_has_a_kind_and_a_reader() -> None:
    assert set(svc.KINDS) == set(svc.SPECS)
    assert {f for f in svc.FirmSettings.__dataclass_fields__ if f != "versions"} == set(svc.SPECS)
    own = {ROOT / "app/services/settings.py", ROOT / "app/views/admin/settings.py"}
    sources = [p.read_text(encoding="utf-8") for p in (ROOT / "app").rglob("*.py")
               if p not in own and "demo" not in p.parts and "migrations" not in p.parts]
    through = {"tier_discounts": r"\.tier_discount\("}  # read through FirmSettings' own method (pricing)
    unread = [k for k in svc.SPECS
              if not any(re.search(through.get(k, rf"""(\.{k}\b|["']{k}["'])"""), text) for text in sources)]
    assert unread == [], "settings nobody reads: make them act or remove them"


def test_a_stored_setting_nobody_declares_any_more_is_ignored(demo_db) -> None:
    demo_db.write(actor_for(demo_db, "admin"), lambda uow: uow.add(Setting(key="retired_setting", value=5)))
    assert svc.get_settings(demo_db).currency == "GBP"


def test_the_admin_guide_lists_every_setting() -> None:
    guide = (ROOT / "docs/guide/admin.md").read_text(encoding="utf-8")
    assert [k for k in svc.SPECS if f"`{k}`" not in guide] == []
