"""The input-hygiene rules themselves (``app/db/hygiene.py``), without a database."""

from __future__ import annotations

import pytest

from app.db import hygiene
from app.exchange import importer
from app.exchange.kinds import IMPORT_KINDS
from app.exchange.spec import Field


def test_length_is_checked_first_and_counted_in_characters() -> None:
    assert hygiene.text_problem("é" * 200, 200) is None
    assert hygiene.text_problem("é" * 201, 200) == "at most 200 characters (201 typed)"
    assert hygiene.text_problem("\x00" * 2_000_000, 200) == "at most 200 characters (2,000,000 typed)"
    assert hygiene.text_problem("x" * 20_001, hygiene.TEXT_LIMIT, multiline=True) == \
        "at most 20,000 characters (20,001 typed)"


@pytest.mark.parametrize(("text", "reason"), [
    ("ab\x00c", "contains a control character (U+0000) at position 3"),
    ("\x1b[31mred", "contains a control character (U+001B) at position 1"),
    ("del\x7f", "contains a control character (U+007F) at position 4"),
    ("next\x85line", "contains a control character (U+0085) at position 5"),
    ("csi\x9b", "contains a control character (U+009B) at position 4"),
    ("form\x0cfeed", "contains a control character (U+000C) at position 5"),
    ("half \ud800", "contains an invalid character (U+D800) at position 6"),
])
def test_control_characters_are_refused_everywhere(text: str, reason: str) -> None:
    assert hygiene.text_problem(text, None) == reason
    assert hygiene.text_problem(text, None, multiline=True) == reason


def test_tab_and_line_breaks_only_in_multi_line_fields() -> None:
    text = "line one\r\n\tline two\nthree"
    assert hygiene.text_problem(text, None, multiline=True) is None
    assert hygiene.text_problem(text, None) == "a line break at position 9: this field is a single line"
    assert hygiene.text_problem("a\tb", None) == "a tab at position 2: this field is a single line"
    # what is not a control character passes: accents, non-Latin scripts, emoji, no-break spaces
    assert hygiene.text_problem("Müller & Söhne — “quotes” 北京 שלום 😀\u00a0\u2028", 200) is None


def test_check_text_raises_value_error_with_the_reason() -> None:
    assert hygiene.check_text("fine", 10) == "fine"
    with pytest.raises(ValueError, match=r"at most 3 characters \(4 typed\)"):
        hygiene.check_text("four", 3)


@pytest.mark.parametrize(("value", "reason"), [
    ("orders@northbeam.example", None),
    ("first.last+tag@mail.example.co.uk", None),
    ("o'brien@example.ie", None),
    ("orders at northbeam.example", "an e-mail address has no spaces"),
    ("orders@northbeam.example ", "an e-mail address has no spaces"),
    ("northbeam.example", "an e-mail address needs an @ (name@example.com)"),
    ("a@b@northbeam.example", "an e-mail address has a single @"),
    ("@northbeam.example", "a name is needed before the @ (name@example.com)"),
    ("orders@northbeam", "'northbeam' after the @ is not a domain (example.com)"),
    ("orders@.example", "'.example' after the @ is not a domain (example.com)"),
    ("orders@northbeam.", "'northbeam.' after the @ is not a domain (example.com)"),
    ("orders@north..beam", "'north..beam' after the @ is not a domain (example.com)"),
])
def test_email_syntax(value: str, reason: str | None) -> None:
    assert hygiene.email_problem(value) == reason


def test_email_setting_parser() -> None:
    assert hygiene.email_address("  orders@northbeam.example ") == "orders@northbeam.example"
    assert hygiene.email_address("   ") == ""
    with pytest.raises(ValueError, match="no spaces"):
        hygiene.email_address("orders @northbeam.example")
    with pytest.raises(ValueError, match="text is required"):
        hygiene.email_address(42)
    with pytest.raises(ValueError, match="at most 200 characters"):
        hygiene.email_address("a" * 200 + "@northbeam.example")


def test_bidi_controls_are_removed_and_letters_kept() -> None:
    controls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    assert hygiene.without_bidi(f"ACME{controls}evil") == "ACMEevil"
    assert hygiene.without_bidi("שלום عليكم (C001)") == "שלום عليكم (C001)"
    plain = "nothing to do"
    assert hygiene.without_bidi(plain) is plain


def test_every_import_text_field_has_a_declared_limit_from_the_model() -> None:
    """A new text or code column in an import kind must be given the columns it is written to."""
    names = {f.name for k in IMPORT_KINDS for f in k.fields if f.type in ("text", "code")}
    assert names <= set(hygiene.IMPORT_FIELDS), sorted(names - set(hygiene.IMPORT_FIELDS))
    assert {n: hygiene._import_limit(n) for n in ("sku", "name", "unit", "location", "email", "postcode",
                                                  "country", "number", "customer_reference")} == {
        "sku": 40, "name": 200, "unit": 12, "location": 32, "email": 200, "postcode": 16, "country": 2,
        "number": 20, "customer_reference": 60}


@pytest.mark.parametrize("field", [Field("name", "Name", "text"), Field("sku", "SKU", "code"),
                                   Field("email", "E-mail", "text")])
def test_the_imports_fast_path_gives_what_the_general_parser_gives(field: Field) -> None:
    cells = ["Plain value", "  spaced   out ", "x" * 41, "y" * 201, "nul\x00here", "esc\x1bhere", "tab\there",
             "buyer@acme.example", "buyer at acme", "#REF!", "ß" * 21, 1001.0]
    fast, _marked = importer._distinct_results(field, set(cells))
    for cell in cells:
        general = importer._cell_result(field, cell)
        got = fast[cell]
        if isinstance(general, importer._Mark):
            assert isinstance(got, importer._Mark) and got.reason == general.reason, cell
        else:
            assert got == general, cell
