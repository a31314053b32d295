"""The planning board to and from Excel (direct openpyxl; issue 10 replaces this with the shared
Excel machinery). Export: one sheet, a row per product and line, a column per month. Import: a
department's figures from a sheet in the same shape (or any sheet with SKU + month columns);
every problem names sheet, row and column; nothing is written until all cells are valid."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.db.uow import Database
from app.errors import Problem, UserError, ValidationError
from app.models import Product

LINES = ("history", "baseline", "marketing", "production", "consensus")
LABELS = {"history": "Actual a year ago", "baseline": "Baseline", "marketing": "Marketing",
          "production": "Production", "consensus": "Consensus"}


def export_board(board: Any, target: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    from app.exchange.writing import safe_row

    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet), "a new workbook starts with one worksheet"
    ws.title = "Planning board"
    head = ["SKU", "Product", "Family", "Line"] + [
        p.strftime("%Y-%m") if getattr(board, "granularity", "month") == "month" else p.isoformat()
        for p in board.periods]
    ws.append(head)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8ECF1")
    for cell in ws[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center")
    gap = PatternFill("solid", fgColor="FDE2E1")
    for row in board.rows:
        for line in LINES:
            values = [getattr(c, line) for c in row.cells]
            ws.append(safe_row(ws, [row.sku, row.name, row.family_name, LABELS[line]]) +
                      [float(v) if v is not None else None for v in values])
            if line in ("marketing", "production"):
                for i, c in enumerate(row.cells):
                    if c.gap:
                        ws.cell(ws.max_row, 5 + i).fill = gap
    for i, width in enumerate([14, 36, 16, 18] + [10] * len(board.periods), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for col in range(5, 5 + len(board.periods)):
        for r in range(2, ws.max_row + 1):
            ws.cell(r, col).number_format = "#,##0"
    ws.freeze_panes = "E2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(head))}{ws.max_row}"
    tmp = target.with_suffix(".part.xlsx")
    wb.save(tmp)
    tmp.replace(target)
    return target


def _month(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date().replace(day=1)
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = str(value or "").strip()
    for fmt in ("%Y-%m", "%Y-%m-%d", "%b %Y", "%B %Y", "%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date().replace(day=1)
        except ValueError:
            continue
    return None


def read_figures(db: Database, source: Path, department: str) -> list[tuple[int, dt.date, Any]]:
    """(product id, month, quantity) cells for ``department`` from the workbook. Rows whose
    ``Line`` column names another department are skipped; a sheet without a Line column is taken
    as the department's own figures."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    from app.exchange import guard
    from app.exchange.importer import cell_budget
    from app.exchange.reading import check_file

    source = Path(source)
    budget = cell_budget(db)
    check_file(source, budget)  # what is not an .xlsx, or would not fit, is refused before openpyxl reads it
    guard.check_workbook(source, budget)
    try:
        wb = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for files that are not xlsx
        raise UserError(f"{source.name} is not an Excel workbook (.xlsx) that can be read: {exc}") from exc
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if not header:
        raise ValidationError(Problem("the sheet is empty", sheet=ws.title))
    names = [str(h or "").strip() for h in header]
    lower = [n.lower() for n in names]
    if "sku" not in lower:
        raise ValidationError(Problem("no 'SKU' column in the header row", sheet=ws.title, row=1))
    sku_col = lower.index("sku")
    line_col = lower.index("line") if "line" in lower else None
    months = {i: month for i, month in enumerate(_month(n) for n in names) if month is not None}
    if not months:
        raise ValidationError(Problem("no month columns (e.g. 2027-01) in the header row", sheet=ws.title, row=1))
    with db.read() as s:
        skus: dict[str, int] = {got[0].upper(): got[1]
                                for got in s.execute(select(func.upper(Product.sku), Product.id))}
    cells: list[tuple[int, dt.date, Any]] = []
    problems: list[Problem] = []
    for r, row in enumerate(rows, start=2):
        if row is None or all(v is None for v in row):
            continue
        if line_col is not None and str(row[line_col] or "").strip().lower() != department:
            continue
        sku = str(row[sku_col] or "").strip().upper()
        if sku not in skus:
            problems.append(Problem(f"unknown SKU '{row[sku_col]}'", sheet=ws.title, row=r,
                                    column=get_column_letter(sku_col + 1), value=row[sku_col]))
            continue
        for i, month in months.items():
            value = row[i] if i < len(row) else None
            if value is None or value == "":
                continue
            col = get_column_letter(i + 1)
            if isinstance(value, str) and value.startswith("#"):
                problems.append(Problem(f"formula error {value}", sheet=ws.title, row=r, column=col, value=value))
                continue
            try:
                qty = Decimal(str(value).replace(",", "").strip())
            except InvalidOperation:
                problems.append(Problem(f"'{value}' is not a number", sheet=ws.title, row=r, column=col, value=value))
                continue
            if qty < 0:
                problems.append(Problem("a forecast cannot be negative", sheet=ws.title, row=r, column=col,
                                        value=value))
                continue
            cells.append((skus[sku], month, qty))
    wb.close()
    if problems:
        raise ValidationError(problems)
    if not cells:
        raise ValidationError(Problem(f"no {department} figures found", sheet=ws.title))
    return cells
