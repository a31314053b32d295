"""The firm's locale (issue 20): amounts, quantities and percentages written the locale's way, and
the one reading of typed numbers every service uses — both ways of writing a number accepted,
only the truly ambiguous '1,234' / '1.234' read the locale's way, bad grouping refused."""

from __future__ import annotations

from decimal import Decimal as D
from decimal import InvalidOperation

import pytest

from app import format as fmt

NBSP = "\u00a0"


@pytest.fixture
def firm(monkeypatch):
    """Set the process's currency and locale for one test (put back afterwards)."""
    monkeypatch.setattr(fmt, "_currency", fmt._currency)
    monkeypatch.setattr(fmt, "_style", fmt._style)

    def use(currency: str, locale: str) -> None:
        fmt.set_currency(currency)
        fmt.set_locale(locale)

    return use


def test_british_by_default_as_before(firm) -> None:
    firm("GBP", "en_GB")
    assert (fmt.money(D("-1234.5")), fmt.money(D("0.5")), fmt.quantity(D("1234.5")), fmt.percent(D("0.205"))) == \
        ("-£1,234.50", "£0.50", "1,234.5", "20.5%")
    firm("CHF", "en_GB")
    assert fmt.money(D("1234.5")) == "CHF 1,234.50" and fmt.excel_money_format() == '"CHF "#,##0.00'


@pytest.mark.parametrize(("currency", "locale", "amount", "qty", "pct", "excel"), [
    ("EUR", "de_DE", "-1.234,50 €", "1.234,5", f"20,5{NBSP}%", '#,##0.00 "€"'),
    ("CHF", "de_CH", "-CHF 1'234.50", "1'234.5", "20.5%", '"CHF "#,##0.00'),
    ("EUR", "fr_FR", "-1 234,50 €", "1 234,5", f"20,5{NBSP}%", '#,##0.00 "€"'),
    ("USD", "en_US", "-$1,234.50", "1,234.5", "20.5%", '"$"#,##0.00'),
])
def test_each_locale_writes_amounts_its_way(firm, currency, locale, amount, qty, pct, excel) -> None:
    firm(currency, locale)
    assert fmt.money(D("-1234.5")) == amount
    assert fmt.quantity(D("1234.5")) == qty and fmt.percent(D("0.205")) == pct
    assert fmt.excel_money_format() == excel
    assert fmt.parse_money(amount) == D("-1234.50")  # what is shown reads back


@pytest.mark.parametrize(("typed", "british", "german"), [
    ("1,234.50", "1234.50", "1234.50"),
    ("1.234,50", "1234.50", "1234.50"),
    ("12,5", "12.5", "12.5"),
    ("12.5", "12.5", "12.5"),
    ("0,750", "0.750", "0.750"),
    ("1,234", "1234", "1.234"),  # the one ambiguous case: the locale decides
    ("1.234", "1.234", "1234"),
    ("1.234.567", "1234567", "1234567"),
    ("1 234,5", "1234.5", "1234.5"),
    ("-3", "-3", "-3"),
    ("€ 12", "12", "12"),
    ("12,50 €", "12.50", "12.50"),
])
def test_typed_numbers_read_the_same_in_every_service(firm, typed: str, british: str, german: str) -> None:
    firm("EUR", "en_GB")
    assert fmt.parse_money(typed) == D(british)
    firm("EUR", "de_DE")
    assert fmt.parse_money(typed) == D(german)
    assert fmt.decimal_of(typed) == D(german)


@pytest.mark.parametrize("typed", ["abc", "1,2,3", "1.23.4", "12..5", "1,234,56", "1.234,5.6", "", "-", "e5", "NaN"])
def test_what_is_not_a_number_is_refused(firm, typed: str) -> None:
    firm("GBP", "en_GB")
    with pytest.raises(InvalidOperation):
        fmt.parse_money(typed)


def test_decimal_of_takes_numbers_and_refuses_bools() -> None:
    assert fmt.decimal_of(D("2.5")) == D("2.5") and fmt.decimal_of(3) == 3 and fmt.decimal_of(0.1) == D("0.1")
    for bad in (True, None):
        with pytest.raises(InvalidOperation):
            fmt.decimal_of(bad)


def test_locales_and_countries() -> None:
    assert fmt.style_for("de-DE").locale == "de_DE"
    with pytest.raises(ValueError, match="not a locale"):
        fmt.style_for("xx_QQ_nonsense")
    assert [fmt.locale_for_country(c) for c in ("DE", "at", "CH", "GB", "US", "ZZ", "")] == \
        ["de_DE", "de_AT", "de_CH", "en_GB", "en_US", "", ""]


def test_a_document_keeps_its_own_locale_whatever_the_screens_show(firm) -> None:
    firm("GBP", "en_GB")
    with fmt.using_currency("EUR", "de_DE"):
        assert fmt.money(D("1234.5")) == "1.234,50 €"
    assert fmt.money(D("1234.5")) == "£1,234.50"


@pytest.mark.parametrize(("locale", "currency"), [("en_GB", "GBP"), ("de_DE", "EUR"), ("fr_FR", "EUR"),
                                                  ("de_CH", "CHF"), ("en_US", "USD")])
def test_an_on_screen_table_exports_what_it_shows_as_numbers_in_every_locale(firm, locale: str,
                                                                             currency: str) -> None:
    from app.exchange.writing import typed_text

    firm(currency, locale)
    assert typed_text(fmt.money(D("-1234.5"))) == (-1234.5, "money")
    assert typed_text(fmt.money(D("7"))) == (7.0, "money")
    assert typed_text(fmt.quantity(D("1234.5"))) == (1234.5, "number")
    assert typed_text(fmt.percent(D("0.205"))) == (0.205, "rate")
    assert typed_text("SO-000123") == ("SO-000123", "text") and typed_text("00123") == ("00123", "text")
