"""Shipping: what is ready to pick, pick lists (per order or batched), confirming picks (a short
pick makes a backorder and tells sales), and shipments (carrier, tracking, packages, partial
shipments; stock goes down, the order's status and timeline follow).

Quantities on an order line: ``quantity`` ordered; ``qty_reserved`` stock set aside for it and not
yet shipped; ``qty_picked`` picked so far (cumulative); ``qty_shipped`` shipped so far. A stock
item's line can be picked up to what is reserved for it; a made-to-order line once its order is
ready (production finished). Made-to-order goods go from the shop straight into the shipment, so
shipping them does not move stock on hand; stock items' shipments do (with a stock movement).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app import format as fmt
from app.db.uow import Actor, Database, UnitOfWork
from app.errors import Problem, UserError, ValidationError
from app.models import (
    Customer,
    Note,
    Package,
    PickList,
    PickListLine,
    Product,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
    StockMovement,
    TimelineEvent,
)
from app.models.base import utcnow
from app.models.enums import (
    OrderKind,
    OrderStatus,
    PickListStatus,
    ShipmentStatus,
    Stage,
)
from app.services.numbers import next_number
from app.services.orders import AWAITING_APPROVAL, require_approved
from app.services.permissions import require

ZERO = Decimal(0)
PICKABLE_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.IN_PRODUCTION, OrderStatus.READY,
                     OrderStatus.PARTIALLY_SHIPPED)


@dataclass(frozen=True)
class ReadyLine:
    order_line_id: int
    line_no: int
    sku: str
    name: str
    location: str | None
    ordered: Decimal
    shipped: Decimal
    picked_not_shipped: Decimal
    pickable: Decimal


@dataclass(frozen=True)
class ReadyOrder:
    order_id: int
    number: str
    version: int
    status: str
    customer: str
    promise_date: dt.date | None
    lines: tuple[ReadyLine, ...]

    @property
    def pickable(self) -> Decimal:
        return sum((ln.pickable for ln in self.lines), ZERO)

    @property
    def to_ship(self) -> Decimal:
        return sum((ln.picked_not_shipped for ln in self.lines), ZERO)


@dataclass(frozen=True)
class PickRow:
    pick_line_id: int
    order_line_id: int
    order_number: str
    sku: str
    name: str
    location: str | None
    to_pick: Decimal
    picked: Decimal | None


@dataclass(frozen=True)
class PickGroup:
    """One stop on the walk: a product at its location, with each order's quantity."""

    sku: str
    name: str
    location: str | None
    total: Decimal
    per_order: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True)
class PickListView:
    id: int
    number: str
    version: int
    status: str
    created_by: str
    created_at: dt.datetime
    picked_by: str | None
    rows: tuple[PickRow, ...]  # in walking order
    groups: tuple[PickGroup, ...]
    orders: tuple[str, ...]


@dataclass(frozen=True)
class ShipmentView:
    id: int
    number: str
    order_id: int
    order_number: str
    customer: str
    carrier: str | None
    tracking_number: str | None
    shipped_at: dt.datetime | None
    packages: int
    weight_kg: Decimal
    lines: tuple[tuple[str, Decimal], ...]  # sku, quantity


def location_key(location: str | None) -> tuple:
    """Walking order: aisle, rack, shelf compared as numbers where they are numbers (A-3 < A-10);
    products without a location last."""
    if not location:
        return (1, ())
    return (0, tuple((0, int(p), "") if p.isdigit() else (1, 0, p.upper()) for p in re.split(r"[-./ ]+", location)))


def parse_quantity(value: Any, where: str) -> Decimal:
    """A typed quantity (read as every typed number is: ``app.format.parse_decimal``), or a
    ValidationError naming the field."""
    try:
        d = fmt.decimal_of(value)
    except (InvalidOperation, ValueError):
        raise ValidationError(Problem(f"'{value}' is not a quantity", field=where)) from None
    if not d.is_finite():
        raise ValidationError(Problem(f"'{value}' is not a quantity", field=where))
    return d


def _event(uow: UnitOfWork, order: SalesOrder, kind: str, summary: str, ref: tuple[str, int] | None = None,
           stage: Stage = Stage.SHIPPING) -> None:
    table, rid = ref or ("sales_order", order.id)
    uow.add(TimelineEvent(customer_id=order.customer_id, order_id=order.id, stage=stage, kind=kind, summary=summary,
                          user=uow.actor.username, ref_table=table, ref_id=rid))


# --- what can be picked -------------------------------------------------------------------------
def _on_open_lists(s: Session, line_ids: Sequence[int]) -> dict[int, Decimal]:
    if not line_ids:
        return {}
    rows = s.execute(select(PickListLine.order_line_id, func.sum(PickListLine.qty_to_pick))
                     .join(PickList, PickList.id == PickListLine.pick_list_id)
                     .where(PickList.status == PickListStatus.OPEN, PickListLine.order_line_id.in_(list(line_ids)))
                     .group_by(PickListLine.order_line_id)).all()
    return {lid: Decimal(q) for lid, q in rows}


def _pickable(line: SalesOrderLine, product: Product, status: OrderStatus, on_lists: Decimal) -> Decimal:
    remaining = line.quantity - line.qty_picked - on_lists
    if product.make_to_stock:
        available = line.qty_reserved - (line.qty_picked - line.qty_shipped) - on_lists
    else:
        available = remaining if status in (OrderStatus.READY, OrderStatus.PARTIALLY_SHIPPED) else ZERO
    return max(ZERO, min(remaining, available))


def ready_orders(db: Database, actor: Actor, *, order_ids: Sequence[int] | None = None) -> list[ReadyOrder]:
    """Open orders with something to pick or to ship, oldest promise first."""
    require(actor, "shipping.view")
    with db.read() as s:
        q = (select(SalesOrder, Customer.name).join(Customer, Customer.id == SalesOrder.customer_id)
             .where(SalesOrder.status.in_(PICKABLE_STATUSES), ~AWAITING_APPROVAL)
             .order_by(SalesOrder.promise_date, SalesOrder.number))
        if order_ids is not None:
            q = q.where(SalesOrder.id.in_(list(order_ids)))
        orders = s.execute(q).all()
        ids = [o.id for o, _c in orders]
        lines = s.scalars(select(SalesOrderLine).where(SalesOrderLine.order_id.in_(ids))
                          .order_by(SalesOrderLine.order_id, SalesOrderLine.line_no)).all() if ids else []
        products = {p.id: p for p in s.scalars(select(Product).where(
            Product.id.in_({ln.product_id for ln in lines})))} if lines else {}
        on_lists = _on_open_lists(s, [ln.id for ln in lines])
        by_order: dict[int, list[ReadyLine]] = {}
        status_of = {o.id: o.status for o, _c in orders}
        for ln in lines:
            p = products[ln.product_id]
            by_order.setdefault(ln.order_id, []).append(ReadyLine(
                ln.id, ln.line_no, p.sku, p.name, p.location, ln.quantity, ln.qty_shipped,
                ln.qty_picked - ln.qty_shipped, _pickable(ln, p, status_of[ln.order_id], on_lists.get(ln.id, ZERO))))
        out = []
        for o, cust in orders:
            ready = ReadyOrder(o.id, o.number, o.version, o.status.value, cust, o.promise_date,
                               tuple(by_order.get(o.id, ())))
            if ready.pickable > 0 or ready.to_ship > 0:
                out.append(ready)
        return out


# --- pick lists ---------------------------------------------------------------------------------
def create_pick_list(db: Database, actor: Actor, order_ids: Sequence[int]) -> PickListView:
    """One pick list over one or several orders: every line with something ready to pick."""
    require(actor, "shipping.edit")
    if not order_ids:
        raise ValidationError(Problem("choose at least one order", field="orders"))

    def run(uow: UnitOfWork) -> int:
        s = uow.session
        orders = s.scalars(select(SalesOrder).where(SalesOrder.id.in_(list(order_ids)))).all()
        if len(orders) != len(set(order_ids)):
            raise UserError("One of the orders no longer exists.")
        pl = uow.add(PickList(number=next_number(s, "pick_list"), created_by=actor.username))
        uow.flush()
        for order in sorted(orders, key=lambda o: o.number):
            if order.status not in PICKABLE_STATUSES:
                raise UserError(f"{order.number} is {order.status.value.replace('_', ' ')}: nothing to pick.")
            require_approved(order, "it is not picked")
            on_lists = _on_open_lists(s, [ln.id for ln in order.lines])
            added = 0
            for ln in order.lines:
                p = s.get_one(Product, ln.product_id)
                qty = _pickable(ln, p, order.status, on_lists.get(ln.id, ZERO))
                if qty > 0:
                    pl.lines.append(PickListLine(order_line_id=ln.id, location=p.location, qty_to_pick=qty))
                    added += 1
            if not added:
                raise UserError(f"{order.number} has nothing ready to pick (stock not reserved, production not "
                                "finished, or already on an open pick list).")
            _event(uow, order, "pick_list", f"{order.number} on pick list {pl.number}", ("pick_list", pl.id))
        return pl.id

    return pick_list(db, actor, db.write(actor, run))


def pick_list(db: Database, actor: Actor, pick_list_id: int) -> PickListView:
    require(actor, "shipping.view")
    with db.read() as s:
        pl = s.get(PickList, pick_list_id)
        if pl is None:
            raise UserError("This pick list no longer exists.")
        rows = s.execute(
            select(PickListLine, SalesOrder.number, Product.sku, Product.name)
            .join(SalesOrderLine, SalesOrderLine.id == PickListLine.order_line_id)
            .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
            .join(Product, Product.id == SalesOrderLine.product_id)
            .where(PickListLine.pick_list_id == pl.id)).all()
        picks = sorted((PickRow(pl_line.id, pl_line.order_line_id, number, sku, name, pl_line.location,
                                pl_line.qty_to_pick, pl_line.qty_picked) for pl_line, number, sku, name in rows),
                       key=lambda r: (location_key(r.location), r.sku, r.order_number))
        groups: list[PickGroup] = []
        for r in picks:
            if groups and groups[-1].sku == r.sku and groups[-1].location == r.location:
                g = groups[-1]
                groups[-1] = PickGroup(g.sku, g.name, g.location, g.total + r.to_pick,
                                       g.per_order + ((r.order_number, r.to_pick),))
            else:
                groups.append(PickGroup(r.sku, r.name, r.location, r.to_pick, ((r.order_number, r.to_pick),)))
        return PickListView(pl.id, pl.number, pl.version, pl.status.value, pl.created_by, pl.created_at,
                            pl.picked_by, tuple(picks), tuple(groups), tuple(sorted({r.order_number for r in picks})))


def open_pick_lists(db: Database, actor: Actor) -> list[PickListView]:
    require(actor, "shipping.view")
    with db.read() as s:
        ids = list(s.scalars(select(PickList.id).where(PickList.status == PickListStatus.OPEN).order_by(PickList.id)))
    return [pick_list(db, actor, i) for i in ids]


def confirm_pick(db: Database, actor: Actor, pick_list_id: int, version: int,
                 picked: Mapping[int, Any]) -> PickListView:
    """Record what was picked per pick-list line. Less than asked is a short pick: the missing
    quantity leaves the line (and the reservation; stock on hand is corrected), goes to a
    backorder, and sales is told on the order."""
    require(actor, "shipping.edit")
    today = clock.today()

    def run(uow: UnitOfWork) -> int:
        s = uow.session
        pl = uow.get(PickList, pick_list_id, expected_version=version)
        if pl.status is not PickListStatus.OPEN:
            raise UserError(f"{pl.number} is already {pl.status.value}.")
        problems = []
        amounts: dict[int, Decimal] = {}
        for line in pl.lines:
            raw = picked.get(line.id, line.qty_to_pick)
            try:
                q = parse_quantity(raw, f"line {line.id}")
            except ValidationError as exc:
                problems += exc.problems
                continue
            ol = s.get_one(SalesOrderLine, line.order_line_id)
            sku = s.get_one(Product, ol.product_id).sku
            if q < 0:
                problems.append(Problem("a picked quantity cannot be negative", field=f"{sku} (line {ol.line_no})",
                                        value=raw))
            elif q > line.qty_to_pick:
                problems.append(Problem(f"picked {fmt.quantity(q)} but only {fmt.quantity(line.qty_to_pick)} are "
                                        "on the list: picking more than ordered", field=f"{sku} (line {ol.line_no})",
                                        value=raw))
            amounts[line.id] = q
        if problems:
            raise ValidationError(problems)
        short: dict[int, list[tuple[SalesOrderLine, Decimal]]] = {}
        for line in pl.lines:
            q = amounts[line.id]
            ol = s.get_one(SalesOrderLine, line.order_line_id)
            line.qty_picked = q
            ol.qty_picked += q
            if q < line.qty_to_pick:
                short.setdefault(ol.order_id, []).append((ol, line.qty_to_pick - q))
        pl.status, pl.picked_by, pl.picked_at = PickListStatus.PICKED, actor.username, utcnow()
        for order_id, lines in short.items():
            _backorder(uow, s.get_one(SalesOrder, order_id), lines, pl, today)
        for oid in {s.get_one(SalesOrderLine, ln.order_line_id).order_id for ln in pl.lines} - set(short):
            order = s.get_one(SalesOrder, oid)
            _event(uow, order, "picked", f"{order.number} picked ({pl.number})", ("pick_list", pl.id))
        return pl.id

    return pick_list(db, actor, db.write(actor, run))


def _backorder(uow: UnitOfWork, order: SalesOrder, lines: list[tuple[SalesOrderLine, Decimal]], pl: PickList,
               today: dt.date) -> SalesOrder:
    from app.services import orders as order_svc
    from app.services.pricing import order_totals
    from app.services.promise import promise_order

    s = uow.session
    products = order_svc._lock_products(uow, {ol.product_id for ol, _q in lines})
    back = uow.add(SalesOrder(number=next_number(s, "order"), kind=OrderKind.ORDER, status=OrderStatus.CONFIRMED,
                              customer_id=order.customer_id, salesperson_id=order.salesperson_id, order_date=today,
                              requested_date=order.requested_date, customer_reference=order.customer_reference,
                              source_order_id=order.id, confirmed_at=utcnow(), approved_by=order.approved_by,
                              approved_at=order.approved_at))
    what = []
    for k, (ol, missing) in enumerate(lines, 1):
        p = products[ol.product_id]
        # the goods were not on the shelf: the reservation goes, and stock on hand is corrected
        gone = min(missing, ol.qty_reserved - (ol.qty_picked - ol.qty_shipped))
        if gone > 0 and p.make_to_stock:
            ol.qty_reserved -= gone
            p.stock_reserved = max(ZERO, p.stock_reserved - gone)
            p.stock_on_hand = max(ZERO, p.stock_on_hand - gone)
            uow.add(StockMovement(product_id=p.id, at=utcnow(), quantity=-gone, reason="count",
                                  reference=f"short pick {pl.number}", user=uow.actor.username))
        ol.quantity -= missing
        back.lines.append(SalesOrderLine(line_no=k, product_id=ol.product_id, quantity=missing,
                                         list_price=ol.list_price, discount=ol.discount, unit_price=ol.unit_price,
                                         price_override_reason=ol.price_override_reason, tax_rate=ol.tax_rate,
                                         unit_cost=ol.unit_cost))
        what.append(f"{fmt.quantity(missing)} × {p.sku}")
    for o in (order, back):
        t = order_totals(o.lines)
        o.total_net, o.total_tax, o.total_cost = t.net, t.tax, t.cost
        o.updated_at = utcnow()
    uow.flush()
    order_svc._reserve(uow, back)
    promise = promise_order(s, [(ln.product_id, ln.quantity) for ln in back.lines], today=today,
                            exclude_order_id=back.id)
    back.promise_date, back.bottleneck = promise.date, promise.bottleneck
    for ln, lp in zip(back.lines, promise.lines):
        ln.promise_date = lp.date
    text = (f"Short pick on {pl.number}: {', '.join(what)} missing from {order.number}; backorder {back.number} "
            f"created, promised {fmt.date(back.promise_date)}")
    _event(uow, order, "backorder", text, ("sales_order", back.id))
    _event(uow, back, "backorder", f"Backorder {back.number} of {order.number}: {', '.join(what)}")
    uow.add(Note(customer_id=order.customer_id, order_id=order.id, author=uow.actor.username, stage=Stage.SHIPPING,
                 text=text + ". Please let the customer know."))
    return back


# --- shipments ----------------------------------------------------------------------------------
def ship(db: Database, actor: Actor, order_id: int, *, carrier: str, tracking_number: str = "",
         packages: Sequence[tuple[Any, str | None]] = (), quantities: Mapping[int, Any] | None = None,
         note: str = "") -> ShipmentView:
    """Ship picked goods of one order (all picked and not yet shipped, or ``quantities`` per
    order line). Stock items leave stock; the order becomes shipped or partially shipped."""
    require(actor, "shipping.edit")
    problems = []
    if not (carrier or "").strip():
        problems.append(Problem("say which carrier takes it (or 'own van', 'collected')", field="carrier"))
    parcels: list[tuple[Decimal, str | None]] = []
    if not packages:
        problems.append(Problem("add at least one package with its weight", field="packages"))
    for i, (weight, dims) in enumerate(packages, 1):
        try:
            w = parse_quantity(weight, f"package {i} weight")
        except ValidationError as exc:
            problems += exc.problems
            continue
        if w <= 0:
            problems.append(Problem("a package weighs more than 0 kg", field=f"package {i} weight", value=weight))
        parcels.append((w, (dims or "").strip() or None))
    if problems:
        raise ValidationError(problems)

    def run(uow: UnitOfWork) -> int:
        from app.services.orders import _lock_products

        s = uow.session
        order = uow.get(SalesOrder, order_id)
        if order.status not in PICKABLE_STATUSES:
            raise UserError(f"{order.number} is {order.status.value.replace('_', ' ')} and cannot be shipped.")
        wanted: dict[int, Decimal] = {}
        errs = []
        for ln in order.lines:
            ready = ln.qty_picked - ln.qty_shipped
            raw = quantities.get(ln.id, ZERO) if quantities is not None else ready
            q = parse_quantity(raw, f"line {ln.line_no}")
            sku = s.get_one(Product, ln.product_id).sku
            if q < 0:
                errs.append(Problem("a quantity cannot be negative", field=f"{sku} (line {ln.line_no})", value=raw))
            elif q > ready:
                errs.append(Problem(f"only {fmt.quantity(ready)} picked and not yet shipped: goods must be picked "
                                    "before they ship", field=f"{sku} (line {ln.line_no})", value=raw))
            elif q > 0:
                wanted[ln.id] = q
        if errs:
            raise ValidationError(errs)
        if not wanted:
            raise UserError(f"Nothing of {order.number} is picked and waiting to ship.",
                            hint="Confirm a pick list first.")
        sh = uow.add(Shipment(number=next_number(s, "shipment"), order_id=order.id, status=ShipmentStatus.SHIPPED,
                              carrier=carrier.strip(), tracking_number=tracking_number.strip() or None,
                              shipped_at=utcnow(), shipped_by=actor.username, note=note.strip() or None))
        products = _lock_products(uow, {ln.product_id for ln in order.lines if ln.id in wanted})
        for ln in order.lines:
            want = wanted.get(ln.id)
            if not want:
                continue
            sh.lines.append(ShipmentLine(order_line_id=ln.id, quantity=want))
            ln.qty_shipped += want
            p = products[ln.product_id]
            take = min(want, ln.qty_reserved)  # what came off the shelf; the rest was made for the order
            ln.qty_reserved -= take
            p.stock_reserved = max(ZERO, p.stock_reserved - take)
            out = want if p.make_to_stock else take
            if out > 0:
                p.stock_on_hand -= out
                uow.add(StockMovement(product_id=p.id, at=utcnow(), quantity=-out, reason="shipment",
                                      reference=sh.number, user=actor.username))
        for w, dims in parcels:
            sh.packages.append(Package(weight_kg=w, dimensions=dims))
        from app.services.service_jobs import on_shipment

        on_shipment(uow, order, [ln.product_id for ln in order.lines if ln.id in wanted])
        done = all(ln.qty_shipped >= ln.quantity for ln in order.lines)
        order.status = OrderStatus.SHIPPED if done else OrderStatus.PARTIALLY_SHIPPED
        order.updated_at = utcnow()
        uow.flush()
        what = ", ".join(f"{fmt.quantity(want)} × {products[ln.product_id].sku}" for ln in order.lines
                         if (want := wanted.get(ln.id)))
        _event(uow, order, "shipped", f"{order.number} {'shipped' if done else 'partly shipped'} ({sh.number}, "
               f"{carrier.strip()}{', tracking ' + tracking_number.strip() if tracking_number.strip() else ''}): "
               f"{what}", ("shipment", sh.id))
        return sh.id

    sid = db.write(actor, run)
    return shipment(db, actor, sid)


def shipment(db: Database, actor: Actor, shipment_id: int) -> ShipmentView:
    require(actor, "shipping.view")
    with db.read() as s:
        sh = s.get(Shipment, shipment_id)
        if sh is None:
            raise UserError("This shipment no longer exists.")
        order = s.get_one(SalesOrder, sh.order_id)
        cust = s.get_one(Customer, order.customer_id).name
        lines = s.execute(select(Product.sku, ShipmentLine.quantity)
                          .join(SalesOrderLine, SalesOrderLine.id == ShipmentLine.order_line_id)
                          .join(Product, Product.id == SalesOrderLine.product_id)
                          .where(ShipmentLine.shipment_id == sh.id)).all()
        return ShipmentView(sh.id, sh.number, order.id, order.number, cust, sh.carrier, sh.tracking_number,
                            sh.shipped_at, len(sh.packages), sum((p.weight_kg for p in sh.packages), ZERO),
                            tuple((sku, q) for sku, q in lines))


def recent_shipments(db: Database, actor: Actor, *, limit: int = 200) -> list[ShipmentView]:
    require(actor, "shipping.view")
    with db.read() as s:
        ids = list(s.scalars(select(Shipment.id).order_by(Shipment.id.desc()).limit(limit)))
    return [shipment(db, actor, i) for i in ids]
