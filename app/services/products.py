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

from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.actor import Actor
from app.db.uow import Database, UnitOfWork
from app.errors import UserError, ValidationError
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
    Skill,
    WorkCenter,
)
from app.models.base import utcnow
from app.services.customers import OPEN_STATUSES
from app.services.master_data import like, open_orders_refusal, set_active, sync_rows
from app.services.permissions import require
from app.services.settings import load_settings
from app.services.product_checks import _Checked, _checked, _guard, _Op
from app.services.product_checks import may_edit_routing as may_edit_routing
from app.services.product_checks import may_set_prices as may_set_prices
from app.services.product_forms import (  # re-exported: the screens and tests import them from here
    UNITS,
    BomLineForm,
    BomLineView,
    Choice,
    OperationForm,
    OperationView,
    PriceBreakForm,
    ProductChoices,
    ProductForm,
    ProductRow,
    ProductView,
    SEQ_STEP,
    CENT,
    QTY,
)

__all__ = ["UNITS", "BomLineForm", "BomLineView", "Choice", "OperationForm", "OperationView", "PriceBreakForm",
           "ProductChoices", "ProductForm", "ProductRow", "ProductView", "SEQ_STEP", "may_edit_routing",
           "may_set_prices", "products", "product", "choices", "save_product", "open_orders", "archive_product",
           "restore_product"]

# --- reading ------------------------------------------------------------------------------------------
def products(db: Database, actor: Actor, search: str = "", include_archived: bool = False,
             limit: int = 2000) -> list[ProductRow]:
    """The products whose SKU, name, family or bin location contains ``search``, by SKU."""
    require(actor, "orders.view")
    text = like(search.strip().lower())
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
        default_tax = _percent(load_settings(s).default_tax_rate)
    return ProductChoices(families, UNITS, centres, skills, materials, items, default_tax)


# --- writing --------------------------------------------------------------------------------------
def _apply_breaks(s: Session, p: Product, breaks: dict[Decimal, Decimal]) -> bool:
    existing = {b.min_quantity.quantize(QTY): b for b in s.execute(
        select(PriceBreak).where(PriceBreak.product_id == p.id)).scalars()}
    return sync_rows(s, existing, breaks, value=lambda b: b.discount, update=lambda b, d: setattr(b, "discount", d),
                     make=lambda qty, discount: PriceBreak(product_id=p.id, min_quantity=qty, discount=discount))


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


def _blocker(s: Session, p: Product) -> UserError | None:
    return open_orders_refusal(f"{p.sku} ({p.name})", open_orders(s, p.id), has="it is on",
                               hint="Ship, cancel or mark them lost first, then archive the product.")


def archive_product(db: Database, actor: Actor, id: int, *, version: int | None = None) -> ProductView:
    """Archive a product on no open quote or order: it leaves order entry's pickers and the list
    (unless archived ones are shown); its history stays."""
    return set_active(db, actor, Product, id, version, active=False, permission="products.edit", view=_view,
                      blocker=_blocker)


def restore_product(db: Database, actor: Actor, id: int, *, version: int | None = None) -> ProductView:
    """Bring an archived product back into order entry."""
    return set_active(db, actor, Product, id, version, active=True, permission="products.edit", view=_view)
