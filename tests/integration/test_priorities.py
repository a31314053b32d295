"""Priority queue, strategy profiles, holds and rejections, and expedite requests with quotas, on the
demo company (story 3). Runs on a SQLite file and, when configured, on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from app import clock
from app.errors import PermissionDenied, UserError, ValidationError
from app.models import (AuditLog, Customer, ExpediteRequest, PriorityProfile, Product, SalesOrder, SalesOrderLine,
                        TimelineEvent)
from app.models.enums import OrderStatus
from app.services import expedites, priorities

from tests.support import TODAY  # noqa: E402


def _order(db, customer_prefix: str, status: OrderStatus | None = None) -> SalesOrder:
    with db.read() as s:
        q = (select(SalesOrder).join(Customer, Customer.id == SalesOrder.customer_id)
             .where(Customer.name.like(customer_prefix + "%")).order_by(SalesOrder.id.desc()))
        if status is not None:
            q = q.where(SalesOrder.status == status)
        return s.scalars(q).first()


def _tradeshow(db) -> SalesOrder:
    with db.read() as s:
        return s.scalars(select(SalesOrder).where(SalesOrder.customer_reference == "NEC stand - Logistics Show")).one()


def _counts(db) -> tuple[int, int, int]:
    with db.read() as s:
        return (s.scalar(select(func.count()).select_from(ExpediteRequest)),
                s.scalar(select(func.count()).select_from(TimelineEvent)),
                s.scalar(select(func.count()).select_from(PriorityProfile)))


# --- the score ------------------------------------------------------------------------------
def test_score_is_the_weighted_mean_of_its_parts(demo) -> None:
    db, actor = demo
    q = priorities.queue(db, actor("sales"))
    assert len(q.rows) >= 20 and q.held
    assert sum(float(w) for w in q.profile.weights.values()) == pytest.approx(1.0)
    for r in q.rows:
        assert [p.key for p in r.parts] == priorities.PART_KEYS
        assert sum(p.weight for p in r.parts) == pytest.approx(1.0)
        assert all(0.0 <= p.value <= 1.0 for p in r.parts)
        assert r.score == pytest.approx(sum(p.points for p in r.parts), abs=1e-3)
        assert r.status in {s.value for s in priorities.QUEUE_STATUSES}
    # ranks are 1..n; outside the accepted-expedite band the score never increases down the queue
    assert [r.rank for r in q.rows] == list(range(1, len(q.rows) + 1))
    rest = [r for r in q.rows if r.expedite != "accepted"]
    assert all(a.score >= b.score for a, b in zip(rest, rest[1:]))
    band = [r.rank for r in q.rows if r.expedite == "accepted"]
    assert band == list(range(1, len(band) + 1)), "accepted expedites go first"


def test_parts_follow_the_facts(demo) -> None:
    db, actor = demo
    q = priorities.queue(db, actor("sales"))
    part = {r.order_id: {p.key: p for p in r.parts} for r in q.rows}
    for r in q.rows:
        p = part[r.order_id]
        assert p["tier"].value == {"A": 1.0, "B": 0.5, "C": 0.0}[r.tier]
        assert p["strategic"].value == (1.0 if r.strategic else 0.0)
        if r.late:
            assert p["slack"].value == 1.0 and "late" in p["slack"].text
        if r.availability == "stock":
            assert p["availability"].value == 1.0 and r.work_minutes == 0
        if r.availability == "production":
            assert p["availability"].value == 0.5 and r.work_minutes > 0
    # the story's strategic customer: high in the queue, and the why names tier, slack and margin
    hal = next(r for r in q.rows if r.customer.startswith("Halden"))
    assert hal.rank <= 8
    why = hal.why()
    assert "Customer tier" in why and "Urgency" in why and "Margin" in why and "strategic customer" in why


def test_a_profile_with_one_weight_ranks_by_that_part(demo) -> None:
    db, actor = demo
    mgmt = actor("management")
    only_value = priorities.save_profile(db, mgmt, None, None, "Biggest orders first",
                                         {k: (1 if k == "value" else 0) for k in priorities.PART_KEYS})
    priorities.activate_profile(db, mgmt, only_value.id, only_value.version)
    q = priorities.queue(db, actor("sales"))
    assert q.profile.name == "Biggest orders first"
    rest = [r for r in q.rows if r.expedite != "accepted"]
    assert [r.total_net for r in rest] == sorted((r.total_net for r in rest), reverse=True)
    # change it to tier only: A before B before C
    p = next(p for p in priorities.profiles(db, mgmt) if p.id == only_value.id)
    priorities.save_profile(db, mgmt, p.id, p.version, p.name, {k: (2 if k == "tier" else 0)
                                                                 for k in priorities.PART_KEYS})
    tiers = [r.tier for r in priorities.queue(db, actor("sales")).rows if r.expedite != "accepted"]
    assert tiers == sorted(tiers)
    assert len(set(tiers)) > 1


def test_profiles_are_managements_and_audited(demo) -> None:
    db, actor = demo
    active = next(p for p in priorities.profiles(db, actor("marketing")) if p.active)
    weights = dict(active.weights, strategic=D("0.5"))
    for who in ("marketing", "sales", "production", "finance"):
        with pytest.raises(PermissionDenied):
            priorities.save_profile(db, actor(who), active.id, active.version, active.name, weights)
        with pytest.raises(PermissionDenied):
            priorities.activate_profile(db, actor(who), active.id, active.version)
    saved = priorities.save_profile(db, actor("management"), active.id, active.version, active.name, weights)
    assert saved.weights["strategic"] == D("0.5") and saved.version == active.version + 1
    with db.read() as s:
        row = s.scalars(select(AuditLog).where(AuditLog.entity == "priority_profile",
                                               AuditLog.field == "w_strategic")).one()
    assert (row.username, row.old_value, row.new_value) == ("management", "0.1500", "0.5000")
    # a second desk still holding the old version conflicts instead of overwriting
    with pytest.raises(UserError, match="changed by management"):
        priorities.save_profile(db, actor("management"), active.id, active.version, active.name, active.weights)
    other = next(p for p in priorities.profiles(db, actor("management")) if not p.active)
    priorities.activate_profile(db, actor("management"), other.id, other.version)
    actives = [p.name for p in priorities.profiles(db, actor("management")) if p.active]
    assert actives == [other.name]
    with pytest.raises(UserError, match="active profile"):
        priorities.delete_profile(db, actor("management"), other.id, other.version + 1)


@pytest.mark.parametrize("weights, reason", [
    ({}, "at least one weight"),
    ({"tier": "-1"}, "cannot be negative"),
    ({"tier": "lots"}, "not a number"),
    ({"tier": "1000"}, "above 100"),
])
def test_bad_weights_are_refused_and_nothing_is_saved(demo, weights, reason) -> None:
    db, actor = demo
    before = _counts(db)
    active = next(p for p in priorities.profiles(db, actor("management")) if p.active)
    with pytest.raises(ValidationError, match=reason):
        priorities.save_profile(db, actor("management"), None, None, "Broken", weights)
    with pytest.raises(ValidationError, match=reason):
        priorities.save_profile(db, actor("management"), active.id, active.version, active.name, weights)
    assert _counts(db) == before
    assert next(p for p in priorities.profiles(db, actor("management")) if p.active) == active


# --- holds and rejections -------------------------------------------------------------------
def test_hold_release_and_reject(demo) -> None:
    db, actor = demo
    q = priorities.queue(db, actor("finance"))
    target = next(r for r in q.rows if r.status == "ready")
    with pytest.raises(PermissionDenied):
        priorities.hold_order(db, actor("sales"), target.order_id, target.version, "credit", "two invoices overdue")
    with pytest.raises(ValidationError, match="say why"):
        priorities.hold_order(db, actor("finance"), target.order_id, target.version, "credit", "  ")
    priorities.hold_order(db, actor("finance"), target.order_id, target.version, "credit", "two invoices overdue")
    q2 = priorities.queue(db, actor("sales"))
    assert target.order_id not in {r.order_id for r in q2.rows}
    held = next(r for r in q2.held if r.order_id == target.order_id)
    assert held.hold_reason == "Credit hold: two invoices overdue"
    # sales sees it on the order too (and on the timeline)
    from app.services import orders
    view = orders.get_order(db, actor("sales"), target.order_id)
    assert view.status == "on_hold" and view.hold_reason == "Credit hold: two invoices overdue"
    assert any(t.kind == "on_hold" for t in orders.timeline(db, actor("sales"), target.order_id))
    priorities.release_hold(db, actor("finance"), target.order_id, held.version)
    back = priorities.queue(db, actor("sales")).by_id[target.order_id]
    assert back.status == "ready" and back.rank > 0
    with pytest.raises(UserError, match="not on hold"):
        priorities.release_hold(db, actor("finance"), target.order_id, back.version)
    # reject: cancelled with the reason, its reservations released
    with db.read() as s:
        line = s.scalars(select(SalesOrderLine).where(SalesOrderLine.order_id == target.order_id)).first()
        reserved_before = s.get(Product, line.product_id).stock_reserved
        own = line.qty_reserved
    priorities.reject_order(db, actor("management"), target.order_id, back.version, "not our market any more")
    with db.read() as s:
        o = s.get(SalesOrder, target.order_id)
        assert o.status is OrderStatus.CANCELLED and o.cancel_reason == "Rejected: not our market any more"
        assert s.get(Product, line.product_id).stock_reserved == reserved_before - own
    rejected = priorities.rejected_orders(db, actor("sales"))
    assert rejected[0][1] == target.number


# --- expedites ------------------------------------------------------------------------------
def test_story3_fourth_request_needs_management_then_production_accepts_with_overtime(demo) -> None:
    db, actor = demo
    mk, prod, mgmt = actor("marketing"), actor("production"), actor("management")
    order = _tradeshow(db)
    before = priorities.queue(db, mk).by_id[order.id]
    use = expedites.my_quota(db, mk)
    assert (use.limit, use.used, use.over) == (3, 3, True)
    e = expedites.request_expedite(db, mk, order.id, TODAY + dt.timedelta(days=5), "Trade show stand build")
    assert e.status == "needs_management" and e.over_quota
    with pytest.raises(UserError, match="management must agree"):
        expedites.decide(db, prod, e.id, e.version, True)
    with pytest.raises(PermissionDenied):
        expedites.agree_over_quota(db, prod, e.id, e.version, True)
    e = expedites.agree_over_quota(db, mgmt, e.id, e.version, True, "Trade show matters this year")
    assert e.status == "pending" and e.management_by == "management"
    imp = expedites.impact(db, mk, e.id)  # marketing sees the same numbers as production
    assert imp == expedites.impact(db, prod, e.id)
    # the schedule preview: the trade-show benches' welding pushes another order's finish a day
    assert imp.method == "schedule preview"
    assert imp.slipped_orders >= 1 and imp.slipped_days >= imp.slipped_orders and D(0) < imp.overtime_hours <= D(8)
    assert imp.slips[0].number in imp.summary() and "overtime hours avoid it" in imp.summary()
    assert imp.earliest is not None and imp.earliest <= TODAY + dt.timedelta(days=5)
    e = expedites.decide(db, prod, e.id, e.version, True, "Welding overtime on Saturday", overtime=True)
    assert e.status == "accepted" and e.overtime_hours == imp.overtime_hours and e.slipped_orders == 0
    after = priorities.queue(db, mk).by_id[order.id]
    assert after.rank < before.rank and after.expedite == "accepted"
    assert after.promise_date == TODAY + dt.timedelta(days=5)
    stats = {s.requested_by: s for s in expedites.requester_stats(db, mgmt)}
    assert stats["marketing"].this_month == 4 and stats["marketing"].quota == 3
    assert stats["marketing"].over_quota >= 2
    from app.services import orders
    kinds = [t.kind for t in orders.timeline(db, mk, order.id)]
    assert {"expedite_requested", "expedite_management", "expedite_decided"} <= set(kinds)


def test_within_quota_goes_straight_to_production_and_a_decline_needs_a_comment(demo) -> None:
    db, actor = demo
    sales, prod = actor("sales"), actor("production")
    q = priorities.queue(db, sales)
    target = next(r for r in q.rows
                  if not r.expedite and r.promise_date and r.promise_date > TODAY + dt.timedelta(days=3))
    e = expedites.request_expedite(db, sales, target.order_id, TODAY + dt.timedelta(days=2), "Customer line down")
    assert e.status == "pending" and not e.over_quota
    with pytest.raises(ValidationError, match="say why"):
        expedites.decide(db, prod, e.id, e.version, False, "")
    e = expedites.decide(db, prod, e.id, e.version, False, "Welding is full this week")
    assert e.status == "declined"
    assert priorities.queue(db, sales).by_id[target.order_id].promise_date == target.promise_date
    with pytest.raises(UserError, match="already declined"):
        expedites.decide(db, prod, e.id, e.version, True)


def test_a_requester_quota_overrides_the_department_and_withdrawn_requests_do_not_count(demo) -> None:
    db, actor = demo
    sales2 = actor("sales2")
    assert expedites.my_quota(db, sales2).limit == 3
    with pytest.raises(PermissionDenied):
        expedites.set_quota(db, actor("sales"), "sales", 1, username="sales2")
    expedites.set_quota(db, actor("management"), "sales", 0, username="sales2")
    use = expedites.my_quota(db, sales2)
    assert (use.limit, use.used, use.over) == (0, 0, True)
    q = priorities.queue(db, sales2)
    target = next(r for r in q.rows
                  if not r.expedite and r.promise_date and r.promise_date > TODAY + dt.timedelta(days=3))
    e = expedites.request_expedite(db, sales2, target.order_id, TODAY + dt.timedelta(days=2), "Asked twice")
    assert e.status == "needs_management"
    with pytest.raises(UserError, match="Only the requester"):
        expedites.withdraw(db, actor("sales"), e.id, e.version)
    expedites.withdraw(db, sales2, e.id, e.version)
    expedites.set_quota(db, actor("management"), "sales", 1, username="sales2")
    assert expedites.my_quota(db, sales2).used == 0
    with pytest.raises(ValidationError, match="cannot request expedites"):
        expedites.set_quota(db, actor("management"), "production", 2)
    with pytest.raises(ValidationError, match="cannot be negative"):
        expedites.set_quota(db, actor("management"), "sales", -1)


def test_bad_expedite_requests_are_refused_and_nothing_is_saved(demo) -> None:
    db, actor = demo
    mk = actor("marketing")
    with db.read() as s:
        shipped = s.scalars(select(SalesOrder).where(SalesOrder.status == OrderStatus.SHIPPED)).first()
        cancelled_candidate = s.scalars(select(SalesOrder).where(SalesOrder.status == OrderStatus.CONFIRMED)).first()
    before = _counts(db)
    with pytest.raises(UserError, match="only confirmed orders not yet shipped"):
        expedites.request_expedite(db, mk, shipped.id, TODAY + dt.timedelta(days=1), "please")
    with pytest.raises(ValidationError, match="in the past"):
        expedites.request_expedite(db, mk, cancelled_candidate.id, TODAY - dt.timedelta(days=1), "please")
    with pytest.raises(ValidationError, match="say why"):
        expedites.request_expedite(db, mk, cancelled_candidate.id, TODAY + dt.timedelta(days=1), " ")
    with pytest.raises(ValidationError, match="earlier date"):
        expedites.request_expedite(db, mk, cancelled_candidate.id, cancelled_candidate.promise_date, "later?")
    with pytest.raises(PermissionDenied):
        expedites.request_expedite(db, actor("production"), cancelled_candidate.id, TODAY + dt.timedelta(days=1),
                                   "we want it")
    assert _counts(db) == before
    priorities.reject_order(db, actor("management"), cancelled_candidate.id, cancelled_candidate.version, "no")
    before = _counts(db)
    with pytest.raises(UserError, match="cancelled"):
        expedites.request_expedite(db, mk, cancelled_candidate.id, TODAY + dt.timedelta(days=1), "please")
    # a second open request for the same order
    pending = next(e for e in expedites.requests(db, mk, open_only=True))
    with pytest.raises(UserError, match="already has an expedite request"):
        expedites.request_expedite(db, mk, pending.order_id, TODAY + dt.timedelta(days=1), "again")
    assert _counts(db) == before


def test_schedule_weights_follow_the_queue(demo) -> None:
    db, actor = demo
    q = priorities.queue(db, actor("production"))
    w = priorities.schedule_weights(q)
    assert set(w) == {r.order_id for r in q.rows}
    accepted = [w[r.order_id] for r in q.rows if r.expedite == "accepted"]
    others = [r for r in q.rows if r.expedite != "accepted"]
    assert min(accepted) > max(w[r.order_id] for r in others)
    assert all(w[a.order_id] >= w[b.order_id] for a, b in zip(others, others[1:]))


def test_the_facts_cache_follows_every_change_through_the_feed(demo) -> None:
    """The cached ranking must equal one computed from scratch after each kind of change."""
    from app.services import orders
    from app.services.orders import LineInput
    from app.services.queue_facts import cache_for

    db, actor = demo
    sales = actor("sales")

    def check() -> priorities.Queue:
        cached = priorities.queue(db, sales)
        with db.read() as s:
            fresh = priorities.compute_queue(s, TODAY, None)
        assert [(r.order_id, r.rank, round(r.score, 6), r.expedite) for r in cached.rows] == \
               [(r.order_id, r.rank, round(r.score, 6), r.expedite) for r in fresh.rows]
        assert [r.facts for r in cached.rows] == [r.facts for r in fresh.rows]
        assert [r.order_id for r in cached.held] == [r.order_id for r in fresh.held]
        return cached

    q = check()
    cache = cache_for(db)
    full = cache.full_builds
    # an order put on hold by another desk: only that order is read again
    r = q.rows[5]
    priorities.hold_order(db, actor("finance"), r.order_id, r.version, "credit", "overdue")
    q = check()
    assert r.order_id in {h.order_id for h in q.held}
    assert cache.full_builds == full and cache.partial_updates >= 1
    # a new order confirmed: it joins the queue
    view = orders.new_quote(db, sales, "BAYLIS", [LineInput("WB-CUST", D(3))])
    view = orders.confirm(db, sales, view.id, view.version)
    q = check()
    assert view.id in q.by_id and cache.full_builds == full
    # an expedite accepted: the order moves into the top band
    e = expedites.request_expedite(db, sales, view.id, TODAY + dt.timedelta(days=3), "Urgent")
    expedites.decide(db, actor("production"), e.id, e.version, True, "ok")
    q = check()
    assert q.by_id[view.id].expedite == "accepted"
    # a customer's tier changes: many orders are affected, so the cache is rebuilt
    with db.read() as s:
        cust = s.scalars(select(Customer).where(Customer.code == "BAYLIS")).one()

    def upgrade(uow):
        c = uow.get(Customer, cust.id)
        c.tier = "A"

    db.write(actor("management"), upgrade)
    q = check()
    assert cache.full_builds == full + 1
    assert all(r.tier == "A" for r in q.rows if r.customer_code == "BAYLIS")
    # another day: everything is scored again (slack and age depend on today)
    clock.pin(TODAY + dt.timedelta(days=7))
    later = priorities.queue(db, sales)
    assert cache.full_builds == full + 2 and later.today == TODAY + dt.timedelta(days=7)
