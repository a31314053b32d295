"""Formatting of money, quantities and dates: one place, so every widget and document agrees.

**The firm's currency.** Every amount on screen, on printed documents and in Excel exports is
formatted here with the firm setting ``currency`` (an ISO 4217 code). ``set_currency(code)`` is
called once the database is open (``services.settings.use_firm_settings``, at sign-in and by the
commands) and again when the settings dialog saves; until then amounts are in pounds (the
setting's default, GBP).

The rule, one for every currency: the number keeps its English form (``1,234.50`` — there is no
locale setting yet); a currency with a sign of its own (GBP £, EUR €, USD $, JPY ¥, …) puts it
before the number without a space (``£1,234.50``, ``€1,234.50``, ``-€5.00``), as English-language
documents write it; a currency without one puts its code before the number with a space
(``CHF 1,234.50``, ``SEK 99.00``). Excel exports carry the same sign in their number format.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from app import clock

# the currencies whose sign is written instead of their code; every other code is written as itself
SIGNS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥", "CNY": "¥", "INR": "₹", "KRW": "₩", "ILS": "₪",
         "NGN": "₦", "PHP": "₱", "VND": "₫", "UAH": "₴", "TRY": "₺", "RUB": "₽"}


class Currency(NamedTuple):
    code: str  # ISO 4217, e.g. EUR
    prefix: str  # what is written before the number: '£', '€', 'CHF '


def currency_for(code: str) -> Currency:
    """The currency of an ISO code (upper-cased); an unknown code is written as itself."""
    code = code.strip().upper()
    sign = SIGNS.get(code)
    return Currency(code, sign if sign else f"{code} ")


_currency = currency_for("GBP")  # the desk's (the process's)
# a document's own currency while it is made (using_currency): per thread, so a document built on
# a worker never changes what the screens show meanwhile
_document: ContextVar[Currency | None] = ContextVar("document_currency", default=None)


def set_currency(code: str) -> None:
    """The firm's currency for every amount formatted from now on (see the module's docstring)."""
    global _currency
    _currency = currency_for(code or "GBP")


def currency() -> Currency:
    """The currency amounts are formatted in here and now."""
    return _document.get() or _currency


@contextmanager
def using_currency(code: str) -> Iterator[None]:
    """Amounts formatted inside the block (in this thread) are in ``code``: a printed document in
    the currency of the settings it was made from, whichever desk or command prints it."""
    token = _document.set(currency_for(code or "GBP"))
    try:
        yield
    finally:
        _document.reset(token)


def money(value: Decimal | int | float | None, *, symbol: bool = True) -> str:
    if value is None:
        return ""
    text = f"{Decimal(value):,.2f}"
    if not symbol:
        return text
    prefix = currency().prefix
    if text.startswith("-"):
        return f"-{prefix}{text[1:]}"
    return f"{prefix}{text}"


def excel_money_format(code: str | None = None) -> str:
    """The number format of money cells in Excel exports, in ``code``'s currency (the one amounts
    are formatted in here when None): '"€"#,##0.00'."""
    prefix = currency_for(code).prefix if code else currency().prefix
    return f'"{prefix}"#,##0.00'


def parse_money(text: str) -> Decimal:
    """An amount as typed or shown ('€1,234.50', '£ 12', 'CHF 3.50', '1,200') → Decimal; the
    firm's sign or code and any other currency sign are ignored. Raises InvalidOperation."""
    s = text.strip().replace(currency().prefix.strip(), "")
    s = re.sub(r"[£$€¥₹₩₪₦₱₫₴₺₽,\s]", "", s)
    if not s:
        raise InvalidOperation(text)
    return Decimal(s)


def quantity(value: Decimal | int | float | None) -> str:
    if value is None:
        return ""
    d = Decimal(value)
    return f"{d:,.0f}" if d == d.to_integral_value() else f"{d.normalize():,f}"


def date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def local_time(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(clock.zone()).strftime("%Y-%m-%d %H:%M")


def percent(value: Decimal | float | None, digits: int = 1) -> str:
    if value is None:
        return ""
    return f"{Decimal(value) * 100:.{digits}f}%"
