"""Input hygiene: one rule for every text that reaches the database, whatever door it came through
(a form, an Excel import, a command, a service).

The rule, for a text column:

- **length** — at most the column's ``String(n)``; ``Text`` columns (notes, descriptions, reasons)
  at most ``TEXT_LIMIT`` characters (``TEXT_LIMITS`` for the few that quote other texts). Counted in
  characters, as PostgreSQL counts ``varchar(n)`` (SQLite would store anything);
- **no control characters** — no NUL (PostgreSQL refuses it in any text) and no other C0/C1
  control character (U+0000–U+001F, U+007F–U+009F); multi-line fields (``Text``) may hold tab,
  line feed and carriage return, one-line fields (``String(n)``) none of them; no unpaired
  surrogate (it cannot be encoded for the database);
- **e-mail addresses** (``EMAIL_COLUMNS``) — a plain syntax check: one @, a dot in the domain, no
  spaces (:func:`email_address`).

Three doors apply it:

- :func:`check_flush`, called by ``UnitOfWork._before_flush``: every new or changed text attribute
  of every mapped object (and every string inside a JSON value, such as a firm setting) before it
  is written. A breach raises ``ValidationError`` whose ``Problem`` names the entity and field
  ("customer name: at most 200 characters (2,000,000 typed)"); the unit of work rolls back, so
  nothing is written.
- :func:`cell_text` / :func:`cell_ok`, called by the Excel import's text parser for each cell
  (bulk imports write through Core and never reach the flush): the same limits, looked up from
  the model columns each import field is written to (``IMPORT_FIELDS``), so the dry run names
  sheet, row and column.
- :func:`email_address`, the parser of the settings that hold an e-mail address.

And one helper for what is *shown*: :func:`without_bidi` removes the bidirectional controls
(U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C) that could reorder printed text, e.g. a
customer named "ACME\\u202eevil" turning the delivery address that follows around. Every value a
printed document interpolates passes through it (``app.printing.html.esc``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import JSON, Enum, String, Table, inspect
from sqlalchemy.orm import Mapper, Session

from app.errors import Problem, ValidationError

# --- the limits, declared once ---------------------------------------------------------------------
#: ``Text`` columns (notes, descriptions, complaints, reasons): enough for a long note, not a book
TEXT_LIMIT = 20_000
#: ``Text`` columns that quote a user's text with a few words around it
TEXT_LIMITS: dict[str, int] = {"timeline_event.summary": TEXT_LIMIT + 5_000}
#: each string inside a JSON value (firm settings: name, address lines, bank details…)
JSON_TEXT_LIMIT = TEXT_LIMIT
#: columns holding an e-mail address ("table.column")
EMAIL_COLUMNS = frozenset({"customer.email", "customer_contact.email"})
#: Excel import fields (``app.exchange.kinds``) → the columns they are written to or looked up in;
#: a cell may be as long as the shortest of them. A field not listed gets ``IMPORT_DEFAULT_LIMIT``.
IMPORT_FIELDS: dict[str, tuple[str, ...]] = {
    "sku": ("product.sku",),
    "name": ("product.name", "customer.name"),
    "family": ("product_family.code",),
    "unit": ("product.unit",),
    "location": ("product.location",),
    "code": ("customer.code",),
    "customer": ("customer.code",),
    "salesperson": ("app_user.username",),
    "email": ("customer.email",),
    "phone": ("customer.phone",),
    "line1": ("address.line1",),
    "postcode": ("address.postcode",),
    "city": ("address.city",),
    "country": ("address.country",),
    "number": ("sales_order.number", "sales_order.import_ref"),
    "customer_reference": ("sales_order.customer_reference",),
}
IMPORT_DEFAULT_LIMIT = 200  # the model's default String length

# --- the characters ----------------------------------------------------------------------------------
_CONTROL_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
_EMAIL_LOCAL = re.compile(r"[^@\s]+")
_EMAIL_DOMAIN = re.compile(r"[^@\s.]+(?:\.[^@\s.]+)+")


def text_problem(value: str, limit: int | None, *, multiline: bool = False) -> str | None:
    """Why ``value`` may not be stored in a text field of ``limit`` characters (None: it may).
    The length is checked first, so a 2 MB paste costs one ``len``."""
    n = len(value)
    if limit is not None and n > limit:
        return f"at most {limit:,} characters ({n:,} typed)"
    m = (_CONTROL_MULTI_LINE if multiline else _CONTROL_ONE_LINE).search(value)
    if m is None:
        return None
    ch, pos = m.group(), m.start() + 1
    if ch in "\n\r":
        return f"a line break at position {pos}: this field is a single line"
    if ch == "\t":
        return f"a tab at position {pos}: this field is a single line"
    if "\ud800" <= ch <= "\udfff":
        return f"contains an invalid character (U+{ord(ch):04X}) at position {pos}"
    return f"contains a control character (U+{ord(ch):04X}) at position {pos}"


def check_text(value: str, limit: int | None, *, multiline: bool = False) -> str:
    """``value``, or ValueError with the reason (for parsers that turn ValueError into a Problem)."""
    reason = text_problem(value, limit, multiline=multiline)
    if reason is not None:
        raise ValueError(reason)
    return value


def email_problem(value: str) -> str | None:
    """Why ``value`` is not an e-mail address (None: it looks like one). A plain syntax check: one
    @, something before it, a domain with a dot after it, no spaces. Whether the mailbox exists
    only a mail server can say."""
    if any(c.isspace() for c in value):
        return "an e-mail address has no spaces"
    at = value.count("@")
    if at == 0:
        return "an e-mail address needs an @ (name@example.com)"
    if at > 1:
        return "an e-mail address has a single @"
    local, _, domain = value.partition("@")
    if not _EMAIL_LOCAL.fullmatch(local):
        return "a name is needed before the @ (name@example.com)"
    if not _EMAIL_DOMAIN.fullmatch(domain):
        return f"'{domain}' after the @ is not a domain (example.com)"
    return None


def email_address(value: Any) -> str:
    """A settings parser: an e-mail address, stripped, or '' for none; ValueError with the reason."""
    if not isinstance(value, str):
        raise ValueError("text is required")
    text = value.strip()
    if not text:
        return ""
    reason = email_problem(text) or text_problem(text, IMPORT_DEFAULT_LIMIT)
    if reason is not None:
        raise ValueError(reason)
    return text


find_bidi = _BIDI.search  # a match when ``text`` holds a bidirectional control (fast test for writers)


def without_bidi(text: str) -> str:
    """``text`` without bidirectional control characters, so it cannot reorder what it is printed
    next to (strong right-to-left letters still show right to left, as they should)."""
    return _BIDI.sub("", text) if _BIDI.search(text) else text


# --- the Excel import's cells -----------------------------------------------------------------------
_import_limits: dict[str, int] = {}


def _import_limit(field: str) -> int:
    limit = _import_limits.get(field)
    if limit is None:
        names = IMPORT_FIELDS.get(field)
        limit = min(_column_limit(n) for n in names) if names else IMPORT_DEFAULT_LIMIT
        _import_limits[field] = limit
    return limit


def _column_limit(qualified: str) -> int:
    from app.models.base import Base

    table, _, column = qualified.partition(".")
    col = Base.metadata.tables[table].c[column]
    length = col.type.length if isinstance(col.type, String) else None  # every column with a length is a String
    return length or TEXT_LIMITS.get(qualified, TEXT_LIMIT)


def cell_problem(field: str, value: str) -> str | None:
    """Why the text of an imported cell for import field ``field`` may not be stored."""
    reason = text_problem(value, _import_limit(field))
    if reason is None and field == "email":
        reason = email_problem(value)
    return reason


def cell_ok(field: str, value: str) -> bool:
    """The import's fast path: True when ``value`` passes (else the general path words why)."""
    limit = _import_limits.get(field) or _import_limit(field)
    if len(value) > limit or _CONTROL_ONE_LINE.search(value) is not None:
        return False
    return field != "email" or email_problem(value) is None


def cell_text(field: str, value: str) -> str:
    """``value`` (an imported cell's text for import field ``field``), or ValueError with the reason."""
    reason = cell_problem(field, value)
    if reason is not None:
        raise ValueError(reason)
    return value


# --- the flush hook: every mapped object ------------------------------------------------------------
class _Text:
    __slots__ = ("key", "limit", "multiline", "email", "json", "label")

    def __init__(self, key: str, limit: int | None, multiline: bool, email: bool, json: bool, label: str) -> None:
        self.key, self.limit, self.multiline, self.email, self.json, self.label = \
            key, limit, multiline, email, json, label


_by_mapper: dict[Mapper[Any], tuple[str, tuple[_Text, ...]]] = {}


def _texts(mapper: Mapper[Any]) -> tuple[str, tuple[_Text, ...]]:
    """(entity label, the mapper's text and JSON attributes with their rule), built once per class."""
    found = _by_mapper.get(mapper)
    if found is not None:
        return found
    selectable = mapper.persist_selectable
    assert isinstance(selectable, Table), f"{mapper.class_.__name__} is mapped to a table"
    table = selectable.name
    out = []
    for attr in mapper.column_attrs:
        col = attr.columns[0]
        t = col.type
        qualified = f"{table}.{col.name}"
        label = attr.key.replace("_", " ")
        if isinstance(t, Enum):
            continue  # only its own values get through SQLAlchemy
        if isinstance(t, String):
            length = t.length
            out.append(_Text(attr.key, length or TEXT_LIMITS.get(qualified, TEXT_LIMIT), length is None,
                             qualified in EMAIL_COLUMNS, False, label))
        elif isinstance(t, JSON):
            out.append(_Text(attr.key, JSON_TEXT_LIMIT, True, False, True, label))
    found = _by_mapper[mapper] = (table.replace("_", " "), tuple(out))
    return found


def _json_problem(value: Any, limit: int | None) -> str | None:
    if isinstance(value, str):
        return text_problem(value, limit, multiline=True)
    if isinstance(value, dict):
        items: Iterable[Any] = (x for kv in value.items() for x in kv)
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        return None
    for item in items:
        reason = _json_problem(item, limit)
        if reason is not None:
            return reason
    return None


def _problem(rule: _Text, value: Any) -> str | None:
    if value is None:
        return None
    if rule.json:
        return _json_problem(value, rule.limit)
    if not isinstance(value, str):
        return None
    reason = text_problem(value, rule.limit, multiline=rule.multiline)
    if reason is None and rule.email and value:
        reason = email_problem(value)
    return reason


def check_flush(session: Session) -> None:
    """Before a flush: every new object's text attributes and every changed one of a dirty object
    must keep the rule; otherwise ValidationError naming each entity and field, and nothing is
    written (the flush has not started; the unit of work rolls back)."""
    problems: list[Problem] = []
    for obj in session.new:
        state = inspect(obj)
        entity, rules = _texts(state.mapper)
        values = state.dict
        for rule in rules:
            reason = _problem(rule, values.get(rule.key))
            if reason is not None:
                problems.append(_located(obj, entity, rule, reason))
    for obj in session.dirty:
        state = inspect(obj)
        changed = state.committed_state
        if not changed:
            continue
        entity, rules = _texts(state.mapper)
        values = state.dict
        for rule in rules:
            if rule.key in changed:
                reason = _problem(rule, values.get(rule.key))
                if reason is not None:
                    problems.append(_located(obj, entity, rule, reason))
    if problems:
        raise ValidationError(problems)


def _located(obj: Any, entity: str, rule: _Text, reason: str) -> Problem:
    """"customer name: at most 200 characters (2,000,000 typed)", at the field ``name``; a firm
    setting is named by its key ("setting firm_name: …", at the field ``firm_name``), as the
    settings form knows it."""
    field, label = rule.key, f"{entity} {rule.label}"
    if entity == "setting" and isinstance(getattr(obj, "key", None), str):
        field = obj.key
        label = f"setting {obj.key}"
    return Problem(f"{label}: {reason}", field=field)
