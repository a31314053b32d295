"""Opening a user's workbook safely and finding its header row.

The file is checked before anything is parsed: empty, a CSV or text file renamed .xlsx, an old
.xls, a password-protected workbook, an OpenDocument file, random bytes — each gets a plain
message saying what it is and what to do — and so are files that would make a parser run out of
memory (zip bombs, a cell at XFD1048576, more cells than the budget: ``guard``). Cells are read
with python-calamine (about ten times faster than openpyxl's read-only mode); hidden rows and
columns, which calamine does not report, are found in the sheet's XML directly.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.errors import Problem
from app.exchange import guard
from app.exchange.guard import BadFile  # the file checks' error, also imported from here

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
HEADER_SCAN_ROWS = 30


@dataclass
class SheetData:
    name: str
    rows: list[list[Any]]  # as calamine reads them (0-based here; row 1 in Excel is rows[0])
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)  # 1-based Excel row numbers
    hidden_cols: set[int] = field(default_factory=set)  # 1-based Excel column numbers
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row 0-based, col 0-based) → "#REF!"
    # formula cells without a saved value (calamine reads them as empty), (row 0-based, col 0-based)
    unsaved: set[tuple[int, int]] = field(default_factory=set)


def column_letter(index: int) -> str:
    """0-based column index → Excel letters (0 → A, 27 → AB)."""
    s, n = "", index + 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def check_file(path: Path, budget: int = guard.CELL_BUDGET) -> dict[str, zipfile.ZipInfo]:
    """Refuse what is not an .xlsx workbook, saying what it is, and a workbook that would not fit
    (``guard``: the zip directory and the parts read on opening, unpacked in bounded steps).
    Returns the zip directory."""
    if not path.exists():
        raise BadFile(f"{path} does not exist.")
    if path.is_dir():
        raise BadFile(f"{path} is a folder, not a workbook.")
    size = path.stat().st_size
    if size == 0:
        raise BadFile(f"{path.name} is empty (0 bytes).", hint="Save the workbook again from Excel.")
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if head.startswith(OLE_MAGIC):
        if ENCRYPTED_MARK in head or b"EncryptedPackage" in head:
            raise BadFile(f"{path.name} is protected with a password.",
                          hint="Open it in Excel, remove the password (File → Info → Protect Workbook), save, "
                               "and import again.")
        raise BadFile(f"{path.name} is an old Excel 97–2003 workbook (.xls).",
                      hint="Open it in Excel and save it as an Excel Workbook (.xlsx): File → Save As.")
    if not head.startswith(b"PK\x03\x04"):
        sample = head[:4096]
        printable = sum(1 for b in sample if 32 <= b < 127 or b in (9, 10, 13)) / max(1, len(sample))
        if printable > 0.95:
            raise BadFile(f"{path.name} is a text file (CSV?), not an Excel workbook.",
                          hint="Open it in Excel and save it as an Excel Workbook (.xlsx).")
        raise BadFile(f"{path.name} is not an Excel workbook.", hint="Choose an .xlsx file saved by Excel.")
    parts = guard.directory(path, budget)
    if "xl/workbook.xml" not in parts:
        if "content.xml" in parts:
            raise BadFile(f"{path.name} is an OpenDocument spreadsheet.",
                          hint="Save it as an Excel Workbook (.xlsx) in LibreOffice: File → Save As.")
        raise BadFile(f"{path.name} is not an Excel workbook (it is another kind of zip file).")
    guard.check_directory(path, parts, budget)
    guard.check_parts(path, parts, budget)
    return parts


def sheet_names(path: Path, budget: int = guard.CELL_BUDGET) -> list[str]:
    check_file(path, budget)
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - calamine's errors become a plain message
        raise BadFile(f"{path.name} could not be read: {exc}") from None
    return [m.name for m in wb.sheets_metadata if getattr(m.typ, "name", str(m.typ)) == "WorkSheet"]


def read_sheet(path: Path, sheet: str | None = None, *, budget: int = guard.CELL_BUDGET) -> SheetData:
    """One sheet's cells. ``budget``: the most cells (rows × columns from A1) it may span."""
    parts = check_file(path, budget)
    from concurrent.futures import ThreadPoolExecutor

    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        names = [m.name for m in wb.sheets_metadata]
        name = sheet if sheet is not None else names[0]
        if name not in names:
            raise BadFile(f"{path.name} has no sheet '{name}' (it has: {', '.join(names)}).")
        # before calamine builds the grid: how far the sheet's cells reach (a grid to XFD1048576
        # is 512 GiB, and running out of memory aborts the process, past any except)
        member = guard.sheet_part(path, names.index(name))
        if member in parts:
            guard.sheet_extent(path, parts[member], budget, name)
        else:  # the relations do not say (calamine may still find it): every part that may be a sheet
            for part, info in parts.items():
                if part.startswith("xl/") and part.endswith(".xml") and part not in guard.OPENING_PARTS:
                    guard.sheet_extent(path, info, budget, name)
        # the sheet's XML is scanned for hidden rows/columns and formula errors while calamine
        # parses it (both spend their time in C with the GIL released: inflate and the parser)
        with ThreadPoolExecutor(1) as pool:
            facts = pool.submit(_xml_facts, path, member if member in parts else None)
            sh = wb.get_sheet_by_name(name)
            # the whole grid from A1, so rows[i] is Excel row i + 1 and column j is j + 1
            rows = sh.to_python(skip_empty_area=False)
            merged = list(sh.merged_cell_ranges or [])
            hidden_rows, hidden_cols, errors, unsaved = facts.result()
    except BadFile:
        raise
    except Exception as exc:  # noqa: BLE001
        raise BadFile(f"{path.name} could not be read: {exc}") from None
    return SheetData(name, rows, merged, hidden_rows, hidden_cols, errors, unsaved)


def _xml_facts(path: Path, member: str | None
               ) -> tuple[set[int], set[int], dict[tuple[int, int], str], set[tuple[int, int]]]:
    """Hidden rows and columns, formula-error cells and formula cells without a saved value
    (calamine reads both as empty) of a sheet, from its XML part ``member`` (scanned as bytes:
    most sheets have none of them; the part's size was checked before)."""
    if member is None:
        return set(), set(), {}, set()
    with zipfile.ZipFile(path) as z:
        try:
            xml = z.read(member)
        except KeyError:
            return set(), set(), {}, set()
    hidden = b'hidden="1"' in xml or b'hidden="true"' in xml  # most sheets: skip the scans
    rows = {int(m.group(1)) for m in re.finditer(rb"<(?:\w+:)?row\b(?=[^>]*\bhidden=\"(?:1|true)\")[^>]*\br=\"(\d+)\"",
                                                  xml)} if hidden else set()
    cols: set[int] = set()
    if hidden:
        head = xml[:xml.find(b"<sheetData")].decode("utf-8", "replace")
        for col_tag in re.finditer(r"<(?:\w+:)?col\b([^>]*)/?>", head):
            attrs = col_tag.group(1)
            if re.search(r"\bhidden=\"(?:1|true)\"", attrs):
                lo = re.search(r"\bmin=\"(\d+)\"", attrs)
                hi = re.search(r"\bmax=\"(\d+)\"", attrs)
                if lo and hi:
                    cols.update(range(int(lo.group(1)), min(int(hi.group(1)), 16384) + 1))
    errors: dict[tuple[int, int], str] = {}
    if b't="e"' in xml:
        done = 0  # where the searches have reached: each byte is looked at a bounded number of times
        for m in _ERROR_CELL.finditer(xml):  # the value is looked for within the cell only
            if m.start() < done:
                continue
            end = xml.find(b"</c>", m.end(), m.end() + _NEAR)
            done = end if end >= 0 else m.end() + _NEAR
            v = _ERROR_VALUE.search(xml, m.end(), end) if end >= 0 else None
            if v:
                errors[(int(m.group(2)) - 1, _col_index(m.group(1).decode()))] = v.group(1).decode("utf-8", "replace")
    return rows, cols, errors, _unsaved_formulas(xml)


_NEAR = 65536  # how far a cell's own parts are looked for (each search bounded: no file makes it quadratic)
_ERROR_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*\br=\"([A-Z]+)(\d+)\"[^>]*\bt=\"e\"[^>]*>")
_ERROR_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)<")


_FORMULA = re.compile(rb"<f[\s>/]")
_CELL_HEAD = re.compile(rb"<c\b[^>]*?\br=\"([A-Z]+)(\d+)\"[^>]*>")
_TYPE = re.compile(rb"\bt=\"([^\"]*)\"")
_VALUE = re.compile(rb"<v(?:\s[^>]*)?(?:/>|>([^<]*)<)")


def _unsaved_formulas(xml: bytes) -> set[tuple[int, int]]:
    """Cells holding a formula but no saved value (written by a program that does not calculate,
    such as a script, or saved with calculation off): calamine reads them as empty. A formula
    whose saved result is empty text (t="str" with an empty <v>) has a value."""
    out: set[tuple[int, int]] = set()
    if b"<f" not in xml:
        return out
    done = 0  # where the searches have reached: each byte is looked at a bounded number of times
    for m in _FORMULA.finditer(xml):
        if m.start() < done:
            continue  # a second formula element in the same cell (or no cell around it)
        # cells do not nest: the last one opened since the one before ended holds it
        start = xml.rfind(b"<c ", max(done, m.start() - _NEAR), m.start())
        end = xml.find(b"</c>", m.end(), m.end() + _NEAR)
        done = end if end >= 0 else m.end() + _NEAR
        head = _CELL_HEAD.match(xml, start) if start >= 0 and end >= 0 else None
        if head is None or head.end() > m.start():
            continue
        body = xml[head.end():end]
        if b"<is>" in body or b"<is " in body:
            continue  # an inline text
        v = _VALUE.search(body)
        t = _TYPE.search(head.group(0))
        if v is not None and (v.group(1) or (t is not None and t.group(1) == b"str")):
            continue
        out.add((int(head.group(2)) - 1, _col_index(head.group(1).decode())))
    return out


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def normalise(label: Any) -> str:
    """Header text compared without case, punctuation or spacing: 'Item No.' → 'itemno'."""
    return re.sub(r"[^0-9a-z]+", "", str(label or "").lower())


@dataclass(frozen=True)
class HeaderMatch:
    row: int  # 0-based index into SheetData.rows
    columns: dict[int, str]  # column index → field name
    unmatched: dict[int, str]  # column index → header text nobody claimed


def find_header(sheet: SheetData, synonyms: dict[str, str], remembered: dict[str, str] | None = None
                ) -> HeaderMatch | None:
    """The row among the first rows whose cells match the most known column names (title rows
    above it are skipped). ``synonyms`` maps a normalised name to a field."""
    names = dict(synonyms)
    for label, remembered_field in (remembered or {}).items():
        names[normalise(label)] = remembered_field
    best: HeaderMatch | None = None
    best_score = 0
    for i, row in enumerate(sheet.rows[:HEADER_SCAN_ROWS]):
        cols: dict[int, str] = {}
        unmatched: dict[int, str] = {}
        for j, cell in enumerate(row):
            if cell is None or not str(cell).strip():
                continue
            fld = names.get(normalise(cell))
            if fld is not None and fld not in cols.values():
                cols[j] = fld
            else:
                unmatched[j] = str(cell).strip()
        if len(cols) > best_score:
            best, best_score = HeaderMatch(i, cols, unmatched), len(cols)
    return best


def sheet_problems(sheet: SheetData, header: HeaderMatch | None) -> list[Problem]:
    """Problems of the sheet as a whole: empty, no header, only headers, merged header cells,
    hidden rows or columns (what is hidden would be imported unseen)."""
    where = sheet.name
    if not any(any(c is not None and str(c).strip() for c in r) for r in sheet.rows):
        return [Problem("the sheet is empty", sheet=where)]
    if header is None:
        return [Problem("no header row found: the first row of the table should name the columns "
                        "(download the template to see them)", sheet=where)]
    out: list[Problem] = []
    for (r0, c0), (r1, c1) in sheet.merged:
        if r0 <= header.row <= r1 and c1 > c0:
            out.append(Problem(f"merged header cells {column_letter(c0)}{header.row + 1}:{column_letter(c1)}{r1 + 1}: "
                               "unmerge them so each column has its own name", sheet=where, row=header.row + 1,
                               column=column_letter(c0)))
    if not any(any(c is not None and str(c).strip() for c in r) for r in sheet.rows[header.row + 1:]):
        out.append(Problem("the sheet has headers but no data rows", sheet=where, row=header.row + 2))
    for r in sorted(sheet.hidden_rows):
        if r > header.row + 1:
            out.append(Problem("this row is hidden: unhide it (or delete it) so you can see what is imported",
                               sheet=where, row=r))
    for c in sorted(sheet.hidden_cols):
        if c - 1 in header.columns:
            out.append(Problem("this column is hidden: unhide it (or delete it) so you can see what is imported",
                               sheet=where, column=column_letter(c - 1)))
    return out
