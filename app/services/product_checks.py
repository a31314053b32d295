"""Checking a product form before it is saved (``app.services.products``): every problem at once,
named by field; who may change prices, the BOM and the routing."""

from __future__ import annotations


from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import format as fmt
from app.actor import Actor
from app.db.hygiene import text_problem
from app.errors import PermissionDenied, Problem
from app.models import (
    BomComponent,
    Material,
    PriceBreak,
    Product,
    ProductFamily,
    RoutingOperation,
    ScheduledOperation,
    Skill,
    WorkCenter,
)
from app.services.permissions import allowed
from app.services.product_forms import CENT, ProductForm, QTY, SEQ_STEP, UNITS


def may_set_prices(actor: Actor) -> bool:
    """Whether ``actor`` may set the list price, standard cost and quantity breaks."""
    return allowed(actor.role, "products.prices")


PRICE_FIELDS = (("list_price", "the list price"), ("standard_cost", "the standard cost"))


def price_refusal(role: str, before: dict[str, Decimal] | None, values: dict[str, Decimal]
                  ) -> tuple[str, str] | None:
    """The one rule for every door (the product form, the Excel product import) for a product's
    list price and standard cost: only a role with ``products.prices`` sets them (on a new product:
    anything but 0) or changes them. Returns (field, what) when ``role`` may not, else None."""
    if allowed(role, "products.prices"):
        return None
    for key, label in PRICE_FIELDS:
        if key in values and Decimal(str(values[key])) != Decimal(str((before or {}).get(key) or 0)):
            return key, label
    return None


def may_edit_routing(actor: Actor) -> bool:
    """Whether ``actor`` may edit the bill of materials and the routing."""
    return allowed(actor.role, "products.routing")


# --- checking what was typed ----------------------------------------------------------------------
def _number(value: Decimal | int | str, what: str, places: Decimal) -> tuple[Decimal, str | None]:
    if isinstance(value, str):
        try:
            amount = fmt.decimal_of(value) if value.strip() else Decimal(0)
        except InvalidOperation:
            return Decimal(0), f"'{value}' is not {what}"
    else:
        amount = Decimal(value)
    if not amount.is_finite():
        return Decimal(0), f"'{value}' is not {what}"
    return amount.quantize(places), None


def _length(model: type[Product] | type[RoutingOperation], column: str) -> int | None:
    length = getattr(model.__table__.c[column].type, "length", None)
    return length if isinstance(length, int) else None


@dataclass(frozen=True)
class _Op:
    name: str
    work_center_id: int
    skill_id: int
    setup: Decimal
    run: Decimal
    id: int | None


@dataclass
class _Checked:
    values: dict[str, object]
    breaks: dict[Decimal, Decimal]  # min quantity -> discount (a fraction)
    materials: dict[int, Decimal]  # material id -> quantity
    components: dict[int, Decimal]  # product id -> quantity
    routing: list[_Op]


def _chain(s: Session, product_id: int, sku: str, components: dict[int, Decimal]) -> str | None:
    """The chain of SKUs that leads from the product back to itself through the BOM given
    (None: there is none)."""
    edges: dict[int, list[int]] = {}
    for parent, child in s.execute(select(BomComponent.product_id, BomComponent.component_id)):
        if parent != product_id:
            edges.setdefault(parent, []).append(child)
    edges[product_id] = sorted(components)
    skus: dict[int, str] = {i: k for i, k in s.execute(select(Product.id, Product.sku))}
    skus[product_id] = sku
    path: list[int] = [product_id]
    seen: set[int] = set()

    def walk(node: int) -> bool:
        for child in edges.get(node, ()):
            if child == product_id:
                path.append(child)
                return True
            if child in seen:
                continue
            seen.add(child)
            path.append(child)
            if walk(child):
                return True
            path.pop()
        return False

    if walk(product_id):
        return " → ".join(skus.get(i, f"#{i}") for i in path)
    return None


def _checked(s: Session, form: ProductForm, current: Product | None) -> tuple[_Checked, list[Problem]]:
    problems: list[Problem] = []
    sku = form.sku.strip()
    if not sku:
        problems.append(Problem("the SKU is required", field="sku"))
    elif any(ch.isspace() for ch in sku):
        problems.append(Problem("a SKU has no spaces", field="sku"))
    elif why := text_problem(sku, _length(Product, "sku")):
        problems.append(Problem(why, field="sku"))
    else:
        q = select(Product.name).where(func.upper(Product.sku) == sku.upper())
        if current is not None:
            q = q.where(Product.id != current.id)
        taken = s.execute(q).scalar()
        if taken is not None:
            problems.append(Problem(f"SKU {sku} is already taken by {taken}", field="sku"))
    name = form.name.strip()
    if not name:
        problems.append(Problem("the name is required", field="name"))
    elif why := text_problem(name, _length(Product, "name")):
        problems.append(Problem(why, field="name"))
    if form.family_id is None or s.get(ProductFamily, form.family_id) is None:
        problems.append(Problem("choose the product family", field="family_id"))
    unit = form.unit.strip()
    if unit not in UNITS and (current is None or unit != current.unit):
        problems.append(Problem(f"'{unit}' is not a unit in the list ({', '.join(UNITS)})", field="unit"))
    price, why = _number(form.list_price, "an amount", CENT)
    if why or price < 0:
        problems.append(Problem(why or "a price cannot be negative", field="list_price"))
    cost, why = _number(form.standard_cost, "an amount", CENT)
    if why or cost < 0:
        problems.append(Problem(why or "a cost cannot be negative", field="standard_cost"))
    tax, why = _number(form.tax_rate_percent, "a percentage", CENT)
    if why or not 0 <= tax < 100:
        problems.append(Problem(why or "the VAT rate is a percentage from 0 to 99.99", field="tax_rate"))
    location = form.location.strip()
    if why := text_problem(location, _length(Product, "location")):
        problems.append(Problem(why, field="location"))

    breaks: dict[Decimal, Decimal] = {}
    for i, b in enumerate(form.price_breaks, start=1):
        qty, why_q = _number(b.min_quantity, "a quantity", QTY)
        pct, why_p = _number(b.discount_percent, "a percentage", CENT)
        if why_q or why_p:
            problems.append(Problem(f"break {i}: {why_q or why_p}", field="price_breaks"))
        elif qty <= 0:
            problems.append(Problem(f"break {i}: the quantity must be more than 0", field="price_breaks"))
        elif not 0 <= pct < 100:
            problems.append(Problem(f"break {i}: the discount is a percentage from 0 to 99.99", field="price_breaks"))
        elif qty in breaks:
            problems.append(Problem(f"break {i}: there is already a break from {qty.normalize()}",
                                    field="price_breaks"))
        else:
            breaks[qty] = (pct / 100).quantize(Decimal("0.0001"))

    materials: dict[int, Decimal] = {}
    components: dict[int, Decimal] = {}
    for i, line in enumerate(form.bom, start=1):
        qty, why = _number(line.quantity, "a quantity", QTY)
        if why or qty <= 0:
            problems.append(Problem(f"BOM line {i}: {why or 'the quantity must be more than 0'}", field="bom"))
            continue
        if line.item_id is None:
            problems.append(Problem(f"BOM line {i}: choose a material or a product", field="bom"))
            continue
        if line.kind == "material":
            if s.get(Material, line.item_id) is None:
                problems.append(Problem(f"BOM line {i}: this material no longer exists", field="bom"))
            elif line.item_id in materials:
                problems.append(Problem(f"BOM line {i}: the material is listed twice", field="bom"))
            else:
                materials[line.item_id] = qty
        else:
            part = s.get(Product, line.item_id)
            if current is not None and line.item_id == current.id:
                problems.append(Problem(f"BOM line {i}: a product cannot contain itself", field="bom"))
            elif part is None:
                problems.append(Problem(f"BOM line {i}: this product no longer exists", field="bom"))
            elif line.item_id in components:
                problems.append(Problem(f"BOM line {i}: {part.sku} is listed twice", field="bom"))
            else:
                components[line.item_id] = qty
    if current is not None and components and not any(p.field == "bom" for p in problems):
        chain = _chain(s, current.id, sku or current.sku, components)
        if chain is not None:
            problems.append(Problem(f"the bill of materials contains its own product: {chain}", field="bom"))

    ops: list[_Op] = []
    before = {o.id: o for o in s.execute(select(RoutingOperation).where(
        RoutingOperation.product_id == current.id)).scalars()} if current is not None else {}
    for i, op in enumerate(form.routing, start=1):
        label = f"operation {i * SEQ_STEP}"
        op_name = op.name.strip()
        bad = False
        if not op_name:
            problems.append(Problem(f"{label}: the name is required", field="routing"))
            bad = True
        elif why := text_problem(op_name, _length(RoutingOperation, "name")):
            problems.append(Problem(f"{label}: {why}", field="routing"))
            bad = True
        centre = s.get(WorkCenter, op.work_center_id) if op.work_center_id is not None else None
        old = before.get(op.id) if op.id is not None else None
        if centre is None:
            problems.append(Problem(f"{label}: choose a work centre", field="routing"))
            bad = True
        elif not centre.active and (old is None or old.work_center_id != centre.id):
            problems.append(Problem(f"{label}: work centre {centre.code} is archived; choose an active one",
                                    field="routing"))
            bad = True
        if op.skill_id is None or s.get(Skill, op.skill_id) is None:
            problems.append(Problem(f"{label}: choose a skill", field="routing"))
            bad = True
        setup, why_s = _number(op.setup_minutes, "a number of minutes", CENT)
        run, why_r = _number(op.run_minutes, "a number of minutes", CENT)
        if why_s or why_r or setup < 0 or run < 0:
            problems.append(Problem(f"{label}: {why_s or why_r or 'minutes cannot be negative'}", field="routing"))
            bad = True
        if not bad:
            assert op.work_center_id is not None and op.skill_id is not None  # checked above
            ops.append(_Op(op_name, op.work_center_id, op.skill_id, setup, run, op.id if old is not None else None))
    kept = {o.id for o in ops if o.id is not None}
    removed = [o for ident, o in before.items() if ident not in kept]
    if removed and not any(p.field == "routing" for p in problems):
        scheduled = set(s.execute(select(ScheduledOperation.routing_operation_id).where(
            ScheduledOperation.routing_operation_id.in_([o.id for o in removed]))).scalars())
        for o in removed:
            if o.id in scheduled:
                problems.append(Problem(f"operation {o.seq} '{o.name}' is in a schedule and cannot be removed",
                                        field="routing"))

    values: dict[str, object] = {
        "sku": sku, "name": name, "family_id": form.family_id, "unit": unit, "list_price": price,
        "standard_cost": cost, "tax_rate": (tax / 100).quantize(Decimal("0.0001")),
        "make_to_stock": bool(form.make_to_stock), "location": location or None,
        "needs_installation": bool(form.needs_installation)}
    return _Checked(values, breaks, materials, components, ops), problems


def _guard(actor: Actor, current: Product | None, checked: _Checked, s: Session) -> None:
    """Management sets prices, production the BOM and the routing (a new product: only when set)."""
    if current is None:
        price_changed = (checked.values["list_price"] != 0 or checked.values["standard_cost"] != 0
                         or bool(checked.breaks))
        routing_changed = bool(checked.materials or checked.components or checked.routing)
    else:
        breaks = {b.min_quantity.quantize(QTY): b.discount for b in s.execute(
            select(PriceBreak).where(PriceBreak.product_id == current.id)).scalars()}
        price_changed = (checked.values["list_price"] != current.list_price
                         or checked.values["standard_cost"] != current.standard_cost or breaks != checked.breaks)
        routing_changed = _routing_changed(s, current, checked)
    price_changed = price_changed or price_refusal(actor.role, None if current is None else {
        "list_price": current.list_price, "standard_cost": current.standard_cost}, {
        k: Decimal(str(checked.values[k])) for k, _label in PRICE_FIELDS}) is not None
    if price_changed and not may_set_prices(actor):
        raise PermissionDenied(f"Your role ({actor.role}) may not change a product's list price, standard cost or "
                               "quantity breaks.", hint="Ask management to set them; everything else can be saved.")
    if routing_changed and not may_edit_routing(actor):
        raise PermissionDenied(f"Your role ({actor.role}) may not change a product's bill of materials or routing.",
                               hint="Ask production to change them; everything else can be saved.")


def _routing_changed(s: Session, current: Product, checked: _Checked) -> bool:
    materials = {b.material_id: b.quantity for b in current.bom}
    components = {c.component_id: c.quantity for c in current.components}
    ops = [_Op(o.name, o.work_center_id, o.skill_id, o.setup_minutes, o.run_minutes, o.id)
           for o in s.execute(select(RoutingOperation).where(RoutingOperation.product_id == current.id)
                              .order_by(RoutingOperation.seq)).scalars()]
    return materials != checked.materials or components != checked.components or ops != checked.routing
