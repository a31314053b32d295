"""Prices, totals and cost estimates for order entry.

The rules are pure functions (``line_price``, ``line_totals``, ``order_totals``, ``margin_of``) so
they are tested without a database; ``cost_estimate`` and ``price_for`` read what they need
through a session.

- Discounts combine multiplicatively: tier 2% and promotion 8% give 1 − 0.98 × 0.92 = 9.84% off.
- A unit price is rounded half-up to cents once, at the end, and is never negative.
- A line's net is money(quantity × unit price), its tax money(net × rate); an order's net is the
  sum of the rounded line nets, its tax the sum of the rounded line taxes.
- The unit cost of a stock item (make-to-stock) is its standard cost, because it ships from
  stock; a made-to-order item is costed by ``cost_estimate`` for the quantity ordered.
- Of several promotions on a product the best one applies (they do not stack); of the quantity
  breaks, the highest one reached.
- ``price_entered_lines`` turns what the salesperson typed (``LineInput``) into priced lines or
  problems naming ``lines[i].<field>`` (0-based).

The order screen and the Excel import of orders price through the same functions: ``price_lines``
(the rules, or a price set by hand, for many lines at once on plain tuples — each distinct line is
priced once), ``line_amounts``/``totals_of`` (the rounding) and ``CostBook`` (unit costs, loaded
once for many products).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app import format as fmt
from app.errors import Problem
from app.models import (BomLine, Customer, Material, PriceBreak, Product, Promotion, RoutingOperation, Staff,
                        StaffSkill, WorkCenter)
from app.models.base import money
from app.services.settings import FirmSettings, load_settings

ZERO = Decimal(0)
ONE = Decimal(1)
RATE = Decimal("0.0001")
CENT = Decimal("0.01")
MAX_DISCOUNT = Decimal("0.9999")  # what the discount column holds (numeric(7, 4), below 1)
MINUS = "\u2212"  # the minus sign used in explanations: "tier B −2%"


def pct(fraction: Decimal | float | int) -> str:
    """0.05 -> '5%', 0.025 -> '2.5%' (no trailing zeros)."""
    d = (Decimal(str(fraction)) * 100).quantize(Decimal("0.01"))
    text = format(d.normalize(), "f")
    return f"{text}%"


def line_price(list_price: Decimal, *, tier_discount: Decimal = ZERO, break_discount: Decimal = ZERO,
               promo_discount: Decimal = ZERO, override: Decimal | None = None,
               extra_discount: Decimal = ZERO) -> Decimal:
    """The unit price: ``override`` if given, else list price less every discount, multiplied.
    ``extra_discount`` is the salesperson's own (e.g. from a hint), on top of the rules."""
    if override is not None:
        return max(ZERO, money(override))
    factor = ONE
    for d in (tier_discount, break_discount, promo_discount, extra_discount):
        factor *= ONE - min(max(Decimal(d), ZERO), ONE)
    return max(ZERO, money(Decimal(list_price) * factor))


def combined_discount(*discounts: Decimal) -> Decimal:
    factor = ONE
    for d in discounts:
        factor *= ONE - Decimal(d)
    return ONE - factor


def line_amounts(quantity: Decimal, unit_price: Decimal, tax_rate: Decimal,
                 unit_cost: Decimal = ZERO) -> tuple[Decimal, Decimal, Decimal]:
    """(net, tax, cost) of one line, each rounded half-up to cents: net = quantity × unit price,
    tax = net × rate, cost = quantity × unit cost. Pure; arguments are Decimals."""
    net = (quantity * unit_price).quantize(CENT, ROUND_HALF_UP)
    return (net, (net * tax_rate).quantize(CENT, ROUND_HALF_UP),
            (quantity * unit_cost).quantize(CENT, ROUND_HALF_UP))


def line_totals(quantity: Decimal, unit_price: Decimal, tax_rate: Decimal) -> tuple[Decimal, Decimal]:
    """(net, tax) of one line, each rounded half-up to cents."""
    net, tax, _cost = line_amounts(Decimal(quantity), Decimal(unit_price), Decimal(tax_rate))
    return net, tax


def margin_of(net: Decimal, cost: Decimal) -> Decimal | None:
    """Margin as a fraction of net, to 4 places; None when there is no net to speak of."""
    if net <= 0:
        return None
    return ((net - cost) / net).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class PricedLine:
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    unit_cost: Decimal = ZERO


@dataclass(frozen=True)
class Totals:
    net: Decimal
    tax: Decimal
    gross: Decimal
    cost: Decimal
    margin: Decimal | None  # fraction of net; None when net is 0


def totals_of(amounts: Iterable[tuple[Decimal, Decimal, Decimal]]) -> Totals:
    """An order's totals from its lines' ``line_amounts``: sums of the rounded line figures."""
    net = tax = cost = ZERO
    for n, t, c in amounts:
        net += n
        tax += t
        cost += c
    return Totals(net=net, tax=tax, gross=net + tax, cost=cost, margin=margin_of(net, cost))


def order_totals(lines: Iterable[Any]) -> Totals:
    """Totals of anything with quantity, unit_price, tax_rate (and unit_cost) attributes."""
    return totals_of(line_amounts(Decimal(ln.quantity), Decimal(ln.unit_price), Decimal(ln.tax_rate),
                                  Decimal(getattr(ln, "unit_cost", ZERO) or ZERO)) for ln in lines)


# --------------------------------------------------------------------------------------------
# cost estimate
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CostLine:
    kind: str  # material | labour | machine | overhead | standard
    description: str
    amount: Decimal  # per unit


@dataclass(frozen=True)
class CostEstimate:
    product_id: int
    quantity: Decimal
    material: Decimal  # per unit, each component rounded to cents
    labour: Decimal
    machine: Decimal
    overhead: Decimal
    unit_cost: Decimal  # the sum of the four
    lines: tuple[CostLine, ...]


def staff_rates(session: Session) -> tuple[dict[int, Decimal], Decimal]:
    """Mean hourly rate of active staff per skill id, and the mean over all active staff."""
    rows: Sequence[tuple[int, Any]] = session.execute(  # the average's type is the database's
        select(StaffSkill.skill_id, func.avg(Staff.hourly_rate))
        .join(Staff, Staff.id == StaffSkill.staff_id).where(Staff.active.is_(True)).group_by(StaffSkill.skill_id)
    ).all()
    overall = session.execute(select(func.avg(Staff.hourly_rate)).where(Staff.active.is_(True))).scalar()
    return ({sid: Decimal(str(avg)) for sid, avg in rows if avg is not None},
            Decimal(str(overall)) if overall is not None else ZERO)


class CostBook:
    """What cost estimates need — products' costs, routings with their work centers' rates, bills
    of material, staff rates — read once for many products; ``estimate`` and ``unit_cost`` are
    then pure (the order screen reads a book for the lines of one order, the Excel import one for
    the whole sheet)."""

    def __init__(self, session: Session, product_ids: Iterable[int], *, settings: FirmSettings | None = None) -> None:
        ids = sorted(set(product_ids))
        self.products: dict[int, tuple[Decimal, Decimal, bool]] = {
            pid: (std, mat, mts) for pid, std, mat, mts in session.execute(
                select(Product.id, Product.standard_cost, Product.material_cost, Product.make_to_stock)
                .where(Product.id.in_(ids)))} if ids else {}
        self.ops: dict[int, list[tuple[str, Decimal, Decimal, int | None, str, Decimal]]] = {}
        self.bom: dict[int, list[tuple[Decimal, str, Decimal]]] = {}
        if ids:
            for pid, name, setup, run, skill, wc_name, wc_rate in session.execute(
                    select(RoutingOperation.product_id, RoutingOperation.name, RoutingOperation.setup_minutes,
                           RoutingOperation.run_minutes, RoutingOperation.skill_id, WorkCenter.name,
                           WorkCenter.hourly_rate)
                    .join(WorkCenter, WorkCenter.id == RoutingOperation.work_center_id)
                    .where(RoutingOperation.product_id.in_(ids))
                    .order_by(RoutingOperation.product_id, RoutingOperation.seq)):
                self.ops.setdefault(pid, []).append((name, setup, run, skill, wc_name, wc_rate))
        routed = sorted(self.ops)
        if routed:
            for pid, q, code, unit_cost in session.execute(
                    select(BomLine.product_id, BomLine.quantity, Material.code, Material.unit_cost)
                    .join(Material, Material.id == BomLine.material_id).where(BomLine.product_id.in_(routed))
                    .order_by(BomLine.product_id, Material.code)):
                self.bom.setdefault(pid, []).append((q, code, unit_cost))
            self.rates, self.overall = staff_rates(session)
            self.settings: FirmSettings | None = settings or load_settings(session)
        else:
            self.rates, self.overall = {}, ZERO
            self.settings = settings  # only products with a routing need them
        self._unit: dict[tuple[int, Decimal], Decimal] = {}

    def estimate(self, product_id: int, quantity: Decimal | int) -> CostEstimate:
        """Cost per unit of making ``quantity`` units (see ``cost_estimate``)."""
        if product_id not in self.products:
            raise LookupError(f"product {product_id} does not exist")
        qty = Decimal(quantity)
        if qty <= 0:
            raise ValueError("quantity must be positive")
        standard_cost, material_cost, _mts = self.products[product_id]
        ops = self.ops.get(product_id)
        if not ops:
            std = money(standard_cost)
            return CostEstimate(product_id, qty, std, ZERO, ZERO, ZERO, std,
                                (CostLine("standard", "bought in / from stock: standard cost", std),))
        lines: list[CostLine] = []
        bom = self.bom.get(product_id)
        if bom:
            material_raw = ZERO
            for q, code, unit_cost in bom:
                amount = q * unit_cost
                material_raw += amount
                lines.append(CostLine("material", f"{code}: {_num(q)} × {unit_cost.normalize():f}", money(amount)))
            material = money(material_raw)
        else:
            material = money(material_cost)
            lines.append(CostLine("material", "material cost (no bill of material)", material))
        labour_raw = machine_raw = ZERO
        for name, setup, run, skill, wc_name, wc_rate in ops:
            minutes = setup / qty + run
            rate = self.rates.get(skill, self.overall) if skill is not None else self.overall
            lab = minutes / 60 * rate
            mach = minutes / 60 * wc_rate
            labour_raw += lab
            machine_raw += mach
            lines.append(CostLine("labour", f"{name}: {_num(minutes)} min × {money(rate)}/h staff", money(lab)))
            lines.append(CostLine("machine", f"{name} on {wc_name}: {_num(minutes)} min × {money(wc_rate)}/h",
                                  money(mach)))
        labour, machine = money(labour_raw), money(machine_raw)
        assert self.settings is not None, "loaded whenever a product has a routing"
        overhead = money(self.settings.overhead_rate * (material + labour + machine))
        lines.append(CostLine("overhead", f"overhead {pct(self.settings.overhead_rate)} of material, labour and "
                                          "machine", overhead))
        return CostEstimate(product_id, qty, material, labour, machine, overhead,
                            material + labour + machine + overhead, tuple(lines))

    def unit_cost(self, product_id: int, quantity: Decimal) -> Decimal:
        """Standard cost for stock items; the estimate for the quantity of made-to-order ones."""
        key = (product_id, quantity)
        cost = self._unit.get(key)
        if cost is None:
            standard_cost, _mat, mts = self.products[product_id]
            cost = self._unit[key] = money(standard_cost) if mts else self.estimate(product_id, quantity).unit_cost
        return cost


def cost_estimate(session: Session, product_id: int, quantity: Decimal | int,
                  *, settings: FirmSettings | None = None) -> CostEstimate:
    """Cost per unit of making ``quantity`` units: material from the bill of material (or the
    product's material cost), labour and machine time from the routing (set-up spread over the
    quantity), overhead on the three. A product without a routing is bought in or taken from
    stock: its standard cost."""
    return CostBook(session, [product_id], settings=settings).estimate(product_id, quantity)


def _num(d: Decimal) -> str:
    q = Decimal(d).quantize(Decimal("0.01"))
    return format(q.normalize(), "f")


# --------------------------------------------------------------------------------------------
# price for a customer
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PriceQuote:
    product_id: int
    quantity: Decimal
    list_price: Decimal
    tier: str | None
    tier_discount: Decimal
    break_discount: Decimal
    break_quantity: Decimal | None  # the break that applies ("20+ units")
    promo_discount: Decimal
    promo_name: str | None
    discount: Decimal  # combined, as a fraction of list price
    unit_price: Decimal
    unit_cost: Decimal
    margin: Decimal | None  # fraction of net
    below_floor: bool
    margin_floor: Decimal
    explanation: tuple[str, ...]


@dataclass(frozen=True)
class ProductRules:
    """What pricing needs about one product, loaded in bulk (see ``load_rules``)."""

    product_id: int
    list_price: Decimal
    standard_cost: Decimal
    make_to_stock: bool
    breaks: tuple[tuple[Decimal, Decimal], ...]  # (min quantity, discount), ascending
    promos: tuple[tuple[str, Decimal], ...]  # active on the day: (name, discount)


def load_rules(session: Session, product_ids: Iterable[int], on: dt.date) -> dict[int, ProductRules]:
    return load_rules_for_days(session, product_ids, [on])[on]


def load_rules_for_days(session: Session, product_ids: Iterable[int],
                        days: Iterable[dt.date]) -> dict[dt.date, dict[int, ProductRules]]:
    """``load_rules`` for several days in the same few queries (an import's orders are dated
    differently): a product whose rules are the same on two days gets the same object."""
    ids = sorted(set(product_ids))
    days = sorted(set(days))
    if not ids or not days:
        return {day: {} for day in days}
    prods = session.execute(
        select(Product.id, Product.list_price, Product.standard_cost, Product.make_to_stock, Product.family_id)
        .where(Product.id.in_(ids))
    ).all()
    breaks: dict[int, list[tuple[Decimal, Decimal]]] = {}
    for pid, mq, disc in session.execute(
            select(PriceBreak.product_id, PriceBreak.min_quantity, PriceBreak.discount)
            .where(PriceBreak.product_id.in_(ids)).order_by(PriceBreak.min_quantity)):
        breaks.setdefault(pid, []).append((mq, disc))
    families = {p.family_id for p in prods}
    promos = session.execute(
        select(Promotion.name, Promotion.product_id, Promotion.family_id, Promotion.discount, Promotion.starts_on,
               Promotion.ends_on)
        .where(Promotion.starts_on <= days[-1], Promotion.ends_on >= days[0],
               or_(Promotion.product_id.in_(ids), Promotion.family_id.in_(families)))
        .order_by(Promotion.id)
    ).all()
    out: dict[dt.date, dict[int, ProductRules]] = {}
    same: dict[ProductRules, ProductRules] = {}
    for day in days:
        running = [(name, ppid, fid, disc) for name, ppid, fid, disc, starts, ends in promos if starts <= day <= ends]
        rules = out[day] = {}
        for p in prods:
            mine = tuple((name, disc) for name, ppid, fid, disc in running if ppid == p.id or fid == p.family_id)
            r = ProductRules(p.id, p.list_price, p.standard_cost, p.make_to_stock, tuple(breaks.get(p.id, ())), mine)
            rules[p.id] = same.setdefault(r, r)
    return out


def quote_from_rules(rules: ProductRules, quantity: Decimal, *, tier: str | None, settings: FirmSettings,
                     unit_cost: Decimal | None = None, extra_discount: Decimal = ZERO,
                     explain: bool = True) -> PriceQuote:
    """Pure: the price of ``quantity`` units given the loaded rules. The best single promotion
    applies (promotions do not stack with each other); the highest break reached applies.
    ``explain=False`` leaves the explanation empty (bulk pricing shows none)."""
    qty = Decimal(quantity)
    tier_d = settings.tier_discount(tier)
    brk, brk_q = ZERO, None
    for mq, disc in rules.breaks:
        if qty >= mq:
            brk, brk_q = disc, mq
    promo_d, promo_name = ZERO, None
    for name, disc in rules.promos:
        if disc > promo_d:
            promo_d, promo_name = disc, name
    unit_price = line_price(rules.list_price, tier_discount=tier_d, break_discount=brk, promo_discount=promo_d,
                            extra_discount=extra_discount)
    cost = rules.standard_cost if unit_cost is None else unit_cost
    margin = margin_of(unit_price, cost)
    expl = []
    if explain:
        if tier and tier_d:
            expl.append(f"tier {tier} {MINUS}{pct(tier_d)}")
        if brk and brk_q is not None:  # a break discount comes with the quantity it starts at
            expl.append(f"{_num(brk_q)}+ units {MINUS}{pct(brk)}")
        if promo_d:
            expl.append(f"{promo_name} {MINUS}{pct(promo_d)}")
        if extra_discount:
            expl.append(f"extra {MINUS}{pct(extra_discount)}")
        if not expl:
            expl.append("list price")
    return PriceQuote(
        product_id=rules.product_id, quantity=qty, list_price=rules.list_price, tier=tier, tier_discount=tier_d,
        break_discount=brk, break_quantity=brk_q, promo_discount=promo_d, promo_name=promo_name,
        discount=combined_discount(tier_d, brk, promo_d, extra_discount), unit_price=unit_price,
        unit_cost=money(cost), margin=margin, below_floor=margin is None or margin < settings.margin_floor,
        margin_floor=settings.margin_floor, explanation=tuple(expl))


def unit_cost_for(session: Session, rules: ProductRules, quantity: Decimal,
                  *, settings: FirmSettings | None = None) -> Decimal:
    """Standard cost for stock items; a cost estimate for the quantity of made-to-order ones."""
    if rules.make_to_stock:
        return money(rules.standard_cost)
    return CostBook(session, [rules.product_id], settings=settings).unit_cost(rules.product_id, Decimal(quantity))


def price_for(session: Session, customer_id: int | None, product_id: int, quantity: Decimal | int, on: dt.date,
              *, extra_discount: Decimal = ZERO, settings: FirmSettings | None = None) -> PriceQuote:
    """The price a customer pays for ``quantity`` of a product on a day, with cost and margin."""
    settings = settings or load_settings(session)
    tier = None
    if customer_id is not None:
        tier_v = session.execute(select(Customer.tier).where(Customer.id == customer_id)).scalar()
        if tier_v is None:
            raise LookupError(f"customer {customer_id} does not exist")
        tier = tier_v.value
    rules = load_rules(session, [product_id], on).get(product_id)
    if rules is None:
        raise LookupError(f"product {product_id} does not exist")
    qty = Decimal(quantity)
    cost = unit_cost_for(session, rules, qty, settings=settings)
    return quote_from_rules(rules, qty, tier=tier, settings=settings, unit_cost=cost,
                            extra_discount=extra_discount)


# --------------------------------------------------------------------------------------------
# lines as entered on an order
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LineInput:
    product: int | str  # id, or SKU (case-insensitive, trimmed)
    quantity: Decimal | int | str
    discount: Decimal | None = None  # extra discount on top of the rules, a fraction (0.12)
    price_override: Decimal | None = None
    override_reason: str | None = None


def resolve_product(s: Session, ref: int | str | None) -> Product | None:
    if isinstance(ref, int) and not isinstance(ref, bool):
        return s.get(Product, ref)
    if isinstance(ref, str) and ref.strip():
        return s.execute(select(Product).where(func.upper(Product.sku) == ref.strip().upper())).scalar()
    return None


def to_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        d = fmt.decimal_of(value)
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


@dataclass
class EnteredLine:
    """An entered line, priced and costed, ready to store."""

    product: Product
    quantity: Decimal
    list_price: Decimal
    discount: Decimal
    unit_price: Decimal
    override_reason: str | None
    tax_rate: Decimal
    unit_cost: Decimal


def price_entered_lines(s: Session, tier: str | None, lines: Sequence[LineInput], on: dt.date,
                        settings: FirmSettings) -> tuple[list[EnteredLine], list[Problem]]:
    """Resolve, validate and price what the salesperson typed for a customer of ``tier``.
    Returns the priced lines, or the problems (each naming ``lines[i].field``, 0-based); with
    ``tier`` None (no valid customer) only the problems."""
    problems: list[Problem] = []
    if not lines:
        problems.append(Problem("add at least one line", field="lines"))
    found: list[tuple[int, LineInput, Product, Decimal, Decimal, Decimal | None]] = []
    for i, ln in enumerate(lines):
        where = f"lines[{i}]"
        product = resolve_product(s, ln.product)
        if product is None or not product.active:
            what = "is inactive" if product is not None else "does not exist"
            problems.append(Problem(f"line {i + 1}: product '{ln.product}' {what}", field=f"{where}.product",
                                    value=ln.product))
        qty = to_decimal(ln.quantity)
        if qty is None or qty <= 0 or qty >= 10**10 or qty != qty.quantize(Decimal("0.001")):
            problems.append(Problem(f"line {i + 1}: the quantity must be a number above 0 (at most 3 decimals)",
                                    field=f"{where}.quantity", value=ln.quantity))
        extra = ZERO
        if ln.discount is not None:
            given = to_decimal(ln.discount)
            if given is None or not ZERO <= given < ONE:
                problems.append(Problem(f"line {i + 1}: the discount must be a fraction from 0 to below 1 "
                                        "(0.12 for 12%)", field=f"{where}.discount", value=ln.discount))
            else:
                extra = given
        override = None
        if ln.price_override is not None:
            override = to_decimal(ln.price_override)
            if override is None or override < 0:
                problems.append(Problem(f"line {i + 1}: the price must be a number, 0 or more",
                                        field=f"{where}.price_override", value=ln.price_override))
            if not (ln.override_reason or "").strip():
                problems.append(Problem(f"line {i + 1}: say why the price is set by hand",
                                        field=f"{where}.override_reason"))
        # (a line with no problem of its own has a valid quantity)
        if product is not None and product.active and qty is not None and not any(
                p.field and p.field.startswith(where + ".") for p in problems):
            found.append((i, ln, product, qty, extra, override))
    if tier is None or problems:
        return [], problems
    rules = load_rules(s, [f[2].id for f in found], on)
    book = CostBook(s, [f[2].id for f in found], settings=settings)
    priced = price_lines([(rules[product.id], qty, tier, extra, override)
                          for _i, _ln, product, qty, extra, override in found], settings=settings,
                         unit_cost=book.unit_cost)
    out = []
    for (_i, ln, product, qty, _extra, override), (disc, price, cost) in zip(found, priced, strict=True):
        reason = (ln.override_reason or "").strip() if override is not None else None  # a reason was required
        out.append(EnteredLine(product, qty, rules[product.id].list_price, disc, price, reason, product.tax_rate,
                               cost))
    return out, problems


def price_line(rules: ProductRules, quantity: Decimal, *, tier: str | None, settings: FirmSettings,
               unit_cost: Decimal, extra_discount: Decimal = ZERO,
               override: Decimal | None = None) -> tuple[Decimal, Decimal]:
    """(discount, unit price) of one line as stored: the rules' price (list, quantity break, tier,
    best promotion, the salesperson's extra discount; cents half-up), or a price set by hand
    (``override``, which needs a reason wherever it is entered) with the discount it amounts to
    off list. The discount is the combined one, 0 to 0.9999, four places."""
    if override is not None:
        price = Decimal(override).quantize(CENT, ROUND_HALF_UP)  # money(): cents, half up
        disc = ONE - price / rules.list_price if rules.list_price > 0 else ZERO
    else:
        quote = quote_from_rules(rules, quantity, tier=tier, settings=settings, unit_cost=unit_cost,
                                 extra_discount=extra_discount, explain=False)
        price, disc = quote.unit_price, quote.discount
    return min(max(disc, ZERO), MAX_DISCOUNT).quantize(RATE), price


PriceKey = tuple[ProductRules, Decimal, "str | None", Decimal, "Decimal | None"]


def price_lines(lines: Iterable[PriceKey], *, settings: FirmSettings,
                unit_cost: Callable[[int, Decimal], Decimal]) -> list[tuple[Decimal, Decimal, Decimal]]:
    """``price_line`` for many lines given as plain tuples (rules, quantity, tier, extra discount,
    override) → (discount, unit price, unit cost) each; ``unit_cost(product id, quantity)`` is
    ``CostBook.unit_cost``. Each distinct line is priced once (quantities, products and tiers
    repeat: 100,000 imported lines are a few thousand prices)."""
    memo: dict[tuple[int, Decimal, str | None, Decimal, Decimal | None], tuple[Decimal, Decimal, Decimal]] = {}
    out: list[tuple[Decimal, Decimal, Decimal]] = []
    append = out.append
    held = []  # the rules priced, kept alive so that their ids stay theirs
    for rules, qty, tier, extra, override in lines:
        key = (id(rules), qty, tier, extra, override)
        got = memo.get(key)
        if got is None:
            held.append(rules)
            cost = unit_cost(rules.product_id, qty)
            disc, price = price_line(rules, qty, tier=tier, settings=settings, unit_cost=cost, extra_discount=extra,
                                     override=override)
            got = memo[key] = (disc, price, cost)
        append(got)
    return out


def recover_extra_discount(list_price: Decimal, base: Decimal, unit_price: Decimal) -> Decimal:
    """Recover the salesperson's extra discount from a stored price (the nicest value that
    reproduces the price: whole percents first)."""
    gross = list_price * (ONE - base)
    if gross <= 0 or unit_price >= money(gross):
        return ZERO
    raw = ONE - unit_price / gross
    for step in (Decimal("0.01"), Decimal("0.001"), RATE):
        d = raw.quantize(step)
        for cand in (d, d + step, d - step):
            if ZERO < cand < ONE and money(gross * (ONE - cand)) == unit_price:
                return cand
    return raw.quantize(RATE)
