"""Stock counts: what is on the shelf, as counted, becomes the product's stock on hand (issue 20 —
a firm that types its first records counts its stock here; a stock sheet does the same through
the import). Qt-free.

One rule for both doors (the products window's *Count stock…* and the ``stock`` import): the
counted quantity is a number ≥ 0 (whole for items counted in pieces); the difference to what was
on hand is booked as a ``StockMovement`` with reason ``count`` (nothing when it is the same), with
who counted and a reference (the note typed, or "Excel import"). Stock reserved for open orders is
not changed by a count: a count below it is saved (the shelf is the truth) and said, naming how
many units the open orders are short.

The count holds the product's row (``UnitOfWork.lock``) while it books the difference, so a
shipment booked on another desk at the same moment is either counted or not — never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from app import format as fmt
from app.actor import Actor
from app.clock import utcnow
from app.db.hygiene import text_problem
from app.db.uow import Database, UnitOfWork
from app.errors import Problem, ValidationError
from app.models import Product, StockMovement
from app.services.permissions import require

REASON = "count"
REFERENCE_MAX = 60  # StockMovement.reference
WHOLE_UNITS = frozenset({"pcs", "pc", "piece", "pieces", "ea", "each", "set", "sets", "unit", "units", "box"})


@dataclass(frozen=True)
class CountResult:
    product_id: int
    sku: str
    before: Decimal
    counted: Decimal
    reserved: Decimal
    version: int

    @property
    def difference(self) -> Decimal:
        return self.counted - self.before

    @property
    def short(self) -> Decimal:
        """Units the open orders have reserved beyond what is on the shelf now."""
        return max(Decimal(0), self.reserved - self.counted)


def counted_problem(value: Decimal | int | str, unit: str) -> tuple[Decimal, str | None]:
    """The counted quantity as typed → (quantity, why it is refused or None)."""
    try:
        qty = fmt.decimal_of(value)
    except (InvalidOperation, ValueError):
        return Decimal(0), f"'{value}' is not a quantity"
    if not qty.is_finite():
        return Decimal(0), f"'{value}' is not a quantity"
    if qty < 0:
        return qty, "a counted quantity cannot be negative"
    if unit.strip().lower() in WHOLE_UNITS and qty != qty.to_integral_value():
        return qty, f"{unit} are counted whole: {value} is not a whole number"
    if qty >= Decimal("1e9"):
        return qty, f"{value} is more than any shelf holds"
    return qty, None


def count_movement(product_id: int, before: Decimal, counted: Decimal, user: str,
                   reference: str) -> dict[str, object] | None:
    """The stock movement a count books (None when nothing changed): one definition for the
    screen and the import."""
    if counted == before:
        return None
    return {"product_id": product_id, "at": utcnow(), "quantity": counted - before, "reason": REASON,
            "reference": reference[:REFERENCE_MAX] or None, "user": user}


def count_stock(db: Database, actor: Actor, product_id: int, counted: Decimal | int | str, note: str = "", *,
                version: int | None = None) -> CountResult:
    """Book a stock count of one product. Problems name the field (``counted``, ``note``)."""
    require(actor, "products.edit")

    def run(uow: UnitOfWork) -> CountResult:
        p = uow.lock(Product, product_id, expected_version=version)
        problems: list[Problem] = []
        qty, why = counted_problem(counted, p.unit)
        if why:
            problems.append(Problem(f"Counted: {why}.", field="counted"))
        reason = text_problem(note, REFERENCE_MAX)
        if reason:
            problems.append(Problem(f"Note: {reason}.", field="note"))
        if problems:
            raise ValidationError(problems)
        before = p.stock_on_hand
        move = count_movement(p.id, before, qty, actor.username, note.strip() or "stock count")
        if move is not None:
            uow.add(StockMovement(**move))
            p.stock_on_hand = qty
            uow.flush()
        return CountResult(p.id, p.sku, before, qty, p.stock_reserved, p.version)

    return db.write(actor, run)
