"""Pricing rules as pure functions: multiplicative discounts, half-up cents, totals from rounded
lines, margins, and the price a customer pays (property tests with hypothesis; no database)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.pricing import (
    PricedLine,
    ProductRules,
    combined_discount,
    line_price,
    line_totals,
    margin_of,
    order_totals,
    pct,
    quote_from_rules,
    recover_extra_discount,
)
from app.services.settings import defaults

D = Decimal
CENT = D("0.01")

prices = st.decimals(min_value=D("0"), max_value=D("100000"), places=2)
rates = st.decimals(min_value=D("0"), max_value=D("1"), places=4)
discounts = st.decimals(min_value=D("0"), max_value=D("0.9999"), places=4)
quantities = st.decimals(min_value=D("0.001"), max_value=D("10000"), places=3)
tax_rates = st.sampled_from([D("0"), D("0.05"), D("0.2"), D("0.175")])


def half_up(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


# --- line_price --------------------------------------------------------------------------------

def test_discounts_multiply_rather_than_add() -> None:
    # tier 2 %, break 3 %, promotion 8 %: 100 x 0.98 x 0.97 x 0.92 = 87.4552 -> 87.46 (not 87.00)
    got = line_price(D("100"), tier_discount=D("0.02"), break_discount=D("0.03"), promo_discount=D("0.08"))
    assert got == D("87.46")
    assert combined_discount(D("0.02"), D("0.08")) == D("0.0984")


def test_rounding_is_half_up_to_cents() -> None:
    assert line_price(D("10.005")) == D("10.01")  # banker's rounding would give 10.00
    assert line_price(D("0.25"), promo_discount=D("0.5")) == D("0.13")  # 0.125 -> 0.13
    assert line_price(D("100"), override=D("49.995"), tier_discount=D("0.5")) == D("50.00")


def test_override_replaces_discounts_and_is_never_negative() -> None:
    assert line_price(D("100"), tier_discount=D("0.05"), override=D("120")) == D("120.00")
    assert line_price(D("100"), override=D("-5")) == D("0")


@given(prices, discounts, discounts, discounts, discounts)
def test_line_price_is_list_times_each_remaining_fraction(list_price, t, b, p, x) -> None:
    got = line_price(list_price, tier_discount=t, break_discount=b, promo_discount=p, extra_discount=x)
    assert got == half_up(list_price * (1 - t) * (1 - b) * (1 - p) * (1 - x))
    assert D(0) <= got <= list_price
    assert got == got.quantize(CENT)


@given(prices, st.permutations([D("0.05"), D("0.03"), D("0.08"), D("0.15")]))
def test_the_order_of_discounts_does_not_matter(list_price, ds) -> None:
    a = line_price(list_price, tier_discount=ds[0], break_discount=ds[1], promo_discount=ds[2], extra_discount=ds[3])
    b = line_price(list_price, tier_discount=ds[3], break_discount=ds[2], promo_discount=ds[1], extra_discount=ds[0])
    assert a == b


@given(prices, st.decimals(min_value=D("-10"), max_value=D("10"), places=4), rates)
def test_never_negative_even_with_nonsense_discounts(list_price, wild, t) -> None:
    assert line_price(list_price, tier_discount=wild, promo_discount=t) >= 0
    assert line_price(list_price, extra_discount=D("1")) == 0


@given(prices, discounts, discounts)
def test_more_discount_never_raises_the_price(list_price, d1, d2) -> None:
    lo, hi = sorted([d1, d2])
    assert line_price(list_price, promo_discount=hi) <= line_price(list_price, promo_discount=lo)


# --- totals ------------------------------------------------------------------------------------

def test_line_totals_round_net_then_tax() -> None:
    assert line_totals(D("3"), D("0.335"), D("0.2")) == (D("1.01"), D("0.20"))  # 1.005 -> 1.01; 0.202 -> 0.20
    assert line_totals(D("1"), D("0.03"), D("0.175")) == (D("0.03"), D("0.01"))  # 0.00525 -> 0.01


def test_order_net_is_the_sum_of_rounded_lines_not_the_rounded_sum() -> None:
    lines = [PricedLine(D("1"), D("0.005"), D("0.2")), PricedLine(D("1"), D("0.005"), D("0.2"))]
    t = order_totals(lines)
    assert t.net == D("0.02")  # 0.01 + 0.01, whereas money(0.010) would be 0.01
    assert t.gross == t.net + t.tax


@settings(max_examples=200)
@given(st.lists(st.tuples(quantities, prices, tax_rates, prices), min_size=0, max_size=12))
def test_totals_equal_the_sum_of_rounded_lines_plus_tax(rows) -> None:
    lines = [PricedLine(q, p, r, c) for q, p, r, c in rows]
    t = order_totals(lines)
    nets = [half_up(q * p) for q, p, _r, _c in rows]
    taxes = [half_up(n * r) for n, (_q, _p, r, _c) in zip(nets, rows, strict=True)]
    assert t.net == sum(nets, D(0))
    assert t.tax == sum(taxes, D(0))
    assert t.gross == t.net + t.tax
    assert t.cost == sum((half_up(q * c) for q, _p, _r, c in rows), D(0))
    assert t.net >= 0 and t.tax >= 0 and t.gross >= t.net
    for v in (t.net, t.tax, t.gross, t.cost):
        assert v == v.quantize(CENT)
    if t.net > 0:
        assert t.margin == ((t.net - t.cost) / t.net).quantize(D("0.0001"))
        assert t.margin <= 1
    else:
        assert t.margin is None


def test_margin_is_a_fraction_of_net() -> None:
    assert margin_of(D("200"), D("150")) == D("0.25")
    assert margin_of(D("100"), D("120")) == D("-0.2")
    assert margin_of(D("0"), D("10")) is None


def test_percent_text() -> None:
    assert (pct(D("0.05")), pct(D("0.025")), pct(D("0.18")), pct(D("0"))) == ("5%", "2.5%", "18%", "0%")


# --- a customer's price from the rules ------------------------------------------------------

SHELF = ProductRules(product_id=1, list_price=D("254.00"), standard_cost=D("144.92"), make_to_stock=True,
                     breaks=((D("10"), D("0.03")), (D("20"), D("0.05")), (D("50"), D("0.10"))),
                     promos=(("Old offer", D("0.04")), ("Shelving season offer", D("0.08"))))


def test_price_explains_tier_break_and_promotion() -> None:
    q = quote_from_rules(SHELF, D("20"), tier="B", settings=defaults())
    assert q.explanation == ("tier B \u22122%", "20+ units \u22125%", "Shelving season offer \u22128%")
    assert (q.tier_discount, q.break_discount, q.promo_discount) == (D("0.02"), D("0.05"), D("0.08"))
    assert q.promo_name == "Shelving season offer"  # the best promotion, promotions do not stack
    assert q.unit_price == half_up(D("254") * D("0.98") * D("0.95") * D("0.92"))
    assert q.unit_cost == D("144.92")
    assert q.margin == ((q.unit_price - q.unit_cost) / q.unit_price).quantize(D("0.0001"))
    assert not q.below_floor


def test_the_highest_break_reached_applies_and_tier_c_has_no_discount() -> None:
    assert quote_from_rules(SHELF, D("9.999"), tier="C", settings=defaults()).break_discount == 0
    assert quote_from_rules(SHELF, D("49"), tier="C", settings=defaults()).break_discount == D("0.05")
    q = quote_from_rules(SHELF, D("50"), tier="C", settings=defaults())
    assert q.break_discount == D("0.10") and not any(e.startswith("tier") for e in q.explanation)


def test_below_floor_is_flagged() -> None:
    plain = ProductRules(2, D("100"), D("85"), True, (), ())
    assert quote_from_rules(plain, D("1"), tier="C", settings=defaults()).explanation == ("list price",)
    assert not quote_from_rules(plain, D("1"), tier=None, settings=defaults(), unit_cost=D("82")).below_floor  # 18.0 %
    assert quote_from_rules(plain, D("1"), tier="B", settings=defaults(), unit_cost=D("82")).below_floor  # 16.3 %


@given(st.decimals(min_value=D("1"), max_value=D("5000"), places=2),
       st.sampled_from([D("0"), D("0.02"), D("0.05"), D("0.0984"), D("0.1254")]),
       st.integers(min_value=1, max_value=60))
def test_a_whole_percent_extra_discount_is_recovered_from_the_stored_price(list_price, base, whole) -> None:
    extra = D(whole) / 100
    price = half_up(list_price * (1 - base) * (1 - extra))
    got = recover_extra_discount(list_price, base, price)
    assert half_up(list_price * (1 - base) * (1 - got)) == price  # editing the line keeps its price
    if list_price * (1 - base) >= 100:  # prices fine enough to tell whole percents apart
        assert got == extra


def test_default_settings_are_typed_decimals() -> None:
    s = defaults()
    assert isinstance(s.margin_floor, Decimal) and s.margin_floor == D("0.18")
    assert (s.overhead_rate, s.max_excess_discount, s.excess_cover_months) == (D("0.15"), D("0.15"), D("6"))
    assert s.tier_discount("A") == D("0.05") and s.tier_discount("C") == 0 and s.tier_discount(None) == 0
