"""What an importable or exportable kind is made of: its fields (type, required, synonyms, help,
choices) and a generic keyed upsert through SQLAlchemy Core."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from app.db.hygiene import cell_text
from app.exchange import values as v
from app.errors import UserError
from app.exchange.reading import normalise
from app.models.base import utcnow

ZERO = Decimal(0)


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str  # code, text, int, qty, money, rate, date, bool, enum
    required: bool = False
    synonyms: tuple[str, ...] = ()
    help: str = ""
    choices: tuple[str, ...] = ()  # fixed choices (enums); lists of codes come from ``lookup``
    lookup: str | None = None  # a code list for the template's drop-down: "family", "customer", "sku", "user"
    positive: bool = False  # quantities that must be above 0
    allow_negative: bool = False


# the largest magnitude (exclusive) and the step of each decimal type: numeric(14, 2) money,
# numeric(14, 3) quantities, numeric(7, 4) rates
LIMITS = {"money": Decimal(10) ** 12, "qty": Decimal(10) ** 11, "rate": Decimal(10) ** 3}
QUANTUM = {"money": Decimal("0.01"), "qty": Decimal("0.001"), "rate": Decimal("0.0001")}


def parse(f: Field, raw: Any) -> Any:
    """One cell → a typed value, or ValueError with the reason."""
    t = f.type
    if t in ("code", "text"):  # the database's own rule for text (length, control characters, e-mail)
        return cell_text(f.name, v.code(raw) if t == "code" else v.text(raw))
    if t == "date":
        return v.date(raw)
    if t == "bool":
        return v.boolean(raw)
    if t == "enum":
        s = v.text(raw).strip().lower().replace(" ", "_")
        options = {c.lower(): c for c in f.choices}
        if s not in options:
            raise ValueError(f"'{raw}' is not one of: {', '.join(f.choices)}")
        return options[s]
    if t == "int":
        n = v.integer(raw)
        if n < 0 and not f.allow_negative:
            raise ValueError("cannot be negative")
        if abs(n) >= 2**31:
            raise ValueError(f"too large: at most {2**31 - 1:,}")
        return n
    d = v.fraction(raw) if t == "rate" else v.number(raw)
    if abs(d) >= LIMITS[t]:  # what the database columns hold (numeric(14, 2) for money …)
        if t == "rate":
            raise ValueError("a rate between 0 and 100 %")
        raise ValueError(f"too large: at most {LIMITS[t] - QUANTUM[t]:,}")
    if t == "money":  # half up, as everywhere else in OrderCycle (10.005 → 10.01)
        d = d.quantize(Decimal("0.01"), ROUND_HALF_UP)
    elif t == "qty":
        d = d.quantize(Decimal("0.001"), ROUND_HALF_UP)
    elif t == "rate":
        d = d.quantize(Decimal("0.0001"), ROUND_HALF_UP)
        if not ZERO <= d < 1:
            raise ValueError("a rate between 0 and 100 %")
    if abs(d) >= LIMITS[t]:  # 999,999,999,999.995 rounds up to one cent too many
        raise ValueError(f"too large: at most {LIMITS[t] - QUANTUM[t]:,}")
    if d < 0 and not f.allow_negative:
        raise ValueError("cannot be negative")
    if f.positive and d <= 0:
        raise ValueError("must be more than 0")
    return d


@dataclass(slots=True)
class Row:
    number: int  # the Excel row number (1-based)
    values: dict[str, Any]


class Rows(Sequence[Row]):
    """A sheet's converted rows, kept column by column: ``column(name)`` is the list of one
    field's values (None where the cell was blank), ``numbers`` the Excel row numbers. Iterating
    gives ``Row`` objects (a field left blank is absent from ``values``); bulk kinds read the
    columns directly instead."""

    def __init__(self, names: Sequence[str], columns: Sequence[list[Any]], numbers: Sequence[int]) -> None:
        self.names = list(names)
        self._columns = dict(zip(self.names, columns))
        self.numbers = numbers
        self._rows: list[Row] | None = None

    @classmethod
    def of(cls, rows: Iterable[Row]) -> Rows:
        """From ``Row`` objects (tests, kinds that build rows themselves)."""
        rows = list(rows)
        names = sorted({name for r in rows for name in r.values})
        return cls(names, [[r.values.get(n) for r in rows] for n in names], [r.number for r in rows])

    def column(self, name: str) -> list[Any]:
        col = self._columns.get(name)
        return col if col is not None else [None] * len(self.numbers)

    def value(self, number: int, name: str) -> Any:
        """The value of field ``name`` in Excel row ``number`` (None if blank or not there)."""
        from bisect import bisect_left

        i = bisect_left(self.numbers, number)
        if i < len(self.numbers) and self.numbers[i] == number and name in self._columns:
            return self._columns[name][i]
        return None

    def __len__(self) -> int:
        return len(self.numbers)

    def _materialise(self) -> list[Row]:
        if self._rows is None:
            names = self.names
            self._rows = [Row(number, {n: v for n, v in zip(names, values) if v is not None})
                          for number, values in zip(self.numbers, zip(*(self._columns[n] for n in names)))] \
                if names else [Row(number, {}) for number in self.numbers]
        return self._rows

    def __getitem__(self, i: Any) -> Any:
        return self._materialise()[i]

    def __iter__(self) -> Iterator[Row]:
        return iter(self._materialise())


@dataclass
class Diff:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    payload: Any = None
    problems: list[tuple[int, str | None, str]] = field(default_factory=list)  # row number, field, reason


class Kind:
    """Subclasses set the class attributes and implement ``lookups``, ``diff`` and ``apply``
    (import) and/or ``export`` (rows out)."""

    name = ""
    title = ""
    fields: tuple[Field, ...] = ()
    key: tuple[str, ...] = ()
    import_permission: str | None = None
    export_permission = "orders.view"
    description = ""

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def synonyms(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in self.fields:
            for label in (f.name, f.label, *f.synonyms):
                out.setdefault(normalise(label), f.name)
        return out

    # import
    def permission_to_import(self) -> str:
        """The permission an import of this kind needs; UserError for a kind that is only exported."""
        if not self.import_permission:
            raise UserError(f"{self.title} can be exported, not imported.")
        return self.import_permission

    def lookups(self, s: Session) -> dict[str, Any]:
        return {}

    def diff(self, s: Session, rows: Sequence[Row], lk: dict[str, Any]) -> Diff:
        raise NotImplementedError

    def apply(self, s: Session, diff: Diff, lk: dict[str, Any], user: str) -> dict[str, list[int]]:
        """Write; return the ids touched per table (for the change feed)."""
        raise NotImplementedError

    # export
    def columns(self) -> list[tuple[str, str]]:
        return [(f.label, f.type) for f in self.fields]

    def export(self, s: Session, actor: Any = None) -> Iterable[Sequence[Any]]:
        raise NotImplementedError

    def choice_lists(self, s: Session) -> dict[str, list[str]]:
        return {}


def upsert(s: Session, table: Table, key_col: str, rows: Sequence[dict[str, Any]], existing: dict[Any, dict[str, Any]],
           *, user: str, versioned: bool = True, compare: Callable[[dict[str, Any], dict[str, Any]], bool] | None = None
           ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Split ``rows`` (column → value) into inserts, updates (only what changed) and unchanged,
    given ``existing`` (key → current column values incl. ``id``). Nothing is written here."""
    inserts, updates, same = [], [], 0
    for r in rows:
        cur = existing.get(r[key_col])
        if cur is None:
            inserts.append(r)
            continue
        changed = {k: val for k, val in r.items() if k != key_col and not _equal(cur.get(k), val)}
        if compare is not None and not compare(cur, r):
            changed = changed or {k: val for k, val in r.items() if k != key_col}
        if changed:
            updates.append({"_id": cur["id"], **changed})
        else:
            same += 1
    return inserts, updates, same


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except Exception:  # noqa: BLE001
            return False
    if isinstance(a, dt.datetime) and isinstance(b, dt.date) and not isinstance(b, dt.datetime):
        return a.date() == b
    return a == b


def write_upsert(s: Session, table: Table, inserts: list[dict[str, Any]], updates: list[dict[str, Any]], *,
                 user: str, versioned: bool = True, defaults: dict[str, Any] | None = None) -> list[int]:
    """Insert and update through Core (executemany), bumping version/updated_* like the ORM does."""
    now = utcnow()
    touched: list[int] = []
    if inserts:
        extra: dict[str, Any] = dict(defaults or {})
        if versioned:
            extra.update(version=1, updated_at=now, updated_by=user)
        if "created_at" in table.c:
            extra.setdefault("created_at", now)
        cols = set().union(*(r.keys() for r in inserts)) | set(extra)
        s.execute(table.insert(), [{c: r.get(c, extra.get(c)) for c in cols} for r in inserts])
    by_cols: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for u in updates:
        by_cols.setdefault(tuple(sorted(k for k in u if k != "_id")), []).append(u)
    for changed, group in by_cols.items():
        values: dict[str, Any] = {c: bindparam(f"v_{c}") for c in changed}
        if versioned:
            values.update(version=table.c.version + 1, updated_at=now, updated_by=user)
        stmt = update(table).where(table.c.id == bindparam("_id")).values(**values)
        s.connection().execute(stmt, [{"_id": u["_id"], **{f"v_{c}": u[c] for c in changed}} for u in group])
        touched += [u["_id"] for u in group]
    return touched


def ids_by_key(s: Session, table: Table, key_col: str, keys: Sequence[Any]) -> dict[Any, int]:
    out: dict[Any, int] = {}
    keys = list(keys)
    for i in range(0, len(keys), 500):
        out.update({got[1]: got[0] for got in s.execute(select(table.c.id, table.c[key_col])
                                                        .where(table.c[key_col].in_(keys[i:i + 500])))})
    return out
