"""Excel import and export on the demo company: round trips per kind, dry-run problems with
sheet/row/column, the annotated workbook read back, bad files, atomic imports, the command line.
SQLite file and, when configured, PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.errors import PermissionDenied, UserError, ValidationError
from app.exchange import api, importer
from app.exchange.kinds import IMPORT_KINDS, KINDS
from app.exchange.reading import BadFile
from app.models import AuditLog, Customer, DemandHistory, Product, SalesOrder, SalesOrderLine, StockMovement

WHO = {"products": "production", "customers": "sales", "stock": "production", "prices": "management",
       "orders": "sales", "history": "management", "forecasts": "marketing"}


def _fingerprint(db) -> tuple:
    with db.read() as s:
        return (s.scalar(select(func.count()).select_from(Product)), s.scalar(select(func.sum(Product.version))),
                s.scalar(select(func.count()).select_from(Customer)), s.scalar(select(func.sum(Customer.version))),
                s.scalar(select(func.count()).select_from(SalesOrder)),
                s.scalar(select(func.count()).select_from(SalesOrderLine)),
                s.scalar(select(func.count()).select_from(DemandHistory)),
                s.scalar(select(func.count()).select_from(StockMovement)))


def _book(path: Path, rows: list[list], *, title: str = "Sheet1") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


@pytest.mark.parametrize("kind", [k.name for k in IMPORT_KINDS])
def test_export_then_import_changes_nothing(demo, tmp_path, kind) -> None:
    db, actor = demo
    who = actor(WHO[kind])
    path = tmp_path / f"{kind}.xlsx"
    n = api.export_kind(db, who, kind, path)
    assert n > 0
    before = _fingerprint(db)
    plan = importer.dry_run(db, who, kind, path)
    assert plan.ok, [str(p) for p in plan.problems[:5]]
    assert plan.created == 0 and plan.updated == 0
    importer.run_import(db, who, plan)
    assert plan.created == 0 and plan.updated == 0
    assert _fingerprint(db) == before


def test_exports_have_real_types_a_styled_frozen_header_and_autofilter(demo, tmp_path) -> None:
    db, actor = demo
    for kind in KINDS:
        who = actor("finance" if kind == "invoices" else WHO.get(kind, "management"))
        path = tmp_path / f"{kind}.xlsx"
        api.export_kind(db, who, kind, path)
        ws = load_workbook(path).active
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
        assert ws["A1"].font.bold and ws["A1"].fill.fgColor.rgb.endswith("1F4E79")
    ws = load_workbook(tmp_path / "invoices.xlsx").active
    row = [c.value for c in ws[2]]
    assert isinstance(row[0], int) and isinstance(row[3], dt.datetime) and isinstance(row[5], (int, float))
    assert ws.cell(2, 6).number_format == '"£"#,##0.00' and "yy" in ws.cell(2, 4).number_format
    with pytest.raises(PermissionDenied):
        api.export_kind(db, actor("shipping"), "invoices", tmp_path / "no.xlsx")


def test_a_foreign_sheet_with_title_rows_synonyms_and_typed_values_imports(demo, tmp_path) -> None:
    db, actor = demo
    path = _book(tmp_path / "count.xlsx", [
        ["Stock count, warehouse A"], ["counted 26 Nov"], [],
        ["Item No.", "Counted", "Remarks"],
        [" sh-1200-5 ", "1.234,0", "recount"],
        ["SP-ANCHOR-M12", "1,200", ""],
    ])
    plan = importer.dry_run(db, actor("production"), "stock", path)
    assert plan.ok and plan.header_row == 4 and plan.columns == {"sku": "A", "stock_on_hand": "B"}
    assert plan.ignored == ["Remarks"] and plan.updated == 2
    importer.run_import(db, actor("production"), plan)
    with db.read() as s:
        assert s.scalars(select(Product.stock_on_hand).where(Product.sku == "SH-1200-5")).one() == D("1234")
        moves = s.scalars(select(StockMovement).where(StockMovement.reference == "Excel import")).all()
        assert len(moves) == 2 and {m.reason for m in moves} == {"count"}
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "import")).one()
        assert "2 changed" in audit.new_value and audit.username == "production"


def test_every_problem_is_listed_in_place_and_marked_in_a_copy_of_the_workbook(demo, tmp_path) -> None:
    db, actor = demo
    path = _book(tmp_path / "orders.xlsx", [
        ["Order number", "Customer code", "Order date", "SKU", "Quantity", "Unit price"],
        ["SO-990001", "HALDEN", "26/11/2026", "SH-1200-5", 2, 99],
        ["SO-990002", "NOBODY", "26/11/2026", "SH-1200-5", 2, 99],       # unknown customer
        ["SO-990003", "HALDEN", "31/02/2026", "SH-1200-5", 2, 99],       # not a date
        ["SO-990004", "HALDEN", "26/11/2026", "SH-1200-5", -1, 99],      # negative quantity
        ["SO-990005", "HALDEN", "26/11/2026", None, 2, 99],              # required empty
        ["SO-990006", "HALDEN", "26/11/2026", "SH-1200-5", "#REF!", 99],  # formula error
        ["SO-990001", "PENNIN", "26/11/2026", "SH-1200-5", 1, 99],       # same order, other customer
    ], title="Orders")
    before = _fingerprint(db)
    plan = importer.dry_run(db, actor("sales"), "orders", path)
    got = {(p.row, p.column): p for p in plan.problems}
    assert "no customer 'NOBODY'" in got[(3, "B")].reason and got[(3, "B")].sheet == "Orders"
    assert "not a real date" in got[(4, "C")].reason
    assert "more than 0" in got[(5, "E")].reason or "negative" in got[(5, "E")].reason
    assert "required" in got[(6, "D")].reason
    assert "#REF!" in got[(7, "E")].reason
    assert "one order, one value" in got[(8, "B")].reason
    with pytest.raises(ValidationError):
        importer.run_import(db, actor("sales"), plan)
    assert _fingerprint(db) == before
    report = importer.write_report(plan, tmp_path / "orders-problems.xlsx")
    wb = load_workbook(report)
    assert wb.sheetnames[0] == "Problems"
    listed = [(r[1], r[2]) for r in wb["Problems"].iter_rows(min_row=2, values_only=True)]
    assert (3, "B") in listed and (7, "E") in listed
    cell = wb["Orders"]["B3"]
    assert cell.fill.fgColor.rgb.endswith("F8D7DA") and "NOBODY" in cell.comment.text
    assert wb["Orders"]["A2"].comment is None  # the good row is untouched


def test_duplicate_keys_in_the_file_and_a_mapping_for_unknown_headers(demo, tmp_path) -> None:
    db, actor = demo
    path = _book(tmp_path / "prices.xlsx", [["Artikel", "Neuer VK"], ["SH-1200-5", 120], ["sh-1200-5", 121]])
    plan = importer.dry_run(db, actor("management"), "prices", path)
    assert any("no column for List price" in p.reason for p in plan.problems)
    plan = importer.dry_run(db, actor("management"), "prices", path, mapping={"Neuer VK": "list_price"})
    assert [p.row for p in plan.problems] == [3] and "appears twice" in plan.problems[0].reason
    # the mapping is remembered for the next file from the same source
    path2 = _book(tmp_path / "prices2.xlsx", [["Artikel", "Neuer VK"], ["SH-1200-5", 120]])
    plan = importer.dry_run(db, actor("management"), "prices", path2)
    assert plan.ok and plan.updated == 1


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("make, reason", [
    (lambda p: _write_bytes(p, b""), "empty"),
    (lambda p: _write_bytes(p, b"sku;qty\nA;1\n"), "text file"),
    (lambda p: _write_bytes(p, bytes(range(256)) * 40), "not an Excel workbook"),
    (lambda p: _write_bytes(p, bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 600 + "Workbook".encode("utf-16-le")),
     "Excel 97"),
    (lambda p: _write_bytes(p, bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 600 + "EncryptionInfo".encode("utf-16-le")),
     "password"),
    (lambda p: _write_bytes(p, b"PK\x03\x04" + b"\0" * 100), "damaged"),
])
def test_bad_files_get_a_clear_message_and_write_nothing(demo, tmp_path, make, reason) -> None:
    db, actor = demo
    path = make(tmp_path / "bad.xlsx")
    before = _fingerprint(db)
    with pytest.raises(BadFile, match=reason):
        importer.dry_run(db, actor("production"), "products", path)
    assert _fingerprint(db) == before


def test_bad_sheets_empty_headers_only_merged_hidden(demo, tmp_path) -> None:
    db, actor = demo
    cases = {}
    cases["empty"] = _book(tmp_path / "empty.xlsx", [])
    cases["no data rows"] = _book(tmp_path / "head.xlsx", [["SKU", "Counted"]])
    wb = Workbook()
    ws = wb.active
    ws.append(["SKU", "Counted", None])
    ws.append(["SH-1200-5", 3, None])
    ws.append(["SP-ANCHOR-M12", 4, None])
    ws.merge_cells("B1:C1")
    ws.row_dimensions[3].hidden = True
    wb.save(tmp_path / "merged.xlsx")
    cases["merged header"] = tmp_path / "merged.xlsx"
    before = _fingerprint(db)
    for reason, path in cases.items():
        plan = importer.dry_run(db, actor("production"), "stock", path)
        assert any(reason in p.reason for p in plan.problems), (reason, [str(p) for p in plan.problems])
    plan = importer.dry_run(db, actor("production"), "stock", cases["merged header"])
    assert any("row is hidden" in p.reason and p.row == 3 for p in plan.problems)
    assert _fingerprint(db) == before


def test_an_import_that_fails_while_writing_leaves_nothing_half_written(demo, tmp_path, monkeypatch) -> None:
    db, actor = demo
    rows = [["SKU", "Name", "Family", "List price"]] + [[f"NEW-{i}", f"New {i}", "SHU", 10 + i] for i in range(50)]
    # new products with prices: management's (production's import of them is refused, as on the form)
    refused = importer.dry_run(db, actor("production"), "products", _book(tmp_path / "new.xlsx", rows))
    assert len(refused.problems) == 50 and refused.problems[0].reason == (
        "your role (production) may not set the list price of a product")
    plan = importer.dry_run(db, actor("management"), "products", _book(tmp_path / "new.xlsx", rows))
    assert plan.ok and plan.created == 50
    before = _fingerprint(db)
    k = KINDS["products"]
    real = type(k).apply

    def boom(self, s, diff, lk, user):  # the rows are inserted, then the desk "loses" the share
        real(self, s, diff, lk, user)
        raise UserError("The share went away.")

    monkeypatch.setattr(type(k), "apply", boom)
    with pytest.raises(UserError, match="share went away"):
        importer.run_import(db, actor("management"), plan)
    assert _fingerprint(db) == before
    monkeypatch.setattr(type(k), "apply", real)
    with pytest.raises(ValidationError, match="may not set the list price"):  # another's plan is checked again
        importer.run_import(db, actor("production"), plan)
    importer.run_import(db, actor("management"), plan)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Product).where(Product.sku.like("NEW-%"))) == 50


def test_upsert_counts_and_permissions(demo, tmp_path) -> None:
    db, actor = demo
    path = tmp_path / "customers.xlsx"
    api.export_kind(db, actor("sales"), "customers", path)
    wb = load_workbook(path)
    ws = wb.active
    ws["B2"] = "Renamed Ltd"
    ws.append(["NEWCO", "New Co", "C", False, None, 14, 0, None, None, "1 High St", "LS1 1AA", "Leeds", "GB"])
    wb.save(path)
    with pytest.raises(PermissionDenied):
        importer.dry_run(db, actor("shipping"), "customers", path)
    # the tier (and the credit limit) are management's, by the customers screen's own rule
    refused = importer.dry_run(db, actor("sales"), "customers", path)
    assert [(p.row, p.field, p.reason) for p in refused.problems] == [
        (ws.max_row, "Tier", "your role (sales) may not set the tier of a customer")]
    plan = importer.dry_run(db, actor("management"), "customers", path)
    with db.read() as s:
        stored = s.scalar(select(func.count()).select_from(Customer))
    assert (plan.created, plan.updated) == (1, 1) and plan.unchanged == stored - 1
    importer.run_import(db, actor("management"), plan)
    with db.read() as s:
        assert s.scalars(select(Customer.tier).where(Customer.code == "NEWCO")).one().value == "C"
    ws["G3"] = 99_000  # a credit limit, by sales
    wb.save(path)
    refused = importer.dry_run(db, actor("sales"), "customers", path)
    assert [(p.field, p.reason) for p in refused.problems] == [
        ("Credit limit", "your role (sales) may not set the credit limit of a customer")]


def test_command_line_import_export_and_exit_codes(demo, tmp_path, db_url, capsys, monkeypatch) -> None:
    from app.main import main

    db, _actor = demo
    monkeypatch.setenv("ORDERCYCLE_USER", "production")  # import signs in (issue 18)
    monkeypatch.setenv("ORDERCYCLE_PASSWORD", "demo1234")
    out = tmp_path / "products.xlsx"
    assert main(["export", "--db", db_url, "--kind", "products", str(out)]) == 0
    assert "rows of products written" in capsys.readouterr().out
    assert main(["import", "--db", db_url, "--kind", "products", "--dry-run", str(out)]) == 0
    assert "40 unchanged" in capsys.readouterr().out
    bad = _book(tmp_path / "bad.xlsx", [["SKU", "Name", "Family", "List price"], ["X-1", "x", "NOFAMILY", 5]])
    before = _fingerprint(db)  # the sign-in itself is recorded; the data stays as it is
    report = tmp_path / "report.xlsx"
    assert main(["import", "--db", db_url, "--kind", "products", "--report", str(report), str(bad)]) == 1
    err = capsys.readouterr().err
    assert "row 2, column C" in err and "no product family 'NOFAMILY'" in err and report.exists()
    assert _fingerprint(db) == before
    assert main(["template", "--db", db_url, "--kind", "orders", str(tmp_path / "t.xlsx")]) == 0


def test_templates_explain_each_column_and_offer_drop_down_lists(demo, tmp_path) -> None:
    db, actor = demo
    path = api.template(db, actor("sales"), "orders", tmp_path / "orders-template.xlsx")
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    heads = [c.value for c in ws[1]]
    assert heads[:3] == ["Order number", "Customer code", "Order date"]
    assert "Required" in ws["A1"].comment.text and "Optional" in ws["D1"].comment.text
    lists = wb["Lists"]
    assert lists.sheet_state == "hidden"
    formulas = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert any("Lists!" in f for f in formulas) and "HALDEN" in [c.value for c in lists["A"]]


def test_imported_orders_have_totals_reservations_ids_and_a_timeline_entry(demo, tmp_path) -> None:
    """The bulk write (explicit ids on SQLite, read back elsewhere; NULL columns as literals)
    gives the orders the order form would (issue 18): a price in the sheet is a price set by hand
    (money rounded), an empty one the firm's price for the customer, totals per line rounded, free
    stock reserved line by line, numbers of the order series (the sheet's number named in the
    timeline entry, one each), and an order priced below cost waits for management."""
    from app.models import NumberSequence, TimelineEvent
    from app.services.pricing import price_for

    db, actor = demo
    with db.read() as s:
        pid, sku, tax, on_hand, reserved = s.execute(select(
            Product.id, Product.sku, Product.tax_rate, Product.stock_on_hand, Product.stock_reserved)
            .where(Product.sku == "SH-1200-5")).one()
        series = s.scalar(select(NumberSequence.next_value).where(NumberSequence.name == "order"))
    free = on_hand - reserved
    path = _book(tmp_path / "orders.xlsx", [
        ["Order number", "Customer code", "Order date", "Requested date", "SKU", "Quantity", "Unit price"],
        ["SO-990001", "HALDEN", dt.date(2026, 11, 20), dt.date(2026, 12, 15), sku, float(free) + 5, 10.005],
        ["SO-990001", "HALDEN", dt.date(2026, 11, 20), dt.date(2026, 12, 15), sku, 3, None],
        ["SO-990002", "pennin ", "20/11/2026", None, sku, 1, 19.99],
    ])
    plan = importer.dry_run(db, actor("sales"), "orders", path)
    assert plan.ok, [str(p) for p in plan.problems]
    importer.run_import(db, actor("sales"), plan)
    with db.read() as s:
        o1 = s.scalars(select(SalesOrder).where(SalesOrder.number == f"SO-{series:06d}")).one()
        o2 = s.scalars(select(SalesOrder).where(SalesOrder.number == f"SO-{series + 1:06d}")).one()
        assert [ln.line_no for ln in o1.lines] == [1, 2] and o1.status.value == "confirmed"
        first, second = o1.lines
        firms = price_for(s, o1.customer_id, pid, 3, dt.date(2026, 11, 20)).unit_price
        assert first.unit_price == D("10.01") and first.price_override_reason  # money rounded, set by hand
        assert second.unit_price == firms and second.price_override_reason is None  # empty: the firm's price
        assert first.qty_reserved == free and second.qty_reserved == 0  # free stock runs out on line 1
        net = (first.quantity * D("10.01")).quantize(D("0.01")) + (3 * firms).quantize(D("0.01"))
        assert o1.total_net == net and o1.promise_date == max(first.promise_date, second.promise_date)
        assert o1.needs_approval and o1.approved_by is None  # 10.01 is below cost
        assert s.scalar(select(Customer.code).where(Customer.id == o2.customer_id)) == "PENNIN"
        assert o2.requested_date is None and o2.lines[0].unit_price == D("19.99")
        assert o2.total_tax == (D("19.99") * tax).quantize(D("0.01"))
        assert s.scalar(select(Product.stock_reserved).where(Product.sku == sku)) == on_hand
        assert s.scalar(select(NumberSequence.next_value).where(NumberSequence.name == "order")) == series + 2
        events = s.scalars(select(TimelineEvent).where(TimelineEvent.order_id.in_([o1.id, o2.id]),
                                                       TimelineEvent.kind == "imported")).all()
        assert sorted(e.summary.split(", promised")[0] for e in events) == [
            f"Order {o1.number} imported from Excel (SO-990001 in the sheet, 2 line(s))",
            f"Order {o2.number} imported from Excel (SO-990002 in the sheet, 1 line(s))"]
        assert {e.customer_id for e in events} == {o1.customer_id, o2.customer_id}


def test_a_table_that_does_not_start_in_a1_reports_the_real_rows_and_columns(demo, tmp_path) -> None:
    db, actor = demo
    wb = Workbook()
    ws = wb.active
    ws["C3"], ws["D3"] = "SKU", "Counted"
    ws["C4"], ws["D4"] = "SH-1200-5", 4
    ws["C5"], ws["D5"] = "SH-1200-5-GV", "lots"
    wb.save(tmp_path / "offset.xlsx")
    plan = importer.dry_run(db, actor("production"), "stock", tmp_path / "offset.xlsx")
    assert plan.header_row == 3 and plan.columns == {"sku": "C", "stock_on_hand": "D"}
    assert [(p.row, p.column, p.value) for p in plan.problems] == [(5, "D", "lots")]


def test_a_row_with_several_mistakes_lists_them_all_at_once(demo, tmp_path) -> None:
    db, actor = demo
    path = _book(tmp_path / "orders.xlsx", [
        ["Order number", "Customer code", "Order date", "SKU", "Quantity", "Unit price"],
        ["SO-990010", "HALDEN", "26/11/2026", None, -2, "#REF!"],  # SKU empty, negative, formula error
    ])
    plan = importer.dry_run(db, actor("sales"), "orders", path)
    got = {(p.row, p.column): p for p in plan.problems}
    assert set(got) == {(2, "D"), (2, "E"), (2, "F")}
    assert "required" in got[(2, "D")].reason and got[(2, "E")].value == -2  # shown as typed, not -2.0
    assert "#REF!" in got[(2, "F")].reason and got[(2, "F")].value == "#REF!"
