"""Workbooks built to harm, or broken, are refused with a plain message before any parser builds a
grid — and no file aborts the process. Every hostile file is made here, in tmp_path; the ones that
abort the process on a parser that trusts them are read in a child process, so a crash fails the
test instead of killing pytest (the child's memory is capped too)."""

from __future__ import annotations

import json
import random
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from app.exchange import guard
from app.exchange.guard import BadFile
from app.exchange.reading import check_file, read_sheet

ROOT = Path(__file__).resolve().parents[2]
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
         'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
         '+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
         'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
         'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
         'spreadsheetml.worksheet+xml"/></Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'
            '</workbook>')
SST_REL = ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
           'sharedStrings" Target="sharedStrings.xml"/>')


def _rels(extra: str = "") -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>{extra}</Relationships>')


def sheet_xml(data: str, dimension: str | None = None) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}>{dim}<sheetData>{data}</sheetData></worksheet>'


def book(path: Path, data: str, *, dimension: str | None = None, sst: str | bytes | None = None,
         extra: dict[str, bytes] | None = None, sst_rel: bool = False) -> Path:
    """A minimal workbook with one sheet whose <sheetData> is ``data`` (as raw XML)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _rels(SST_REL if sst is not None or sst_rel else ""))
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml(data, dimension))
        if sst is not None:
            z.writestr("xl/sharedStrings.xml", sst)
        for name, raw in (extra or {}).items():
            z.writestr(name, raw)
    return path


HEAD = ('<row r="1"><c r="A1" t="inlineStr"><is><t>SKU</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>Counted</t></is></c></row>')
FAR = "XFD1048576"

# cells at XFD1048576 in every form calamine accepts: a parser that trusts them asks for 512 GiB
ABORTING = {
    "far cell": HEAD + f'<row r="1048576"><c r="{FAR}"><v>1</v></c></row>',
    "beyond Excel": HEAD + '<row r="7"><c r="XFE7"><v>1</v></c></row>',
    "far inline text": HEAD + f'<row r="1048576"><c r="{FAR}" t="inlineStr"><is><t></t></is></c></row>',
    "far cell, dimension says B2": (HEAD + f'<row r="1048576"><c r="{FAR}"><v>1</v></c></row>', "A1:B2"),
    "second r attribute": HEAD + f'<row r="2"><c r="A2" r="{FAR}"><v>1</v></c></row>',
    "second r after a tab": HEAD + f'<row r="2"><c r="A2"\tr="{FAR}"><v>1</v></c></row>',
    "second r, spaces around =": HEAD + f'<row r="2"><c r="A2" t="n" r = "{FAR}"><v>1</v></c></row>',
    "second r, single quotes, no space": HEAD + f"<row r=\"2\"><c r=\"A2\"r='{FAR}'><v>1</v></c></row>",
    "lower-case reference": HEAD + f'<row r="2"><c r="{FAR.lower()}"><v>1</v></c></row>',
    "single-quoted reference": HEAD + f"<row r='2'><c r='{FAR}'><v>1</v></c></row>",
    "namespace prefix": f'<x:row r="1"><x:c r="{FAR}"><x:v>1</x:v></x:c></x:row>',
    "after a text with > in an attribute": HEAD + f'<row r="2"><c r="A2" x=">" r="{FAR}"><v>1</v></c></row>',
    "cells without references, far row": HEAD + '<row r="1048576">' + "<c><v>1</v></c>" * 16384 + "</row>",
    "announces four billion shared texts": (
        HEAD, None, f'<sst {NS} count="1" uniqueCount="4000000000"><si><t>x</t></si></sst>'),
    "announces them after a long comment": (
        HEAD, None, f'<!--{"x" * 200_000}--><sst {NS} uniqueCount="4000000000"><si><t>x</t></si></sst>'),
}

CHILD = r"""
import json, resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # a crash, not a machine out of memory
from app.errors import UserError
from app.exchange.reading import read_sheet
for name, path in json.loads(sys.argv[1]):
    print("START", name, flush=True)
    try:
        data = read_sheet(Path(path))
        print("READ", name, len(data.rows), max(map(len, data.rows), default=0), flush=True)
    except UserError as exc:
        print("REFUSED", name, "|", str(exc).replace("\n", " "), flush=True)
"""


def _in_child(files: list[tuple[str, Path]]) -> dict[str, str]:
    res = subprocess.run([sys.executable, "-c", CHILD, json.dumps([(n, str(p)) for n, p in files])], check=False,
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode in (0, 1), (f"the reader died ({res.returncode}) on: "
                                      f"{[ln for ln in res.stdout.splitlines() if ln.startswith('START')][-1:]}\n"
                                      f"{res.stderr[-1500:]}")
    out = {}
    for line in res.stdout.splitlines():
        what, _, rest = line.partition(" ")
        if what in ("READ", "REFUSED"):
            for name, _p in files:
                if rest.startswith(name + " "):
                    out[name] = f"{what} {rest[len(name) + 1:]}"
    return out


def test_cells_at_xfd1048576_in_any_form_are_refused_not_a_crash(tmp_path) -> None:
    files = []
    for i, (name, spec) in enumerate(ABORTING.items()):
        data, dim, sst = (spec + (None,) * 3)[:3] if isinstance(spec, tuple) else (spec, None, None)
        files.append((name, book(tmp_path / f"hostile-{i}.xlsx", data, dimension=dim, sst=sst)))
    assert (tmp_path / "hostile-0.xlsx").stat().st_size < 2000  # 1.8 KB asking for 512 GiB
    got = _in_child(files)
    for name, _p in files:
        assert got.get(name, "").startswith("REFUSED"), (name, got.get(name))
    assert "Sheet 'Sheet1' of hostile-0.xlsx is too big to import: it spans 1,048,576 rows × 16,384 columns" \
        in got["far cell"]
    assert "beyond the last one Excel allows" in got["beyond Excel"] and "XFE7" in got["beyond Excel"]
    assert "announces 4,000,000,000 entries" in got["announces four billion shared texts"]


def test_what_calamine_skips_or_reads_safely_is_not_refused(tmp_path) -> None:
    """An empty element far away (calamine skips it), and a dimension that claims the whole sheet
    over two cells: calamine builds its grid from the cells, so these read."""
    empty_far = book(tmp_path / "empty-far.xlsx", HEAD + f'<row r="1048576"><c r="{FAR}" s="1"/></row>')
    big_claim = book(tmp_path / "big-claim.xlsx", HEAD + '<row r="2"><c r="B2"><v>7</v></c></row>',
                     dimension=f"A1:{FAR}")
    got = _in_child([("empty far", empty_far), ("big claim", big_claim)])
    assert got == {"empty far": "READ 1 2", "big claim": "READ 2 2"}
    assert read_sheet(big_claim).rows == [["SKU", "Counted"], ["", 7.0]]


@pytest.mark.parametrize("cells, size", [
    ('<row r="3"><c r="C3"><v>1</v></c></row>', (3, 3)),
    ('<row r="2"><c r="A2"><v>1</v></c></row><row r="9"><c r="AB9"><v>1</v></c></row>', (9, 28)),
    ('<row r="5"><c r="A5" t="inlineStr"><is><t>x</t></is></c><c r="D5" s="2" t="str"><v>y</v></c></row>', (5, 4)),
    ('<row r="4"><c><v>1</v></c><c><v>2</v></c></row><row><c r="C9"><v>1</v></c><c/><c><v>1</v></c></row>', (9, 5)),
    ('<row r="7"/><row r="2"><c r="B2"/></row>', (1, 2)),  # empty elements are no cells
    ('<row r="2"><c r="B2"\n s="1"><v>1</v></c></row>', (2, 2)),
])
def test_the_extent_is_the_grid_calamine_builds(tmp_path, cells, size) -> None:
    path = book(tmp_path / "s.xlsx", HEAD + cells)
    parts = check_file(path)
    assert guard.sheet_extent(path, parts["xl/worksheets/sheet1.xml"]) == size
    from python_calamine import CalamineWorkbook

    sh = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    assert (sh.end[0] + 1, sh.end[1] + 1) == size


def test_random_sheets_never_reach_further_than_the_scan_says(tmp_path) -> None:
    """Cells in every form (usual, without reference, second r, prefixes, quotes, empty elements,
    out of order) within a small area: the scan's extent covers calamine's grid, and equals it
    for sheets in the usual form."""
    from python_calamine import CalamineWorkbook

    rng = random.Random(18)
    forms = [
        lambda r, c: f'<c r="{c}{r}"><v>1</v></c>',
        lambda r, c: f'<c r="{c}{r}" t="inlineStr"><is><t>t</t></is></c>',
        lambda r, c: "<c><v>1</v></c>",
        lambda r, c: f'<c r="A1" r="{c}{r}"><v>1</v></c>',
        lambda r, c: f"<c r='{c}{r}' t='n'><v>1</v></c>",
        lambda r, c: f'<c r="{c}{r}" s="3"/>',
        lambda r, c: f'<c\tr="{c.lower()}{r}"><v>1</v></c>',
    ]
    letters = [guard._letters(i) for i in range(1, 40)]
    for k in range(40):
        usual = k % 2 == 0
        rows = []
        for rn in sorted(rng.sample(range(2, 300), rng.randint(1, 12))) if usual else rng.sample(range(2, 300), 8):
            cells = "".join((forms[rng.randrange(2)] if usual else rng.choice(forms))(rn, rng.choice(letters))
                            for _ in range(rng.randint(1, 6)))
            rows.append(f'<row r="{rn}">{cells}</row>' if usual or rng.random() < 0.7 else f"<row>{cells}</row>")
        path = book(tmp_path / f"r{k}.xlsx", HEAD + "".join(rows))
        parts = check_file(path)
        rows_n, cols_n = guard.sheet_extent(path, parts["xl/worksheets/sheet1.xml"])
        sh = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        real = (sh.end[0] + 1, sh.end[1] + 1)
        assert rows_n >= real[0] and cols_n >= real[1], (k, (rows_n, cols_n), real)
        if usual:
            assert (rows_n, cols_n) == real, k


def test_the_cell_budget_counts_rows_times_columns_from_a1(tmp_path) -> None:
    path = book(tmp_path / "wide.xlsx", HEAD + '<row r="200"><c r="Z200"><v>1</v></c></row>')
    with pytest.raises(BadFile, match=r"spans 200 rows × 26 columns \(5,200 cells; the limit is 5,000\)"):
        read_sheet(path, budget=5000)
    assert len(read_sheet(path, budget=5200).rows) == 200
    # far but within Excel: 600,000 rows × 10 columns is more than the default budget
    tall = book(tmp_path / "tall.xlsx", HEAD + '<row r="600000"><c r="J600000"><v>1</v></c></row>')
    with pytest.raises(BadFile, match="6,000,000 cells; the limit is 5,000,000"):
        read_sheet(tall)


def _deflated(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def _patch_sizes(path: Path, member: str, size: int) -> None:
    """Make the zip directory (and the local header) declare ``size`` unpacked bytes for ``member``."""
    raw = bytearray(path.read_bytes())
    name = member.encode()
    i = raw.find(b"PK\x03\x04" + b"")  # local headers: patch the one of ``member``
    while i >= 0:
        n = struct.unpack("<H", raw[i + 26:i + 28])[0]
        if raw[i + 30:i + 30 + n] == name:
            raw[i + 22:i + 26] = struct.pack("<L", size)
        i = raw.find(b"PK\x03\x04", i + 4)
    j = raw.find(b"PK\x01\x02")
    while j >= 0:
        n = struct.unpack("<H", raw[j + 28:j + 30])[0]
        if raw[j + 46:j + 46 + n] == name:
            raw[j + 24:j + 28] = struct.pack("<L", size)
        j = raw.find(b"PK\x01\x02", j + 4)
    path.write_bytes(bytes(raw))


def test_zip_bombs_are_refused_from_the_directory_or_while_unpacking(tmp_path) -> None:
    # a 1 MB workbook whose shared texts unpack to 210 MB (one text): too big, from the directory
    huge = book(tmp_path / "huge.xlsx", HEAD, sst_rel=True)
    with zipfile.ZipFile(huge, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as z, \
            z.open("xl/sharedStrings.xml", "w") as f:
        f.write(b"<sst " + NS.encode() + b' uniqueCount="1"><si><t>')
        for _ in range(210):
            f.write(b"A" * (1 << 20))
        f.write(b"</t></si></sst>")
    assert huge.stat().st_size < (2 << 20)
    with pytest.raises(BadFile, match="too big to import: it unpacks to more than 200 MB"):
        read_sheet(huge)
    # 40 MB that pack 1000:1: a zip bomb by its ratio
    dense = book(tmp_path / "dense.xlsx", HEAD + "<row><c><v>1</v></c></row>" * 1_500_000)
    with pytest.raises(BadFile, match=r"unpacks to [\d,]+ times its packed size \(a 'zip bomb'\)"):
        read_sheet(dense)
    # a directory that declares 1 KB for a part that unpacks to 20 MB: caught while unpacking
    liar = book(tmp_path / "liar.xlsx", HEAD + "<row><c><v>1</v></c></row>" * 20, sst=b"<sst " + NS.encode() +
                b"><si><t>" + b"B" * (20 << 20) + b"</t></si></sst>")
    _patch_sizes(liar, "xl/sharedStrings.xml", 1024)
    with pytest.raises(BadFile, match="unpacks to more than its declared size"):
        read_sheet(liar)
    # one text of 5 MB in the shared texts (Excel allows 32,767 characters)
    text = random.Random(5).randbytes(5 << 20).translate(bytes(97 + b % 26 for b in range(256))).decode()
    long_text = book(tmp_path / "long.xlsx", HEAD, sst="<sst " + NS + '><si><t>' + text + "</t></si></sst>")
    with pytest.raises(BadFile, match="holds a text of more than 4.0 MB in one cell"):
        read_sheet(long_text)


def test_not_a_zip_truncated_and_absurd_member_counts(tmp_path) -> None:
    noise = tmp_path / "noise.xlsx"
    noise.write_bytes(bytes(random.Random(1).randrange(256) for _ in range(5000)))
    with pytest.raises(BadFile, match="not an Excel workbook"):
        read_sheet(noise)
    good = book(tmp_path / "good.xlsx", HEAD)
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(BadFile, match="damaged"):
        read_sheet(cut)
    many = book(tmp_path / "many.xlsx", HEAD, extra={f"xl/media/x{i}.bin": b"" for i in range(guard.MAX_PARTS + 1)})
    with pytest.raises(BadFile, match=r"holds [\d,]+ parts \(a workbook has a few dozen\)"):
        read_sheet(many)
    # an end record that announces a million parts is refused before the directory is loaded
    claims = tmp_path / "claims.xlsx"
    raw = bytearray(good.read_bytes())
    e = raw.rfind(b"PK\x05\x06")
    raw[e + 8:e + 12] = struct.pack("<HH", 0xFFFF, 0xFFFF)
    raw[e + 12:e + 16] = struct.pack("<L", 46_000_000)
    claims.write_bytes(bytes(raw))
    with pytest.raises(BadFile, match="parts"):
        check_file(claims)
    twice = tmp_path / "twice.xlsx"
    book(twice, HEAD)
    with zipfile.ZipFile(twice, "a") as z, pytest.warns(UserWarning, match="Duplicate name"):
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml(f'<row r="9"><c r="{FAR}"><v>1</v></c></row>'))
    with pytest.raises(BadFile, match="holds the part xl/worksheets/sheet1.xml twice"):
        read_sheet(twice)


def test_utf16_sheets_and_bad_references_are_refused(tmp_path) -> None:
    path = tmp_path / "utf16.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _rels())
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml(HEAD).encode("utf-16"))
    with pytest.raises(BadFile, match="UTF-16"):
        read_sheet(path)
    for ref in ("A0", "A99999999999", "ABCDEFG1", "5"):
        bad = book(tmp_path / f"ref-{ref}.xlsx", HEAD + f'<row r="2"><c t="n" r="{ref}"><v>1</v></c></row>')
        with pytest.raises(BadFile):
            read_sheet(bad)


def test_the_precheck_reads_no_more_than_a_megabyte_or_so_at_a_time(tmp_path) -> None:
    path = book(tmp_path / "rows.xlsx", HEAD + "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>'
                                                       for i in range(2, 200_000)))
    info = check_file(path)["xl/worksheets/sheet1.xml"]
    assert info.file_size > 6 * guard.MB
    assert max(map(len, guard.unpack(path, info, 1 << 30))) <= guard.CHUNK
    assert guard.sheet_extent(path, info) == (199_999, 2)


def test_the_scan_patterns_for_columns_and_rows_up_to_a_bound_are_exact() -> None:
    import re

    letters = [guard._letters(i) for i in range(1, 18_279)]  # A … ZZZ
    for claim in ("A", "J", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "ABC", "XFD", "ZZZ"):
        p = re.compile(("(?:" + guard._up_to_letters(claim) + ')1"').encode())
        n = guard.column_number(claim)
        assert [i for i, col in enumerate(letters, 1) if p.fullmatch(col.encode() + b'1"')] == list(range(1, n + 1))
    for n in (1, 9, 10, 11, 99, 100, 101, 1000, 100001, 123456, 199999, 987654, 1048576):
        p = re.compile(("A(?:" + guard._up_to_number(n) + ')"').encode())
        probe = [k for k in (*range(1, 2500), n - 1, n, n + 1, 2 * n, 10 * n, 10 ** len(str(n))) if 0 < k < 10 ** 7]
        assert all(bool(p.fullmatch(b'A%d"' % k)) == (k <= n) for k in probe), n


@pytest.mark.parametrize("cell", [
    f'<c r="{FAR}"><v>1</v></c>', f'<c r="A3" r="{FAR}"><v>1</v></c>', f'<c r="A3" x=">" r="{FAR}"><v>1</v></c>',
    f'<x:c r="{FAR}"><x:v>1</x:v></x:c>', f"<c r='{FAR}'><v>1</v></c>",
])
def test_a_far_cell_is_found_wherever_the_stream_is_cut(cell) -> None:
    """The sheet streams past the scan in chunks: a tag cut in two is read whole, at every cut."""
    rows = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>x</t></is></c></row>' for i in range(2, 40))
    xml = sheet_xml(HEAD + rows + f'<row r="1048576">{cell}</row>').encode()
    at = xml.index(cell.encode())
    for k in range(at - 3, at + len(cell) + 3):
        with pytest.raises(BadFile, match="too big to import|beyond"):
            guard._extent(lambda k=k: iter([xml[:k], xml[k:]]), guard.CELL_BUDGET, "Sheet 'x'")
    assert guard._extent(lambda: iter([xml[:at], xml[at:at + 2], xml[at + 2:]]), 10 ** 12, "x") == (1_048_576, 16_384)


def test_the_sheet_facts_scan_is_linear_on_hostile_xml(tmp_path) -> None:
    """Formula errors and formulas without a saved value are looked for within their cell, each
    search bounded: cells without an end or a value cannot make the scan quadratic."""
    import time

    from app.exchange.reading import _xml_facts

    for i, xml in enumerate((b'<c r="A1">' + b"<f>1</f>" * 200_000 + b"</c>", b"<f>1</f></c>" * 200_000,
                             b'<row r="1">' + b'<c r="A1" t="e">' * 200_000 + b"</row>")):
        path = tmp_path / f"x{i}.xlsx"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("s.xml", xml)
        t = time.perf_counter()
        _xml_facts(path, "s.xml")
        assert time.perf_counter() - t < 5, i  # quadratic, it took minutes
    legit = (b'<row r="2"><c r="A2" t="e"><v>#REF!</v></c><c r="B2"><f>1+1</f><v></v></c><c r="C2"><f>1</f><v>1</v>'
             b'</c><c r="D2" t="str"><f>""</f><v></v></c><c r="E2"><f t="shared" si="0"/></c></row>')
    with zipfile.ZipFile(tmp_path / "ok.xlsx", "w") as z:
        z.writestr("s.xml", legit)
    _rows, _cols, errors, unsaved = _xml_facts(tmp_path / "ok.xlsx", "s.xml")
    assert errors == {(1, 0): "#REF!"} and unsaved == {(1, 1), (1, 4)}
