"""Values as people type them, header detection and synonyms (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from app.exchange import values as v
from app.exchange.kinds import KINDS
from app.exchange.reading import SheetData, column_letter, find_header, sheet_problems
from app.exchange.spec import parse
from app.exchange.writing import typed_text


@pytest.mark.parametrize("raw, expected", [
    (1234.5, D("1234.5")), ("1,234.50", D("1234.50")), ("1.234,50", D("1234.50")), ("12,5", D("12.5")),
    ("1 234,5", D("1234.5")), ("£ 1,200", D("1200")), ("  7 ", D("7")), ("-3", D("-3")), ("(3)", D("-3")),
    ("1,234,567", D("1234567")), (3, D("3")),
])
def test_numbers_as_typed(raw, expected) -> None:
    assert v.number(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "1,23,4", "", "1.2.3", True])
def test_not_numbers(raw) -> None:
    with pytest.raises(ValueError):
        v.number(raw)


@pytest.mark.parametrize("raw, expected", [
    (dt.date(2026, 11, 26), dt.date(2026, 11, 26)), (dt.datetime(2026, 11, 26, 9, 30), dt.date(2026, 11, 26)),
    ("2026-11-26", dt.date(2026, 11, 26)), ("26/11/2026", dt.date(2026, 11, 26)), ("26.11.2026", dt.date(2026, 11, 26)),
    ("26-11-26", dt.date(2026, 11, 26)), ("26 Nov 2026", dt.date(2026, 11, 26)),
    ("November 26, 2026", dt.date(2026, 11, 26)),
    ("2026/11/26", dt.date(2026, 11, 26)), (46352, dt.date(2026, 11, 26)), ("Nov 2026", dt.date(2026, 11, 1)),
    ("2026-11", dt.date(2026, 11, 1)),
])
def test_dates_as_typed(raw, expected) -> None:
    assert v.date(raw) == expected


@pytest.mark.parametrize("raw", ["31/02/2026", "tomorrow", "2026-13-01", ""])
def test_not_dates(raw) -> None:
    with pytest.raises(ValueError):
        v.date(raw)


def test_codes_text_booleans_rates_and_errors() -> None:
    assert v.code(" sh-1200-5 ") == "SH-1200-5" and v.code(1001.0) == "1001"
    assert v.text("  two   words ") == "two words"
    assert v.boolean("Yes") and not v.boolean("no") and v.boolean(1)
    with pytest.raises(ValueError):
        v.boolean("maybe")
    assert v.fraction("20%") == D("0.2") and v.fraction(20) == D("0.2") and v.fraction("0.2") == D("0.2")
    assert v.formula_error("#REF!") == "#REF!" and v.formula_error("REF") is None
    qty = KINDS["orders"].field("quantity")
    assert parse(qty, "2,5") == D("2.500")
    with pytest.raises(ValueError, match="more than 0"):
        parse(qty, 0)
    with pytest.raises(ValueError, match="negative"):
        parse(KINDS["stock"].field("stock_on_hand"), "-1")
    with pytest.raises(ValueError, match="one of"):
        parse(KINDS["customers"].field("tier"), "D")
    assert parse(KINDS["customers"].field("tier"), "a") == "A"


def test_the_header_is_found_below_title_rows_by_synonyms() -> None:
    sheet = SheetData("Export", [["Stock count 26 Nov"], [], ["Item No.", "Description", "Counted", "Remarks"],
                                 ["SH-1", "x", 3, ""]])
    k = KINDS["stock"]
    h = find_header(sheet, k.synonyms())
    assert h is not None and h.row == 2 and h.columns == {0: "sku", 1: "name", 2: "stock_on_hand"}
    assert h.unmatched == {3: "Remarks"}
    # a remembered mapping claims a header the synonyms do not know
    sheet2 = SheetData("S", [["Artikel-Nr", "Bestand lager"], ["A", 1]])
    h2 = find_header(sheet2, k.synonyms(), {"Bestand lager": "stock_on_hand"})
    assert h2.columns == {0: "sku", 1: "stock_on_hand"}


def test_sheet_level_problems() -> None:
    k = KINDS["products"]
    empty = SheetData("E", [[None, ""], []])
    assert "empty" in sheet_problems(empty, find_header(empty, k.synonyms()))[0].reason
    only = SheetData("H", [["SKU", "Name"]])
    assert "no data rows" in sheet_problems(only, find_header(only, k.synonyms()))[0].reason
    merged = SheetData("M", [["SKU", "Name", None], ["A", "b", 1]], merged=[((0, 1), (0, 2))], hidden_rows={2},
                       hidden_cols={1})
    reasons = [p.reason for p in sheet_problems(merged, find_header(merged, k.synonyms()))]
    assert any("merged header" in r for r in reasons) and any("row is hidden" in r for r in reasons)
    assert any("column is hidden" in r for r in reasons)
    assert column_letter(0) == "A" and column_letter(27) == "AB"


def test_displayed_text_back_to_types() -> None:
    assert typed_text("£1,234.50") == (1234.5, "money")
    assert typed_text("12 %") == (0.12, "rate")
    assert typed_text("2026-11-26") == (dt.date(2026, 11, 26), "date")
    assert typed_text("1,200") == (1200.0, "number")
    assert typed_text("SO-000123") == ("SO-000123", "text")
    assert typed_text("00123") == ("00123", "text")  # leading zeros are codes


def test_the_column_short_paths_give_what_the_general_parser_gives() -> None:
    """Codes, texts, quantities and prices are converted per distinct value with short paths;
    each must agree with the cell-by-cell parser, including its refusals."""
    from app.exchange.importer import BLANK, _cell_result, _convert_column, _distinct_results

    orders = KINDS["orders"]
    cells = {
        "number": [" so-1 ", "SO-1", "so  2", "#REF!", "", "   ", None, 1001.0, 1001, dt.date(2026, 1, 2)],
        "customer_reference": ["PO  7 ", "#N/A", "", 12.5, "a\tb"],
        "quantity": [1, 1.0, 2.5, 0, -1, 0.0004, 1e-9, "3,5", "#DIV/0!", float("inf"), float("nan"), 12345678.9,
                     99_999_999_999.9994, 1e11, 10**40],
        "unit_price": [10.005, 2.675, 0, -0.01, 7, "1.234,50", 1e15, 0.1 + 0.2, 999_999_999_999.994, 1e12, 1e30,
                       "999999999999.995",
                       "1e400"],
        "discount": [0, 0.2, "20%", 20, 1e30, -0.1, 99.995],
    }
    for name, values in cells.items():
        f = orders.field(name)
        fast, marked = _distinct_results(f, set(values))
        assert marked == any(hasattr(_cell_result(f, x), "reason") for x in values if x == x)
        for value in values:
            if value != value:  # NaN: not a dict key of itself
                continue
            want, got = _cell_result(f, value), fast[value]
            if hasattr(want, "reason"):
                assert type(got) is type(want) and got.reason == want.reason, (name, value)
            else:
                assert got == want and type(got) is type(want), (name, value)
    assert "too large" in _cell_result(orders.field("unit_price"), 1e30).reason  # not a crash (was one)
    assert _cell_result(orders.field("unit_price"), 999_999_999_999.994) == D("999999999999.99")
    # yes/no cells are kept apart from 1 and 0 (equal as dict keys)
    f = orders.field("quantity")
    out, marked = _convert_column(f, [1, True, 0.0, False, 2])
    assert out[0] == D("1.000") and "yes/no" in out[1].reason and marked
    assert out[3] is not BLANK and "yes/no" in out[3].reason


def test_the_collector_pause_nests_and_restores() -> None:
    import gc

    from app import gcpause

    assert gc.isenabled()
    with gcpause.paused():
        with gcpause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gcpause.paused():
            pass
        assert not gc.isenabled()  # was off before: stays off
    finally:
        gc.enable()
