"""Small, escaping HTML builders shared by every document. All text passes through ``esc``, which
also removes bidirectional controls (``app.db.hygiene.without_bidi``): a name holding a
right-to-left override must not reverse the address printed after it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from app.db.hygiene import without_bidi

STYLE = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 9.5pt; color: #111; }
h1 { font-size: 14pt; margin: 0 0 4pt 0; }
h2 { font-size: 11pt; margin: 10pt 0 4pt 0; }
table.lines { border-collapse: collapse; width: 100%; }
table.lines th { background: #e8ecf1; border-bottom: 1px solid #667; }
table.lines td { border-bottom: 1px solid #ccd; }
td.num, th.num { text-align: right; }
.muted { color: #555; }
.total td { font-weight: bold; border-top: 1px solid #333; }
"""


def esc(value: object) -> str:
    """``value`` as HTML text: escaped, and without bidirectional controls (U+202A–U+202E,
    U+2066–U+2069, U+200E/U+200F, U+061C), so no value can reorder its neighbours on paper."""
    return escape("" if value is None else without_bidi(str(value)), quote=True)


def page(title: str, body: str) -> str:
    return (f"<html><head><meta charset='utf-8'><title>{esc(title)}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>")


def table(headers: Sequence[tuple[str, bool]], rows: Iterable[Sequence[object]], *,
          total: Sequence[object] | None = None) -> str:
    """headers: (title, numeric). Cells are escaped."""
    # QTextDocument honours align/cellpadding attributes more reliably than CSS on cells
    def align(i: int) -> str:
        return "right" if headers[i][1] else "left"

    head = "".join(f"<th align='{align(i)}'>{esc(h)}</th>" for i, (h, _num) in enumerate(headers))
    body = []
    for row in rows:
        cells = "".join(f"<td align='{align(i)}'>{esc(v)}</td>" for i, v in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    if total is not None:
        cells = "".join(f"<td align='{align(i)}'><b>{esc(v)}</b></td>" for i, v in enumerate(total))
        body.append(f"<tr class='total'>{cells}</tr>")
    return (f"<table class='lines' width='100%' cellspacing='0' cellpadding='5'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def address_block(lines: Iterable[str | None]) -> str:
    return "<br>".join(esc(x) for x in lines if x)
