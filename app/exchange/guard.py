"""Hostile or broken workbooks refused before any parser builds a grid.

python-calamine builds a sheet as one dense grid from A1 to its farthest cell (a single cell at
XFD1048576 asks for 512 GiB and the process aborts: no ``except`` catches that), and reserves room
for as many shared strings as their header announces; openpyxl builds every cell and unpacks every
part. So before either runs:

- the zip directory is read (its entry count from the end record first, so a directory of a
  million entries is not even loaded): at most ``MAX_PARTS`` parts, none twice, none encrypted,
  stored or deflated; ``MAX_UNPACKED`` bytes unpacked in all; no part over 1 MB unpacking to more
  than ``MAX_RATIO`` times its packed size;
- the parts a parser reads when it opens the workbook are unpacked in bounded steps — the sizes
  the directory declares are checked, not trusted; the shared strings at most
  ``MAX_SHARED_STRINGS`` bytes, no single text over ``MAX_TEXT``, no more announced than present;
- the sheet to be read streams past a scan of its cell references: its farthest cell within
  Excel's 1,048,576 rows × 16,384 columns, and rows × columns (the grid calamine builds) within the
  cell budget (``CELL_BUDGET``, raised by the firm setting ``import_cell_budget``).

The sheet scan has a fast path for the XML every spreadsheet program writes (each cell
``<c r="B7" …>``): one regular expression per few megabytes that finds only the cell tags beyond
the farthest cell seen so far or not in that form (none, in a sheet written top to bottom); those
are read exactly. A sheet with cells that have no reference, or with namespace prefixes, is
followed tag by tag, counting positions the way calamine does. Nothing here holds more than a few
megabytes of a part at a time.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from app.errors import UserError

MB = 1 << 20
MAX_ROWS, MAX_COLS = 1_048_576, 16_384
CELL_BUDGET = 5_000_000  # rows × columns of the grid read from a sheet (firm setting import_cell_budget)
MAX_UNPACKED = 200 * MB  # the whole package unpacked, at the default cell budget
MAX_RATIO = 100  # unpacked / packed size of a part …
RATIO_FROM = 1 * MB  # … that unpacks to more than this (small parts cannot hurt)
MAX_PARTS = 10_000  # a workbook has a few dozen
MAX_SHARED_STRINGS = 100 * MB  # at the default cell budget
MAX_TEXT = 4 * MB  # the longest stretch without a tag: one text (Excel allows 32,767 characters)
CHUNK = 1 * MB
SHEET_CHUNK = 4 * MB  # the sheet scan's step: fewer, longer passes of its expression
_READ = 256 * 1024
# what calamine (and openpyxl) read when a workbook is opened, besides the shared strings
OPENING_PARTS = ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                 "xl/styles.xml")


class BadFile(UserError):
    title = "This file cannot be imported"


def _scaled(limit: int, budget: int) -> int:
    """A firm that raises the cell budget gets room for the bigger files it allows."""
    return max(limit, limit * budget // CELL_BUDGET)


def _mb(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= 10 * MB else f"{n / MB:,.1f} MB"


def _damaged(name: str) -> BadFile:
    return BadFile(f"{name} is damaged (not a complete workbook).", hint="Save it again from Excel.")


def column_number(letters: str) -> int:
    """Excel letters → 1-based column (A → 1, XFD → 16384)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _letters(col: int) -> str:
    s = ""
    while col:
        col, r = divmod(col - 1, 26)
        s = chr(65 + r) + s
    return s


# --- the package ----------------------------------------------------------------------------------
def entry_count(path: Path) -> int:
    """How many parts the zip's end record announces (or its directory's size implies: 46 bytes
    at least per entry), read before anything loads the directory itself."""
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        n = min(size, 22 + 65535 + 20)
        fh.seek(size - n)
        tail = fh.read(n)
        i = tail.rfind(b"PK\x05\x06")
        if i < 0 or len(tail) - i < 22:
            raise _damaged(path.name)
        _sig, _d, _dcd, _n, total, cd_size, cd_offset, _c = struct.unpack("<4s4H2LH", tail[i:i + 22])
        if (total == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF) and i >= 20 and \
                tail[i - 20:i - 16] == b"PK\x06\x07":  # zip64: the real numbers are in its own end record
            offset = struct.unpack("<Q", tail[i - 12:i - 4])[0]
            fh.seek(offset)
            rec = fh.read(56)
            if len(rec) == 56 and rec[:4] == b"PK\x06\x06":
                total, cd_size = struct.unpack("<QQ", rec[32:48])
    return max(total, cd_size // 46)


def directory(path: Path, budget: int = CELL_BUDGET) -> dict[str, zipfile.ZipInfo]:
    """The zip directory by part name: the file's size and the entry count in the end record are
    checked first (a directory of a million entries is refused before it is loaded); no part
    twice."""
    name = path.name
    limit = _scaled(MAX_UNPACKED, budget)
    if path.stat().st_size > limit:
        raise BadFile(f"{name} is too big to import ({_mb(path.stat().st_size)}; the limit is {_mb(limit)}).",
                      hint="Split it into smaller workbooks, or delete the sheets and pictures not needed.")
    count = entry_count(path)
    if count > MAX_PARTS:
        raise BadFile(f"{name} is not a normal Excel workbook: it holds {count:,} parts (a workbook has a few "
                      "dozen).", hint="Open it in Excel and save it again, if it comes from a source you trust.")
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, struct.error):
        raise _damaged(name) from None
    if len(infos) > MAX_PARTS:
        raise BadFile(f"{name} is not a normal Excel workbook: it holds {len(infos):,} parts.")
    parts: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        if info.filename in parts:
            raise BadFile(f"{name} is damaged: it holds the part {info.filename} twice.",
                          hint="Save it again from Excel.")
        parts[info.filename] = info
    return parts


def check_directory(path: Path, parts: dict[str, zipfile.ZipInfo], budget: int = CELL_BUDGET) -> None:
    """Encryption, compression method, the unpacked total and each big part's compression ratio,
    as the directory declares them (``unpack`` holds what is actually read to the declarations)."""
    name = path.name
    limit = _scaled(MAX_UNPACKED, budget)
    total = 0
    for info in parts.values():
        if info.flag_bits & 1:
            raise BadFile(f"{name} is protected with a password.",
                          hint="Open it in Excel, remove the password, save, and import again.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BadFile(f"{name} is packed in a way Excel does not use.", hint="Save it again from Excel.")
        total += info.file_size
        if total > limit:
            raise BadFile(f"{name} is too big to import: it unpacks to more than {_mb(limit)}.",
                          hint="Split it into smaller workbooks, or delete the sheets and pictures not needed.")
        if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(1, info.compress_size):
            raise BadFile(f"{name} is not a normal Excel workbook: its part {info.filename} unpacks to "
                          f"{info.file_size // max(1, info.compress_size):,} times its packed size (a 'zip bomb').",
                          hint="Open it in Excel and save it again, if it comes from a source you trust.")


def unpack(path: Path, info: zipfile.ZipInfo, limit: int, chunk: int = CHUNK) -> Iterator[bytes]:
    """A part's bytes as they unpack, a megabyte at a time, refused as soon as they pass ``limit``
    or the size the directory declares (a directory can lie; the deflate stream cannot)."""
    name = path.name
    cap = min(limit, info.file_size)
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        head = fh.read(30)
        if len(head) < 30 or head[:4] != b"PK\x03\x04":
            raise _damaged(name)
        n, m = struct.unpack("<HH", head[26:30])
        fh.seek(info.header_offset + 30 + n + m)
        left = info.compress_size
        total = 0
        if info.compress_type == zipfile.ZIP_STORED:
            while left > 0:
                raw = fh.read(min(chunk, left))
                if not raw:
                    raise _damaged(name)
                left -= len(raw)
                total += len(raw)
                if total > cap:
                    raise _over(name, info, limit)
                yield raw
            return
        d = zlib.decompressobj(-15)
        buf = b""
        while True:
            if not buf and left > 0:
                buf = fh.read(min(_READ, left))
                if not buf:
                    raise _damaged(name)
                left -= len(buf)
            try:
                out = d.decompress(buf, chunk)
            except zlib.error:
                raise _damaged(name) from None
            buf = d.unconsumed_tail
            if out:
                total += len(out)
                if total > cap:
                    raise _over(name, info, limit)
                yield out
            if d.eof:
                break
            if not buf and left <= 0 and not out:
                raise _damaged(name)  # the stream stops short of its end


def _over(name: str, info: zipfile.ZipInfo, limit: int) -> BadFile:
    if info.file_size < limit:
        return BadFile(f"{name} is damaged or built to harm: its part {info.filename} unpacks to more than its "
                       "declared size.", hint="Save it again from Excel, if it comes from a source you trust.")
    return BadFile(f"{name} is too big to import: its part {info.filename} unpacks to more than {_mb(limit)}.",
                   hint="Split it into smaller workbooks.")


def check_parts(path: Path, parts: dict[str, zipfile.ZipInfo], budget: int = CELL_BUDGET, *,
                everything: bool = False) -> None:
    """Unpack for real what a parser reads when it opens the workbook (``everything``: every XML
    part, as openpyxl reads them all), and check the shared strings."""
    limit = _scaled(MAX_UNPACKED, budget)
    for part, info in parts.items():
        low = part.lower()
        if low.rsplit("/", 1)[-1].startswith("sharedstrings"):
            _check_shared_strings(path, info, budget)
        elif part in OPENING_PARTS or (everything and low.endswith((".xml", ".rels", ".vml"))
                                       and not low.startswith("xl/worksheets/sheet")):
            for _chunk in unpack(path, info, limit):
                pass


_SST_HEAD = re.compile(rb"<(?:[\w.\-]+:)?sst\b[^>]*>")
_UNIQUE = re.compile(rb"\buniqueCount\s*=\s*[\"']\s*(\d+)")
_SI = re.compile(rb"<(?:[\w.\-]+:)?si[\s>/]")


def _check_shared_strings(path: Path, info: zipfile.ZipInfo, budget: int) -> None:
    name = path.name
    limit = _scaled(MAX_SHARED_STRINGS, budget)
    if info.file_size > limit:
        raise BadFile(f"{name} is too big to import: its shared texts take {_mb(info.file_size)} "
                      f"(the limit is {_mb(limit)}).", hint="Split it into smaller workbooks.")
    where = f"The list of shared texts in {name}"
    announced = present = 0
    tail = b""
    first, head = True, False
    for chunk in unpack(path, info, limit):
        data = tail + chunk if tail else chunk
        if first:
            first = False
            _first_checks(data, where)
        cut = _cut(data, where)
        if not head:  # the <sst …> tag, wherever it starts (a long comment may come first)
            m = _SST_HEAD.search(data, 0, cut)
            if m:
                head = True
                u = _UNIQUE.search(m.group(0))
                announced = int(u.group(1)) if u else 0
        if announced > budget:  # only then are the texts worth counting
            present += len(_SI.findall(data, 0, cut))
        tail = data[cut:]
    if announced > budget and announced > present:
        # calamine reserves room for every text announced (24 bytes each) before reading one
        raise BadFile(f"{name} is damaged: its list of shared texts announces {announced:,} entries but holds "
                      f"{present:,}.", hint="Save it again from Excel.")


def sheet_part(path: Path, index: int) -> str | None:
    """The zip part of the ``index``-th sheet (workbook order), through the workbook's relations."""
    with zipfile.ZipFile(path) as z:
        try:
            wb = z.read("xl/workbook.xml").decode("utf-8", "replace")
            rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
        except KeyError:
            return None
    ids = re.findall(r"<(?:\w+:)?sheet\b[^>]*?r:id=\"([^\"]+)\"", wb)
    if index >= len(ids):
        return None
    rid = re.escape(ids[index])
    target = re.search(rf"<Relationship\b[^>]*Id=\"{rid}\"[^>]*Target=\"([^\"]+)\"", rels) \
        or re.search(rf"<Relationship\b[^>]*Target=\"([^\"]+)\"[^>]*Id=\"{rid}\"", rels)
    if target is None:
        return None
    t = target.group(1)
    return t.lstrip("/") if t.startswith("/") else f"xl/{t}"


# --- the sheet --------------------------------------------------------------------------------------
_CELL = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"[^>r/]*+(?:r"[^>r/]*+)?+(/?)><')
_DIMENSION = re.compile(rb'<(?:[\w.\-]+:)?dimension\b[^>]*?\bref="(?:[A-Z]+[0-9]+:)?([A-Z]{1,3})([1-9][0-9]{0,6})"')
_PREFIXED = re.compile(rb"<[A-Za-z_][\w.\-]*:c$")


def _up_to_letters(s: str) -> str:
    """A pattern for column letters (1 to 3) up to ``s``: those of its length first, then the
    shorter ones (so 'AA' is not taken for 'A' followed by something else)."""
    alts = [s[:i] + f"[A-{chr(ord(ch) - 1)}]" + (f"[A-Z]{{{len(s) - i - 1}}}" if i < len(s) - 1 else "")
            for i, ch in enumerate(s[:-1]) if ch > "A"]
    alts.append(s[:-1] + f"[A-{s[-1]}]")
    if len(s) > 1:
        alts.append(f"[A-Z]{{1,{len(s) - 1}}}+")
    return "|".join(alts)


def _up_to_number(n: int) -> str:
    """A pattern for row numbers (no leading zero) up to ``n``: the shorter ones first (most rows
    of a sheet), possessive, so a longer number fails it at once."""
    s = str(n)
    alts = [f"[1-9][0-9]{{0,{len(s) - 2}}}+"] if len(s) > 1 else []
    for i, ch in enumerate(s[:-1]):
        lo = 1 if i == 0 else 0
        if int(ch) > lo:
            alts.append(s[:i] + f"[{lo}-{int(ch) - 1}]" + f"[0-9]{{{len(s) - i - 1}}}")
    alts.append(s[:-1] + f"[{1 if len(s) == 1 else 0}-{s[-1]}]")
    return "|".join(alts)


def _unusual(col: int, row: int) -> re.Pattern[bytes]:
    """Cell start tags that are not ``<c r="REF"…>`` with REF within column ``col`` and row
    ``row``, no second r among the other attributes (an r in the rest of the tag is allowed once,
    before a quote: t="inlineStr", t="str") and the next tag right after it (a > inside an
    attribute's value would end the tag early). In a sheet written top to bottom by a spreadsheet
    program, none — one pass of a simple expression, skipping ~20 bytes per cell."""
    within = f"(?:{_up_to_letters(_letters(col))})(?:{_up_to_number(row)})".encode()
    return re.compile(rb'<c(?! r="' + within + rb'"' + _NOT_GT_R + rb'*+(?:r"' + _NOT_GT_R + rb'*+)?+><)[\s/>]')


_NOT_GT_R = rb"[\x00-=?-qs-\xff]"  # [^>r], spelt as ranges: a bitmap test per byte, a third faster


class _Slow(Exception):
    """The sheet is not in the usual form: follow it tag by tag."""


def sheet_extent(path: Path, info: zipfile.ZipInfo, budget: int = CELL_BUDGET, sheet: str | None = None
                 ) -> tuple[int, int]:
    """(rows, columns) of the grid calamine would build for this sheet part (from A1 to the
    farthest cell that is not an empty element), refused as soon as it passes Excel's limits or
    the cell budget."""
    limit = _scaled(MAX_UNPACKED, budget)
    where = f"Sheet '{sheet}' of {path.name}" if sheet else f"A sheet of {path.name}"
    return _extent(lambda: unpack(path, info, limit, SHEET_CHUNK), budget, where)


def _extent(chunks: Callable[[], Iterator[bytes]], budget: int, where: str) -> tuple[int, int]:
    try:
        return _fast_extent(chunks(), budget, where)
    except _Slow:
        return _slow_extent(chunks(), budget, where)


def _refuse_extent(where: str, rows: int, cols: int, budget: int, ref: str | None = None) -> None:
    if rows > MAX_ROWS or cols > MAX_COLS:
        at = f" at {ref}" if ref else ""
        raise BadFile(f"{where} has a cell{at} beyond the last one Excel allows "
                      f"({MAX_ROWS:,} rows × {MAX_COLS:,} columns, up to XFD{MAX_ROWS}).",
                      hint="This is not a workbook Excel wrote; save it again from Excel, or copy the table into "
                           "a new workbook.")
    if rows * cols > budget:
        raise BadFile(f"{where} is too big to import: it spans {rows:,} rows × {cols:,} columns "
                      f"({rows * cols:,} cells; the limit is {budget:,}).",
                      hint="A stray cell far below or to the right makes the sheet span to it (Ctrl+End in Excel "
                           "finds it): delete what is not needed, or split the sheet. An administrator can raise the "
                           "limit (firm setting 'import_cell_budget').")


def _grow(where: str, budget: int, rows: int, cols: int, r: int, c: int) -> tuple[int, int]:
    """The extent with a cell at row ``r``, column ``c`` (1-based); refused at once beyond Excel."""
    if r > MAX_ROWS or c > MAX_COLS:
        _refuse_extent(where, max(rows, r), max(cols, c), budget, f"{_letters(c)}{r}" if c else None)
    return max(rows, r), max(cols, c)


def _first_checks(data: bytes, where: str) -> None:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:1024]:
        raise BadFile(f"{where} is saved in an encoding Excel does not use (UTF-16).",
                      hint="Save it again from Excel.")


def _cut(data: bytes, where: str) -> int:
    """Where the complete part of ``data`` ends (a tag split between chunks waits for the next)."""
    cut = data.rfind(b"<")
    if cut < 0:
        cut = len(data)
    if len(data) - cut > MAX_TEXT:
        raise BadFile(f"{where} holds a text of more than {_mb(MAX_TEXT)} in one cell "
                      "(Excel allows 32,767 characters).", hint="Save it again from Excel.")
    return cut


def _fast_extent(chunks: Iterator[bytes], budget: int, where: str) -> tuple[int, int]:
    rows = cols = 0
    pattern: re.Pattern[bytes] | None = None
    built = (0, 0)
    tail = b""  # from the last < of the chunk before: a tag cut in two, scanned with the next chunk's start
    first = True
    for data in chunks:
        if first:
            first = False
            _first_checks(data, where)
            start = data.find(b"sheetData")
            d = _DIMENSION.search(data, 0, start if start >= 0 else 65536)
            if d:  # a claim, used as a starting point only when it is within the limits
                c, r = column_number(d.group(1).decode()), int(d.group(2))
                if r <= MAX_ROWS and c <= MAX_COLS and r * c <= budget:
                    rows, cols = r, c
            for m in _CELL.finditer(data, 0, 65536):
                if not m.group(3):
                    rows, cols = _grow(where, budget, rows, cols, int(m.group(2)), column_number(m.group(1).decode()))
        cut = data.rfind(b"<")
        if cut < 0:  # no tag in a whole chunk: one long text
            tail += data
            if len(tail) > MAX_TEXT:
                _cut(tail, where)
            continue
        # the chunk's last cell: in a sheet written top to bottom, its row is the highest so far
        i = data.rfind(b'<c r="', 0, cut)
        last = _CELL.match(data, i) if i >= 0 else None
        if last and not last.group(3):
            rows, cols = _grow(where, budget, rows, cols, int(last.group(2)), column_number(last.group(1).decode()))
        if pattern is None or built != (rows, cols):
            pattern, built = _unusual(max(cols, 1), max(rows, 1)), (rows, cols)
        if tail:  # the tag cut in two, whole again
            edge = tail + data[:4096]
            rows, cols = _unusual_cells(pattern, edge, 0, len(edge), rows, cols, budget, where, before=len(tail))
            _prefixed_cells(edge, len(edge), before=len(tail))
            _cut(tail, where)
        rows, cols = _unusual_cells(pattern, data, 0, cut, rows, cols, budget, where)
        _prefixed_cells(data, cut)
        _refuse_extent(where, rows, cols, budget)
        tail = data[cut:]
    if tail:
        rows, cols = _unusual_cells(pattern or _unusual(1, 1), tail, 0, len(tail), rows, cols, budget, where)
        _prefixed_cells(tail, len(tail))
        _refuse_extent(where, rows, cols, budget)
    return rows, cols


def _prefixed_cells(data: bytes, end: int, before: int | None = None) -> None:
    """A cell with a namespace prefix (<x:c …>) in ``data[:end]`` (starting before ``before``):
    the sheet is followed tag by tag."""
    for m in _COLON_C.finditer(data, 0, end):
        j = data.rfind(b"<", max(0, m.start() - 200), m.start())
        if before is not None and j >= before:
            return
        if j >= 0 and _PREFIXED.match(data, j, m.start() + 2):
            raise _Slow


def _unusual_cells(pattern: re.Pattern[bytes], data: bytes, pos: int, end: int, rows: int, cols: int, budget: int,
                   where: str, before: int | None = None) -> tuple[int, int]:
    """The extent with the cells ``pattern`` finds in ``data[pos:end]`` (those starting before
    ``before``), each read exactly: beyond the farthest so far, or not in the usual form."""
    done = pos  # the end of the last tag read: a <c inside it is in an attribute's value, not a tag
    for m in pattern.finditer(data, pos, end):
        if before is not None and m.start() >= before:
            break
        if m.start() < done:
            continue
        t = _TAG.match(data, m.start(), m.start() + _LONGEST_TAG)
        if t is None:
            raise BadFile(f"{where} is damaged (a cell's tag does not end).", hint="Save it again from Excel.")
        done = t.end()
        ref = _last_r(t.group(3))
        if ref is None:
            raise _Slow  # a cell without a reference: its place is counted
        r, c = _parse_ref(ref, where)
        if c == 0:
            _no_column(where, ref)
        if t.group(3).endswith(b"/"):
            continue  # a cell with no value (<c …/>): calamine does not widen the grid for it
        rows, cols = _grow(where, budget, rows, cols, r, c)
    return rows, cols


_COLON_C = re.compile(rb":c[\s/>]")


def _no_column(where: str, ref: bytes) -> None:
    raise BadFile(f"{where} has a cell reference '{ref[:20].decode('latin-1')}' without a column.",
                  hint="This is not a workbook Excel wrote; save it again from Excel.")


_LONGEST_TAG = 65536  # a cell's start tag is a few dozen bytes; one longer than this is refused
_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.\-]*:)?(row|c)(?=[\s/>])((?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+)>")
_ATTR = re.compile(rb"([^\s=/\"'<>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


_MAYBE_R = re.compile(rb"(?:^|[\s\"'])r\s*=")


def _last_r(attrs: bytes) -> bytes | None:
    """The value of the tag's last attribute named exactly r (calamine takes the last)."""
    if _MAYBE_R.search(attrs) is None:
        return None
    value = None
    for a in _ATTR.finditer(attrs):
        if a.group(1) == b"r":
            value = a.group(2) if a.group(2) is not None else a.group(3)
    return value


_ANY_REF = re.compile(rb"([A-Za-z]*)([0-9]*)")


def _parse_ref(raw: bytes, where: str) -> tuple[int, int]:
    """(row, column), 1-based, of a reference as calamine reads it (letters in either case, then
    digits; a missing column is 0)."""
    m = _ANY_REF.fullmatch(raw.strip())
    if not m or not m.group(2) or int(m.group(2)) == 0 or len(m.group(2)) > 9 or len(m.group(1)) > 6:
        raise BadFile(f"{where} has a cell reference '{raw[:20].decode('latin-1')}' that is not valid.",
                      hint="This is not a workbook Excel wrote; save it again from Excel.")
    return int(m.group(2)), column_number(m.group(1).decode()) if m.group(1) else 0


def _slow_extent(chunks: Iterator[bytes], budget: int, where: str) -> tuple[int, int]:
    rows = cols = 0
    row = col = 0  # calamine's counters (0-based) for cells without a reference
    tail = b""
    first = True
    for chunk in chunks:
        data = tail + chunk if tail else chunk
        if first:
            first = False
            _first_checks(data, where)
        cut = _cut(data, where)
        for end, name, attrs in _TAG.findall(data, 0, cut):
            empty = attrs.endswith(b"/")
            # calamine reads <x/> as <x></x>: an empty row or cell counts like any other
            if name == b"row":
                if end:
                    row, col = row + 1, 0
                else:
                    ref = _last_r(attrs)
                    if ref is not None:
                        row = _parse_ref(ref, where)[0] - 1
                    if empty:
                        row, col = row + 1, 0
                continue
            if end:
                continue
            ref = _last_r(attrs)
            if ref is not None:  # the last r counts, as in calamine
                r, c = _parse_ref(ref, where)
                if c == 0:
                    _no_column(where, ref)
                pos = (r - 1, c - 1)
                col = c - 1
            else:
                pos = (row, col)
            col += 1
            if empty:
                continue  # a cell with no value: it takes its place but does not widen the grid
            rows, cols = _grow(where, budget, rows, cols, pos[0] + 1, pos[1] + 1)
        _refuse_extent(where, rows, cols, budget)
        tail = data[cut:]
    return rows, cols


# --- everything together ----------------------------------------------------------------------------
def check_workbook(path: Path, budget: int = CELL_BUDGET) -> dict[str, zipfile.ZipInfo]:
    """The whole package, and every worksheet in it, for a parser that reads them all (openpyxl)."""
    parts = directory(path, budget)
    check_directory(path, parts, budget)
    check_parts(path, parts, budget, everything=True)
    for part, info in parts.items():
        if part.lower().startswith("xl/worksheets/") and part.lower().endswith(".xml"):
            sheet_extent(path, info, budget, part.rsplit("/", 1)[-1])
    return parts
