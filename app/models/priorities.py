"""Strategy profiles, priority scores, expedite requests and their quotas."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Numeric, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, CreatedMixin, IdMixin, Rate, VersionedMixin
from app.models.enums import ExpediteStatus, Role, str_enum


class PriorityProfile(IdMixin, VersionedMixin, Base):
    """The weights management sets; exactly one profile is active at a time."""

    __tablename__ = "priority_profile"
    __table_args__ = (
        CheckConstraint(
            "w_tier >= 0 AND w_strategic >= 0 AND w_slack >= 0 AND w_availability >= 0 "
            "AND w_value >= 0 AND w_margin >= 0 AND w_age >= 0",
            name="weights_nonneg",
        ),
    )

    name: Mapped[str] = mapped_column(String(60), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    w_tier: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0.25"))
    w_strategic: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0.15"))
    w_slack: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0.25"))
    w_availability: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0.10"))
    w_value: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0.10"))
    w_margin: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0.10"))
    w_age: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0.05"))


class PriorityScore(Base):
    """The latest score of an open order, with its parts (``why is this order here?``)."""

    __tablename__ = "priority_score"

    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"), primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("priority_profile.id"))
    score: Mapped[Decimal] = mapped_column(Numeric(10, 4, asdecimal=True), index=True)
    parts: Mapped[dict] = mapped_column(JSON)
    computed_at: Mapped[dt.datetime]


class ExpediteQuota(IdMixin, VersionedMixin, Base):
    """How many expedite requests a department (or one requester) may make per month."""

    __tablename__ = "expedite_quota"
    __table_args__ = (
        UniqueConstraint("department", "user_id"),
        CheckConstraint("per_month >= 0", name="nonneg"),
    )

    department: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # NULL = whole department
    per_month: Mapped[int] = mapped_column(Integer)


class ExpediteRequest(IdMixin, CreatedMixin, VersionedMixin, Base):
    __tablename__ = "expedite_request"

    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"), index=True)
    requested_by: Mapped[str] = mapped_column(String(80), index=True)
    department: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    requested_date: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[ExpediteStatus] = mapped_column(
        str_enum(ExpediteStatus, "expedite_status"), default=ExpediteStatus.PENDING
    )
    over_quota: Mapped[bool] = mapped_column(Boolean, default=False)
    management_by: Mapped[str | None] = mapped_column(String(80))
    management_at: Mapped[dt.datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[dt.datetime | None]
    decision_comment: Mapped[str | None] = mapped_column(Text)
    overtime_hours: Mapped[Decimal | None]
    # impact measured at decision time: how many other orders slipped, by how many days in total
    slipped_orders: Mapped[int | None] = mapped_column(Integer)
    slipped_days: Mapped[int | None] = mapped_column(Integer)
