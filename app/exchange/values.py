"""Values as people type them in spreadsheets: real dates or common text forms, numbers with
thousands separators or a decimal comma, stray spaces, codes in any case. Each parser returns the
value or raises ``ValueError`` with the plain reason that ends up in the problem list."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from app import format as fmt

# what Excel shows for a formula that failed; calamine hands them over as text
FORMULA_ERRORS = frozenset({"#REF!", "#VALUE!", "#DIV/0!", "#N/A", "#NAME?", "#NUM!", "#NULL!", "#SPILL!",
                            "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})
EXCEL_EPOCH = dt.date(1899, 12, 30)
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                       "dec"), 1)}
TRUE = {"yes", "y", "true", "1", "x", "ja", "oui", "✓", "wahr"}
FALSE = {"no", "n", "false", "0", "", "nein", "non", "falsch"}


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def formula_error(value: Any) -> str | None:
    if isinstance(value, str) and value.strip().upper() in FORMULA_ERRORS:
        return value.strip().upper()
    return None


def text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed as 1001 comes back as 1001.0
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(str(value).split())


def code(value: Any) -> str:
    return text(value).upper()


def number(value: Any) -> Decimal:
    """1234.5, '1,234.50', '1.234,50', '1 234,5', '12,5', '£ 1,200', '-3', '(3)' → Decimal."""
    if isinstance(value, bool):
        raise ValueError("a number is needed here, not yes/no")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("not a number")
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    s = str(value).strip().replace("\u00a0", " ")
    neg = s.startswith("(") and s.endswith(")")
    s = re.sub(r"[£$€%\s']", "", s.strip("()"))
    if not s:
        raise ValueError("empty")
    try:  # the one reading of typed numbers (app.format): 1,234.50 and 1.234,50 alike
        d = fmt.parse_decimal(s)
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a number") from None
    if not d.is_finite():
        raise ValueError(f"'{value}' is not a number")
    return -d if neg else d


def integer(value: Any) -> int:
    d = number(value)
    if d != d.to_integral_value():
        raise ValueError(f"'{value}' is not a whole number")
    return int(d)


def fraction(value: Any) -> Decimal:
    """A rate as 0.2, 20 %, '20%', or 20 (read as per cent when above 1)."""
    raw = str(value).strip() if isinstance(value, str) else value
    d = number(value)
    if (isinstance(raw, str) and raw.endswith("%")) or d > 1:
        d = d / 100
    return d


def date(value: Any) -> dt.date:
    """A real date, an Excel serial number, or text: 2026-11-26, 26/11/2026, 26.11.2026,
    26-11-26, 26 Nov 2026, Nov 26 2026, 2026/11/26. Day first, as written in Europe."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 200_000:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError(f"{value} is not a date")
    s = " ".join(str(value).lower().replace(",", " ").split())
    if not s:
        raise ValueError("empty")
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ t].*)?", s)
    if m:
        y, mo, d = (int(x) for x in m.groups())
        return _make(y, mo, d, value)
    m = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?: .*)?", s)
    if m:
        d, mo, y = (int(x) for x in m.groups())
        return _make(y + 2000 if y < 100 else y, mo, d, value)
    m = re.fullmatch(r"(\d{1,2})[ -]([a-z]{3})[a-z]*\.?[ -](\d{2}|\d{4})", s)
    if m and m.group(2) in _MONTHS:
        y = int(m.group(3))
        return _make(y + 2000 if y < 100 else y, _MONTHS[m.group(2)], int(m.group(1)), value)
    m = re.fullmatch(r"([a-z]{3})[a-z]*\.? (\d{1,2}) (\d{4})", s)
    if m and m.group(1) in _MONTHS:
        return _make(int(m.group(3)), _MONTHS[m.group(1)], int(m.group(2)), value)
    m = re.fullmatch(r"([a-z]{3})[a-z]*\.?[ -](\d{4})", s)  # "Nov 2026": a month
    if m and m.group(1) in _MONTHS:
        return _make(int(m.group(2)), _MONTHS[m.group(1)], 1, value)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", s)  # 2026-11: a month
    if m:
        return _make(int(m.group(1)), int(m.group(2)), 1, value)
    raise ValueError(f"'{value}' is not a date this program understands (write e.g. 2026-11-26 or 26/11/2026)")


def _make(y: int, m: int, d: int, raw: Any) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise ValueError(f"'{raw}' is not a real date") from None


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    s = str(value).strip().lower()
    if s in TRUE:
        return True
    if s in FALSE:
        return False
    raise ValueError(f"'{value}' is not yes or no")
