"""Formatting of money, quantities and dates: one place, so every widget and document agrees —
and the one reading of numbers as people type them.

**The firm's currency and locale.** Every amount on screen, on printed documents and in Excel
exports is formatted here with the firm settings ``currency`` (an ISO 4217 code) and ``locale``
(``en_GB``, ``de_DE``, ``fr_FR``…; suggested from the country when the firm is set up).
``use_firm_settings`` (services.settings) sets both once the database is open and again when the
settings dialog saves; until then amounts are in pounds, British style (the defaults).

The rule, one for every currency and locale: the number is written with the locale's decimal
sign and digit grouping (CLDR data, from the ``babel`` package: ``1,234.50`` in Britain,
``1.234,50`` in Germany, ``1 234,50`` in France, ``1'234.50`` in Switzerland); a currency with a
sign of its own (GBP £, EUR €, USD $, JPY ¥, …) writes the sign, any other its code; the sign goes
where the locale puts it — before the number without a space (``£1,234.50``, ``-€5.00``) where the
locale writes it first, after the number with a space where it writes it last (``1.234,50 €``,
``-5,00 €``); a code before the number is followed by a space (``CHF 1,234.50``). Excel exports
carry the same sign in their number format (Excel itself shows the reader's separators).
Dates stay ISO (``2026-12-15``) until the language and the user's own locale arrive (issue 22).

**Typed numbers** (``parse_decimal``; ``parse_money`` also drops a currency sign or code): both
``1,234.50`` and ``1.234,50`` mean 1234.5 — with both separators the last one is the decimal
sign; a separator that appears more than once groups digits; a single one followed by one, two
or four or more digits is the decimal sign (``12,5`` and ``12.5`` are both twelve and a half);
only a single separator followed by exactly three digits (``1,234``, ``1.234``) is read the
firm's locale's way — grouping where it is the locale's grouping sign (1234 in Britain for
``1,234``, in Germany for ``1.234``), else the decimal sign. Spaces, apostrophes and no-break
spaces group digits too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import NamedTuple

from app import clock

# the currencies whose sign is written instead of their code; every other code is written as itself
SIGNS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥", "CNY": "¥", "INR": "₹", "KRW": "₩", "ILS": "₪",
         "NGN": "₦", "PHP": "₱", "VND": "₫", "UAH": "₴", "TRY": "₺", "RUB": "₽"}


class Currency(NamedTuple):
    code: str  # ISO 4217, e.g. EUR
    prefix: str  # what is written before the number: '£', '€', 'CHF ' (or after it: see NumberStyle)

    @property
    def sign(self) -> str:
        """The sign or code alone: '£', 'CHF'."""
        return self.prefix.strip()


class NumberStyle(NamedTuple):
    """How a locale writes numbers and amounts."""

    locale: str  # en_GB, de_DE…
    decimal: str  # '.', ','
    group: str  # ',', '.', ' ', "'"
    sign_after: bool  # the currency sign after the number (1.234,50 €)
    percent_space: bool  # '20,5 %' rather than '20.5%'


DEFAULT_LOCALE = "en_GB"


def currency_for(code: str) -> Currency:
    """The currency of an ISO code (upper-cased); an unknown code is written as itself."""
    code = code.strip().upper()
    sign = SIGNS.get(code)
    return Currency(code, sign if sign else f"{code} ")


@lru_cache(maxsize=64)
def style_for(locale: str) -> NumberStyle:
    """The number style of a locale (``de_DE``, ``de-AT``, ``fr``); ValueError for one unknown to CLDR."""
    from babel import Locale, UnknownLocaleError

    try:
        loc = Locale.parse(locale.strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValueError(f"'{locale}' is not a locale (e.g. en_GB, de_DE, fr_FR)") from exc
    symbols = loc.number_symbols.get("latn", loc.number_symbols) if hasattr(loc.number_symbols, "get") else {}
    decimal, group = symbols.get("decimal", "."), symbols.get("group", ",")
    group = " " if group in ("\u00a0", "\u202f") else group
    pattern = loc.currency_formats["standard"].pattern.split(";")[0]
    percent = loc.percent_formats[None].pattern.split(";")[0]
    return NumberStyle(str(loc), decimal, group, pattern.strip().endswith("¤"),
                       "\u00a0%" in percent or " %" in percent)


def locale_for_country(country: str) -> str:
    """The locale a firm in ``country`` most likely writes in (CLDR's likely subtags): DE → de_DE,
    AT → de_AT, CH → de_CH, BE → nl_BE; '' for a country CLDR does not know."""
    from babel import Locale, UnknownLocaleError

    code = country.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        return ""
    try:
        loc = Locale.parse(f"und_{code}")
    except (UnknownLocaleError, ValueError):
        return ""
    return f"{loc.language}_{code}" if loc.territory == code else ""


_currency = currency_for("GBP")  # the desk's (the process's)
_style = NumberStyle(DEFAULT_LOCALE, ".", ",", False, False)  # British until the firm's is set
# a document's own currency and style while it is made (using_currency): per thread, so a document
# built on a worker never changes what the screens show meanwhile
_document: ContextVar[Currency | None] = ContextVar("document_currency", default=None)
_document_style: ContextVar[NumberStyle | None] = ContextVar("document_style", default=None)


def set_currency(code: str) -> None:
    """The firm's currency for every amount formatted from now on (see the module's docstring)."""
    global _currency
    _currency = currency_for(code or "GBP")


def set_locale(locale: str | None) -> None:
    """The firm's locale for every number formatted and read from now on; an unknown one: British."""
    global _style
    try:
        _style = style_for(locale or DEFAULT_LOCALE)
    except ValueError:
        _style = style_for(DEFAULT_LOCALE)


def currency() -> Currency:
    """The currency amounts are formatted in here and now."""
    return _document.get() or _currency


def style() -> NumberStyle:
    """The number style numbers are formatted and read in here and now."""
    return _document_style.get() or _style


@contextmanager
def using_currency(code: str, locale: str | None = None) -> Iterator[None]:
    """Amounts formatted inside the block (in this thread) are in ``code`` (and ``locale``'s style):
    a printed document in the currency of the settings it was made from, whichever desk or
    command prints it."""
    token = _document.set(currency_for(code or "GBP"))
    token_style = _document_style.set(style_for(locale) if locale else None)
    try:
        yield
    finally:
        _document_style.reset(token_style)
        _document.reset(token)


def _localised(text: str, st: NumberStyle) -> str:
    """English digits ('1,234.50') in the style's signs."""
    if st.decimal == "." and st.group == ",":
        return text
    return text.replace(",", "\x00").replace(".", st.decimal).replace("\x00", st.group)


def number(value: Decimal | int | float | None, places: int = 2) -> str:
    """A plain number with ``places`` decimals, grouped, in the locale's style."""
    if value is None:
        return ""
    return _localised(f"{Decimal(value):,.{places}f}", style())


def plain(value: Decimal | int | float | None, places: int | None = None) -> str:
    """A number for a field the user edits: the locale's decimal sign, no grouping, ``places``
    decimals (None: as many as it has, trailing zeros dropped) — '1,125' in Germany, '1.125' in
    Britain: never the ambiguous '1.125' a German reads as 1125."""
    if value is None:
        return ""
    d = Decimal(value)
    text = f"{d:.{places}f}" if places is not None else format(d.normalize(), "f")
    if text in ("-0", ""):
        text = "0"
    return text.replace(".", style().decimal)


def money(value: Decimal | int | float | None, *, symbol: bool = True) -> str:
    if value is None:
        return ""
    st = style()
    text = _localised(f"{Decimal(value):,.2f}", st)
    if not symbol:
        return text
    negative = text.startswith("-")
    digits = text[1:] if negative else text
    cur = currency()
    out = f"{digits} {cur.sign}" if st.sign_after else f"{cur.prefix}{digits}"
    return f"-{out}" if negative else out


def excel_money_format(code: str | None = None, locale: str | None = None) -> str:
    """The number format of money cells in Excel exports, in ``code``'s currency (the one amounts
    are formatted in here when None): '"€"#,##0.00', or '#,##0.00 "€"' where the locale writes the
    sign after the number (Excel shows the reader's own separators either way)."""
    cur = currency_for(code) if code else currency()
    if (style_for(locale) if locale else style()).sign_after:
        return f'#,##0.00 "{cur.sign}"'
    return f'"{cur.prefix}"#,##0.00'


_SIGNS_RE = re.compile(r"[£$€¥₹₩₪₦₱₫₴₺₽]")
_GROUPING_RE = re.compile(r"[\s'\u00a0\u202f\u2009]")


def parse_decimal(text: str) -> Decimal:
    """A number as typed ('1,234.50', '1.234,50', '12,5', '1 234', '-3') → Decimal, by the rule in
    the module's docstring. Raises InvalidOperation for what is not a number."""
    s = _GROUPING_RE.sub("", str(text).strip())
    sign = ""
    if s[:1] in "+-":
        sign, s = ("-" if s[0] == "-" else ""), s[1:]
    if not s or not re.fullmatch(r"[0-9.,]+", s) or not any(c.isdigit() for c in s):
        raise InvalidOperation(text)
    dots, commas = s.count("."), s.count(",")
    if dots and commas:
        dec = "." if s.rfind(".") > s.rfind(",") else ","
        grp = "," if dec == "." else "."
        if s.count(dec) > 1:
            raise InvalidOperation(text)
        whole, frac = s.split(dec)
        digits = _grouped(whole, grp, text) + "." + frac
    elif dots or commas:
        sep = "." if dots else ","
        parts = s.split(sep)
        if len(parts) > 2:  # '1.234.567': grouping
            digits = _grouped(s, sep, text)
        elif len(parts[1]) == 3 and parts[0] not in ("", "0"):  # '1,234' / '1.234': the locale decides
            digits = parts[0] + parts[1] if sep == style().group else parts[0] + "." + parts[1]
        else:
            digits = parts[0] + "." + parts[1]
    else:
        digits = s
    try:
        return Decimal(sign + digits)
    except InvalidOperation:
        raise InvalidOperation(text) from None


def _grouped(text: str, sep: str, typed: str) -> str:
    """Digits grouped by ``sep`` in threes ('1,234,567') → '1234567'; else not a number."""
    groups = text.split(sep)
    if not groups[0] or len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:]):
        raise InvalidOperation(typed)
    return "".join(groups)


def decimal_of(value: object) -> Decimal:
    """A number a service was given — a Decimal, an int, or text as typed ('1.234,50', '€12',
    '12,5'; read by ``parse_money``) — as a Decimal. Raises InvalidOperation for anything else
    (a bool, None, 'abc'). The one reading of typed numbers every service uses."""
    if isinstance(value, bool) or value is None:
        raise InvalidOperation(value)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    return parse_money(str(value))


def parse_money(text: str) -> Decimal:
    """An amount as typed or shown ('€1,234.50', '1.234,50 €', '£ 12', 'CHF 3.50', '1,200') →
    Decimal: the firm's sign or code and any other currency sign are dropped, the number read by
    ``parse_decimal``. Raises InvalidOperation."""
    s = str(text).strip()
    code = currency().code
    s = s.replace(currency().sign, "") if currency().sign else s
    s = re.sub(rf"\b{re.escape(code)}\b", "", s, flags=re.IGNORECASE)
    s = _SIGNS_RE.sub("", s)
    if not s.strip():
        raise InvalidOperation(text)
    return parse_decimal(s)


def quantity(value: Decimal | int | float | None) -> str:
    if value is None:
        return ""
    d = Decimal(value)
    return _localised(f"{d:,.0f}" if d == d.to_integral_value() else f"{d.normalize():,f}", style())


def date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def local_time(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(clock.zone()).strftime("%Y-%m-%d %H:%M")


def percent(value: Decimal | float | None, digits: int = 1) -> str:
    if value is None:
        return ""
    st = style()
    text = _localised(f"{Decimal(value) * 100:.{digits}f}", st)
    return f"{text}\u00a0%" if st.percent_space else f"{text}%"
