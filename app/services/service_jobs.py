"""Service: installation, maintenance, repair and training jobs; technicians booked on a calendar;
structured debriefs whose opportunities become leads for the customer's salesperson and whose
product feedback reaches management's feedback list.

- An installation job is created when an order ships a product that needs installing (the
  product's flag or its family's), once per order (``on_shipment``, called by shipping).
- Technicians are active staff with the ``installation`` skill; a booking must not overlap the
  technician's other bookings.
- Completing a recurring job (maintenance every N months) plans the next one N months later.
- A debrief is filed for a job that is done: time on site, work done, what the customer's
  situation and needs are, satisfaction 1–5, product feedback (tagged) and opportunities.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app import clock
from app.services.firm_calendar import FirmCalendar, load_calendar
from app import format as fmt
from app.db.uow import Actor, Database, UnitOfWork
from app.errors import Problem, UserError, ValidationError
from app.models import (
    Customer,
    Lead,
    Product,
    ProductFamily,
    ProductFeedback,
    SalesOrder,
    SalesOrderLine,
    ServiceDebrief,
    ServiceJob,
    Skill,
    Staff,
    StaffSkill,
    TimelineEvent,
    User,
)
from app.models.base import utcnow
from app.models.enums import FeedbackTag, LeadStatus, OpportunityKind, ServiceKind, ServiceStatus, Stage
from app.services.numbers import next_number
from app.services.permissions import require

TECHNICIAN_SKILL = "installation"
KIND_LABEL = {ServiceKind.INSTALLATION: "Installation", ServiceKind.MAINTENANCE: "Maintenance",
              ServiceKind.REPAIR: "Repair", ServiceKind.TRAINING: "Training"}
TAG_LABEL = {FeedbackTag.DEFECT: "Defect", FeedbackTag.USABILITY: "Usability",
             FeedbackTag.MISSING_FEATURE: "Missing feature", FeedbackTag.DOCUMENTATION: "Documentation"}
OPPORTUNITY_LABEL = {OpportunityKind.MORE_UNITS: "More units", OpportunityKind.UPGRADE: "Upgrade",
                     OpportunityKind.TRAINING: "Training", OpportunityKind.MAINTENANCE_CONTRACT: "Maintenance contract"}
OPEN = (ServiceStatus.PLANNED, ServiceStatus.SCHEDULED, ServiceStatus.IN_PROGRESS, ServiceStatus.DONE)


@dataclass(frozen=True)
class JobView:
    id: int
    number: str
    version: int
    kind: str
    status: str
    customer_id: int
    customer: str
    order_number: str | None
    technician_id: int | None
    technician: str | None
    start: dt.datetime | None
    end: dt.datetime | None
    recurrence_months: int | None
    description: str
    minutes_spent: int
    materials_used: str | None
    debriefed: bool


@dataclass(frozen=True)
class LeadView:
    id: int
    version: int
    customer_id: int
    customer: str
    salesperson: str | None
    kind: str
    description: str
    estimated_value: Decimal | None
    status: str
    created_at: dt.datetime
    job_number: str | None
    technician: str | None


@dataclass(frozen=True)
class DebriefView:
    id: int
    job_number: str
    kind: str
    customer_id: int
    customer: str
    filed_by: str
    filed_at: dt.datetime
    minutes_on_site: int
    work_done: str
    situation: str | None
    satisfaction: int
    feedback: tuple[tuple[str | None, str, str], ...]  # sku, tag, text
    opportunities: tuple[tuple[str, str, Decimal | None], ...]  # kind, description, value


@dataclass(frozen=True)
class FeedbackRow:
    sku: str
    product: str
    tag: str
    count: int
    latest: dt.datetime


def _event(uow: UnitOfWork, customer_id: int, order_id: int | None, kind: str, summary: str, ref: tuple[str, int]
           ) -> None:
    uow.add(TimelineEvent(customer_id=customer_id, order_id=order_id, stage=Stage.SERVICE, kind=kind, summary=summary,
                          user=uow.actor.username, ref_table=ref[0], ref_id=ref[1]))


def _add_months(d: dt.datetime, months: int) -> dt.datetime:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return d.replace(year=year, month=month, day=min(d.day, calendar.monthrange(year, month)[1]))


def technicians(db: Database, actor: Actor) -> list[tuple[int, str]]:
    """(staff id, name) of active staff with the installation skill."""
    require(actor, "service.view")
    with db.read() as s:
        return [(i, n) for i, n in s.execute(
            select(Staff.id, Staff.name).join(StaffSkill, StaffSkill.staff_id == Staff.id)
            .join(Skill, Skill.id == StaffSkill.skill_id)
            .where(Skill.code == TECHNICIAN_SKILL, Staff.active.is_(True)).order_by(Staff.name))]


def _view(s: Session, j: ServiceJob) -> JobView:
    cust = s.get_one(Customer, j.customer_id).name
    number = s.get_one(SalesOrder, j.order_id).number if j.order_id else None
    tech = s.get_one(Staff, j.technician_id).name if j.technician_id else None
    debriefed = s.execute(select(func.count()).select_from(ServiceDebrief)
                          .where(ServiceDebrief.job_id == j.id)).scalar_one() > 0
    return JobView(j.id, j.number, j.version, j.kind.value, j.status.value, j.customer_id, cust, number,
                   j.technician_id, tech, j.scheduled_start, j.scheduled_end, j.recurrence_months, j.description,
                   j.minutes_spent, j.materials_used, debriefed)


def jobs(db: Database, actor: Actor, *, open_only: bool = False, customer_id: int | None = None,
         technician_id: int | None = None, limit: int = 500) -> list[JobView]:
    require(actor, "service.view")
    with db.read() as s:
        q = select(ServiceJob).order_by(ServiceJob.scheduled_start.is_(None), ServiceJob.scheduled_start,
                                        ServiceJob.id.desc()).limit(limit)
        if open_only:
            q = q.where(ServiceJob.status.in_(OPEN))
        if customer_id is not None:
            q = q.where(ServiceJob.customer_id == customer_id)
        if technician_id is not None:
            q = q.where(ServiceJob.technician_id == technician_id)
        return [_view(s, j) for j in s.scalars(q)]


def job(db: Database, actor: Actor, job_id: int) -> JobView:
    require(actor, "service.view")
    with db.read() as s:
        j = s.get(ServiceJob, job_id)
        if j is None:
            raise UserError("This service job no longer exists.")
        return _view(s, j)


# --- creating and booking -----------------------------------------------------------------------
def create_job(db: Database, actor: Actor, customer_id: int, kind: str, description: str, *,
               order_id: int | None = None, recurrence_months: int | None = None) -> JobView:
    """A job by hand: e.g. a repair after a call, training, a maintenance contract (recurring)."""
    require(actor, "service.edit")
    problems = []
    try:
        k = ServiceKind(kind)
    except ValueError:
        problems.append(Problem("choose installation, maintenance, repair or training", field="kind"))
    if not (description or "").strip():
        problems.append(Problem("describe the job for the technician", field="description"))
    if recurrence_months is not None and recurrence_months <= 0:
        problems.append(Problem("repeat every 1 month or more (or not at all)", field="every (months)",
                                value=recurrence_months))
    if problems:
        raise ValidationError(problems)

    def run(uow: UnitOfWork) -> int:
        s = uow.session
        cust = s.get(Customer, customer_id)
        if cust is None:
            raise UserError("This customer no longer exists.")
        if order_id is not None:
            order = s.get(SalesOrder, order_id)
            if order is None:  # was a crash (AttributeError on None) before the type check found it
                raise ValidationError(Problem("that order no longer exists", field="order"))
            if order.customer_id != cust.id:
                raise ValidationError(Problem("that order belongs to another customer", field="order"))
        j = uow.add(ServiceJob(number=next_number(s, "service_job"), kind=k, status=ServiceStatus.PLANNED,
                               customer_id=cust.id, order_id=order_id, description=description.strip(),
                               recurrence_months=recurrence_months))
        uow.flush()
        _event(uow, cust.id, order_id, "service_job", f"{KIND_LABEL[k]} job {j.number} created: {description.strip()}",
               ("service_job", j.id))
        return j.id

    return job(db, actor, db.write(actor, run))


def needs_installation(s: Session, product_ids: Sequence[int]) -> list[str]:
    """SKUs among ``product_ids`` that are installed on site (product flag or family flag)."""
    if not product_ids:
        return []
    return list(s.scalars(select(Product.sku).join(ProductFamily, ProductFamily.id == Product.family_id)
                          .where(Product.id.in_(list(product_ids)),
                                 or_(Product.needs_installation.is_(True), ProductFamily.needs_installation.is_(True)))
                          .order_by(Product.sku)))


def on_shipment(uow: UnitOfWork, order: SalesOrder, product_ids: Sequence[int]) -> ServiceJob | None:
    """Called inside the shipment's unit of work: the first shipment of products that need
    installing creates the order's installation job (once)."""
    s = uow.session
    skus = needs_installation(s, product_ids)
    if not skus:
        return None
    exists = s.scalar(select(ServiceJob.id).where(ServiceJob.order_id == order.id,
                                                  ServiceJob.kind == ServiceKind.INSTALLATION))
    if exists is not None:
        return None
    j = uow.add(ServiceJob(number=next_number(s, "service_job"), kind=ServiceKind.INSTALLATION,
                           status=ServiceStatus.PLANNED, customer_id=order.customer_id, order_id=order.id,
                           description=f"Install {', '.join(skus)} ({order.number})"))
    uow.flush()
    _event(uow, order.customer_id, order.id, "service_job",
           f"Installation job {j.number} created on shipment of {order.number}: book a technician",
           ("service_job", j.id))
    return j


def assign(db: Database, actor: Actor, job_id: int, version: int, technician_id: int, start: dt.datetime,
           end: dt.datetime) -> JobView:
    """Book a technician with the skill for [start, end); refused if they are booked then."""
    require(actor, "service.edit")
    if end <= start:
        raise ValidationError(Problem("the job must end after it starts", field="end"))

    def run(uow: UnitOfWork) -> int:
        s = uow.session
        j = uow.get(ServiceJob, job_id, expected_version=version)
        if j.status not in (ServiceStatus.PLANNED, ServiceStatus.SCHEDULED):
            raise UserError(f"{j.number} is {j.status.value.replace('_', ' ')}; it cannot be rebooked.")
        tech = s.get(Staff, technician_id)
        skills = set(s.scalars(select(Skill.code).join(StaffSkill, StaffSkill.skill_id == Skill.id)
                               .where(StaffSkill.staff_id == technician_id)))
        if tech is None or not tech.active:
            raise ValidationError(Problem("choose an active member of staff", field="technician"))
        if TECHNICIAN_SKILL not in skills:
            raise ValidationError(Problem(f"{tech.name} does not have the {TECHNICIAN_SKILL} skill",
                                          field="technician"))
        cal = load_calendar(s)
        first, last = clock.local_date(start), clock.local_date(end - dt.timedelta(microseconds=1))
        closed = next((d for d in (first, last) if not cal.is_business_day(d)), None)
        if closed is not None:
            why = cal.holiday(closed) or f"a {closed:%A}"
            raise ValidationError(Problem(f"the firm is closed on {closed:%a %d %b %Y} ({why}); book a business day",
                                          field="start"))
        clash = s.scalars(select(ServiceJob).where(
            ServiceJob.technician_id == technician_id, ServiceJob.id != j.id,
            ServiceJob.status.in_([ServiceStatus.SCHEDULED, ServiceStatus.IN_PROGRESS]),
            ServiceJob.scheduled_start < end, ServiceJob.scheduled_end > start)).first()
        if clash is not None:
            c_start, c_end = clash.scheduled_start, clash.scheduled_end
            assert c_start is not None and c_end is not None, "the query compared both"
            zone = clock.zone()
            raise ValidationError(Problem(
                f"{tech.name} is booked on {clash.number} {c_start.astimezone(zone):%a %d %b %H:%M}–"
                f"{c_end.astimezone(zone):%H:%M}", field="technician"))
        j.technician_id, j.scheduled_start, j.scheduled_end = technician_id, start, end
        j.status = ServiceStatus.SCHEDULED
        _event(uow, j.customer_id, j.order_id, "service_booked",
               f"{KIND_LABEL[j.kind]} {j.number} booked: {tech.name}, "
               f"{start.astimezone(clock.zone()):%a %d %b %Y %H:%M}",
               ("service_job", j.id))
        return j.id

    return job(db, actor, db.write(actor, run))


def next_booking_day(db: Database) -> dt.date:
    """The first day a technician can be booked from today: the firm's next business day."""
    with db.read() as s:
        return load_calendar(s).add_business_days(clock.today(), 1)


def next_visit(cal: FirmCalendar, last: dt.datetime, months: int) -> dt.date:
    """A recurring job's next visit: ``months`` after the last one, on the firm's next business day."""
    return cal.next_business_day(clock.local_date(_add_months(last, months)))


def complete(db: Database, actor: Actor, job_id: int, version: int, minutes_spent: Any, materials_used: str = ""
             ) -> JobView:
    """The job is done on site (time and materials); a recurring job plans its next visit."""
    require(actor, "service.edit")
    try:
        minutes = int(str(minutes_spent).strip())
    except ValueError:
        raise ValidationError(Problem(f"'{minutes_spent}' is not a number of minutes", field="time spent")) from None
    if minutes <= 0:
        raise ValidationError(Problem("time spent is more than 0 minutes", field="time spent", value=minutes_spent))

    def run(uow: UnitOfWork) -> int:
        s = uow.session
        j = uow.get(ServiceJob, job_id, expected_version=version)
        if j.status is not ServiceStatus.SCHEDULED and j.status is not ServiceStatus.IN_PROGRESS:
            raise UserError(f"{j.number} is {j.status.value.replace('_', ' ')}: book a technician first."
                            if j.status is ServiceStatus.PLANNED else f"{j.number} is {j.status.value} already.")
        j.status, j.minutes_spent, j.materials_used = ServiceStatus.DONE, minutes, materials_used.strip() or None
        _event(uow, j.customer_id, j.order_id, "service_done",
               f"{KIND_LABEL[j.kind]} {j.number} done ({minutes // 60} h {minutes % 60:02d} min)",
               ("service_job", j.id))
        if j.recurrence_months:
            base = j.scheduled_start or utcnow()
            nxt = uow.add(ServiceJob(number=next_number(s, "service_job"), kind=j.kind, status=ServiceStatus.PLANNED,
                                     customer_id=j.customer_id, order_id=j.order_id, description=j.description,
                                     recurrence_months=j.recurrence_months, technician_id=j.technician_id))
            uow.flush()
            due = next_visit(load_calendar(s), base, j.recurrence_months)
            nxt.description = f"{j.description} (next visit due {due:%d %b %Y})"
            _event(uow, j.customer_id, j.order_id, "service_job",
                   f"Next {KIND_LABEL[j.kind].lower()} {nxt.number} due {due:%d %b %Y}", ("service_job", nxt.id))
        return j.id

    return job(db, actor, db.write(actor, run))


# --- debriefs, leads, feedback ------------------------------------------------------------------
def file_debrief(db: Database, actor: Actor, job_id: int, version: int, *, minutes_on_site: Any, work_done: str,
                 satisfaction: Any, situation: str = "",
                 feedback: Sequence[tuple[str | None, str, str]] = (),
                 opportunities: Sequence[tuple[str, str, Any]] = ()) -> DebriefView:
    """After a job: the structured debrief. Opportunities become leads for the customer's
    salesperson; product feedback goes to management's list. Everything is checked first."""
    require(actor, "service.edit")
    problems: list[Problem] = []
    try:
        minutes = int(str(minutes_on_site).strip())
        if minutes <= 0:
            raise ValueError
    except ValueError:
        problems.append(Problem("time on site in minutes, more than 0", field="time on site", value=minutes_on_site))
        minutes = 0
    if not (work_done or "").strip():
        problems.append(Problem("say what was done", field="work done"))
    try:
        score = int(str(satisfaction).strip())
        if not 1 <= score <= 5:
            raise ValueError
    except ValueError:
        problems.append(Problem("customer satisfaction from 1 (poor) to 5 (excellent)", field="satisfaction",
                                value=satisfaction))
        score = 0
    fb: list[tuple[str | None, FeedbackTag, str]] = []
    for i, (sku, tag, text) in enumerate(feedback, 1):
        try:
            fb.append(((sku or "").strip() or None, FeedbackTag(tag), text.strip()))
        except ValueError:
            problems.append(Problem("tag it defect, usability, missing feature or documentation",
                                    field=f"feedback {i}", value=tag))
            continue
        if not text.strip():
            problems.append(Problem("write the feedback", field=f"feedback {i}"))
    opps: list[tuple[OpportunityKind, str, Decimal | None]] = []
    for i, (kind, text, value) in enumerate(opportunities, 1):
        try:
            k = OpportunityKind(kind)
        except ValueError:
            problems.append(Problem("more units, upgrade, training or maintenance contract",
                                    field=f"opportunity {i}", value=kind))
            continue
        if not (text or "").strip():
            problems.append(Problem("describe the opportunity for the salesperson", field=f"opportunity {i}"))
        v = None
        if value not in (None, ""):
            try:
                v = fmt.decimal_of(value)
                if v < 0 or not v.is_finite():
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                problems.append(Problem("an estimated value is an amount, or empty", field=f"opportunity {i}",
                                        value=value))
        opps.append((k, (text or "").strip(), v))
    if problems:
        raise ValidationError(problems)

    def run(uow: UnitOfWork) -> int:
        s = uow.session
        j = uow.get(ServiceJob, job_id, expected_version=version)
        if j.status is not ServiceStatus.DONE:
            raise UserError(f"{j.number} is {j.status.value.replace('_', ' ')}: a debrief is filed once the job is "
                            "done.")
        products = {}
        for sku, _t, _x in fb:
            if sku:
                pid = s.scalar(select(Product.id).where(func.upper(Product.sku) == sku.upper()))
                if pid is None:
                    raise ValidationError(Problem(f"no product '{sku}'", field="feedback product", value=sku))
                products[sku] = pid
        d = uow.add(ServiceDebrief(job_id=j.id, filed_by=actor.username, minutes_on_site=minutes,
                                   work_done=work_done.strip(), situation=situation.strip() or None,
                                   satisfaction=score))
        for sku, tag, text in fb:
            d.feedback.append(ProductFeedback(product_id=products.get(sku) if sku else None, tag=tag, text=text))
        cust = s.get_one(Customer, j.customer_id)
        for k, text, v in opps:
            d.opportunities.append(Lead(customer_id=cust.id, salesperson_id=cust.salesperson_id, kind=k,
                                        description=text, estimated_value=v, status=LeadStatus.NEW))
        j.status = ServiceStatus.DEBRIEFED
        uow.flush()
        sp = s.get_one(User, cust.salesperson_id).full_name if cust.salesperson_id else "no salesperson"
        _event(uow, cust.id, j.order_id, "debrief", f"Debrief of {j.number} by {actor.display}: {work_done.strip()}"
               + (f" — situation: {situation.strip()}" if situation.strip() else "")
               + f" (satisfaction {score}/5)", ("service_debrief", d.id))
        for k, text, v in opps:
            _event(uow, cust.id, j.order_id, "lead", f"Lead for {sp}: {OPPORTUNITY_LABEL[k]} — {text}"
                   + (f" (about {fmt.money(v)})" if v else ""), ("service_debrief", d.id))
        for sku, tag, text in fb:
            _event(uow, cust.id, j.order_id, "feedback", f"Product feedback ({TAG_LABEL[tag].lower()}"
                   + (f", {sku}" if sku else "") + f"): {text}", ("service_debrief", d.id))
        return d.id

    did = db.write(actor, run)
    return debrief(db, actor, did)


def debrief(db: Database, actor: Actor, debrief_id: int) -> DebriefView:
    require(actor, "service.view")
    with db.read() as s:
        d = s.get(ServiceDebrief, debrief_id)
        if d is None:
            raise UserError("This debrief no longer exists.")
        return _debrief_view(s, d)


def _debrief_view(s: Session, d: ServiceDebrief) -> DebriefView:
    j = s.get_one(ServiceJob, d.job_id)
    cust = s.get_one(Customer, j.customer_id)
    fb = tuple((s.get_one(Product, f.product_id).sku if f.product_id else None, f.tag.value, f.text)
               for f in d.feedback)
    opps = tuple((ld.kind.value, ld.description, ld.estimated_value) for ld in d.opportunities)
    return DebriefView(d.id, j.number, j.kind.value, cust.id, cust.name, d.filed_by, d.created_at, d.minutes_on_site,
                       d.work_done, d.situation, d.satisfaction, fb, opps)


def debriefs(db: Database, actor: Actor, *, customer_id: int | None = None, salesperson_id: int | None = None,
             limit: int = 200) -> list[DebriefView]:
    """Newest first; ``salesperson_id``: the debriefs of that salesperson's customers."""
    require(actor, "service.view")
    with db.read() as s:
        q = (select(ServiceDebrief).join(ServiceJob, ServiceJob.id == ServiceDebrief.job_id)
             .join(Customer, Customer.id == ServiceJob.customer_id)
             .order_by(ServiceDebrief.created_at.desc()).limit(limit))
        if customer_id is not None:
            q = q.where(ServiceJob.customer_id == customer_id)
        if salesperson_id is not None:
            q = q.where(Customer.salesperson_id == salesperson_id)
        return [_debrief_view(s, d) for d in s.scalars(q)]


def leads(db: Database, actor: Actor, *, salesperson_id: int | None = None, open_only: bool = True
          ) -> list[LeadView]:
    require(actor, "service.view")
    with db.read() as s:
        q = (select(Lead, Customer.name, User.full_name, ServiceJob.number, Staff.name)
             .join(Customer, Customer.id == Lead.customer_id)
             .outerjoin(User, User.id == Lead.salesperson_id)
             .outerjoin(ServiceDebrief, ServiceDebrief.id == Lead.debrief_id)
             .outerjoin(ServiceJob, ServiceJob.id == ServiceDebrief.job_id)
             .outerjoin(Staff, Staff.id == ServiceJob.technician_id)
             .order_by(Lead.created_at.desc()))
        if salesperson_id is not None:
            q = q.where(Lead.salesperson_id == salesperson_id)
        if open_only:
            q = q.where(Lead.status.in_([LeadStatus.NEW, LeadStatus.CONTACTED]))
        return [LeadView(ld.id, ld.version, ld.customer_id, cust, sp, ld.kind.value, ld.description,
                         ld.estimated_value, ld.status.value, ld.created_at, number, tech)
                for ld, cust, sp, number, tech in s.execute(q)]


def set_lead_status(db: Database, actor: Actor, lead_id: int, version: int, status: str, note: str = "") -> LeadView:
    """The salesperson works the lead: contacted, won or lost (with a note on the customer's timeline)."""
    require(actor, "leads.edit")
    try:
        st = LeadStatus(status)
    except ValueError:
        raise ValidationError(Problem("contacted, won or lost", field="status", value=status)) from None

    def run(uow: UnitOfWork) -> None:
        ld = uow.get(Lead, lead_id, expected_version=version)
        ld.status = st
        uow.add(TimelineEvent(customer_id=ld.customer_id, order_id=None, stage=Stage.ORDERS, kind="lead_" + st.value,
                              summary=f"Lead ({OPPORTUNITY_LABEL[ld.kind].lower()}: {ld.description}) {st.value}"
                                      + (f" — {note.strip()}" if note.strip() else ""),
                              user=actor.username, ref_table="lead", ref_id=ld.id))

    db.write(actor, run)
    return next(v for v in leads(db, actor, open_only=False) if v.id == lead_id)


def feedback_summary(db: Database, actor: Actor, *, since: dt.date | None = None) -> list[FeedbackRow]:
    """Counts of product feedback by product and tag (most frequent first) — management's list."""
    require(actor, "service.view")
    with db.read() as s:
        q = (select(func.coalesce(Product.sku, "—"), func.coalesce(Product.name, "(no product)"), ProductFeedback.tag,
                    func.count(), func.max(ProductFeedback.created_at))
             .outerjoin(Product, Product.id == ProductFeedback.product_id)
             .group_by(Product.sku, Product.name, ProductFeedback.tag)
             .order_by(func.count().desc(), Product.sku))
        if since is not None:
            q = q.where(ProductFeedback.created_at >= dt.datetime.combine(since, dt.time(), dt.timezone.utc))
        return [FeedbackRow(sku, name, getattr(tag, "value", tag), n, latest)
                for sku, name, tag, n, latest in s.execute(q)]


def feedback_by_month(db: Database, actor: Actor, *, months: int = 12
                      ) -> tuple[list[dt.date], dict[str, list[int]]]:
    """Feedback counts per month per tag over the last ``months`` (the trend chart)."""
    require(actor, "service.view")
    today = clock.today()
    starts = []
    y, m = today.year, today.month
    for _ in range(months):
        starts.append(dt.date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    starts.reverse()
    counts = {t.value: [0] * months for t in FeedbackTag}
    index = {(d.year, d.month): i for i, d in enumerate(starts)}
    with db.read() as s:
        for tag, at in s.execute(select(ProductFeedback.tag, ProductFeedback.created_at).where(
                ProductFeedback.created_at >= dt.datetime.combine(starts[0], dt.time(), dt.timezone.utc))):
            i = index.get((at.year, at.month))
            if i is not None:
                counts[getattr(tag, "value", tag)][i] += 1
    return starts, counts


def feedback_items(db: Database, actor: Actor, *, sku: str | None = None, tag: str | None = None,
                   limit: int = 200) -> list[tuple[dt.datetime, str | None, str, str, str]]:
    """(when, sku, tag, text, customer) newest first."""
    require(actor, "service.view")
    with db.read() as s:
        q = (select(ProductFeedback.created_at, Product.sku, ProductFeedback.tag, ProductFeedback.text, Customer.name)
             .outerjoin(Product, Product.id == ProductFeedback.product_id)
             .join(ServiceDebrief, ServiceDebrief.id == ProductFeedback.debrief_id)
             .join(ServiceJob, ServiceJob.id == ServiceDebrief.job_id)
             .join(Customer, Customer.id == ServiceJob.customer_id)
             .order_by(ProductFeedback.created_at.desc()).limit(limit))
        if sku:
            q = q.where(Product.sku == sku)
        if tag:
            q = q.where(ProductFeedback.tag == tag)
        return [(at, sk, getattr(t, "value", t), text, cust) for at, sk, t, text, cust in s.execute(q)]


def order_products(s: Session, order_id: int) -> list[int]:
    return list(s.scalars(select(SalesOrderLine.product_id).where(SalesOrderLine.order_id == order_id)))
