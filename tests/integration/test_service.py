"""Service jobs, debriefs, leads, feedback and the customer timeline on the demo company (stories 7
and 8). SQLite file and, when configured, PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from app import clock
from app.demo import FIRM_CALENDAR
from app.errors import PermissionDenied, UserError, ValidationError
from app.models import Customer, Lead, ProductFeedback, ServiceDebrief, ServiceJob, Staff
from app.services import service_jobs, shipping, timeline

from tests.support import TODAY  # noqa: E402


def _at(day: int, hour: int) -> dt.datetime:
    """``hour`` o'clock on the ``day``-th business day after today (the demo firm's calendar)."""
    return clock.at(FIRM_CALENDAR.add_business_days(TODAY, day), hour)


def _staff(db, name: str) -> int:
    with db.read() as s:
        return s.scalars(select(Staff.id).where(Staff.name == name)).one()


def _halden_install(db, actor) -> service_jobs.JobView:
    return next(j for j in service_jobs.jobs(db, actor("service"), open_only=True)
                if j.kind == "installation" and j.customer.startswith("Halden"))


def _counts(db) -> tuple[int, ...]:
    with db.read() as s:
        return tuple(s.scalar(select(func.count()).select_from(t))
                     for t in (ServiceJob, ServiceDebrief, Lead, ProductFeedback))


def test_shipping_a_system_that_needs_installing_creates_one_installation_job(demo) -> None:
    from app.services import orders, scheduling
    from app.services.pricing import LineInput

    db, actor = demo
    v = orders.new_quote(db, actor("sales"), "HALDEN", [LineInput("SP-ANCHOR-M12", D(3)),
                                                        LineInput("SYS-ARC-10", D(2))])
    v = orders.confirm(db, actor("sales"), v.id, v.version)
    scheduling.finish_production(db, actor("production"), v.id)
    sh = actor("shipping")
    pl = shipping.create_pick_list(db, sh, [v.id])
    pl = shipping.confirm_pick(db, sh, pl.id, pl.version, {r.pick_line_id: r.to_pick for r in pl.rows})
    line = {r.sku: r.order_line_id for r in pl.rows}

    def installs() -> list[service_jobs.JobView]:
        return [j for j in service_jobs.jobs(db, actor("service")) if j.order_number == v.number]

    shipping.ship(db, sh, v.id, carrier="Own van", packages=[("2", None)], quantities={line["SP-ANCHOR-M12"]: 3})
    assert installs() == []  # anchors alone are not installed
    shipping.ship(db, sh, v.id, carrier="Own van", packages=[("80", None)], quantities={line["SYS-ARC-10"]: 1})
    jobs = installs()
    assert len(jobs) == 1 and jobs[0].kind == "installation" and jobs[0].status == "planned"
    assert "SYS-ARC-10" in jobs[0].description
    shipping.ship(db, sh, v.id, carrier="Own van", packages=[("80", None)])
    assert len(installs()) == 1  # once per order


def test_booking_completion_recurrence_and_bad_input(demo) -> None:
    db, actor = demo
    svc = actor("service")
    job = service_jobs.create_job(db, svc, _customer(db, "PENNIN"), "maintenance", "Six-monthly rail check",
                                  recurrence_months=6)
    counts = _counts(db)
    with pytest.raises(PermissionDenied):
        service_jobs.create_job(db, actor("sales"), _customer(db, "PENNIN"), "repair", "x")
    with pytest.raises(ValidationError, match="describe the job"):
        service_jobs.create_job(db, svc, _customer(db, "PENNIN"), "repair", " ")
    with pytest.raises(ValidationError, match="installation skill"):
        service_jobs.assign(db, svc, job.id, job.version, _staff(db, "Mick Rowe"), _at(1, 8), _at(1, 12))
    with pytest.raises(ValidationError, match="end after it starts"):
        service_jobs.assign(db, svc, job.id, job.version, _staff(db, "Ben Ford"), _at(1, 12), _at(1, 8))
    with pytest.raises(UserError, match="book a technician first"):
        service_jobs.complete(db, svc, job.id, job.version, 60)
    assert _counts(db) == counts
    job = service_jobs.assign(db, svc, job.id, job.version, _staff(db, "Ben Ford"), _at(1, 8), _at(1, 12))
    other = service_jobs.create_job(db, svc, _customer(db, "HALDEN"), "training", "Racking safety training")
    with pytest.raises(ValidationError, match="is booked on"):
        service_jobs.assign(db, svc, other.id, other.version, _staff(db, "Ben Ford"), _at(1, 10), _at(1, 14))
    with pytest.raises(UserError, match="once the job is done"):
        service_jobs.file_debrief(db, svc, job.id, job.version, minutes_on_site=60, work_done="x", satisfaction=5)
    done = service_jobs.complete(db, svc, job.id, job.version, "240", "rail shims")
    assert done.status == "done" and done.minutes_spent == 240
    nxt = [j for j in service_jobs.jobs(db, svc, open_only=True) if j.description.startswith("Six-monthly")
           and j.id != job.id]
    assert len(nxt) == 1 and nxt[0].status == "planned" and nxt[0].recurrence_months == 6
    due = FIRM_CALENDAR.next_business_day(_add_months(clock.local_date(_at(1, 8)), 6))
    assert f"next visit due {due:%d %b %Y}" in nxt[0].description


def _customer(db, code: str) -> int:
    with db.read() as s:
        return s.scalars(select(Customer.id).where(Customer.code == code)).one()


def test_debrief_routes_opportunities_to_the_salesperson_and_feedback_to_management(demo) -> None:
    db, actor = demo
    svc = actor("service")
    job = _halden_install(db, actor)
    job = service_jobs.assign(db, svc, job.id, job.version, _staff(db, "Ben Ford"), _at(1, 8), _at(1, 16))
    job = service_jobs.complete(db, svc, job.id, job.version, 420, "12 anchor bolts M12")
    counts = _counts(db)
    with pytest.raises(ValidationError) as exc:
        service_jobs.file_debrief(db, svc, job.id, job.version, minutes_on_site=0, work_done=" ", satisfaction=9,
                                  feedback=[("SP-ANCHOR-M12", "bad-tag", "x")], opportunities=[("more_units", "", "x")])
    fields = {p.field for p in exc.value.problems}
    assert {"time on site", "work done", "satisfaction", "feedback 1", "opportunity 1"} <= fields
    with pytest.raises(ValidationError, match="no product 'NOPE'"):
        service_jobs.file_debrief(db, svc, job.id, job.version, minutes_on_site=400, work_done="Installed",
                                  satisfaction=5, feedback=[("NOPE", "usability", "hard to reach")])
    assert _counts(db) == counts
    before = {(r.sku, r.tag): r.count for r in service_jobs.feedback_summary(db, actor("management"))}
    d = service_jobs.file_debrief(
        db, svc, job.id, job.version, minutes_on_site=400, work_done="Racking installed and anchored",
        situation="Opening a second warehouse in Wakefield next spring", satisfaction=5,
        feedback=[("SP-ANCHOR-M12", "usability", "Anchor bolts are hard to reach behind the uprights")],
        opportunities=[("more_units", "Second warehouse next year: same racking, about 40 bays", "60000")])
    assert d.feedback and d.opportunities
    with db.read() as s:
        cust = s.scalars(select(Customer).where(Customer.code == "HALDEN")).one()
    lead = next(ld for ld in service_jobs.leads(db, actor("sales"), salesperson_id=cust.salesperson_id)
                if "Second warehouse" in ld.description)
    assert lead.status == "new" and lead.estimated_value == D("60000") and lead.technician == "Ben Ford"
    after = {(r.sku, r.tag): r.count for r in service_jobs.feedback_summary(db, actor("management"))}
    assert after[("SP-ANCHOR-M12", "usability")] == before.get(("SP-ANCHOR-M12", "usability"), 0) + 1
    months, per_tag = service_jobs.feedback_by_month(db, actor("management"))
    assert per_tag["usability"][-1] >= 1 and len(months) == 12
    assert service_jobs.job(db, svc, job.id).status == "debriefed"
    with pytest.raises(PermissionDenied):
        service_jobs.set_lead_status(db, svc, lead.id, lead.version, "won")
    won = service_jobs.set_lead_status(db, actor("sales"), lead.id, lead.version, "contacted", "Called Jo")
    assert won.status == "contacted"
    # the salesperson's view of their customers' debriefs
    assert any(x.id == d.id for x in service_jobs.debriefs(db, actor("sales"), salesperson_id=cust.salesperson_id))


def test_the_customer_timeline_has_every_department_in_time_order(demo) -> None:
    db, actor = demo
    hal = _customer(db, "HALDEN")
    t = timeline.customer_timeline(db, actor("sales"), hal)
    assert [e.at for e in t.entries] == sorted(e.at for e in t.entries)
    stages = t.stages()
    assert {"orders", "priorities", "shipping", "billing", "returns", "service"} <= stages
    kinds = {e.kind for e in t.entries}
    assert {"confirmed", "expedite_requested", "shipped", "invoiced", "payment", "return_opened", "note"} <= kinds
    assert any(e.kind == "debrief" for e in t.entries) or any(e.stage == "service" for e in t.entries)
    assert all(e.order_number is None or e.order_number.startswith(("SO-", "Q-")) for e in t.entries)
    other = timeline.customer_timeline(db, actor("sales"), _customer(db, "PENNIN"))
    assert not set(e.summary for e in other.entries) & set(e.summary for e in t.entries if e.kind != "note")


def _add_months(day: dt.date, n: int) -> dt.date:
    import calendar

    y, m = divmod(day.month - 1 + n, 12)
    y, m = day.year + y, m + 1
    return day.replace(year=y, month=m, day=min(day.day, calendar.monthrange(y, m)[1]))


def test_no_booking_on_a_day_the_firm_is_closed(demo) -> None:
    db, actor = demo
    svc = actor("service")
    job = service_jobs.create_job(db, svc, _customer(db, "PENNIN"), "repair", "Bent upright")
    year = TODAY.year + 1
    xmas = clock.at(dt.date(year, 12, 25), 9)
    with pytest.raises(ValidationError, match="closed on .* 25 Dec .*Christmas Day"):
        service_jobs.assign(db, svc, job.id, job.version, _staff(db, "Ben Ford"), xmas, xmas + dt.timedelta(hours=3))
    saturday = FIRM_CALENDAR.add_business_days(TODAY, 3)
    saturday += dt.timedelta(days=(5 - saturday.weekday()) % 7)
    with pytest.raises(ValidationError, match="a Saturday"):
        service_jobs.assign(db, svc, job.id, job.version, _staff(db, "Ben Ford"), clock.at(saturday, 9),
                            clock.at(saturday, 12))
