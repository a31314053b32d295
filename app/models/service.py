"""Service jobs (installation, maintenance, repair, training), debriefs, feedback and leads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, CreatedMixin, IdMixin, VersionedMixin
from app.models.enums import FeedbackTag, LeadStatus, OpportunityKind, ServiceKind, ServiceStatus, str_enum


class ServiceJob(IdMixin, CreatedMixin, VersionedMixin, Base):
    __tablename__ = "service_job"
    __table_args__ = (
        CheckConstraint("recurrence_months IS NULL OR recurrence_months > 0", name="recurrence_positive"),
        CheckConstraint("scheduled_end IS NULL OR scheduled_end > scheduled_start", name="dates_ordered"),
    )

    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[ServiceKind] = mapped_column(str_enum(ServiceKind, "service_kind"))
    status: Mapped[ServiceStatus] = mapped_column(str_enum(ServiceStatus, "service_status"),
                                                  default=ServiceStatus.PLANNED)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id"), index=True)
    rma_id: Mapped[int | None] = mapped_column(ForeignKey("return_authorization.id"))
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    scheduled_start: Mapped[dt.datetime | None]
    scheduled_end: Mapped[dt.datetime | None]
    recurrence_months: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    minutes_spent: Mapped[int] = mapped_column(Integer, default=0)
    materials_used: Mapped[str | None] = mapped_column(Text)


class ServiceDebrief(IdMixin, CreatedMixin, VersionedMixin, Base):
    __tablename__ = "service_debrief"
    __table_args__ = (CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),)

    job_id: Mapped[int] = mapped_column(ForeignKey("service_job.id", ondelete="CASCADE"), unique=True)
    filed_by: Mapped[str] = mapped_column(String(80))
    minutes_on_site: Mapped[int] = mapped_column(Integer)
    work_done: Mapped[str] = mapped_column(Text)
    situation: Mapped[str | None] = mapped_column(Text)  # the customer's situation and requirements
    satisfaction: Mapped[int] = mapped_column(SmallInteger)

    feedback: Mapped[list[ProductFeedback]] = relationship(cascade="all, delete-orphan")
    opportunities: Mapped[list[Lead]] = relationship(cascade="all, delete-orphan")


class ProductFeedback(IdMixin, CreatedMixin, Base):
    __tablename__ = "product_feedback"

    debrief_id: Mapped[int] = mapped_column(ForeignKey("service_debrief.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), index=True)
    tag: Mapped[FeedbackTag] = mapped_column(str_enum(FeedbackTag, "feedback_tag"))
    text: Mapped[str] = mapped_column(Text)


class Lead(IdMixin, CreatedMixin, VersionedMixin, Base):
    """An opportunity seen on site, routed to the customer's salesperson."""

    __tablename__ = "lead"

    debrief_id: Mapped[int | None] = mapped_column(ForeignKey("service_debrief.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    salesperson_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    kind: Mapped[OpportunityKind] = mapped_column(str_enum(OpportunityKind, "opportunity_kind"))
    description: Mapped[str] = mapped_column(Text)
    estimated_value: Mapped[Decimal | None]
    status: Mapped[LeadStatus] = mapped_column(str_enum(LeadStatus, "lead_status"), default=LeadStatus.NEW)
