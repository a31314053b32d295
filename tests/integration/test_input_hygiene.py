"""Input hygiene (issue 18, item 8): one rule for every door. Text reaching the database through the
services, the unit of work or the Excel import keeps its column's length and holds no control
characters (``app/db/hygiene.py``); e-mail addresses are checked; bidirectional controls cannot
reorder a printed document; a killed backup's ``.part`` is cleaned up by the next backup.
SQLite file and, when configured, PostgreSQL (the ``db`` fixture behind ``demo``)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from openpyxl import Workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from app.db import backup
from app.db.uow import SYSTEM
from app.errors import ValidationError
from app.exchange import importer
from app.models import Address, Customer, Note, Product, SalesOrder, SalesOrderLine, Setting, TimelineEvent
from app.services import orders
from app.services.orders import LineInput
from app.services.settings import get_settings, set_setting, set_settings

BIG = 2_000_000


def _reasons(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [p.reason for p in exc.value.problems]


def _count(db, model) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def _customer(db) -> Customer:
    with db.read() as s:
        return s.execute(select(Customer).where(Customer.active.is_(True)).order_by(Customer.id)).scalars().first()


def _an_order(db, actor) -> orders.OrderView:
    c = _customer(db)
    with db.read() as s:
        skus = s.execute(select(Product.sku).where(Product.active.is_(True)).order_by(Product.id).limit(2)
                         ).scalars().all()
    return orders.new_quote(db, actor, c.id, [LineInput(sku, 1) for sku in skus], customer_reference="PO-1")


# -- through the services ---------------------------------------------------------------------------

def test_a_two_megabyte_customer_note_is_refused_naming_the_field_and_nothing_is_written(demo) -> None:
    db, actor = demo
    c = _customer(db)
    notes = _count(db, Note)
    with pytest.raises(ValidationError) as exc:
        orders.add_note(db, actor("sales"), "x" * BIG, customer_id=c.id)
    assert _reasons(exc) == [f"note text: at most 20,000 characters ({BIG:,} typed)"]
    assert exc.value.problems[0].field == "text"
    assert _count(db, Note) == notes
    # a long note within the limit, on several lines with a tab, is fine
    item = orders.add_note(db, actor("sales"), "first line\n\tsecond line\r\n" + "y" * 19_000, customer_id=c.id)
    assert item.summary.startswith("first line\n\tsecond line") and _count(db, Note) == notes + 1


def test_a_nul_in_an_order_note_is_refused_with_its_position(demo) -> None:
    db, actor = demo
    order = _an_order(db, actor("sales"))
    notes = _count(db, Note)
    with pytest.raises(ValidationError) as exc:
        orders.add_note(db, actor("sales"), "call\x00me", order_id=order.id)
    assert _reasons(exc) == ["note text: contains a control character (U+0000) at position 5"]
    with pytest.raises(ValidationError) as exc:
        orders.add_note(db, actor("sales"), "bell \x07 and C1 \x9b", order_id=order.id)
    assert _reasons(exc) == ["note text: contains a control character (U+0007) at position 6"]
    assert _count(db, Note) == notes


def test_an_order_update_with_a_control_character_saves_nothing(demo) -> None:
    db, actor = demo
    sam = actor("sales")
    order = _an_order(db, sam)
    events = _count(db, TimelineEvent)
    lines = [LineInput(ln.product_id, ln.quantity + 1) for ln in order.lines]
    with pytest.raises(ValidationError) as exc:
        orders.update_order(db, sam, order.id, order.version, lines, customer_reference="PO\x1b[31m-2")
    assert _reasons(exc) == ["sales order customer reference: contains a control character (U+001B) at position 3"]
    assert exc.value.problems[0].field == "customer_reference"
    after = orders.get_order(db, sam, order.id)  # the lines were not changed either: one unit of work
    assert after.version == order.version and after.customer_reference == "PO-1"
    assert [ln.quantity for ln in after.lines] == [ln.quantity for ln in order.lines]
    assert _count(db, TimelineEvent) == events
    # a line break in a one-line field is named as such
    with pytest.raises(ValidationError) as exc:
        orders.update_order(db, sam, order.id, order.version, lines, customer_reference="PO\n2")
    assert _reasons(exc) == ["sales order customer reference: a line break at position 3: this field is a single line"]
    saved = orders.update_order(db, sam, order.id, order.version, lines, customer_reference="PO-2")
    assert saved.customer_reference == "PO-2" and saved.version == order.version + 1


def test_any_door_through_the_unit_of_work_gets_the_same_rule(demo) -> None:
    """A command or a script writing objects directly meets the same check (on PostgreSQL the
    over-long name would otherwise be a database error, on SQLite silently stored)."""
    db, _actor = demo
    c = _customer(db)

    def rename(uow):  # type: ignore[no-untyped-def]
        uow.get(Customer, c.id).name = "n" * BIG
        uow.get(Customer, c.id).phone = "0113\x00"

    with pytest.raises(ValidationError) as exc:
        db.write(SYSTEM, rename)
    assert sorted(_reasons(exc)) == ["customer name: at most 200 characters (2,000,000 typed)",
                                     "customer phone: contains a control character (U+0000) at position 5"]
    assert {p.field for p in exc.value.problems} == {"name", "phone"}

    def new_address(uow):  # type: ignore[no-untyped-def]
        uow.add(Address(customer_id=c.id, kind="shipping", line1="1 Road", postcode="LS1 4AB" * 3, city="Leeds"))

    with pytest.raises(ValidationError) as exc:
        db.write(SYSTEM, new_address)
    assert _reasons(exc) == ["address postcode: at most 16 characters (21 typed)"]
    with db.read() as s:
        assert s.get(Customer, c.id).name == c.name and s.get(Customer, c.id).version == c.version
    # an unchanged legacy value is not checked again when something else of the row changes
    db.write(SYSTEM, lambda uow: setattr(uow.get(Customer, c.id), "phone", "0113 496 0000"))


def test_customer_email_is_checked_at_the_field(demo) -> None:
    db, _actor = demo
    c = _customer(db)
    for bad, reason in (("sales at acme.example", "an e-mail address has no spaces"),
                        ("sales.acme.example", "an e-mail address needs an @ (name@example.com)"),
                        ("sales@@acme.example", "an e-mail address has a single @"),
                        ("sales@localhost", "'localhost' after the @ is not a domain (example.com)"),
                        ("@acme.example", "a name is needed before the @ (name@example.com)")):
        with pytest.raises(ValidationError) as exc:
            db.write(SYSTEM, lambda uow, bad=bad: setattr(uow.get(Customer, c.id), "email", bad))
        assert _reasons(exc) == [f"customer email: {reason}"], bad
    db.write(SYSTEM, lambda uow: setattr(uow.get(Customer, c.id), "email", "sales@acme-storage.example"))


def test_settings_firm_email_and_text_values(demo) -> None:
    db, actor = demo
    boss = actor("admin")
    before = get_settings(db)
    with pytest.raises(ValidationError) as exc:
        set_setting(db, boss, "firm_email", "orders at northbeam")
    assert exc.value.problems[0].field == "firm_email"
    assert _reasons(exc) == ["E-mail printed on documents: an e-mail address has no spaces"]
    with pytest.raises(ValidationError) as exc:
        set_settings(db, boss, {"firm_email": "orders@northbeam", "firm_phone": "0113 496 0000"})
    assert [(p.field, p.reason) for p in exc.value.problems] == [
        ("firm_email", "E-mail printed on documents: 'northbeam' after the @ is not a domain (example.com)")]
    assert get_settings(db).firm_email == before.firm_email and get_settings(db).firm_phone == before.firm_phone
    assert set_setting(db, boss, "firm_email", "  sales@northbeam.example ").firm_email == "sales@northbeam.example"
    assert set_setting(db, boss, "firm_email", "").firm_email == ""
    # text inside a setting's JSON value: named by the setting's key, which the settings form knows
    with pytest.raises(ValidationError) as exc:
        set_setting(db, boss, "firm_name", "Northbeam\x00")
    assert [(p.field, p.reason) for p in exc.value.problems] == [
        ("firm_name", "setting firm_name: contains a control character (U+0000) at position 10")]
    with pytest.raises(ValidationError) as exc:
        set_setting(db, boss, "firm_address", {"line1": "z" * 30_000, "city": "Leeds"})
    assert _reasons(exc) == ["setting firm_address: at most 20,000 characters (30,000 typed)"]
    assert get_settings(db).firm_name == before.firm_name
    with db.read() as s:
        assert s.get(Setting, "firm_name") is None or s.get(Setting, "firm_name").value == before.firm_name


# -- through the Excel import -----------------------------------------------------------------------

def _book(path: Path, rows: list[list]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Customers"
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_import_names_sheet_row_and_column_of_a_nul_or_an_over_long_value_and_saves_nothing(demo, tmp_path,
                                                                                         monkeypatch) -> None:
    monkeypatch.setenv("ORDERCYCLE_CONFIG_DIR", str(tmp_path / "config"))
    db, actor = demo
    sam = actor("sales")
    customers, versions = _count(db, Customer), _versions(db)
    path = _book(tmp_path / "customers.xlsx", [
        ["Customer code", "Name", "E-mail", "Phone", "Postcode"],
        ["HYG1", "Fine Customer Ltd", "buyer@fine.example", "0113 1", ""],
        ["HYG2", "Null_x0000_Byte Ltd", "", "", ""],  # how a workbook holds a NUL: an escape readers decode
        ["HYG3", "L" * 201, "", "", ""],
        ["HYG4", "Bad Mail Ltd", "buyer at bad.example", "", ""],
        ["HYG5", "Long Postcode Ltd", "", "", "P" * 17],
        ["C" * 33, "Long Code Ltd", "", "", ""],
        ["HYG7", "Escape_x001B_ Ltd", "", "", ""],
    ])
    plan = importer.dry_run(db, sam, "customers", path)
    found = {(p.sheet, p.row, p.column, p.field): p.reason for p in plan.problems}
    assert found == {
        ("Customers", 3, "B", "Name"): "contains a control character (U+0000) at position 5",
        ("Customers", 4, "B", "Name"): "at most 200 characters (201 typed)",
        ("Customers", 5, "C", "E-mail"): "an e-mail address has no spaces",
        ("Customers", 6, "E", "Postcode"): "at most 16 characters (17 typed)",
        ("Customers", 7, "A", "Customer code"): "at most 32 characters (33 typed)",
        ("Customers", 8, "B", "Name"): "contains a control character (U+001B) at position 7",
    }
    assert "sheet 'Customers', row 3, column B, field 'Name'" in str(plan.problems[0])
    with pytest.raises(ValidationError):
        importer.run_import(db, sam, plan)
    assert _count(db, Customer) == customers and _versions(db) == versions
    # the same file without the bad rows imports
    clean = _book(tmp_path / "clean.xlsx", [["Customer code", "Name", "E-mail"],
                                             ["HYG1", "Fine Customer Ltd", "buyer@fine.example"]])
    plan = importer.dry_run(db, sam, "customers", clean)
    assert plan.ok, [str(p) for p in plan.problems]
    importer.run_import(db, sam, plan)
    assert _count(db, Customer) == customers + 1


def test_import_of_orders_through_the_bulk_path_checks_the_reference(demo, tmp_path, monkeypatch) -> None:
    """Orders are written with bulk inserts (``app.db.bulk``), past the flush hook: the cell check
    keeps them to the same rule."""
    monkeypatch.setenv("ORDERCYCLE_CONFIG_DIR", str(tmp_path / "config"))
    db, actor = demo
    sam = actor("sales")
    c = _customer(db)
    with db.read() as s:
        sku = s.execute(select(Product.sku).where(Product.active.is_(True)).order_by(Product.id)).scalars().first()
    wb = Workbook()
    ws = wb.active
    ws.title = "Orders"
    ws.append(["Order number", "Customer code", "Order date", "Customer reference", "SKU", "Quantity"])
    ws.append(["IMP-1", c.code, "2026-11-30", "R" * 61, sku, 2])
    ws.append(["IMP-2", c.code, "2026-11-30", "PO_x0000_42", sku, 1])  # openpyxl refuses a NUL itself
    wb.save(tmp_path / "orders.xlsx")
    before = (_count(db, SalesOrder), _count(db, SalesOrderLine))
    plan = importer.dry_run(db, sam, "orders", tmp_path / "orders.xlsx")
    found = {(p.row, p.column): p.reason for p in plan.problems}
    assert found == {(2, "D"): "at most 60 characters (61 typed)",
                     (3, "D"): "contains a control character (U+0000) at position 3"}, found
    assert (_count(db, SalesOrder), _count(db, SalesOrderLine)) == before


def _versions(db) -> int:
    with db.read() as s:
        return s.scalar(select(func.sum(Customer.version)))


# -- printed documents: bidirectional controls ------------------------------------------------------

def _layout_text(path: Path) -> str:
    """The PDF's text in the order it is seen on the page (pypdf's layout mode), one space between words."""
    reader = PdfReader(str(path))
    lines = [" ".join(line.split()) for p in reader.pages for line in p.extract_text(extraction_mode="layout")
             .splitlines()]
    return "\n".join(x for x in lines if x)


def test_a_right_to_left_override_in_a_name_cannot_reverse_the_delivery_address(qapp, tmp_path) -> None:
    from decimal import Decimal as D

    from app.printing import documents as pdocs
    from app.printing.render import to_pdf

    doc = pdocs.DeliveryNoteDoc(
        number="DN-000001", order_number="SO-000001", customer_name="ACME\u202eevil", customer_code="C001",
        address=("12 Harbour Road", "\u2067LS1 4AB Leeds"), customer_reference="\u202dPO-77", carrier="DHL",
        tracking_number="", shipped_at=None, packages=(), lines=(pdocs.DeliveryLine("SKU-1", "Widget\u200f", D(1),
                                                                                    D(1), D(0)),))
    html = pdocs.delivery_note_html(doc, pdocs.Firm(name="Firm\u202e Ltd", address=("1 Road",)))
    assert not re.search("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]", html)
    text = _layout_text(to_pdf(html, tmp_path / "delivery.pdf"))
    assert "ACMEevil (C001)\n12 Harbour Road\nLS1 4AB Leeds" in text, text
    assert "Firm Ltd" in text and "PO-77" in text


def test_the_order_confirmation_of_a_customer_named_with_an_override_prints_in_order(qapp, demo, tmp_path) -> None:
    from app.printing.render import to_pdf
    from app.services import documents

    db, actor = demo
    sam = actor("sales")
    c = _customer(db)
    db.write(SYSTEM, lambda uow: setattr(uow.get(Customer, c.id), "name", "ACME\u202eevil"))
    order = _an_order(db, sam)
    html = documents.order_document_html(db, sam, order.id)
    text = _layout_text(to_pdf(html, tmp_path / "order.pdf"))
    assert f"ACMEevil ({c.code})" in text and "\nFor\nACMEevil\n" in text, text
    with db.read() as s:  # the name is stored as typed: only the printout neutralises the control
        assert s.get(Customer, c.id).name == "ACME\u202eevil"


# -- backups: a killed backup's .part ---------------------------------------------------------------

def test_the_next_backup_removes_a_stale_part_and_keeps_a_fresh_one(sqlite_db, tmp_path, caplog) -> None:
    from tests.factories import make_product

    make_product(sqlite_db, "SH-1")
    src = Path(sqlite_db.url.database)
    folder = tmp_path / "backups"
    folder.mkdir()
    stale = folder / f"{src.stem}-backup-20261101-101500.db.part"
    stale_journal = folder / f"{src.stem}-backup-20261101-101500.db.part-journal"
    fresh = folder / f"{src.stem}-daily-20261207-080000.db.part"  # another desk writing right now
    other = folder / "notes.db.part"  # not a backup's name: never touched
    for p in (stale, stale_journal, fresh, other):
        p.write_bytes(b"half a backup")
    old = time.time() - 3600
    for p in (stale, stale_journal, other):
        os.utime(p, (old, old))
    with caplog.at_level("WARNING", logger="app.db.backup"):
        made = backup.backup_sqlite(src, folder)
    assert made.is_file() and not backup.quick_check(made)
    assert not stale.exists() and not stale_journal.exists()
    assert fresh.exists() and other.exists()
    logged = [r.getMessage() for r in caplog.records if "partial backup" in r.getMessage()]
    assert len(logged) == 2 and any(stale.name in m and "interrupted" in m for m in logged)
    # a quarter of an hour is the line: a .part changed 10 minutes ago stays
    recent = time.time() - 600
    os.utime(fresh, (recent, recent))
    assert backup.remove_stale_parts(folder) == []
    assert backup.remove_stale_parts(folder, max_age=backup.STALE_PART_AGE / 2) == [fresh]
