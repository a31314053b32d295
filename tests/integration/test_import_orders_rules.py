"""The Excel import of orders goes through the order screen's rules (issue 18): the same prices,
discounts, totals, tax, reservations, promise dates and numbers as ``orders.new_quote`` +
``confirm`` for the same lines; an order below the margin floor arrives confirmed but waiting for
management, and nothing downstream proceeds past it; a price in the sheet is a price set by hand;
``ordercycle import`` signs in. SQLite file and, when configured, PostgreSQL (``demo``)."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app import clock
from app.db.uow import Actor
from app.exchange import importer
from app.models import (
    AuditLog,
    Customer,
    NumberSequence,
    Product,
    SalesOrder,
    SalesOrderLine,
    SignInEvent,
    TimelineEvent,
    User,
)
from app.services import billing, orders, shipping
from app.services.orders import ApprovalRequired, LineInput
from app.services.pricing import price_for

HEAD = ["Order number", "Customer code", "Order date", "Requested date", "SKU", "Quantity", "Unit price", "Discount"]


def _sheet(path: Path, rows: list[list]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(HEAD)
    for r in rows:
        ws.append(r + [None] * (len(HEAD) - len(r)))
    wb.save(path)
    return path


def _import(db, who, path: Path) -> list[int]:
    """Import the sheet; the ids of the orders it created or changed, in the sheet's order."""
    with db.read() as s:
        top = s.scalar(select(func.max(SalesOrder.id))) or 0
    plan = importer.dry_run(db, who, "orders", path)
    assert plan.ok, [str(p) for p in plan.problems]
    importer.run_import(db, who, plan)
    with db.read() as s:
        return list(s.scalars(select(SalesOrder.id).where(SalesOrder.id > top).order_by(SalesOrder.number)))


def _free(db, sku: str) -> D:
    with db.read() as s:
        on_hand, reserved = s.execute(select(Product.stock_on_hand, Product.stock_reserved)
                                      .where(Product.sku == sku)).one()
    return on_hand - reserved


def _facts(view: orders.OrderView) -> tuple:
    """What the rules decide about an order (not who entered it or its number)."""
    lines = tuple((ln.product_id, ln.quantity, ln.list_price, ln.discount, ln.unit_price, ln.override_reason,
                   ln.tax_rate, ln.unit_cost, ln.net, ln.tax, ln.promise_date, ln.qty_reserved) for ln in view.lines)
    return (view.customer_id, view.status, view.totals, view.needs_approval, view.approved_by, view.promise_date,
            view.bottleneck, lines)


# --------------------------------------------------------------------------------------------
# the same orders as the order screen's
# --------------------------------------------------------------------------------------------

def test_imported_orders_equal_the_screens_orders_for_the_same_lines(demo, tmp_path) -> None:
    """Three orders — stock partly free, a quantity break, the season's promotion, a tier discount,
    made-to-order work that queues behind the order before it — imported in one sheet, then the
    same lines entered and confirmed on the order screen one after another from the same state
    (the imported orders cancelled: their stock and their place in the queues given back)."""
    db, actor = demo
    sales = actor("sales")
    today = clock.today()
    free = _free(db, "SH-1200-5")
    wanted = [
        ("HALDEN", [("SH-1200-5", free + 300), ("SH-900-4", 30), ("SYS-PR-2700", 2)]),  # tier A, break, to make
        ("SHOWCS", [("SYS-PR-2700", 3), ("WB-1500-STD", 1), ("SH-1200-5", 200)]),  # tier B: queues behind the first
        ("OAKWD", [("MG-PNL-1000", 12), ("SYS-ARC-10", 1), ("SP-ANCHOR-M12", 250)]),  # tier C
    ]
    rows = [[f"OLD-{i}", cust, today, None, sku, float(qty)] for i, (cust, lines) in enumerate(wanted)
            for sku, qty in lines]
    imported = [orders.get_order(db, sales, oid) for oid in _import(db, sales, _sheet(tmp_path / "o.xlsx", rows))]
    assert len(imported) == 3
    assert not any(v.needs_approval for v in imported)
    # an order that takes its customer above the credit limit is held for finance (the screen holds the same)
    assert all((v.status, (v.hold_reason or "").startswith("Credit hold")) in (("confirmed", False), ("on_hold", True))
               for v in imported)
    assert imported[0].lines[0].qty_reserved == free  # the free stock, the rest to make
    assert imported[0].lines[1].discount > 0 and imported[2].lines[0].unit_price > 0
    for v in imported:  # give the stock and the queues back
        orders.cancel(db, sales, v.id, v.version, "entered again on the screen")
    screen = []
    for cust, lines in wanted:
        q = orders.new_quote(db, sales, cust, [LineInput(sku, qty) for sku, qty in lines])
        screen.append(orders.confirm(db, sales, q.id, q.version))
    for got, want in zip(imported, screen, strict=True):
        assert _facts(got) == _facts(want)
        assert (got.status, got.hold_reason) == (want.status, want.hold_reason)  # the credit limit, both doors
    assert screen[1].promise_date is not None and screen[1].bottleneck  # the made-to-order work queued


def test_a_price_in_the_sheet_is_a_price_set_by_hand_as_on_the_screen(demo, tmp_path) -> None:
    db, actor = demo
    sales = actor("sales")
    today = clock.today()
    with db.read() as s:
        pid = s.scalar(select(Product.id).where(Product.sku == "SH-900-4"))
        cid = s.scalar(select(Customer.id).where(Customer.code == "OAKWD"))
        firm = price_for(s, cid, pid, 4, today).unit_price
    rows = [["OLD-1", "OAKWD", today, None, "SH-900-4", 4, 150.004],  # set by hand (money rounded)
            ["OLD-1", "OAKWD", today, None, "SH-900-4", 4, float(firm)],  # the firm's own price
            ["OLD-1", "OAKWD", today, None, "SH-900-4", 4, None, 0.1]]  # the firm's, with an extra 10 %
    (oid,) = _import(db, sales, _sheet(tmp_path / "prices.xlsx", rows))
    got = orders.get_order(db, sales, oid)
    # the same lines on the order screen: a price typed over (with its reason), none, an extra discount
    q = orders.new_quote(db, sales, "OAKWD", [
        LineInput("SH-900-4", 4, price_override=D("150.00"), override_reason=importer_reason()),
        LineInput("SH-900-4", 4), LineInput("SH-900-4", 4, D("0.1"))])
    want = orders.confirm(db, sales, q.id, q.version)
    pick = [(ln.unit_price, ln.discount, ln.extra_discount, ln.override_reason, ln.net) for ln in got.lines]
    assert pick == [(ln.unit_price, ln.discount, ln.extra_discount, ln.override_reason, ln.net) for ln in want.lines]
    assert got.lines[0].unit_price == D("150.00") and got.lines[0].override_reason == importer_reason()
    assert got.lines[1].unit_price == firm and got.lines[1].override_reason is None
    assert got.lines[2].extra_discount == D("0.1") and got.totals == want.totals


def importer_reason() -> str:
    from app.exchange.kinds import PRICE_FROM_SHEET

    return PRICE_FROM_SHEET


# --------------------------------------------------------------------------------------------
# the margin floor
# --------------------------------------------------------------------------------------------

def test_an_order_at_a_cent_a_unit_imported_by_sales_waits_for_management(demo, tmp_path) -> None:
    """The finding of issue 18: sales imported an order at 0.01 a unit and it went through,
    confirmed, needs_approval 0. Now it arrives confirmed but awaiting management's approval (a
    timeline entry says so), and is not picked or invoiced until management approves."""
    db, actor = demo
    sales, boss, ship, fin = actor("sales"), actor("management"), actor("shipping"), actor("finance")
    rows = [["CHEAP-1", "SHOWCS", clock.today(), None, "SH-1200-5", 2, 0.01]]
    (oid,) = _import(db, sales, _sheet(tmp_path / "cheap.xlsx", rows))
    with db.read() as s:
        order = s.get(SalesOrder, oid)
        assert order.status.value == "confirmed" and order.needs_approval and order.approved_by is None
        assert orders.awaiting_approval(order)
        assert order.lines[0].unit_price == D("0.01") and order.lines[0].qty_reserved == 2
        waits = s.scalars(select(TimelineEvent.summary).where(TimelineEvent.order_id == oid,
                                                              TimelineEvent.kind == "needs_approval")).all()
    assert len(waits) == 1 and "below the" in waits[0] and "waits for management" in waits[0]
    assert oid not in {r.order_id for r in shipping.ready_orders(db, ship)}
    with pytest.raises(ApprovalRequired, match="not picked"):
        shipping.create_pick_list(db, ship, [oid])
    with pytest.raises(ApprovalRequired, match="not invoiced"):
        billing.invoice_order(db, fin, oid)
    view = orders.get_order(db, boss, oid)
    assert view.approval_reason and "floor" in view.approval_reason
    ok = orders.approve(db, boss, oid, view.version)
    assert ok.approved_by == "management"
    assert oid in {r.order_id for r in shipping.ready_orders(db, ship)}
    assert shipping.create_pick_list(db, ship, [oid]).rows


def test_an_import_that_changes_an_order_below_cost_sends_it_back_to_management(demo, tmp_path) -> None:
    db, actor = demo
    sales, boss = actor("sales"), actor("management")
    q = orders.new_quote(db, sales, "SHOWCS", [LineInput("SH-1200-5", 2)])
    o = orders.confirm(db, sales, q.id, q.version)
    free = _free(db, "SH-1200-5")
    rows = [[o.number, "SHOWCS", o.order_date, None, "SH-1200-5", 2, 0.5]]
    plan = importer.dry_run(db, sales, "orders", _sheet(tmp_path / "change.xlsx", rows))
    assert plan.ok and plan.updated == 1, [str(p) for p in plan.problems]
    importer.run_import(db, sales, plan)
    got = orders.get_order(db, boss, o.id)
    assert got.status == "confirmed" and got.needs_approval and got.approved_by is None
    assert got.lines[0].unit_price == D("0.50") and got.lines[0].qty_reserved == 2
    assert _free(db, "SH-1200-5") == free  # its stock given back and reserved again, not twice
    with db.read() as s:
        kinds = s.scalars(select(TimelineEvent.kind).where(TimelineEvent.order_id == o.id)).all()
    assert "changed" in kinds and "back_to_approval" in kinds  # as when the screen changes it


# --------------------------------------------------------------------------------------------
# numbers
# --------------------------------------------------------------------------------------------

def test_imported_orders_take_the_next_numbers_of_the_screens_series(demo, tmp_path) -> None:
    db, actor = demo
    sales = actor("sales")

    def screen_order() -> str:
        q = orders.new_quote(db, sales, "SHOWCS", [LineInput("SH-1200-5", 1)])
        return orders.confirm(db, sales, q.id, q.version).number

    first = screen_order()
    rows = [["PREV-7", "SHOWCS", clock.today(), None, "SH-900-4", 1],
            ["PREV-3", "HALDEN", clock.today(), None, "SH-900-4", 1]]
    ids = _import(db, sales, _sheet(tmp_path / "numbers.xlsx", rows))
    third = screen_order()
    with db.read() as s:
        numbers = [s.get(SalesOrder, i).number for i in ids]
        events = s.scalars(select(TimelineEvent.summary).where(TimelineEvent.order_id.in_(ids),
                                                               TimelineEvent.kind == "imported")).all()
    n = int(first.removeprefix("SO-"))
    assert numbers == [f"SO-{n + 1:06d}", f"SO-{n + 2:06d}"]  # in the sheet's order
    assert third == f"SO-{n + 3:06d}"
    assert sorted("PREV-7" in e or "PREV-3" in e for e in events) == [True, True]  # the sheet's number is kept


def _orders_count(db) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(SalesOrder))


def test_the_same_sheet_imported_again_finds_its_orders_instead_of_making_them_twice(demo, tmp_path) -> None:
    db, actor = demo
    sales = actor("sales")
    today = clock.today()
    rows = [["PREV-10", "SHOWCS", today, None, "SH-900-4", 2], ["PREV-10", "SHOWCS", today, None, "SH-1200-5", 1],
            ["PREV-11", "HALDEN", today, None, "SH-900-4", 3]]
    sheet = _sheet(tmp_path / "old-system.xlsx", rows)
    ids = _import(db, sales, sheet)
    assert len(ids) == 2
    before = _orders_count(db)
    with db.read() as s:
        refs = dict(s.execute(select(SalesOrder.import_ref, SalesOrder.id).where(SalesOrder.id.in_(ids))).all())
    assert refs == {"PREV-10": ids[0], "PREV-11": ids[1]}
    # the same sheet again: nothing new, nothing changed
    plan = importer.dry_run(db, sales, "orders", sheet)
    assert plan.ok and (plan.created, plan.updated, plan.unchanged) == (0, 0, 2)
    importer.run_import(db, sales, plan)
    assert _orders_count(db) == before
    # the sheet changed on one order: that order changes, under its OrderCycle number
    rows[2][5] = 7
    plan = importer.dry_run(db, sales, "orders", _sheet(tmp_path / "old-system-2.xlsx", rows))
    assert plan.ok and (plan.created, plan.updated, plan.unchanged) == (0, 1, 1)
    importer.run_import(db, sales, plan)
    assert _orders_count(db) == before
    view = orders.get_order(db, sales, ids[1])
    assert [ln.quantity for ln in view.lines] == [D(7)]
    # a number imported before, now for another customer: refused, naming the order it made
    rows[2][1] = "OAKWD"
    plan = importer.dry_run(db, sales, "orders", _sheet(tmp_path / "old-system-3.xlsx", rows))
    assert not plan.ok
    assert any(f"PREV-11 (imported before as {view.number}) is another customer's" in p.reason
               for p in plan.problems), [str(p) for p in plan.problems]


def test_a_second_desk_importing_the_same_sheet_meanwhile_does_not_double_it(demo, tmp_path) -> None:
    """Both desks check the sheet, one writes; the other's write compares again inside its
    transaction (the database changed since its check) and finds the orders already there."""
    db, actor = demo
    sales = actor("sales")
    other_desk = Actor(sales.username, sales.role, sales.full_name, sales.user_id, workstation="desk-sales-2")
    rows = [["LEGACY-1", "SHOWCS", clock.today(), None, "SH-900-4", 2]]
    sheet = _sheet(tmp_path / "legacy.xlsx", rows)
    first = importer.dry_run(db, sales, "orders", sheet)
    second = importer.dry_run(db, other_desk, "orders", sheet)
    assert first.created == second.created == 1
    before = _orders_count(db)
    importer.run_import(db, sales, first)
    importer.run_import(db, other_desk, second)
    assert _orders_count(db) == before + 1
    assert (second.created, second.unchanged) == (0, 1)


def test_two_desks_importing_the_same_sheet_at_the_same_instant_write_it_once(demo, tmp_path) -> None:
    import threading

    db, actor = demo
    sales = actor("sales")
    desks = [sales, Actor(sales.username, sales.role, sales.full_name, sales.user_id, workstation="desk-sales-2")]
    rows = [[f"TWIN-{k}", "SHOWCS", clock.today(), None, "SH-900-4", 1 + k] for k in range(40)]
    sheet = _sheet(tmp_path / "twin.xlsx", rows)
    plans = [importer.dry_run(db, who, "orders", sheet) for who in desks]
    before = _orders_count(db)
    start, errors = threading.Barrier(2), []

    def desk(k: int) -> None:
        try:
            start.wait()
            importer.run_import(db, desks[k], plans[k])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=desk, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert _orders_count(db) == before + 40
    assert sorted((p.created, p.unchanged) for p in plans) == [(0, 40), (40, 0)]


# --------------------------------------------------------------------------------------------
# the command signs in
# --------------------------------------------------------------------------------------------

def _counts(db) -> tuple:
    with db.read() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in (
            SalesOrder, SalesOrderLine, TimelineEvent, SignInEvent, AuditLog, NumberSequence))


def test_the_import_command_signs_in(demo, db_url, tmp_path, monkeypatch, capsys) -> None:
    from app.main import main

    db, _actor = demo
    monkeypatch.delenv("ORDERCYCLE_USER", raising=False)
    monkeypatch.delenv("ORDERCYCLE_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", None)  # no terminal: nobody to prompt
    path = _sheet(tmp_path / "cli.xlsx", [["CLI-1", "SHOWCS", clock.today(), None, "SH-1200-5", 1]])
    before = _counts(db)
    # no password: refused, nothing written (not even a sign-in attempt)
    for extra in (["--dry-run"], []):
        assert main(["import", "--db", db_url, "--kind", "orders", "--user", "sales", *extra, str(path)]) == 1
        assert "no password for sales" in capsys.readouterr().err
    assert _counts(db) == before
    # a wrong password: refused, counted as a failed sign-in, no order written
    monkeypatch.setenv("ORDERCYCLE_PASSWORD", "wrong")
    assert main(["import", "--db", db_url, "--kind", "orders", "--user", "sales", str(path)]) == 1
    assert "not right" in capsys.readouterr().err
    with db.read() as s:
        assert s.scalar(select(User.failed_sign_ins).where(User.username == "sales")) == 1
        assert s.scalar(select(func.count()).select_from(SalesOrder)) == before[0]
    # a user without the role: refused after signing in
    monkeypatch.setenv("ORDERCYCLE_PASSWORD", "demo1234")
    assert main(["import", "--db", db_url, "--kind", "orders", "--user", "shipping", str(path)]) == 1
    assert "shipping (shipping) may not import open orders" in capsys.readouterr().err
    # the right password: the import acts as that user
    assert main(["import", "--db", db_url, "--kind", "orders", "--user", "sales", str(path)]) == 0
    assert "1 new" in capsys.readouterr().out
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(SalesOrder)) == before[0] + 1
        assert s.scalar(select(User.failed_sign_ins).where(User.username == "sales")) == 0
        who = s.scalars(select(SalesOrder.updated_by).order_by(SalesOrder.id.desc()).limit(1)).one()
    assert who == "sales"
    # reading commands: a named user must exist and have the role
    assert main(["export", "--db", db_url, "--kind", "orders", "--user", "nobody", str(tmp_path / "x.xlsx")]) == 1
    assert "no active user 'nobody'" in capsys.readouterr().err
