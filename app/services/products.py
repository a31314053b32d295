"""Products: find, create, edit, archive and restore them with their quantity breaks, bill of
materials and routing (issue 20). Qt-free.

- ``products`` lists them (search by SKU, name, family or bin location; archived ones only when
  asked), ``product`` reads one with its price breaks, BOM lines, routing operations and the
  ``version`` the form sends back when it saves; ``choices`` is what the form's pickers offer
  (families, units, active work centres, skills, materials and products for the BOM).
- ``save_product`` creates or updates one in ONE unit of work: the product, its quantity breaks
  (kept by minimum quantity), its BOM (materials kept by material, sub-assemblies by product) and
  its routing (operations kept by id, numbered 10, 20, 30… in the order given). Permission
  ``products.edit``; the list price, standard cost and quantity breaks only with
  ``products.prices`` (management), the BOM and the routing only with ``products.routing``
  (production) — a change by anyone else is refused naming what. A form opened at version *n*
  of a product someone else has saved since gets ``ConflictError``; a change of the BOM or the
  routing alone counts as a change of the product (its version moves). The unit of work audits
  every field.
- Every problem of the input is a ``Problem`` naming the form's field (``sku``, ``name``,
  ``family_id``, ``unit``, ``list_price``, ``standard_cost``, ``tax_rate``, ``location``,
  ``price_breaks``, ``bom``, ``routing``), all of them at once: a duplicate SKU, a unit not in
  ``UNITS``, a negative price, a BOM that contains its own product (directly or deeper, the chain
  named), a routing step put on an archived work centre, an operation still in a schedule removed.
- ``archive_product`` refuses while the product is on open quotes or orders (named in the
  message), otherwise sets ``active`` off; ``restore_product`` brings it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.actor import Actor
from app.db.hygiene import text_problem
from app.db.uow import Database, UnitOfWork
from app.errors import PermissionDenied, Problem, UserError, ValidationError
from app.models import (
    BomComponent,
    BomLine,
    Material,
    PriceBreak,
    Product,
    ProductFamily,
    RoutingOperation,
    SalesOrder,
    SalesOrderLine,
    ScheduledOperation,
    Skill,
    WorkCenter,
)
from app.models.base import utcnow
from app.services.customers import OPEN_STATUSES
from app.services.permissions import allowed, require

#: the units of measure a product is sold in (shown on quotes, order confirmations and invoices)
UNITS: tuple[str, ...] = ("pcs", "set", "kit", "pair", "bay", "run", "box", "roll", "tin", "m", "m2", "m3", "kg",
                          "t", "l", "h")
SEQ_STEP = 10  # routing operations are numbered 10, 20, 30…
ItemKind = Literal["material", "product"]
CENT = Decimal("0.01")
QTY = Decimal("0.001")


# --- what the screens get and send ----------------------------------------------------------------
@dataclass(frozen=True)
class ProductRow:
    """One line of the products list."""

    id: int
    sku: str
    name: str
    family: str
    unit: str
    list_price: Decimal
    standard_cost: Decimal
    make_to_stock: bool
    location: str
    needs_installation: bool
    stock_on_hand: Decimal
    active: bool


@dataclass(frozen=True)
class PriceBreakForm:
    """From ``min_quantity`` units on, ``discount_percent`` off the list price."""

    min_quantity: Decimal | int | str
    discount_percent: Decimal | int | str


@dataclass(frozen=True)
class BomLineForm:
    """A material or a product (sub-assembly) per unit of the product."""

    kind: ItemKind
    item_id: int | None
    quantity: Decimal | int | str


@dataclass(frozen=True)
class OperationForm:
    """A routing step as typed (``id`` None: a new one); minutes may come as text."""

    name: str
    work_center_id: int | None
    skill_id: int | None
    setup_minutes: Decimal | int | str = Decimal(0)
    run_minutes: Decimal | int | str = Decimal(0)
    id: int | None = None


@dataclass(frozen=True)
class ProductForm:
    """What the product form sends. ``id`` None: a new product; else ``version`` is the version the
    form was opened at. Amounts may come as typed (text); the service parses them."""

    sku: str
    name: str
    family_id: int | None
    unit: str = "pcs"
    list_price: Decimal | int | str = Decimal(0)
    standard_cost: Decimal | int | str = Decimal(0)
    tax_rate_percent: Decimal | int | str = Decimal(20)
    make_to_stock: bool = True
    location: str = ""
    needs_installation: bool = False
    price_breaks: Sequence[PriceBreakForm] = ()
    bom: Sequence[BomLineForm] = ()
    routing: Sequence[OperationForm] = ()
    id: int | None = None
    version: int | None = None


@dataclass(frozen=True)
class BomLineView:
    kind: ItemKind
    item_id: int
    code: str
    name: str
    unit: str
    quantity: Decimal


@dataclass(frozen=True)
class OperationView:
    id: int
    seq: int
    name: str
    work_center_id: int
    work_center: str  # code
    work_center_active: bool
    skill_id: int
    skill: str  # code
    setup_minutes: Decimal
    run_minutes: Decimal


@dataclass(frozen=True)
class ProductView:
    """One product as the form shows it; ``version`` goes back with the save."""

    id: int
    version: int
    sku: str
    name: str
    family_id: int
    family: str
    unit: str
    list_price: Decimal
    standard_cost: Decimal
    tax_rate_percent: Decimal
    make_to_stock: bool
    location: str
    needs_installation: bool
    active: bool
    price_breaks: tuple[PriceBreakForm, ...]
    bom: tuple[BomLineView, ...]
    routing: tuple[OperationView, ...]
    updated_by: str

    def form(self) -> ProductForm:
        """The same product as a form would send it unchanged."""
        return ProductForm(
            sku=self.sku, name=self.name, family_id=self.family_id, unit=self.unit, list_price=self.list_price,
            standard_cost=self.standard_cost, tax_rate_percent=self.tax_rate_percent, make_to_stock=self.make_to_stock,
            location=self.location, needs_installation=self.needs_installation, price_breaks=self.price_breaks,
            bom=tuple(BomLineForm(b.kind, b.item_id, b.quantity) for b in self.bom),
            routing=tuple(OperationForm(o.name, o.work_center_id, o.skill_id, o.setup_minutes, o.run_minutes, o.id)
                          for o in self.routing),
            id=self.id, version=self.version)


@dataclass(frozen=True)
class Choice:
    """One entry of a picker: the id, its code and its name (``unit``: a BOM item's unit)."""

    id: int
    code: str
    name: str
    unit: str = ""


@dataclass(frozen=True)
class ProductChoices:
    """What the form's pickers offer."""

    families: tuple[Choice, ...]
    units: tuple[str, ...]
    work_centers: tuple[Choice, ...]  # the active ones
    skills: tuple[Choice, ...]
    materials: tuple[Choice, ...]
    products: tuple[Choice, ...]  # the active ones, for sub-assemblies


# --- reading ------------------------------------------------------------------------------------------
def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def products(db: Database, actor: Actor, search: str = "", include_archived: bool = False,
             limit: int = 2000) -> list[ProductRow]:
    """The products whose SKU, name, family or bin location contains ``search``, by SKU."""
    require(actor, "orders.view")
    text = _like(search.strip().lower())
    with db.read() as s:
        q = (select(Product, ProductFamily.name).join(ProductFamily, ProductFamily.id == Product.family_id)
             .order_by(Product.sku).limit(limit))
        if not include_archived:
            q = q.where(Product.active.is_(True))
        if text:
            pattern = f"%{text}%"
            q = q.where(or_(*(func.lower(col).like(pattern, escape="\\") for col in (
                Product.sku, Product.name, ProductFamily.name, ProductFamily.code, Product.location))))
        return [ProductRow(p.id, p.sku, p.name, family, p.unit, p.list_price, p.standard_cost, p.make_to_stock,
                           p.location or "", p.needs_installation, p.stock_on_hand, p.active)
                for p, family in s.execute(q).all()]


def _percent(rate: Decimal) -> Decimal:
    return (Decimal(rate) * 100).quantize(CENT).normalize() + Decimal(0)


def _view(s: Session, p: Product) -> ProductView:
    bom = [BomLineView("material", b.material_id, b.material.code, b.material.name, b.material.unit, b.quantity)
           for b in sorted(p.bom, key=lambda b: b.material.code)]
    bom += [BomLineView("product", c.component_id, c.component.sku, c.component.name, c.component.unit, c.quantity)
            for c in sorted(p.components, key=lambda c: c.component.sku)]
    ops = s.execute(select(RoutingOperation).where(RoutingOperation.product_id == p.id)
                    .order_by(RoutingOperation.seq)).scalars().all()
    breaks = s.execute(select(PriceBreak).where(PriceBreak.product_id == p.id)
                       .order_by(PriceBreak.min_quantity)).scalars().all()
    return ProductView(
        id=p.id, version=p.version, sku=p.sku, name=p.name, family_id=p.family_id, family=p.family.name, unit=p.unit,
        list_price=p.list_price, standard_cost=p.standard_cost, tax_rate_percent=_percent(p.tax_rate),
        make_to_stock=p.make_to_stock, location=p.location or "", needs_installation=p.needs_installation,
        active=p.active, updated_by=p.updated_by,
        price_breaks=tuple(PriceBreakForm(b.min_quantity, _percent(b.discount)) for b in breaks),
        bom=tuple(bom),
        routing=tuple(OperationView(o.id, o.seq, o.name, o.work_center_id, o.work_center.code, o.work_center.active,
                                    o.skill_id, o.skill.code, o.setup_minutes, o.run_minutes) for o in ops))


def product(db: Database, actor: Actor, id: int) -> ProductView:
    """One product with its price breaks, BOM and routing."""
    require(actor, "orders.view")
    with db.read() as s:
        p = s.get(Product, id)
        if p is None:
            raise UserError(f"Product #{id} does not exist (any more).")
        return _view(s, p)


def choices(db: Database, actor: Actor) -> ProductChoices:
    """The families, units, work centres, skills, materials and products the form offers."""
    require(actor, "orders.view")
    with db.read() as s:
        families = tuple(Choice(i, c, n) for i, c, n in s.execute(
            select(ProductFamily.id, ProductFamily.code, ProductFamily.name).order_by(ProductFamily.name)))
        centres = tuple(Choice(i, c, n) for i, c, n in s.execute(
            select(WorkCenter.id, WorkCenter.code, WorkCenter.name).where(WorkCenter.active.is_(True))
            .order_by(WorkCenter.code)))
        skills = tuple(Choice(i, c, n) for i, c, n in s.execute(
            select(Skill.id, Skill.code, Skill.name).order_by(Skill.code)))
        materials = tuple(Choice(i, c, n, u) for i, c, n, u in s.execute(
            select(Material.id, Material.code, Material.name, Material.unit).order_by(Material.code)))
        items = tuple(Choice(i, c, n, u) for i, c, n, u in s.execute(
            select(Product.id, Product.sku, Product.name, Product.unit).where(Product.active.is_(True))
            .order_by(Product.sku)))
    return ProductChoices(families, UNITS, centres, skills, materials, items)


def may_set_prices(actor: Actor) -> bool:
    """Whether ``actor`` may set the list price, standard cost and quantity breaks."""
    return allowed(actor.role, "products.prices")


def may_edit_routing(actor: Actor) -> bool:
    """Whether ``actor`` may edit the bill of materials and the routing."""
    return allowed(actor.role, "products.routing")


# --- checking what was typed ----------------------------------------------------------------------
def _number(value: Decimal | int | str, what: str, places: Decimal) -> tuple[Decimal, str | None]:
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace(" ", "") or "0"
        try:
            amount = Decimal(text)
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


# --- writing --------------------------------------------------------------------------------------
def _apply_breaks(s: Session, p: Product, breaks: dict[Decimal, Decimal]) -> bool:
    existing = {b.min_quantity.quantize(QTY): b for b in s.execute(
        select(PriceBreak).where(PriceBreak.product_id == p.id)).scalars()}
    changed = False
    for qty, row in existing.items():
        if qty not in breaks:
            s.delete(row)
            changed = True
        elif row.discount != breaks[qty]:
            row.discount = breaks[qty]
            changed = True
    for qty, discount in breaks.items():
        if qty not in existing:
            s.add(PriceBreak(product_id=p.id, min_quantity=qty, discount=discount))
            changed = True
    return changed


def _apply_bom(p: Product, checked: _Checked) -> bool:
    changed = False
    by_material = {b.material_id: b for b in p.bom}
    for mid, line in by_material.items():
        if mid not in checked.materials:
            p.bom.remove(line)
            changed = True
        elif line.quantity != checked.materials[mid]:
            line.quantity = checked.materials[mid]
            changed = True
    for mid, qty in checked.materials.items():
        if mid not in by_material:
            p.bom.append(BomLine(material_id=mid, quantity=qty))
            changed = True
    by_product = {c.component_id: c for c in p.components}
    for pid, comp in by_product.items():
        if pid not in checked.components:
            p.components.remove(comp)
            changed = True
        elif comp.quantity != checked.components[pid]:
            comp.quantity = checked.components[pid]
            changed = True
    for pid, qty in checked.components.items():
        if pid not in by_product:
            p.components.append(BomComponent(component_id=pid, quantity=qty))
            changed = True
    return changed


def _apply_routing(uow: UnitOfWork, p: Product, ops: list[_Op]) -> bool:
    s = uow.session
    before = {o.id: o for o in s.execute(select(RoutingOperation).where(
        RoutingOperation.product_id == p.id)).scalars()}
    kept = {o.id for o in ops if o.id is not None}
    changed = False
    for ident, row in before.items():
        if ident not in kept:
            s.delete(row)
            changed = True
    wanted = [(i + 1) * SEQ_STEP for i in range(len(ops))]
    moving = [before[o.id] for o, seq in zip(ops, wanted, strict=True) if o.id is not None and before[o.id].seq != seq]
    if changed or moving:
        uow.flush()  # removed rows go first: their numbers are free for the others
    for i, row in enumerate(moving):
        row.seq = -(i + 1)  # out of the way of each other (product, seq is unique)
    if moving:
        uow.flush()
    for op, seq in zip(ops, wanted, strict=True):
        row = before[op.id] if op.id is not None else RoutingOperation(product_id=p.id)
        new = (op.name, op.work_center_id, op.skill_id, op.setup, op.run, seq)
        if op.id is None or (row.name, row.work_center_id, row.skill_id, row.setup_minutes, row.run_minutes,
                             row.seq) != new:
            row.name, row.work_center_id, row.skill_id = op.name, op.work_center_id, op.skill_id
            row.setup_minutes, row.run_minutes, row.seq = op.setup, op.run, seq
            changed = True
        if op.id is None:
            s.add(row)
    return changed or bool(moving)


def save_product(db: Database, actor: Actor, form: ProductForm) -> ProductView:
    """Create (``form.id`` None) or update a product with its price breaks, BOM and routing;
    returns it as saved (see the module's text for the rules)."""
    require(actor, "products.edit")

    def run(uow: UnitOfWork) -> ProductView:
        s = uow.session
        current = None if form.id is None else uow.get(Product, form.id, expected_version=form.version)
        checked, problems = _checked(s, form, current)
        if problems:
            raise ValidationError(problems)
        _guard(actor, current, checked, s)
        p = current or uow.add(Product(active=True, **checked.values))
        for key, value in checked.values.items():
            if getattr(p, key, None) != value:
                setattr(p, key, value)
        if current is None:
            uow.flush()  # the new product's id, for its children
        children = _apply_breaks(s, p, checked.breaks)
        children = _apply_bom(p, checked) or children
        children = _apply_routing(uow, p, checked.routing) or children
        if children and current is not None and not s.is_modified(p, include_collections=False):
            p.updated_at = utcnow()  # the BOM, routing or breaks changed: the product's version moves
        uow.flush()
        s.expire(p, ["bom", "components"])
        return _view(s, p)

    return db.write(actor, run)


def open_orders(s: Session, product_id: int) -> list[str]:
    """The numbers of the open quotes and orders with a line of the product."""
    return list(s.execute(select(SalesOrder.number).distinct().join(SalesOrderLine, SalesOrderLine.order_id ==
                                                                    SalesOrder.id)
                          .where(SalesOrderLine.product_id == product_id, SalesOrder.status.in_(OPEN_STATUSES))
                          .order_by(SalesOrder.number)).scalars())


def archive_product(db: Database, actor: Actor, id: int, *, version: int | None = None) -> ProductView:
    """Archive a product on no open quote or order: it leaves order entry's pickers and the list
    (unless archived ones are shown); its history stays."""
    require(actor, "products.edit")

    def run(uow: UnitOfWork) -> ProductView:
        p = uow.get(Product, id, expected_version=version)
        numbers = open_orders(uow.session, p.id)
        if numbers:
            shown = ", ".join(numbers[:10]) + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")
            many = len(numbers) != 1
            raise UserError(f"{p.sku} ({p.name}) cannot be archived: it is on {len(numbers)} open "
                            f"quote{'s' if many else ''} or order{'s' if many else ''}: {shown}.",
                            hint="Ship, cancel or mark them lost first, then archive the product.")
        if p.active:
            p.active = False
            uow.flush()
        return _view(uow.session, p)

    return db.write(actor, run)


def restore_product(db: Database, actor: Actor, id: int, *, version: int | None = None) -> ProductView:
    """Bring an archived product back into order entry."""
    require(actor, "products.edit")

    def run(uow: UnitOfWork) -> ProductView:
        p = uow.get(Product, id, expected_version=version)
        if not p.active:
            p.active = True
            uow.flush()
        return _view(uow.session, p)

    return db.write(actor, run)
