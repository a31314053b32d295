"""Cost estimates, promise dates and selling hints, on a small hand-built firm (numbers worked
out by hand below) and on the demo company (story 2). Runs on SQLite and, when configured, on
PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from app.db.uow import SYSTEM, Actor
from app.models import (BomLine, CalendarException, CalendarHours, Customer, DemandHistory, Forecast, Material,
                        Product, ProductFamily, RoutingOperation, SalesOrder, SalesOrderLine, Shift, Skill, Staff,
                        StaffSkill, WorkCalendar, WorkCenter)
from app.models.enums import CustomerTier, OrderKind, OrderStatus
from app.demo import build_demo
from app.services.hints import hints_for
from app.services.pricing import cost_estimate, price_for
from app.demo import FIRM_CALENDAR
from app.services.promise import promise_line, promise_order, ships_text

WED = dt.date(2026, 11, 25)  # a Wednesday; Monday 30 November is a holiday in this firm
SALES = Actor("sales", "sales", "Sam Carter")


def _add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, 1)


@pytest.fixture
def world(db, pinned_clock):
    """Two work centers (8 h a day), welders at 20 and 30 an hour (and an inactive one at 100),
    an assembler at 16; a custom bench made to order, a standard bench, shelves, bolts. The firm
    is hand-built as of Wednesday WED: the clock is pinned there."""
    pinned_clock.pin(WED)
    ids: dict[str, int] = {}

    def run(uow):  # type: ignore[no-untyped-def]
        s = uow.session
        cal = WorkCalendar(name="Day shift")
        cal.hours = [CalendarHours(weekday=wd, start_minute=480, end_minute=960) for wd in range(5)]
        cal.exceptions = [CalendarException(day=dt.date(2026, 11, 30), working_minutes=0, note="holiday")]
        weld_sk, assy_sk = Skill(code="weld", name="Welding"), Skill(code="assy", name="Assembly")
        shift = Shift(name="Day", start_minute=480, end_minute=960)
        s.add_all([cal, weld_sk, assy_sk, shift])
        s.flush()
        weld = WorkCenter(code="WELD", name="Welding bay", calendar_id=cal.id, hourly_rate=D("60"))
        assy = WorkCenter(code="ASSY", name="Assembly bench", calendar_id=cal.id, hourly_rate=D("30"))
        s.add_all([weld, assy])
        for code, rate, skill, active in (("W1", "20", weld_sk, True), ("W2", "30", weld_sk, True),
                                          ("W9", "100", weld_sk, False), ("A1", "16", assy_sk, True)):
            st = Staff(code=code, name=code, shift_id=shift.id, hourly_rate=D(rate), active=active)
            st.skills = [StaffSkill(skill_id=skill.id)]
            s.add(st)
        m1 = Material(code="M1", name="tube", unit_cost=D("2.5"), stock_on_hand=D("1000"), lead_time_days=7)
        m2 = Material(code="M2", name="top", unit_cost=D("10"), stock_on_hand=D("15"), lead_time_days=21)
        benches, shelves = ProductFamily(code="B", name="Benches"), ProductFamily(code="S", name="Shelves")
        s.add_all([m1, m2, benches, shelves])
        s.flush()

        def product(sku, fam, price, std, stock, target, mts=True, **kw):  # type: ignore[no-untyped-def]
            p = Product(sku=sku, name=sku.title(), family_id=fam.id, list_price=D(price), standard_cost=D(std),
                        stock_on_hand=D(stock), target_stock=D(target), make_to_stock=mts, **kw)
            s.add(p)
            s.flush()
            ids[sku] = p.id
            return p

        cust = product("CUST", benches, "500", "300", 0, 0, mts=False)
        s.add_all([BomLine(product_id=cust.id, material_id=m1.id, quantity=D("4")),
                   BomLine(product_id=cust.id, material_id=m2.id, quantity=D("1")),
                   RoutingOperation(product_id=cust.id, seq=10, name="Weld", work_center_id=weld.id,
                                    skill_id=weld_sk.id, setup_minutes=D("60"), run_minutes=D("120")),
                   RoutingOperation(product_id=cust.id, seq=20, name="Assemble", work_center_id=assy.id,
                                    skill_id=assy_sk.id, setup_minutes=D("30"), run_minutes=D("30"))])
        std = product("STD", benches, "200", "100", 30, 28, material_cost=D("40"), location="B-01")
        s.add(RoutingOperation(product_id=std.id, seq=10, name="Weld", work_center_id=weld.id, skill_id=weld_sk.id,
                               setup_minutes=D("0"), run_minutes=D("30")))
        shelf = product("SHELF", shelves, "100", "70", 100, 10)
        thin = product("THIN", shelves, "100", "95", 40, 10)
        bolt = product("BOLT", shelves, "10", "3", 5, 5, lead_time_days=10)
        product("OLD", shelves, "50", "10", 3, 0)
        for k in range(1, 7):  # the next six months
            month = _add_months(WED, k)
            s.add_all([Forecast(product_id=shelf.id, period_start=month, consensus_qty=D("10"), baseline_qty=D("1")),
                       Forecast(product_id=thin.id, period_start=month, marketing_qty=D("20"), baseline_qty=D("1")),
                       Forecast(product_id=std.id, period_start=month, baseline_qty=D("5"))])
        for k in range(-6, 0):  # bolts: history only, 2 a month
            s.add(DemandHistory(product_id=bolt.id, period_start=_add_months(WED, k), quantity=D("2")))
        c1 = Customer(code="BENCHCO", name="Bench Buyers Ltd", tier=CustomerTier.B)
        c2 = Customer(code="NEWCO", name="Newco Ltd", tier=CustomerTier.A)
        s.add_all([c1, c2])
        s.flush()
        ids["C1"], ids["C2"] = c1.id, c2.id
        for n, (pid, qty) in enumerate([(std.id, 2), (std.id, 1), (bolt.id, 4)], 1):
            o = SalesOrder(number=f"OLD-{n}", kind=OrderKind.ORDER, status=OrderStatus.CLOSED, customer_id=c1.id,
                           order_date=WED - dt.timedelta(days=90 + n))
            o.lines = [SalesOrderLine(line_no=1, product_id=pid, quantity=D(qty), list_price=D("1"), unit_price=D("1"))]
            s.add(o)

    db.write(SYSTEM, run)
    return ids


def _load(db, world, sku: str, qty: int, number: str = "LOAD-1") -> None:
    """A confirmed order for ``qty`` × ``sku``, nothing shipped: load on the work centers."""
    def run(uow):  # type: ignore[no-untyped-def]
        o = SalesOrder(number=number, kind=OrderKind.ORDER, status=OrderStatus.CONFIRMED, customer_id=world["C2"],
                       order_date=WED)
        o.lines = [SalesOrderLine(line_no=1, product_id=world[sku], quantity=D(qty), list_price=D("1"),
                                  unit_price=D("1"))]
        uow.add(o)
        uow.flush()
        return o.id
    return db.write(SYSTEM, run)


# --- cost estimate -----------------------------------------------------------------------------

def test_cost_estimate_by_hand(db, world) -> None:
    with db.read() as s:
        ten = cost_estimate(s, world["CUST"], 10)
        one = cost_estimate(s, world["CUST"], 1)
        std = cost_estimate(s, world["STD"], 1)
        bolt = cost_estimate(s, world["BOLT"], 7)
    # material 4 × 2.50 + 1 × 10.00; weld 60/10 + 120 = 126 min, assemble 30/10 + 30 = 33 min;
    # welders' mean rate 25 (the inactive one at 100 is left out), assembler 16
    assert ten.material == D("20.00")
    assert ten.labour == D("61.30")  # 126/60 × 25 + 33/60 × 16 = 52.50 + 8.80
    assert ten.machine == D("142.50")  # 126/60 × 60 + 33/60 × 30 = 126.00 + 16.50
    assert ten.overhead == D("33.57")  # 15 % of 223.80
    assert ten.unit_cost == D("257.37")
    assert sum(ln.amount for ln in ten.lines) == ten.unit_cost
    # one unit carries the whole set-up: 180 and 60 minutes
    assert (one.labour, one.machine, one.overhead, one.unit_cost) == (D("91.00"), D("210.00"), D("48.15"), D("369.15"))
    # no bill of material: the product's material cost; overhead 12.375 rounds half-up
    assert (std.material, std.labour, std.machine, std.overhead, std.unit_cost) == \
        (D("40.00"), D("12.50"), D("30.00"), D("12.38"), D("94.88"))
    # bought in (no routing): its standard cost
    assert bolt.unit_cost == D("3.00") and bolt.labour == 0


def test_price_for_uses_the_estimate_for_made_to_order_and_standard_cost_for_stock(db, world) -> None:
    with db.read() as s:
        made = price_for(s, world["C1"], world["CUST"], 10, WED)
        stock = price_for(s, world["C1"], world["STD"], 10, WED)
    assert made.unit_cost == D("257.37") and made.unit_price == D("490.00")  # tier B −2 %
    assert made.explanation == ("tier B \u22122%",)
    assert stock.unit_cost == D("100.00")


# --- promise dates -----------------------------------------------------------------------------

def test_enough_free_stock_ships_the_next_working_day(db, world) -> None:
    with db.read() as s:
        assert promise_line(s, world["STD"], 5, today=WED).date == dt.date(2026, 11, 26)
        friday = promise_line(s, world["STD"], 30, today=dt.date(2026, 11, 27))
    assert friday.source == "stock" and friday.bottleneck is None
    assert friday.date == dt.date(2026, 12, 1)  # over the weekend and Monday's holiday
    assert "ships Tue 01 Dec" in friday.explanation


def test_a_custom_product_is_made_after_the_queue_and_more_load_moves_it_later(db, world) -> None:
    with db.read() as s:
        empty = promise_line(s, world["CUST"], 10, today=WED)
    # weld 1260 min at 480 a day: Thu, Fri, (holiday Monday), Tue; assemble Wed; ship Thu 3 Dec
    assert (empty.source, empty.date, empty.bottleneck) == ("production", dt.date(2026, 12, 3), "Welding bay")
    assert empty.wait_days == 0 and "longest operation: Welding bay" in empty.explanation
    order_id = _load(db, world, "CUST", 10)
    with db.read() as s:
        loaded = promise_line(s, world["CUST"], 10, today=WED)
        ignoring_it = promise_line(s, world["CUST"], 10, today=WED, exclude_order_id=order_id)
    # the queue holds the welding bay until Friday: weld Fri-Thu, assemble Fri 4, ship Mon 7 Dec
    assert (loaded.date, loaded.bottleneck, loaded.wait_days) == (dt.date(2026, 12, 7), "Welding bay", 1)
    assert "queue for Welding bay" in loaded.explanation
    assert ignoring_it.date == empty.date
    _load(db, world, "CUST", 10, "LOAD-2")
    with db.read() as s:
        assert promise_line(s, world["CUST"], 10, today=WED).date > loaded.date


def test_shortfall_material_and_bought_in_lead_times(db, world) -> None:
    with db.read() as s:
        partial = promise_line(s, world["STD"], 40, today=WED)
        short = promise_line(s, world["CUST"], 20, today=WED)  # needs 20 of M2, 15 in stock
        bolts = promise_line(s, world["BOLT"], 10, today=WED)
    assert partial.source == "production" and (partial.from_stock, partial.to_make) == (D("30"), D("10"))
    assert partial.date == dt.date(2026, 11, 27)  # 300 min of welding on Thursday, ships Friday
    assert short.date > WED + dt.timedelta(days=21) and "M2 short" in short.explanation
    assert bolts.date == dt.date(2026, 12, 7) and "bought in" in bolts.explanation  # 10 days, then Monday


def test_order_lines_share_stock_and_queues(db, world) -> None:
    with db.read() as s:
        single = promise_line(s, world["CUST"], 10, today=WED)
        both = promise_order(s, [(world["STD"], 20), (world["CUST"], 10), (world["STD"], 20)], today=WED)
    first_std, cust, second_std = both.lines
    assert first_std.source == "stock" and second_std.to_make == D("10")  # only 10 left after the first
    assert cust.date >= single.date
    assert both.date == max(p.date for p in both.lines) and both.bottleneck == "Welding bay"


# --- hints -------------------------------------------------------------------------------------

def test_hints_excess_versus_on_shelf_and_relevance_to_the_customer(db, world) -> None:
    hints = hints_for(db, SALES, world["C1"])
    assert [(h.sku, h.kind) for h in hints] == [
        ("STD", "on_shelf"), ("BOLT", "on_shelf"),  # bought before (STD twice)
        ("SHELF", "excess"), ("THIN", "excess"), ("OLD", "excess"),  # their family, by size of excess
    ]
    by = {h.sku: h for h in hints}
    assert by["SHELF"].cover_months == D("10.0") and by["SHELF"].free_stock == 100
    assert by["THIN"].cover_months == D("2.0")  # 40 free ÷ marketing's 20 a month (no consensus yet)
    assert by["STD"].cover_months == D("6.0")  # not above 6 months and only 2 over target: not excess
    assert by["BOLT"].cover_months == D("2.5")  # no forecast: 2 a month of recent demand
    assert by["OLD"].cover_months is None and "no demand forecast" in by["OLD"].reason
    assert by["STD"].ships == "ships tomorrow" and by["STD"].reason.startswith("30 free on the shelf at B-01")
    assert [h.relevance for h in hints] == [3, 3, 2, 2, 2]


def test_suggested_discount_keeps_the_margin_above_the_floor(db, world) -> None:
    b = {h.sku: h for h in hints_for(db, SALES, world["C1"])}  # tier B: 98.00 before the offer
    a = {h.sku: h for h in hints_for(db, SALES, world["C2"])}  # tier A: 95.00
    assert (b["SHELF"].suggested_discount, b["SHELF"].unit_price_after) == (D("0.12"), D("86.24"))
    assert (a["SHELF"].suggested_discount, a["SHELF"].unit_price_after) == (D("0.10"), D("85.50"))
    for h in (b["SHELF"], a["SHELF"]):
        assert h.margin_after >= D("0.18")
        one_more = h.unit_price * (1 - h.suggested_discount - D("0.01"))
        assert (one_more - 70) / one_more < D("0.18")  # a point more would break the floor
        assert h.reason == (f"10.0 months of stock cover (target 1.0) \u2014 offer up to "
                            f"{int(h.suggested_discount * 100)}% off; margin stays above the 18% floor"
                            + ("; they buy from this family" if h is b["SHELF"] else ""))
    assert b["THIN"].suggested_discount == 0 and "no room for a discount" in b["THIN"].reason


def test_hints_without_history_rank_by_excess_and_follow_the_order_being_typed(db, world) -> None:
    plain = hints_for(db, SALES, world["C2"])
    assert [h.sku for h in plain] == ["SHELF", "THIN", "OLD", "STD", "BOLT"]
    typing = hints_for(db, SALES, world["C2"], order_product_ids=[world["CUST"]])
    assert [h.sku for h in typing] == ["STD", "SHELF", "THIN", "OLD", "BOLT"]  # a bench on the order: benches first
    both = hints_for(db, SALES, world["C2"], order_product_ids=[world["CUST"], world["THIN"]])
    assert [h.sku for h in both] == ["SHELF", "OLD", "STD", "BOLT"]  # THIN is on the order already
    assert [h.sku for h in hints_for(db, SALES, None, limit=2)] == ["SHELF", "THIN"]


# --- the demo company, story 2 -----------------------------------------------------------------

from tests.support import TODAY  # noqa: E402


def test_story_hints_for_a_workbench_customer(db) -> None:
    build_demo(db)
    with db.read() as s:
        cust = s.execute(select(Customer.id).where(Customer.code == "SHOWCS")).scalar_one()
        wb_cust = s.execute(select(Product.id).where(Product.sku == "WB-CUST")).scalar_one()
    hints = hints_for(db, SALES, cust, order_product_ids=[wb_cust])
    shelving = [h for h in hints if h.kind == "excess" and h.family == "Shelving units"]
    assert shelving, hints
    top = max(shelving, key=lambda h: h.cover_months or 0)
    assert top.cover_months > 6 and top.suggested_discount > 0 and top.margin_after >= D("0.18")
    assert "margin stays above the 18% floor" in top.reason
    benches = [h for h in hints if h.kind == "on_shelf" and h.sku in ("WB-1500-STD", "WB-1800-STD")]
    ships = ships_text(FIRM_CALENDAR.add_business_days(TODAY, 1), TODAY)  # "ships tomorrow" on a weekday
    assert benches and all(h.ships == ships for h in benches)


def test_story_promise_for_ten_custom_workbenches(db) -> None:
    build_demo(db)
    with db.read() as s:
        wb_cust = s.execute(select(Product.id).where(Product.sku == "WB-CUST")).scalar_one()
        p = promise_line(s, wb_cust, 10, today=TODAY)
    assert p.source == "production" and p.bottleneck and p.bottleneck.startswith("Welding")
    assert 14 <= (p.date - TODAY).days <= 28, p
