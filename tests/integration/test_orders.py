"""Order entry on the demo company: quote → confirm (numbers, reservations, promise dates),
margin approval, roles, cancel, two desks on one order, validation, notes, the order list and
firm settings. Runs on SQLite and, when configured, on PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from app.db.uow import SYSTEM, Actor
from app.errors import ConflictError, PermissionDenied, UserError, ValidationError
from app.models import NumberSequence, Product, SalesOrder, SalesOrderLine, Setting, TimelineEvent
from app.models.base import money
from app.services import orders as svc
from app.services.orders import LineInput
from app.services.settings import get_settings, set_setting

from app.demo import FIRM_CALENDAR
from tests.support import TODAY  # noqa: E402


@pytest.fixture
def demo(demo):
    """The shared demo fixture as this module's tests take it: two salespeople and management."""
    db, actor = demo
    return db, actor("sales"), actor("sales2"), actor("management")


def _product(db, sku: str) -> Product:
    with db.read() as s:
        return s.execute(select(Product).where(Product.sku == sku)).scalar_one()


def _next(db, name: str) -> int:
    with db.read() as s:
        return s.execute(select(NumberSequence.next_value).where(NumberSequence.name == name)).scalar_one()


def _counts(db) -> tuple[int, ...]:
    with db.read() as s:
        return tuple(s.execute(select(func.count()).select_from(t)).scalar() for t in (SalesOrder, SalesOrderLine,
                                                                                     TimelineEvent))


def _cached_totals_match_lines(db, order_id: int) -> None:
    with db.read() as s:
        o = s.get(SalesOrder, order_id)
        lines = s.execute(select(SalesOrderLine).where(SalesOrderLine.order_id == order_id)).scalars().all()
        nets = [money(ln.quantity * ln.unit_price) for ln in lines]
        assert o.total_net == sum(nets, D(0))
        assert o.total_tax == sum((money(n * ln.tax_rate) for n, ln in zip(nets, lines, strict=True)), D(0))
        assert o.total_cost == sum((money(ln.quantity * ln.unit_cost) for ln in lines), D(0))


def _kinds(db, actor, order_id: int) -> list[str]:
    return [t.kind for t in svc.timeline(db, actor, order_id)]


def test_quote_then_confirm_numbers_the_order_reserves_stock_and_promises(demo) -> None:
    db, sam, _, _ = demo
    shelf0 = _product(db, "SH-1200-5")
    n_quote, n_order = _next(db, "quote"), _next(db, "order")
    q = svc.new_quote(db, sam, " showcs ", [LineInput(" wb-cust ", 10), LineInput("SH-1200-5", D("20"), D("0.12"))],
                      customer_reference="NEC-2027", requested_date=TODAY + dt.timedelta(days=21))
    assert (q.number, q.kind, q.status, q.customer_code) == (f"Q-{n_quote:06d}", "quote", "quote", "SHOWCS")
    assert q.salesperson == "Sam Carter" and q.customer_reference == "NEC-2027" and not q.needs_approval
    bench, shelf = q.lines
    assert shelf.extra_discount == D("0.12") and shelf.explanation[-1] == "extra \u221212%"
    assert "tier B \u22122%" in shelf.explanation and "Shelving season offer \u22128%" in shelf.explanation
    assert bench.unit_cost > 0 and bench.promise_date > shelf.promise_date == FIRM_CALENDAR.add_business_days(TODAY, 1)
    assert q.promise_date == bench.promise_date and q.bottleneck.startswith("Welding")
    assert q.totals.net == bench.net + shelf.net and q.totals.gross == q.totals.net + q.totals.tax
    assert shelf.qty_reserved == 0 and _product(db, "SH-1200-5").stock_reserved == shelf0.stock_reserved
    _cached_totals_match_lines(db, q.id)

    o = svc.confirm(db, sam, q.id, q.version)
    assert (o.number, o.kind, o.status) == (f"SO-{n_order:06d}", "order", "confirmed") and o.confirmed_at
    assert _next(db, "order") == n_order + 1 and _next(db, "quote") == n_quote + 1
    assert [ln.qty_reserved for ln in o.lines] == [0, 20]  # nothing of the custom benches is in stock
    assert _product(db, "SH-1200-5").stock_reserved == shelf0.stock_reserved + 20
    assert o.version > q.version and o.promise_date == q.promise_date
    assert _kinds(db, sam, o.id) == ["quote_created", "confirmed", "stock_reserved"]
    confirmed = svc.timeline(db, sam, o.id)[1].summary
    assert q.number in confirmed and o.number in confirmed and "Welding" in confirmed
    assert svc.find_order(db, sam, f" so-{n_order:06d} ").id == o.id
    _cached_totals_match_lines(db, o.id)


def test_reservation_takes_only_the_free_stock(demo) -> None:
    db, sam, _, _ = demo
    p = _product(db, "WB-1500-STD")
    free = p.stock_on_hand - p.stock_reserved
    q = svc.new_quote(db, sam, "TRENT", [LineInput("WB-1500-STD", free + 5)])
    o = svc.confirm(db, sam, q.id, q.version)
    assert o.lines[0].qty_reserved == free
    after = _product(db, "WB-1500-STD")
    assert after.stock_reserved == after.stock_on_hand
    assert o.lines[0].promise_date > TODAY + dt.timedelta(days=1)  # five still to make


def test_order_numbers_stay_gap_free(demo) -> None:
    db, sam, sam2, _ = demo
    n_quote, n_order = _next(db, "quote"), _next(db, "order")
    with pytest.raises(ValidationError):
        svc.new_quote(db, sam, "HALDEN", [LineInput("NO-SUCH", 1)])
    cheap = svc.new_quote(db, sam, "HALDEN", [LineInput("SH-1500-5", 5, price_override=D("10"), override_reason="x")])
    with pytest.raises(svc.ApprovalRequired):
        svc.confirm(db, sam, cheap.id, cheap.version)
    assert (_next(db, "quote"), _next(db, "order")) == (n_quote + 1, n_order)
    quotes = [svc.new_quote(db, sam, "HALDEN", [LineInput("SP-SHELF-900", 2)]) for _ in range(4)]
    results: list[str] = []
    errors: list[BaseException] = []

    def run(q, who) -> None:  # type: ignore[no-untyped-def]
        try:
            results.append(svc.confirm(db, who, q.id, q.version).number)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(q, sam if i % 2 else sam2)) for i, q in enumerate(quotes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(results) == [f"SO-{n:06d}" for n in range(n_order, n_order + 4)]


def test_margin_below_the_floor_needs_management_before_confirming(demo) -> None:
    db, sam, _, boss = demo
    q = svc.new_quote(db, sam, "BAYLIS", [LineInput("SH-1500-5", 30, price_override=D("150.00"),
                                                     override_reason="match a competitor's quote")])
    assert q.needs_approval and "below the 18% floor" in q.approval_reason
    assert q.lines[0].explanation == ("price set by hand: match a competitor's quote",)
    with pytest.raises(svc.ApprovalRequired) as refused:
        svc.confirm(db, sam, q.id, q.version)
    assert "18%" in refused.value.message and f"{q.totals.margin * 100:.2f}".rstrip("0") in refused.value.message
    with pytest.raises(PermissionDenied):
        svc.approve(db, sam, q.id, q.version)  # sales may not approve its own discount
    ok = svc.approve(db, boss, q.id, q.version)
    assert ok.approved_by == "management" and ok.approved_at is not None and ok.needs_approval
    assert "approved" in _kinds(db, sam, q.id) and "needs_approval" in _kinds(db, sam, q.id)
    confirmed = svc.confirm(db, sam, ok.id, ok.version)
    assert confirmed.status == "confirmed" and confirmed.approved_by == "management"


def test_new_prices_need_a_new_approval_and_a_line_below_cost_needs_one_too(demo) -> None:
    db, sam, _, boss = demo
    lines = [LineInput("WB-1800-STD", 10), LineInput("SP-PAINT-7035", 1, price_override=D("1.00"),
                                                      override_reason="goodwill")]
    q = svc.new_quote(db, sam, "HALDEN", lines)
    assert q.totals.margin > D("0.18") and q.needs_approval  # the paint is sold below its cost
    assert q.approval_reason.startswith("Line(s) 2 priced below unit cost")
    ok = svc.approve(db, boss, q.id, q.version)
    again = svc.update_order(db, sam, ok.id, ok.version, [ln.as_input() for ln in ok.lines])
    assert again.needs_approval and again.approved_by is None
    fixed = svc.update_order(db, sam, again.id, again.version, lines[:1])
    assert not fixed.needs_approval and len(fixed.lines) == 1
    with pytest.raises(UserError):
        svc.approve(db, boss, fixed.id, fixed.version)  # nothing to approve


def test_roles_are_enforced_by_the_service(demo) -> None:
    db, sam, _, boss = demo
    line = [LineInput("SP-SHELF-900", 2)]
    for role in ("marketing", "production", "management"):
        with pytest.raises(PermissionDenied):
            svc.new_quote(db, Actor(role, role), "HALDEN", line)
    q = svc.new_quote(db, sam, "HALDEN", line)
    with pytest.raises(PermissionDenied):
        svc.confirm(db, boss, q.id, q.version)
    assert svc.get_order(db, Actor("shipping", "shipping"), q.id).number == q.number  # everyone may look


def test_cancel_releases_reservations_and_needs_a_reason(demo) -> None:
    db, sam, _, _ = demo
    before = _product(db, "SH-1200-5").stock_reserved
    q = svc.new_quote(db, sam, "CALDER", [LineInput("SH-1200-5", 20), LineInput("SP-SHELF-900", 3)])
    o = svc.confirm(db, sam, q.id, q.version)
    assert _product(db, "SH-1200-5").stock_reserved == before + 20
    with pytest.raises(ValidationError) as err:
        svc.cancel(db, sam, o.id, o.version, "  ")
    assert [p.field for p in err.value.problems] == ["reason"]
    c = svc.cancel(db, sam, o.id, o.version, "customer found a cheaper supplier")
    assert (c.status, c.cancel_reason) == ("cancelled", "customer found a cheaper supplier")
    assert all(ln.qty_reserved == 0 for ln in c.lines)
    assert _product(db, "SH-1200-5").stock_reserved == before
    assert _kinds(db, sam, o.id)[-1] == "cancelled"
    lost = svc.new_quote(db, sam, "CALDER", [LineInput("SP-SHELF-900", 3)])
    assert svc.cancel(db, sam, lost.id, lost.version, "no budget").status == "lost"
    with pytest.raises(UserError):
        svc.cancel(db, sam, c.id, c.version, "again")


def test_two_desks_editing_one_order_conflict(demo) -> None:
    db, sam, priya, _ = demo
    q = svc.new_quote(db, sam, "MERSEY", [LineInput("SH-900-4", 4)])
    seen_by_priya = svc.get_order(db, priya, q.id)
    mine = svc.update_order(db, sam, q.id, q.version, [LineInput("SH-900-4", 6)])
    with pytest.raises(ConflictError) as err:
        svc.update_order(db, priya, seen_by_priya.id, seen_by_priya.version, [LineInput("SH-900-4", 9)])
    assert err.value.changed_by == "sales"
    with pytest.raises(ConflictError):
        svc.confirm(db, priya, q.id, seen_by_priya.version)
    now = svc.get_order(db, priya, q.id)
    assert now.version == mine.version and now.lines[0].quantity == 6 and now.status == "quote"
    # an edit that leaves every total as it was (lines swapped) still makes older copies stale
    two = svc.update_order(db, sam, q.id, now.version, [LineInput("SH-900-4", 6), LineInput("SP-SHELF-900", 3)])
    swapped = svc.update_order(db, sam, q.id, two.version, [LineInput("SP-SHELF-900", 3), LineInput("SH-900-4", 6)])
    assert swapped.totals == two.totals and swapped.version > two.version
    with pytest.raises(ConflictError):
        svc.update_order(db, priya, q.id, two.version, [LineInput("SH-900-4", 1)])


def test_two_desks_confirming_one_quote_at_once_reserve_and_number_it_once(demo) -> None:
    db, sam, priya, _ = demo
    before, n_order = _product(db, "SH-1200-5").stock_reserved, _next(db, "order")
    q = svc.new_quote(db, sam, "KESTRL", [LineInput("SH-1200-5", 7)])
    outcomes: list[object] = []
    start = threading.Barrier(2)

    def desk(who: Actor) -> None:
        start.wait()
        try:
            outcomes.append(svc.confirm(db, who, q.id, q.version).number)
        except ConflictError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=desk, args=(who,)) for who in (sam, priya)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(type, outcomes), key=str) == sorted([str, ConflictError], key=str), outcomes
    assert f"SO-{n_order:06d}" in outcomes and _next(db, "order") == n_order + 1
    assert _product(db, "SH-1200-5").stock_reserved == before + 7


def test_validation_names_each_line_and_field_and_saves_nothing(demo) -> None:
    db, sam, _, _ = demo
    before, n_quote = _counts(db), _next(db, "quote")
    bad = [LineInput("  sh-1200-5 ", 2),  # fine: case and spaces do not matter
           LineInput("NO-SUCH-SKU", 1),
           LineInput(4, "ten"),
           LineInput("SH-900-4", 0),
           LineInput("SH-900-4", 1, price_override=D("50")),
           LineInput("SH-900-4", 1, price_override=D("-1"), override_reason="oops"),
           LineInput("SH-900-4", 1, discount=D("1.5"))]
    with pytest.raises(ValidationError) as err:
        svc.new_quote(db, sam, "NOBODY", bad, requested_date=TODAY - dt.timedelta(days=1))
    assert [p.field for p in err.value.problems] == [
        "customer", "lines[1].product", "lines[2].quantity", "lines[3].quantity", "lines[4].override_reason",
        "lines[5].price_override", "lines[6].discount", "requested_date"]
    assert "line 2" in err.value.problems[1].reason and "NO-SUCH-SKU" in err.value.problems[1].reason
    with pytest.raises(ValidationError) as empty:
        svc.new_quote(db, sam, "HALDEN", [])
    assert [p.field for p in empty.value.problems] == ["lines"]
    assert _counts(db) == before and _next(db, "quote") == n_quote
    q = svc.new_quote(db, sam, "HALDEN", bad[:1])
    with pytest.raises(ValidationError):
        svc.update_order(db, sam, q.id, q.version, [LineInput("SH-900-4", -3)])
    after = svc.get_order(db, sam, q.id)
    assert after.version == q.version and after.lines[0].sku == "SH-1200-5"


def test_editing_a_confirmed_order_re_reserves_until_it_is_picked(demo) -> None:
    db, sam, _, _ = demo
    before = _product(db, "SH-1200-5").stock_reserved
    q = svc.new_quote(db, sam, "ASHBY", [LineInput("SH-1200-5", 20), LineInput("SP-SHELF-900", 2)])
    o = svc.confirm(db, sam, q.id, q.version)
    e = svc.update_order(db, sam, o.id, o.version, [LineInput("SH-1200-5", 5)],
                         customer_reference="PO-77")
    assert [ln.qty_reserved for ln in e.lines] == [5] and e.customer_reference == "PO-77"
    assert _product(db, "SH-1200-5").stock_reserved == before + 5
    assert e.lines[0].id == o.lines[0].id  # the line row is kept (schedules refer to it)
    assert _kinds(db, sam, o.id)[-1] == "stock_reserved" and "changed" in _kinds(db, sam, o.id)
    _cached_totals_match_lines(db, o.id)

    def pick(uow):  # type: ignore[no-untyped-def]
        uow.session.get(SalesOrderLine, e.lines[0].id).qty_picked = D(5)

    db.write(SYSTEM, pick)
    with pytest.raises(UserError, match="picked"):
        svc.update_order(db, sam, o.id, svc.get_order(db, sam, o.id).version, [LineInput("SH-1200-5", 6)])


def test_notes_join_the_timeline_in_time_order(demo) -> None:
    db, sam, _, _ = demo
    q = svc.new_quote(db, sam, "HALDEN", [LineInput("SP-SHELF-900", 2)])
    note = svc.add_note(db, Actor("production", "production"), "Can weld on Saturday if needed", order_id=q.id)
    assert (note.kind, note.stage, note.user) == ("note", "schedule", "production")
    svc.cancel(db, sam, q.id, q.version, "customer changed their mind")
    items = svc.timeline(db, sam, q.id)
    assert [t.kind for t in items] == ["quote_created", "note", "lost"]
    assert svc.get_order(db, sam, q.id).notes[0].summary == "Can weld on Saturday if needed"
    with pytest.raises(ValidationError) as err:
        svc.add_note(db, sam, " ", order_id=q.id)
    assert err.value.problems[0].field == "text"
    with pytest.raises(PermissionDenied):
        svc.add_note(db, Actor("admin", "admin"), "hello", order_id=q.id)


def test_order_list_filters_sort_in_sql(demo) -> None:
    db, sam, _, _ = demo
    q = svc.new_quote(db, sam, "HALDEN", [LineInput("SP-SHELF-900", 2)])
    o = svc.confirm(db, sam, q.id, q.version)
    digits = o.number.split("-")[1].lstrip("0")
    assert list(svc.ORDER_LIST.ids(db, svc.order_filters(search=digits), "number")) == [o.id]
    by_prefix = svc.ORDER_LIST.ids(db, svc.order_filters(search=o.number[:-1].lower()), "number")
    assert o.id in by_prefix and len(by_prefix) <= 10
    halden = svc.ORDER_LIST.ids(db, svc.order_filters(search="halden", statuses=["confirmed"]), "net", True)
    rows = svc.ORDER_LIST.rows(db, halden)
    assert o.id in halden and {rows[i][2] for i in halden} == {"Halden Logistics Ltd"}
    nets = [rows[i][6] for i in halden]
    assert nets == sorted(nets, reverse=True)
    today_only = svc.ORDER_LIST.ids(
        db, svc.order_filters(date_from=TODAY, date_to=TODAY, salesperson_id=o.salesperson_id), "order_date")
    assert o.id in today_only
    col = {c.key: c for c in svc.ORDER_LIST.columns}
    assert col["status"].fmt(rows[o.id][1]) == "Confirmed" and col["net"].fmt(rows[o.id][6]).startswith("£")
    assert ("HALDEN" in [c for _, c, _ in svc.search_customers(db, sam, "hal")]
            and [s for _, s, _ in svc.search_products(db, sam, "wb-15")] == ["WB-1500-ESD", "WB-1500-STD"])
    with pytest.raises(ValidationError):
        svc.find_order(db, sam, "SO-999999")


def test_firm_settings_are_typed_and_guarded(demo) -> None:
    db, sam, _, boss = demo
    s = get_settings(db)
    assert s.margin_floor == D("0.18") and s.firm_name == "Northbeam Steelworks Ltd"
    assert s.tier_discounts["B"] == D("0.02") and s.overhead_rate == D("0.15")  # default: not in the demo
    with pytest.raises(PermissionDenied):
        set_setting(db, sam, "margin_floor", 0.25)
    with pytest.raises(PermissionDenied):
        set_setting(db, Actor("admin", "admin"), "margin_floor", 0.25)  # pricing is management's call
    with pytest.raises(ValidationError) as err:
        set_setting(db, boss, "margin_floor", "lots")
    assert err.value.problems[0].field == "margin_floor"
    assert set_setting(db, boss, "margin_floor", "0.40").margin_floor == D("0.40")
    assert set_setting(db, Actor("admin", "admin"), "firm_name", " Northbeam Ltd ").firm_name == "Northbeam Ltd"
    assert set_setting(db, boss, "tier_discounts", {"A": "0.07"}).tier_discounts == {"A": D("0.07"), "B": 0, "C": 0}
    with db.read() as ses:
        assert ses.get(Setting, "margin_floor").value == 0.4
    q = svc.new_quote(db, sam, "HALDEN", [LineInput("SH-900-4", 2)])  # about 35 %, now below the floor
    assert q.needs_approval and "40%" in q.approval_reason
