"""Invoice totals with Decimal rounding (property tests, no database)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from app.services.billing import invoice_amounts

CENT = Decimal("0.01")
quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("10000"), places=3)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=2)
rates = st.sampled_from([Decimal("0"), Decimal("0.05"), Decimal("0.2"), Decimal("0.2000")])
lines = st.lists(st.tuples(quantities, prices, rates), min_size=1, max_size=30)


@given(lines)
def test_totals_are_the_sums_of_rounded_lines(items) -> None:
    a = invoice_amounts(items)
    assert a.net == sum(n for n, _t in a.lines) and a.tax == sum(t for _n, t in a.lines)
    assert a.gross == a.net + a.tax
    for (q, p, r), (n, t) in zip(items, a.lines):
        assert n == (q * p).quantize(CENT, rounding=ROUND_HALF_UP)
        assert t == (n * r).quantize(CENT, rounding=ROUND_HALF_UP)
        assert n.as_tuple().exponent >= -2 and t.as_tuple().exponent >= -2
        assert abs(t - n * r) <= Decimal("0.005")
    # rounding per line stays within half a cent per line of the exact amount
    exact = sum(q * p for q, p, _r in items)
    assert abs(a.net - exact) <= Decimal("0.005") * len(items)


@given(lines)
def test_tax_by_rate_adds_up(items) -> None:
    a = invoice_amounts(items)
    by_rate = a.tax_by_rate([r for _q, _p, r in items])
    assert sum(by_rate.values()) == a.tax
    assert set(by_rate) == {r for _q, _p, r in items}


def test_half_cents_round_up() -> None:
    a = invoice_amounts([(Decimal("1"), Decimal("0.125"), Decimal("0.2"))])
    assert a.lines[0] == (Decimal("0.13"), Decimal("0.03"))
