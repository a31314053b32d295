"""What the order form shows while the salesperson types: every line priced, costed and promised,
the totals with tax, the margin against the floor — without saving anything. Lines with a problem
stay in place (so rows keep matching what was typed) with the problem attached."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app import clock
from app.db.uow import Actor, Database
from app.errors import Problem
from app.services.order_rules import approval_reason_of
from app.services.order_views import LineView
from app.services.permissions import require
from app.services.pricing import (LineInput, PricedLine, Totals, load_rules, order_totals, price_entered_lines,
                                  quote_from_rules, resolve_product)
from app.services.promise import promise_order
from app.services.settings import load_settings

ZERO = Decimal("0")
_LINE = re.compile(r"^lines\[(\d+)\]")


@dataclass(frozen=True)
class Preview:
    lines: tuple[LineView, ...]
    totals: Totals
    margin_floor: Decimal
    needs_approval: bool
    approval_reason: str | None
    promise_date: dt.date | None
    bottleneck: str | None
    problems: tuple[Problem, ...]
    approved_by: str | None = None
    approved_at: dt.datetime | None = None


def line_index(field: str | None) -> int | None:
    m = _LINE.match(field or "")
    return int(m.group(1)) if m else None


def _placeholder(s: Session, i: int, ln: LineInput, reason: str) -> LineView:
    q = ln.quantity if isinstance(ln.quantity, Decimal) else ZERO
    product = resolve_product(s, ln.product)
    sku, name = (product.sku, f"{product.name} ({reason})") if product is not None else (str(ln.product), f"({reason})")
    return LineView(0, i + 1, product.id if product else 0, sku, name, "", q, ZERO, ZERO, ZERO, ZERO, None,
                    ZERO, ZERO, ZERO, ZERO, None, None, ZERO, ZERO, ())


def preview(db: Database, actor: Actor, customer_id: int | None, inputs: list[LineInput], *,
            order_id: int | None = None) -> Preview:
    require(actor, "orders.view")
    with db.read() as s:
        return preview_in(s, customer_id, inputs, order_id=order_id)


def preview_in(s: Session, customer_id: int | None, inputs: list[LineInput], *, order_id: int | None = None
               ) -> Preview:
    """``preview`` inside a read the caller holds (the order screen reads everything at once)."""
    today = clock.today()
    from app.models import Customer

    settings = load_settings(s)
    cust = s.get(Customer, customer_id) if customer_id is not None else None
    tier = cust.tier.value if cust is not None else "C"
    problems: list[Problem] = []
    if cust is None:
        problems.append(Problem("choose a customer (type its code or name)", field="customer"))
    views: list[LineView] = []
    priced_lines = []
    for i, ln in enumerate(inputs):
        priced, probs = price_entered_lines(s, tier, [ln], today, settings)
        if probs:
            for p in probs:
                field = p.field.replace("lines[0]", f"lines[{i}]") if p.field else p.field
                problems.append(Problem(p.reason.replace("line 1:", f"line {i + 1}:"), field=field, value=p.value))
            views.append(_placeholder(s, i, ln, probs[0].reason.split(": ", 1)[-1]))
            continue
        e = priced[0]
        rules = load_rules(s, [e.product.id], today)[e.product.id]
        q = quote_from_rules(rules, e.quantity, tier=tier, settings=settings, unit_cost=e.unit_cost,
                             extra_discount=ln.discount or ZERO)
        expl = (f"price set by hand: {e.override_reason}",) if e.override_reason else q.explanation
        t = order_totals([e])
        views.append(LineView(0, i + 1, e.product.id, e.product.sku, e.product.name, e.product.unit, e.quantity,
                              e.list_price, e.discount, ln.discount or ZERO, e.unit_price, e.override_reason,
                              e.tax_rate, e.unit_cost, t.net, t.tax, t.margin, None, ZERO, ZERO, expl))
        priced_lines.append((i, e))
    promise = promise_order(s, [(e.product.id, e.quantity) for _i, e in priced_lines], today=today,
                            exclude_order_id=order_id)
    for (i, _e), promised in zip(priced_lines, promise.lines, strict=True):
        v = views[i]
        views[i] = replace(v, promise_date=promised.date, explanation=v.explanation + (promised.explanation,))
    good = [PricedLine(e.quantity, e.unit_price, e.tax_rate, e.unit_cost) for _i, e in priced_lines]
    totals = order_totals(good)
    reason = approval_reason_of(totals, [e for _i, e in priced_lines], settings.margin_floor) if good else None
    return Preview(tuple(views), totals, settings.margin_floor, reason is not None, reason, promise.date,
                   promise.bottleneck, tuple(problems))


def resolve(db: Database, ref: Any) -> int | None:
    with db.read() as s:
        p = resolve_product(s, ref)
        return p.id if p is not None else None
