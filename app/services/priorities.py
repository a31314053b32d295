"""The priority queue: open orders ranked by the strategy profile management sets, with the parts
of each score shown ("why is this order here?"); strategy profiles; holds and rejections.

Score. Every part is a number from 0 to 1; the score is the weighted mean of the parts × 100, with
the active profile's weights (so a profile's weights need not add up to 1, only not all be 0):

- tier: customer tier A 1, B 0.5, C 0;
- strategic: 1 for a strategic customer;
- urgency: slack = working days to the promise date − days of production work still to do
  (remaining routing minutes ÷ the work centers' daily minutes); 1 when the slack is 0 or
  negative (late), 0 at ``SLACK_HORIZON`` working days or more, linear between;
- availability: 1 when everything still to ship is reserved from stock (can ship now), 0.5 when
  production can start (materials on hand), 0 when a material is short for it;
- value: the order's net value on a log scale against the largest order in the queue;
- margin: (net − cost) ÷ net, 50 % and above counts 1;
- age: days since confirmation, 60 days and above counts 1.

An expedite production has accepted puts the order in a band at the top (by requested date):
that is what an accepted expedite means, and why expedites are rationed (``expedites.py``).
Held orders are listed apart, below the queue.

The ranking is computed on read — one query per table, scored in Python — so it is never stale
and needs no background job; ``make bench`` measures it at 10,000 open orders.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from sqlalchemy import ColumnDefault, and_, func, select
from sqlalchemy.orm import Session

from app import clock
from app import format as fmt
from app.db.uow import Actor, Database, UnitOfWork
from app.errors import Problem, UserError, ValidationError
from app.models import (
    Customer,
    ExpediteRequest,
    PriorityProfile,
    SalesOrder,
    SalesOrderLine,
    ScheduledOperation,
    TimelineEvent,
)
from app.models.base import utcnow
from app.models.enums import ExpediteStatus, OrderStatus, Stage
from app.services.permissions import require
from app.services.queue_facts import (
    LISTED,
    QUEUE_STATUSES,
    FactsCache,
    OrderFacts,
    cache_for,
    load_facts,
)

HOLDABLE = QUEUE_STATUSES
HOLD_KINDS = {"credit": "Credit hold", "strategy": "Strategic hold"}

# (key on the profile, label, what it rewards) in the order the "why" panel shows them
PARTS: list[tuple[str, str, str]] = [
    ("tier", "Customer tier", "A customers first"),
    ("strategic", "Strategic customer", "customers management marked strategic"),
    ("slack", "Urgency", "little slack between the work left and the promise date"),
    ("availability", "Availability", "orders that can ship now; missing materials count against"),
    ("value", "Order value", "larger orders"),
    ("margin", "Margin", "profitable orders"),
    ("age", "Age", "orders that have waited long"),
]
PART_KEYS = [k for k, _l, _d in PARTS]
PART_LABEL = {k: label for k, label, _d in PARTS}


@dataclass(frozen=True)
class Part:
    key: str
    label: str
    weight: float  # the profile's weight, normalised to add up to 1
    value: float  # 0..1
    text: str  # the fact behind the value, in words

    @property
    def points(self) -> float:
        return self.weight * self.value * 100


class QueueRow(NamedTuple):
    """One ranked order: its rank and score over its facts. A small NamedTuple rather than a
    frozen dataclass copying every fact: the queue makes 10,000 of these per refresh, and a
    6-field tuple is an order of magnitude cheaper to make; it is just as immutable. The facts'
    fields (``number``, ``customer``, ``promise_date``…) read through, and the parts with their
    texts are built only when asked for (the "why" panel, a tooltip)."""

    rank: int  # 1-based; 0 for held orders
    facts: OrderFacts
    score: float
    values: tuple[float, ...]  # the parts' values 0..1, in PART_KEYS order
    weights: tuple[float, ...]  # the profile's weights normalised to add up to 1
    expedite: str | None  # None | "requested" | "needs management" | "accepted"
    expedite_date: dt.date | None

    def __getattr__(self, name: str) -> Any:  # order_id, number, customer, promise_date, … from the facts
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.facts, name)

    @property
    def late(self) -> bool:
        return self.slack_days is not None and self.slack_days < 0

    @property
    def parts(self) -> tuple[Part, ...]:
        texts = {
            "tier": f"tier {self.tier}",
            "strategic": "strategic customer" if self.strategic else "not strategic",
            "slack": self._slack_text(),
            "availability": {"stock": "can ship from stock now",
                             "materials short": f"material {self.short_material} short"}.get(
                self.availability, f"to make: {self.work_minutes / 60:.1f} h of work, materials on hand"),
            "value": f"net {fmt.money(self.total_net)}",
            "margin": f"margin {self.margin * 100:.0f} %" if self.margin is not None else "no value",
            "age": f"waiting {self.age_days} days since confirmation",
        }
        return tuple(Part(k, PART_LABEL[k], w, v, texts[k]) for k, w, v in zip(PART_KEYS, self.weights, self.values))

    def _slack_text(self) -> str:
        if self.promise_date is None or self.to_promise is None:
            return "no promise date"
        if self.to_promise < 0:
            return f"late: promised {fmt.date(self.promise_date)}, {-self.to_promise} working days ago"
        return (f"due {fmt.date(self.promise_date)} in {self.to_promise} working days, "
                f"{self.work_days:.1f} days of work left: slack {self.slack_days:.1f} days")

    def why(self) -> str:
        """One paragraph: the score and its biggest contributions, for tooltips and the panel."""
        head = f"{self.number}: score {self.score:.1f}"
        if self.expedite == "accepted":
            head += f" — expedite accepted for {fmt.date(self.expedite_date)}, so it is at the top"
        top = sorted(self.parts, key=lambda p: -p.points)
        return head + "\n" + "\n".join(f"{p.label} {p.points:+.1f} ({p.text})" for p in top if p.weight)


@dataclass(frozen=True)
class ProfileView:
    id: int
    name: str
    active: bool
    weights: dict[str, Decimal]
    version: int
    updated_by: str | None
    updated_at: dt.datetime | None


@dataclass(frozen=True)
class Queue:
    rows: list[QueueRow]  # ranked
    held: list[QueueRow]
    profile: ProfileView
    today: dt.date
    seconds: float = 0.0  # how long the ranking took
    by_id: dict[int, QueueRow] = field(default_factory=dict)

    def position(self, order_id: int) -> int | None:
        row = self.by_id.get(order_id)
        return row.rank if row and row.rank else None


# --- profiles ---------------------------------------------------------------------------------
def _profile_view(p: PriorityProfile) -> ProfileView:
    return ProfileView(p.id, p.name, p.active, {k: getattr(p, f"w_{k}") for k in PART_KEYS}, p.version,
                       p.updated_by, p.updated_at)


def profiles(db: Database, actor: Actor) -> list[ProfileView]:
    require(actor, "priorities.view")
    with db.read() as s:
        return [_profile_view(p) for p in s.scalars(select(PriorityProfile).order_by(PriorityProfile.name))]


def _active_profile(s: Session) -> PriorityProfile:
    p = s.scalars(select(PriorityProfile).where(PriorityProfile.active.is_(True)).order_by(PriorityProfile.id)).first()
    if p is None:
        p = s.scalars(select(PriorityProfile).order_by(PriorityProfile.id)).first()
    if p is None:  # a new firm: the defaults of the model, not saved until management edits them
        p = PriorityProfile(id=0, name="Default", active=True, version=0,
                            **{f"w_{k}": _model_default(f"w_{k}") for k in PART_KEYS})
    return p


def _model_default(column: str) -> Any:
    """A priority profile column's default as the model declares it (``mapped_column(default=…)``)."""
    default = PriorityProfile.__table__.c[column].default
    if not isinstance(default, ColumnDefault):
        raise LookupError(f"priority_profile.{column} has no default in the model")
    return default.arg


def _weights(raw: dict[str, Any]) -> dict[str, Decimal]:
    problems, out = [], {}
    for key in PART_KEYS:
        value = raw.get(key, 0)
        try:
            d = fmt.decimal_of(value) if str(value).strip() else Decimal(0)
        except (InvalidOperation, ValueError):
            problems.append(Problem(f"'{value}' is not a number", field=PART_LABEL[key]))
            continue
        if not d.is_finite() or d < 0:
            problems.append(Problem("a weight cannot be negative", field=PART_LABEL[key], value=value))
        elif d > 100:
            problems.append(Problem("a weight above 100 makes no sense (weights are relative)",
                                    field=PART_LABEL[key], value=value))
        out[key] = d.quantize(Decimal("0.0001"))
    if not problems and not any(out.values()):
        problems.append(Problem("at least one weight must be above 0, or nothing would rank the orders",
                                field="weights"))
    if problems:
        raise ValidationError(problems)
    return out


def save_profile(db: Database, actor: Actor, profile_id: int | None, version: int | None, name: str,
                 weights: dict[str, Any]) -> ProfileView:
    """Create (``profile_id`` None) or change a strategy profile. Management only; audited."""
    require(actor, "priorities.profile")
    name = (name or "").strip()
    problems = [Problem("give the profile a name", field="name")] if not name else []
    try:
        w = _weights(weights)
    except ValidationError as exc:
        problems += exc.problems
    if problems:
        raise ValidationError(problems)

    def run(uow: UnitOfWork) -> ProfileView:
        s = uow.session
        clash = s.scalar(select(PriorityProfile.id).where(func.lower(PriorityProfile.name) == name.lower()))
        if clash is not None and clash != profile_id:
            raise ValidationError(Problem(f"a profile called '{name}' exists already", field="name"))
        if profile_id is None:
            first = s.scalar(select(func.count()).select_from(PriorityProfile)) == 0
            p = uow.add(PriorityProfile(name=name, active=first))
        else:
            p = uow.get(PriorityProfile, profile_id, expected_version=version)
            p.name = name
        for k, v in w.items():
            setattr(p, f"w_{k}", v)
        uow.flush()
        return _profile_view(p)

    return db.write(actor, run)


def activate_profile(db: Database, actor: Actor, profile_id: int, version: int) -> ProfileView:
    """Make one profile the firm's strategy; the others become inactive. Management only."""
    require(actor, "priorities.profile")

    def run(uow: UnitOfWork) -> ProfileView:
        p = uow.get(PriorityProfile, profile_id, expected_version=version)
        for other in uow.session.scalars(select(PriorityProfile).where(PriorityProfile.active.is_(True))):
            if other.id != p.id:
                other.active = False
        p.active = True
        uow.flush()
        return _profile_view(p)

    return db.write(actor, run)


def delete_profile(db: Database, actor: Actor, profile_id: int, version: int) -> None:
    require(actor, "priorities.profile")

    def run(uow: UnitOfWork) -> None:
        p = uow.get(PriorityProfile, profile_id, expected_version=version)
        if p.active:
            raise UserError(f"'{p.name}' is the active profile and cannot be deleted.",
                            hint="Activate another profile first.")
        uow.session.delete(p)
        uow.flush()

    db.write(actor, run)


# --- the queue --------------------------------------------------------------------------------
def compute_queue(s: Session, today: dt.date, cache: FactsCache | None = None) -> Queue:
    """The ranking, inside a caller's session: the facts (from ``cache`` when given, kept current
    through the change feed; else read now), weighted by the active profile, then sorted."""
    t0 = time.perf_counter()
    facts = cache.current(s, today) if cache is not None else load_facts(s, today)
    pview = _profile_view(_active_profile(s))
    total_w = float(sum(pview.weights.values())) or 1.0
    weights = tuple(float(pview.weights[k]) / total_w for k in PART_KEYS)
    w_tier, w_strat, w_slack, w_avail, w_value, w_margin, w_age = weights
    exp: dict[int, tuple[str, dt.date]] = {}
    rank_of = {ExpediteStatus.ACCEPTED.value: 3, ExpediteStatus.NEEDS_MANAGEMENT.value: 2,
               ExpediteStatus.PENDING.value: 1}
    for oid, st, day in s.execute(
            select(ExpediteRequest.order_id, ExpediteRequest.status, ExpediteRequest.requested_date)
            .join(SalesOrder, SalesOrder.id == ExpediteRequest.order_id)
            .where(SalesOrder.status.in_(LISTED), ExpediteRequest.status.in_(list(rank_of)))):
        st = getattr(st, "value", st)
        if oid not in exp or rank_of[st] > rank_of[exp[oid][0]]:
            exp[oid] = (st, day)
    if cache is not None:  # nothing changed since the last ranking: the same ranking
        memo_key = (cache.seq, cache.partial_updates, cache.full_builds, today, pview.name, pview.version,
                    weights, tuple(sorted(exp.items())))
        if cache.last is not None and cache.last[0] == memo_key:
            q = cache.last[1]
            return Queue(q.rows, q.held, pview, today, time.perf_counter() - t0, q.by_id)
    log_max = max((f.log_net for f in facts.values()), default=0.0) or 1.0
    held_status = OrderStatus.ON_HOLD.value
    scored: list[tuple[tuple, OrderFacts, float, float, tuple | None]] = []
    for f in facts.values():
        v_tier, v_strat, v_slack, v_avail, _v, v_margin, v_age = f.values
        v_value = min(f.log_net / log_max, 1.0)
        score = 100 * (w_tier * v_tier + w_strat * v_strat + w_slack * v_slack + w_avail * v_avail
                       + w_value * v_value + w_margin * v_margin + w_age * v_age)
        e = exp.get(f.order_id)
        if f.status == held_status:
            key: tuple = (2, 0, 0.0, 0, f.number)
        elif e is not None and e[0] == "accepted":
            key = (0, e[1].toordinal(), -score, 0, f.number)
        else:
            key = (1, 0, -score, f.promise_date.toordinal() if f.promise_date else 10**7, f.number)
        scored.append((key, f, score, v_value, e))
    scored.sort(key=lambda t: t[0])
    rows: list[QueueRow] = []
    held: list[QueueRow] = []
    for key, f, score, v_value, e in scored:
        v = f.values
        if key[0] == 2:
            held.append(QueueRow(0, f, score, (v[0], v[1], v[2], v[3], v_value, v[5], v[6]), weights, None, None))
        else:
            rows.append(QueueRow(len(rows) + 1, f, score, (v[0], v[1], v[2], v[3], v_value, v[5], v[6]), weights,
                                 _EXPEDITE_LABEL[e[0]] if e else None, e[1] if e else None))
    by_id = {r.facts.order_id: r for r in rows}
    by_id.update((r.facts.order_id, r) for r in held)
    queue_ = Queue(rows, held, pview, today, time.perf_counter() - t0, by_id)
    if cache is not None:
        cache.last = (memo_key, queue_)
    return queue_


_EXPEDITE_LABEL = {"accepted": "accepted", "needs_management": "needs management", "pending": "requested"}


def queue(db: Database, actor: Actor) -> Queue:
    """Open orders ranked by the active strategy profile, with the parts of each score."""
    require(actor, "priorities.view")
    with db.read() as s:
        return compute_queue(s, clock.today(), cache_for(db))


def schedule_weights(q: Queue) -> dict[int, float]:
    """What the schedule minimises tardiness with: each queued order's weight, from its rank
    and score (an accepted expedite weighs most). Higher means late hurts more."""
    out = {}
    n = len(q.rows) or 1
    for r in q.rows:
        base = 1.0 + r.score / 25.0 + 2.0 * (n - r.rank) / n
        out[r.order_id] = base * (4.0 if r.expedite == "accepted" else 1.0)
    return out


# --- holds and rejections -------------------------------------------------------------------
def _event(uow: UnitOfWork, order: SalesOrder, kind: str, summary: str, stage: Stage = Stage.PRIORITIES,
           ref: tuple[str, int] | None = None) -> None:
    table, rid = ref or ("sales_order", order.id)
    uow.add(TimelineEvent(customer_id=order.customer_id, order_id=order.id, stage=stage, kind=kind,
                          summary=summary, user=uow.actor.username, ref_table=table, ref_id=rid))


def hold_order(db: Database, actor: Actor, order_id: int, version: int, kind: str, reason: str) -> None:
    """Put an order on hold (credit or strategic), with a reason sales sees on the order."""
    require(actor, "priorities.hold")
    if kind not in HOLD_KINDS:
        raise ValidationError(Problem("choose credit hold or strategic hold", field="kind", value=kind))
    if not (reason or "").strip():
        raise ValidationError(Problem("say why the order is held", field="reason"))

    def run(uow: UnitOfWork) -> None:
        order = uow.get(SalesOrder, order_id, expected_version=version)
        if order.status not in HOLDABLE:
            raise UserError(f"{order.number} is {order.status.value.replace('_', ' ')} and cannot be put on hold.")
        order.status = OrderStatus.ON_HOLD
        order.hold_reason = f"{HOLD_KINDS[kind]}: {reason.strip()}"
        order.updated_at = utcnow()
        _event(uow, order, "on_hold", f"{order.number} put on hold — {order.hold_reason}")

    db.write(actor, run)


def release_hold(db: Database, actor: Actor, order_id: int, version: int, note: str = "") -> None:
    require(actor, "priorities.hold")

    def run(uow: UnitOfWork) -> None:
        order = uow.get(SalesOrder, order_id, expected_version=version)
        if order.status is not OrderStatus.ON_HOLD:
            raise UserError(f"{order.number} is not on hold.")
        if any(ln.qty_shipped for ln in order.lines):
            order.status = OrderStatus.PARTIALLY_SHIPPED
        elif all(ln.qty_reserved >= ln.quantity for ln in order.lines):
            order.status = OrderStatus.READY
        elif uow.session.scalar(select(func.count()).select_from(ScheduledOperation).join(
                SalesOrderLine, and_(SalesOrderLine.id == ScheduledOperation.order_line_id,
                                     SalesOrderLine.order_id == order.id)).where(ScheduledOperation.done.is_(True))):
            order.status = OrderStatus.IN_PRODUCTION
        else:
            order.status = OrderStatus.CONFIRMED
        was = order.hold_reason
        order.hold_reason = None
        order.updated_at = utcnow()
        _event(uow, order, "hold_released", f"{order.number} released from hold ({was})"
               + (f": {note.strip()}" if note.strip() else ""))

    db.write(actor, run)


def reject_order(db: Database, actor: Actor, order_id: int, version: int, reason: str) -> None:
    """Turn an order down (strategic selection): cancelled with the reason; stock released."""
    require(actor, "priorities.hold")
    if not (reason or "").strip():
        raise ValidationError(Problem("say why the order is rejected", field="reason"))
    from app.services.orders import _release  # the one place reservations are released

    def run(uow: UnitOfWork) -> None:
        order = uow.get(SalesOrder, order_id, expected_version=version)
        if order.status not in (*HOLDABLE, OrderStatus.ON_HOLD) or order.status is OrderStatus.PARTIALLY_SHIPPED:
            raise UserError(f"{order.number} is {order.status.value.replace('_', ' ')} and cannot be rejected.")
        if any(ln.qty_picked or ln.qty_shipped for ln in order.lines):
            raise UserError(f"{order.number} is partly picked and cannot be rejected.")
        _release(uow, order)
        order.status = OrderStatus.CANCELLED
        order.cancel_reason = f"Rejected: {reason.strip()}"
        order.hold_reason = None
        order.updated_at = utcnow()
        for e in uow.session.scalars(select(ExpediteRequest).where(
                ExpediteRequest.order_id == order.id,
                ExpediteRequest.status.in_([ExpediteStatus.PENDING, ExpediteStatus.NEEDS_MANAGEMENT]))):
            e.status = ExpediteStatus.WITHDRAWN
            e.decision_comment = "Order rejected"
        _event(uow, order, "rejected", f"{order.number} rejected: {reason.strip()}")

    db.write(actor, run)


def rejected_orders(db: Database, actor: Actor, *, days: int = 90
                    ) -> list[tuple[int, str, str, str, dt.datetime]]:
    """Orders rejected recently: (id, number, customer, reason, when) — so sales sees them."""
    require(actor, "priorities.view")
    since = dt.datetime.combine(clock.today() - dt.timedelta(days=days), dt.time(), dt.timezone.utc)
    with db.read() as s:
        rows = s.execute(
            select(SalesOrder.id, SalesOrder.number, Customer.name, SalesOrder.cancel_reason, SalesOrder.updated_at)
            .join(Customer, Customer.id == SalesOrder.customer_id)
            .where(SalesOrder.status == OrderStatus.CANCELLED, SalesOrder.cancel_reason.like("Rejected:%"),
                   SalesOrder.updated_at >= since)
            .order_by(SalesOrder.updated_at.desc())).all()
    # (the reason is never empty: the query asks for one starting "Rejected:")
    return [(oid, number, customer, reason or "", when) for oid, number, customer, reason, when in rows]


def order_ids(rows: Sequence[QueueRow]) -> list[int]:
    return [r.order_id for r in rows]
