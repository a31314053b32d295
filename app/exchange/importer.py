"""Importing a workbook: a dry run that lists every problem (sheet, row, column, value, reason)
and can save a copy of the user's workbook with the problem cells highlighted and commented; then,
only when the user confirms and nothing is wrong, one unit of work — never a half-imported file.

Speed: cells are read with calamine, converted in one pass, compared with what the database holds
in a few bulk queries, and written with Core ``executemany`` (``make bench`` measures 100,000
order lines against calamine's own read time).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.progress import TaskState
from app import clock
from app import gcpause
from app.db.hygiene import cell_ok
from app.db.uow import Actor, Database, UnitOfWork
from app.errors import Problem, UserError, ValidationError
from app.exchange import guard
from app.exchange import values as v
from app.exchange.reading import HeaderMatch, SheetData, column_letter, find_header, read_sheet, sheet_problems
from app.exchange.spec import LIMITS, QUANTUM, Diff, Kind, Rows, parse
from app.models import ChangeCounter
from app.models.base import utcnow
from app.services.audit import import_rows
from app.services.permissions import require

CANCELLED = "cancelled"
UNSAVED_FORMULA = "a formula with no saved value (open and save the file in Excel, or type the value)"


@dataclass
class Plan:
    kind: str
    source: Path
    sheet: str
    header_row: int  # Excel row number of the header
    columns: dict[str, str]  # field → column letter
    ignored: list[str]  # header texts of columns not imported
    rows: Rows | list[Any]
    problems: list[Problem]
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    diff: Diff | None = field(default=None, repr=False)
    lookups: dict[str, Any] | None = field(default=None, repr=False)
    seq: int | None = None  # the change counter the comparison was made at
    cell_budget: int = guard.CELL_BUDGET  # the most cells a sheet may span (firm setting import_cell_budget)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.problems:
            return (f"{len(self.problems):,} problem{'s' if len(self.problems) != 1 else ''} in {self.source.name} "
                    f"(sheet '{self.sheet}'): nothing was imported.")
        return (f"{len(self.rows):,} rows read from {self.source.name}: {self.created:,} new, {self.updated:,} "
                f"changed, {self.unchanged:,} unchanged.")


# --- remembered column mappings (per workstation) ---------------------------------------------------
def _mapping_file() -> Path:
    from app.config import config_dir

    return Path(config_dir()) / "import-mappings.json"


def remembered(kind: str) -> dict[str, str]:
    try:
        data = json.loads(_mapping_file().read_text(encoding="utf-8"))
        return dict(data.get(kind, {}))
    except (OSError, ValueError):
        return {}


def remember(kind: str, mapping: dict[str, str]) -> None:
    """Keep header text → field choices so the next file from the same source maps itself."""
    path = _mapping_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError):
        data = {}
    data.setdefault(kind, {}).update(mapping)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # remembering is a convenience; the import itself does not depend on it


# --- the dry run -------------------------------------------------------------------------------------
class _Mark:
    """What a cell converted to when it is not a value: blank, or a problem with its reason."""

    __slots__ = ("reason",)

    def __init__(self, reason: str | None = None) -> None:
        self.reason = reason


BLANK = _Mark()


def _cell_result(f: Any, cell: Any) -> Any:
    """One distinct cell value → its typed value, ``BLANK``, or a ``_Mark`` with the reason."""
    if cell is None or cell == "" or (isinstance(cell, str) and not cell.strip()):
        return BLANK
    if isinstance(cell, str) and cell[:1] == "#" and v.formula_error(cell):
        return _Mark(f"formula error {v.formula_error(cell)}: fix the formula or type the value")
    if f.type == "date" and isinstance(cell, dt.date):
        return cell.date() if isinstance(cell, dt.datetime) else cell
    try:
        return parse(f, cell)
    except ValueError as exc:
        return _Mark(str(exc))


_QUANTUM = {t: QUANTUM[t] for t in ("money", "qty")}


def _distinct_results(f: Any, distinct: set[Any]) -> tuple[dict[Any, Any], bool]:
    """``_cell_result`` for each distinct value, with short paths for what most sheets hold —
    codes and texts typed as text, quantities and prices typed as numbers — that give the same
    results as the general parser (tested against it)."""
    out: dict[Any, Any] = {}
    rest = []
    t = f.type
    if t in ("code", "text"):
        upper = t == "code"
        for c in distinct:
            if c.__class__ is str:
                s = " ".join(c.split())
                if s and s[0] != "#" and cell_ok(f.name, s.upper() if upper else s):  # else parse() says why
                    out[c] = s.upper() if upper else s
                    continue
            rest.append(c)
    elif t in _QUANTUM:
        q, limit = _QUANTUM[t], float(LIMITS[t])
        negative_ok, positive = f.allow_negative, f.positive
        for c in distinct:
            cls = c.__class__
            if cls is float and -limit < c < limit:  # also leaves NaN and infinities to the general path
                d = Decimal(repr(c)).quantize(q, ROUND_HALF_UP)
            elif cls is int and -limit < c < limit:
                d = Decimal(c).quantize(q, ROUND_HALF_UP)
            else:
                rest.append(c)
                continue
            if (d < 0 and not negative_ok) or (positive and d <= 0) or abs(d) >= LIMITS[t]:
                rest.append(c)  # the general path words the reason
            else:
                out[c] = d
    else:
        rest = list(distinct)
    marked = False
    for c in rest:
        r = out[c] = _cell_result(f, c)
        marked = marked or r.__class__ is _Mark
    return out, marked


def _convert_column(f: Any, cells: list[Any]) -> tuple[list[Any], bool]:
    """A whole column at once: each distinct cell value is converted once (codes, dates,
    quantities and prices repeat), then looked up for every row. Also says whether any cell is
    blank or bad."""
    distinct = set(cells)
    if (True in distinct or False in distinct) and bool in set(map(type, cells)):
        # True == 1 as a dict key: keep yes/no cells apart
        memo: dict[tuple[type, Any], Any] = {}
        out = []
        for c in cells:
            key = (type(c), c)
            r = memo.get(key)
            if r is None:
                r = memo[key] = _cell_result(f, c)
            out.append(r)
        return out, any(isinstance(r, _Mark) for r in memo.values())
    table, marked = _distinct_results(f, distinct)
    try:
        return list(map(table.__getitem__, cells)), marked
    except KeyError:  # a value not equal to itself (NaN)
        out = [table[c] if c in table else _cell_result(f, c) for c in cells]
        return out, marked or any(isinstance(r, _Mark) for r in out)


def _shown(cell: Any) -> Any:
    """A cell as the user typed it, for the problem list: 3 rather than calamine's 3.0."""
    return int(cell) if isinstance(cell, float) and cell.is_integer() else cell


def _convert(k: Kind, sheet: SheetData, header: HeaderMatch, state: TaskState | None = None
             ) -> tuple[Rows, list[Problem]]:
    """Convert and check the data rows column by column; rows with a blank or a bad cell in a
    required place are looked at one by one (few, in a sheet worth importing). The rows are kept
    as columns (``Rows``): 100,000 rows are a few lists, not 100,000 dictionaries."""
    fields = {f.name: f for f in k.fields}
    cols = [(j, fields[name]) for j, name in sorted(header.columns.items())]
    names = [f.name for _j, f in cols]
    data = sheet.rows[header.row + 1:]
    n = len(data)
    first = header.row + 2  # Excel row number of data[0]
    errors = sheet.errors
    unsaved = sheet.unsaved  # formula cells without a saved value read as blank: never taken for blank
    flagged = errors or unsaved
    narrow = min(map(len, data), default=0)
    converted: list[list[Any]] = []
    marked_columns: list[int] = []
    special: set[int] = set()  # rows needing a closer look
    for c, (j, f) in enumerate(cols):
        if state is not None:
            state.progress(0.1 + 0.5 * c / max(1, len(cols)), f"checking column {column_letter(j)}")
        cells = [r[j] for r in data] if j < narrow else [r[j] if j < len(r) else None for r in data]
        out, marked = _convert_column(f, cells)
        if marked:
            marked_columns.append(c)
            for i, x in enumerate(out):
                if x.__class__ is _Mark and (x is not BLANK or f.required or
                                             (flagged and ((header.row + 1 + i, j) in errors or
                                                           (header.row + 1 + i, j) in unsaved))):
                    special.add(i)
        converted.append(out)
    problems: list[Problem] = []
    skip: set[int] = set()
    for i in sorted(special):
        raw = data[i]
        number = first + i
        marks = [(j, f, converted[c][i]) for c, (j, f) in enumerate(cols) if converted[c][i].__class__ is _Mark]
        if all(m is BLANK for _j, _f, m in marks) and len(marks) == len(cols) and \
                not any(c is not None and (not isinstance(c, str) or c.strip()) for c in raw) and \
                not (flagged and any((header.row + 1 + i, j) in errors or (header.row + 1 + i, j) in unsaved
                                     for j, _f, _m in marks)):
            skip.add(i)  # blank rows between blocks are skipped
            continue
        # every problem of the row at once, so one round of fixing the sheet is enough
        for j, f, m in marks:
            if m is BLANK and errors and (header.row + 1 + i, j) in errors:
                code = errors[(header.row + 1 + i, j)]
                problems.append(Problem(f"formula error {code}: fix the formula or type the value", sheet=sheet.name,
                                        row=number, column=column_letter(j), field=f.label, value=code))
            elif m is BLANK and unsaved and (header.row + 1 + i, j) in unsaved:
                problems.append(Problem(UNSAVED_FORMULA, sheet=sheet.name, row=number, column=column_letter(j),
                                        field=f.label))
            elif m is not BLANK:
                problems.append(Problem(m.reason or "", sheet=sheet.name, row=number, column=column_letter(j),
                                        value=_shown(raw[j] if j < len(raw) else None), field=f.label))
            elif f.required:
                problems.append(Problem("required, but empty", sheet=sheet.name, row=number,
                                        column=column_letter(j), field=f.label))
        # a row with an optional cell that failed is still compared (its other problems show too)
        if any(m is not None for _j, f, m in marks if f.required):
            skip.add(i)
    missing = [f.label for f in k.fields if f.required and f.name not in names]
    if missing:  # no row is complete: nothing to compare
        problems.insert(0, Problem(f"no column for {', '.join(missing)} (rename a column, or map it)",
                                   sheet=sheet.name, row=header.row + 1))
        return Rows([], [], []), problems
    # blank and bad cells become None (absent); rows left out are dropped from every column
    for c in marked_columns:
        converted[c] = [None if x.__class__ is _Mark else x for x in converted[c]]
    if skip:
        keep = [i for i in range(n) if i not in skip]
        return Rows(names, [[col[i] for i in keep] for col in converted], [first + i for i in keep]), problems
    return Rows(names, converted, range(first, first + n)), problems


def cell_budget(db: Database) -> int:
    """The most cells (rows × columns) a sheet may span to be read: the firm's setting."""
    from app.services.settings import get_settings

    return int(getattr(get_settings(db), "import_cell_budget", guard.CELL_BUDGET))


def dry_run(db: Database, actor: Actor, kind_name: str, source: Path | str, *, sheet: str | None = None,
            mapping: dict[str, str] | None = None, state: TaskState | None = None) -> Plan:
    """Read, check and compare with the database; write nothing. ``mapping``: header text →
    field for columns the synonyms do not recognise (remembered for next time)."""
    with gcpause.paused():
        return _dry_run(db, actor, kind_name, source, sheet=sheet, mapping=mapping, state=state)


def _dry_run(db: Database, actor: Actor, kind_name: str, source: Path | str, *, sheet: str | None,
             mapping: dict[str, str] | None, state: TaskState | None) -> Plan:
    from app.exchange.kinds import kind

    k = kind(kind_name)
    require(actor, k.permission_to_import())
    source = Path(source)
    if state is not None:
        state.progress(0.02, "reading the workbook")
    budget = cell_budget(db)
    data = read_sheet(source, sheet, budget=budget)
    known = remembered(k.name)
    if mapping:
        known.update(mapping)
    header = find_header(data, k.synonyms(), known)
    problems = sheet_problems(data, header)
    plan = Plan(k.name, source, data.name, (header.row + 1) if header else 0,
                {name: column_letter(j) for j, name in (header.columns.items() if header else [])},
                list(header.unmatched.values()) if header else [], [], problems, cell_budget=budget)
    if header is None or any(p.row is None or p.row <= plan.header_row for p in problems):
        return plan
    rows, row_problems = _convert(k, data, header, state)
    plan.rows = rows
    plan.problems += row_problems
    if state is not None:
        state.progress(0.65, "comparing with the database")
    with db.read() as s:
        seq = s.scalar(select(ChangeCounter.value).where(ChangeCounter.id == 1).with_for_update())
        lk = k.lookups(s)
        lk["actor"] = actor
        diff = k.diff(s, rows, lk)
    for number, fname, reason in diff.problems:
        f = next((x for x in k.fields if x.name == fname), None)
        col = plan.columns.get(fname) if fname else None
        cell = rows.value(number, fname) if fname else None
        plan.problems.append(Problem(reason, sheet=data.name, row=number, column=col,
                                     field=f.label if f else None, value=cell))
    plan.problems.sort(key=lambda p: (p.row or 0, p.column or ""))
    plan.created, plan.updated, plan.unchanged, plan.diff = diff.created, diff.updated, diff.unchanged, diff
    plan.lookups, plan.seq = lk, seq
    if mapping:
        remember(k.name, mapping)
    return plan


def run_import(db: Database, actor: Actor, plan: Plan, *, state: TaskState | None = None) -> Plan:
    """Write a clean plan in one unit of work. The comparison is made again inside the
    transaction (someone may have saved since the dry run), so what is written is exact."""
    with gcpause.paused():
        return _run_import(db, actor, plan, state=state)


def _run_import(db: Database, actor: Actor, plan: Plan, *, state: TaskState | None) -> Plan:
    from app.exchange.kinds import kind

    if plan.problems:
        raise ValidationError(plan.problems[:50])
    k = kind(plan.kind)
    require(actor, k.permission_to_import())
    if k.name == "forecasts":
        return _import_forecasts(db, actor, plan)

    def run(uow: UnitOfWork) -> Diff:
        s = uow.session
        if state is not None:
            state.progress(0.7, "writing")
        # nobody saved since the check: its comparison stands; otherwise compare again inside the
        # transaction. Every save bumps the change counter as it commits, so holding the counter's
        # row (SQLite: this transaction holds the write lock; PostgreSQL: FOR UPDATE) keeps every
        # other save out until the import commits — two desks importing the same sheet at once
        # write it once, the second comparing after the first
        seq = s.scalar(select(ChangeCounter.value).where(ChangeCounter.id == 1).with_for_update())
        # (and the same person: the comparison holds what their role may do)
        same = plan.lookups is not None and plan.lookups.get("actor") == actor
        if plan.diff is not None and plan.lookups is not None and seq == plan.seq and same:
            lk, diff = plan.lookups, plan.diff
        else:
            lk = k.lookups(s)
            lk["actor"] = actor
            diff = k.diff(s, plan.rows, lk)
        if diff.problems:
            number, fname, reason = diff.problems[0]
            raise ValidationError(Problem(reason, sheet=plan.sheet, row=number, column=plan.columns.get(fname or "")))
        touched = k.apply(s, diff, lk, actor.username)
        for table, ids in touched.items():
            uow.touched.setdefault(table, set()).update(ids[:600] if len(ids) > 600 else ids)
        # the summary, and one row per record written (hashed onto the audit chain at the commit)
        uow.pending_audit.extend([{"at": utcnow(), "username": actor.username, "workstation": actor.workstation,
                                   "action": "import", "entity": k.name, "entity_id": None, "field": None,
                                   "old_value": None, "new_value": f"{plan.source.name}: {diff.created} new, "
                                                                   f"{diff.updated} changed, {diff.unchanged} "
                                                                   "unchanged"},
                                  *import_rows(actor, plan.source.name, touched, diff.payload)])
        return diff

    # every reference written was checked inside the transaction (codes looked up under the
    # write lock, or unchanged since the dry run): SQLite need not check each row again
    diff = db.write(actor, run, retries=2, references_checked=k.name == "orders")
    plan.created, plan.updated, plan.unchanged = diff.created, diff.updated, diff.unchanged
    if state is not None:
        state.progress(1.0, "done")
    return plan


def _import_forecasts(db: Database, actor: Actor, plan: Plan) -> Plan:
    from app.services import planning

    department = {"marketing": "marketing", "production": "production"}.get(actor.role)
    if department is None:
        raise UserError("Forecast figures are imported by marketing or production, each for their own line.")
    cells = plan.diff.payload if plan.diff else []
    changed = [c for c in cells if c[3]]
    plan.updated = planning.set_figures(db, actor, department, [c[:3] for c in changed]) if changed else 0
    plan.created = 0
    plan.unchanged = len(cells) - plan.updated
    return plan


# --- the annotated copy of the user's workbook --------------------------------------------------------
def write_report(plan: Plan, target: Path | str) -> Path:
    """A copy of the user's workbook with every problem cell filled red and a comment saying what
    is wrong, plus a 'Problems' sheet listing them all (sheet, row, column, value, reason)."""
    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    from app.exchange.writing import safe_row

    target = Path(target)
    guard.check_workbook(plan.source, plan.cell_budget)  # openpyxl reads every part and every sheet
    wb = load_workbook(plan.source)
    ws = wb[plan.sheet] if plan.sheet in wb.sheetnames else wb.worksheets[0]
    red = PatternFill("solid", fgColor="F8D7DA")
    per_cell: dict[tuple[int, str], list[str]] = {}
    for p in plan.problems:
        if p.row is not None:
            per_cell.setdefault((p.row, p.column or "A"), []).append(p.reason)
    for (row, col), reasons in per_cell.items():
        cell = ws[f"{col}{row}"]
        cell.fill = red
        cell.comment = Comment("\n".join(reasons), "OrderCycle")
    if "Problems" in wb.sheetnames:
        del wb["Problems"]
    out = wb.create_sheet("Problems", 0)
    out.append(["Sheet", "Row", "Column", "Field", "Value", "Problem"])
    for c in out[1]:
        c.font = Font(bold=True)
    for p in plan.problems:  # the values are the user's: text that looks like a formula stays text
        out.append(safe_row(out, [p.sheet or plan.sheet, p.row, p.column, p.field,
                                  "" if p.value is None else str(p.value), p.reason]))
    for col, width in zip("ABCDEF", (14, 8, 8, 18, 24, 80)):
        out.column_dimensions[col].width = width
    out.freeze_panes = "A2"
    tmp = target.with_name(target.stem + ".part.xlsx")
    wb.save(tmp)
    os.replace(tmp, target)
    return target


def report_name(source: Path) -> Path:
    return source.with_name(f"{source.stem} — problems {clock.today().isoformat()}.xlsx")
