"""Selling hints while an order is typed: excess stock worth a discount, and stock on the shelf.

- Free stock = on hand − reserved. Cover = free stock ÷ mean monthly demand over the next
  ``HORIZON_MONTHS`` months, month by month the consensus forecast, else marketing's figure, else
  the statistical baseline; without any forecast, the mean of the last months' demand history.
- Excess: free stock above the product's target (by at least a quarter of the target and one
  unit, so a unit or two over target is not called excess) or cover above
  ``excess_cover_months``, or free stock with no demand at all. An excess hint suggests the
  largest extra discount, in whole percent and at most ``max_excess_discount``, that keeps the
  margin at or above the floor after the customer's own price (tier, promotion) — 0 if none.
  Prices and margins in a hint are for one unit (quantity breaks would lower them further; the
  order itself is checked against the floor when it is saved).
- On the shelf: other make-to-stock products with free stock, which ship the next working day.
- Order: most relevant to the customer first (products they bought before, then families they
  buy from, then families of the products on the order being typed), then excess before
  on-the-shelf, then the family of what is being typed first (custom benches on the order bring
  standard benches up), then by size: the value of the excess at cost; on the shelf, how often
  the customer bought the product.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.db.uow import Actor, Database
from app.models import Customer, DemandHistory, Forecast, Product, ProductFamily, SalesOrder, SalesOrderLine
from app.models.enums import OrderKind, OrderStatus
from app.services import snapshot
from app.services.permissions import require
from app.services.pricing import ProductRules, load_rules, pct, quote_from_rules
from app.services.promise import Calendars, ships_text
from app.services.settings import FirmSettings, load_settings

ZERO = Decimal(0)
HORIZON_MONTHS = 6
HISTORY_MONTHS = 6
MIN_EXCESS_SHARE = Decimal("0.25")  # of the target: smaller surpluses are not "excess"
RELEVANCE = {3: "they bought it before", 2: "they buy from this family", 1: "same family as this order", 0: ""}


@dataclass(frozen=True)
class Hint:
    kind: str  # "excess" | "on_shelf"
    product_id: int
    sku: str
    name: str
    family: str
    location: str | None
    free_stock: Decimal
    target_stock: Decimal
    cover_months: Decimal | None  # None: no demand expected
    list_price: Decimal
    unit_price: Decimal  # the customer's price today, before the suggested discount
    suggested_discount: Decimal  # extra discount, whole percent as a fraction (0.12)
    unit_price_after: Decimal
    margin_after: Decimal | None
    excess_quantity: Decimal
    ships: str  # "ships tomorrow"
    reason: str
    relevance: int  # 3 bought before, 2 their family, 1 family on this order, 0 none


def _add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, 1)


def monthly_demand(session: Session, product_ids: Sequence[int], today: dt.date) -> dict[int, Decimal]:
    """Mean monthly demand ahead per product (see the module docstring)."""
    ids = list(product_ids)
    start = _add_months(today.replace(day=1), 1)
    end = _add_months(start, HORIZON_MONTHS)
    sums: dict[int, list[Decimal]] = {}
    for pid, cons, mkt, base in session.execute(
            select(Forecast.product_id, Forecast.consensus_qty, Forecast.marketing_qty, Forecast.baseline_qty)
            .where(Forecast.product_id.in_(ids), Forecast.granularity == "month",
                   Forecast.period_start >= start, Forecast.period_start < end)):
        value = next((v for v in (cons, mkt, base) if v is not None), None)
        if value is not None:
            sums.setdefault(pid, []).append(value)
    out = {pid: sum(vals, ZERO) / len(vals) for pid, vals in sums.items()}
    missing = [pid for pid in ids if pid not in out]
    if missing:
        since = _add_months(today.replace(day=1), -HISTORY_MONTHS)
        for pid, total in session.execute(
                select(DemandHistory.product_id, func.sum(DemandHistory.quantity))
                .where(DemandHistory.product_id.in_(missing), DemandHistory.period_start >= since,
                       DemandHistory.period_start < today.replace(day=1))
                .group_by(DemandHistory.product_id)):
            if total:
                out[pid] = Decimal(total) / HISTORY_MONTHS
    return out


def _relevance(session: Session, customer_id: int | None,
               order_product_ids: Sequence[int]) -> tuple[dict[int, int], dict[int, int], set[int]]:
    """(times bought per product, orders per family, families on the order being typed)."""
    bought: dict[int, int] = {}
    fams: dict[int, int] = {}
    if customer_id is not None:
        rows = session.execute(
            select(SalesOrderLine.product_id, Product.family_id, func.count(func.distinct(SalesOrder.id)))
            .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
            .join(Product, Product.id == SalesOrderLine.product_id)
            .where(SalesOrder.customer_id == customer_id, SalesOrder.kind == OrderKind.ORDER,
                   SalesOrder.status.not_in([OrderStatus.CANCELLED, OrderStatus.LOST]))
            .group_by(SalesOrderLine.product_id, Product.family_id)).all()
        for pid, fid, n in rows:
            bought[pid] = n
            fams[fid] = fams.get(fid, 0) + n
    on_order: set[int] = set()
    if order_product_ids:
        on_order = set(session.execute(select(Product.family_id).where(Product.id.in_(list(order_product_ids))))
                       .scalars())
    return bought, fams, on_order


def _best_discount(rules: ProductRules, cost: Decimal, tier: str | None, settings: FirmSettings) -> Decimal:
    """The largest whole-percent extra discount (≤ the maximum) that keeps margin ≥ floor."""
    top = int((settings.max_excess_discount * 100).to_integral_value(rounding=ROUND_FLOOR))
    for whole in range(top, 0, -1):
        d = Decimal(whole) / 100
        q = quote_from_rules(rules, Decimal(1), tier=tier, settings=settings, unit_cost=cost, extra_discount=d)
        if q.margin is not None and q.margin >= settings.margin_floor:
            return d
    return ZERO


def hints_for(db: Database, actor: Actor, customer_id: int | None, *, limit: int = 12,
              order_product_ids: Sequence[int] = ()) -> list[Hint]:
    """Hints for the order entry tab. ``order_product_ids``: products already on the order being
    typed (they are not hinted again; their families count as relevant)."""
    require(actor, "orders.view")
    with db.read() as s:
        return hints_in(s, customer_id, limit=limit, order_product_ids=order_product_ids)


def hints_in(s: Session, customer_id: int | None, *, limit: int = 12, order_product_ids: Sequence[int] = ()
             ) -> list[Hint]:
    """``hints_for`` inside a read the caller holds (the order screen reads everything at once)."""
    today = clock.today()
    settings = load_settings(s)
    tier = None
    if customer_id is not None:
        t = s.execute(select(Customer.tier).where(Customer.id == customer_id)).scalar()
        tier = t.value if t is not None else None
    in_stock = s.execute(
        select(Product, ProductFamily.name).join(ProductFamily, ProductFamily.id == Product.family_id)
        .where(Product.active.is_(True), Product.stock_on_hand - Product.stock_reserved > 0)).all()
    prods = [(p, fam) for p, fam in in_stock if p.id not in set(order_product_ids)]
    if not prods:
        return []
    ids = [p.id for p, _ in prods]
    demand = monthly_demand(s, ids, today)
    rules = load_rules(s, ids, today)
    bought, fams, on_order = snapshot.remembered(
        s, ("relevance", customer_id, tuple(sorted(order_product_ids))),
        lambda: _relevance(s, customer_id, order_product_ids))
    ships = ships_text(Calendars(s, today).next_working_day(today), today)
    floor = pct(settings.margin_floor)
    ranked: list[tuple[tuple, Hint]] = []
    for p, fam in prods:
        free = p.stock_on_hand - p.stock_reserved
        per_month = demand.get(p.id, ZERO)
        cover = (free / per_month).quantize(Decimal("0.1")) if per_month > 0 else None
        over_target = free - p.target_stock
        excess = (over_target >= max(Decimal(1), MIN_EXCESS_SHARE * p.target_stock)
                  or cover is None or cover > settings.excess_cover_months)
        if not excess and not p.make_to_stock:
            continue
        r = rules[p.id]
        base = quote_from_rules(r, Decimal(1), tier=tier, settings=settings)
        cost = base.unit_cost
        relevance = 3 if p.id in bought else 2 if p.family_id in fams else 1 if p.family_id in on_order else 0
        why = RELEVANCE[relevance]
        if excess:
            disc = _best_discount(r, cost, tier, settings)
            after = quote_from_rules(r, Decimal(1), tier=tier, settings=settings, unit_cost=cost, extra_discount=disc)
            excess_qty = max(over_target, ZERO)
            if cover is not None and per_month > 0 and cover > settings.excess_cover_months:
                excess_qty = max(excess_qty, free - per_month * settings.excess_cover_months)
            target_cover = (p.target_stock / per_month).quantize(Decimal("0.1")) if per_month > 0 else None
            if cover is None:
                first = f"{_q(free)} free with no demand forecast"
            else:
                first = f"{cover} months of stock cover"
                first += f" (target {target_cover})" if target_cover is not None else ""
            if disc:
                offer = f"offer up to {pct(disc)} off; margin stays above the {floor} floor"
            else:
                offer = f"no room for a discount: the margin would fall below the {floor} floor"
            reason = f"{first} \u2014 {offer}"
            size = excess_qty * cost
            kind, rank = "excess", 0
        else:
            disc, after = ZERO, base
            excess_qty = ZERO
            reason = f"{_q(free)} free on the shelf" + (f" at {p.location}" if p.location else "") + f" \u2014 {ships}"
            size = free * cost
            kind, rank = "on_shelf", 1
        if why:
            reason += f"; {why}"
        hint = Hint(kind=kind, product_id=p.id, sku=p.sku, name=p.name, family=fam, location=p.location,
                    free_stock=free, target_stock=p.target_stock, cover_months=cover, list_price=r.list_price,
                    unit_price=base.unit_price, suggested_discount=disc, unit_price_after=after.unit_price,
                    margin_after=after.margin, excess_quantity=excess_qty, ships=ships, reason=reason,
                    relevance=relevance)
        order_by = -size if kind == "excess" else -bought.get(p.id, 0)
        same_family = p.family_id in on_order
        ranked.append(((-relevance, rank, -same_family, order_by, -size, p.sku), hint))
    ranked.sort(key=lambda t: t[0])
    return [h for _, h in ranked[:limit]]


def _q(d: Decimal) -> str:
    return format(d.normalize(), "f") if d == d.to_integral_value() else str(d)
