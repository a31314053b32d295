"""Work centers (machines), calendars, skills, staff, routings and scheduled operations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, CreatedMixin, IdMixin, VersionedMixin


class WorkCalendar(IdMixin, VersionedMixin, Base):
    """A weekly pattern of working hours plus exceptions (holidays, extra shifts)."""

    __tablename__ = "work_calendar"

    name: Mapped[str] = mapped_column(String(60), unique=True)
    hours: Mapped[list[CalendarHours]] = relationship(cascade="all, delete-orphan")
    exceptions: Mapped[list[CalendarException]] = relationship(cascade="all, delete-orphan")


class CalendarHours(IdMixin, Base):
    __tablename__ = "calendar_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute", name="minutes"),
    )

    calendar_id: Mapped[int] = mapped_column(ForeignKey("work_calendar.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 = Monday
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)


class CalendarException(IdMixin, Base):
    __tablename__ = "calendar_exception"
    __table_args__ = (UniqueConstraint("calendar_id", "day"),)

    calendar_id: Mapped[int] = mapped_column(ForeignKey("work_calendar.id", ondelete="CASCADE"))
    day: Mapped[dt.date]
    working_minutes: Mapped[int] = mapped_column(Integer, default=0)  # 0 = closed
    note: Mapped[str | None]


class WorkCenter(IdMixin, VersionedMixin, Base):
    """A machine or station: laser cutter, press brake, welding station, coating line, assembly."""

    __tablename__ = "work_center"
    __table_args__ = (CheckConstraint("hourly_rate >= 0", name="rate_nonneg"),)

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str]
    calendar_id: Mapped[int] = mapped_column(ForeignKey("work_calendar.id"))
    hourly_rate: Mapped[Decimal]  # machine cost per hour, for cost estimates
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    calendar: Mapped[WorkCalendar] = relationship()


class Skill(IdMixin, Base):
    __tablename__ = "skill"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str]


class Shift(IdMixin, VersionedMixin, Base):
    __tablename__ = "shift"
    __table_args__ = (CheckConstraint("start_minute >= 0 AND end_minute <= 1440", name="minutes"),)

    name: Mapped[str] = mapped_column(String(40), unique=True)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)
    weekdays: Mapped[int] = mapped_column(Integer, default=0b0011111)  # bit 0 = Monday


class Staff(IdMixin, VersionedMixin, Base):
    __tablename__ = "staff"
    __table_args__ = (CheckConstraint("hours_per_week >= 0", name="hours_nonneg"),)

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str]
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"))
    hourly_rate: Mapped[Decimal]
    hours_per_week: Mapped[Decimal] = mapped_column(default=Decimal("40"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    shift: Mapped[Shift] = relationship()
    skills: Mapped[list[StaffSkill]] = relationship(cascade="all, delete-orphan")


class StaffSkill(Base):
    __tablename__ = "staff_skill"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skill.id"), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, default=2)  # 1 learning, 2 able, 3 expert

    skill: Mapped[Skill] = relationship()


class RoutingOperation(IdMixin, VersionedMixin, Base):
    """One step in making a product: which work center, which skill, how long."""

    __tablename__ = "routing_operation"
    __table_args__ = (
        UniqueConstraint("product_id", "seq"),
        CheckConstraint("setup_minutes >= 0 AND run_minutes >= 0", name="times_nonneg"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(80))
    work_center_id: Mapped[int] = mapped_column(ForeignKey("work_center.id"))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skill.id"))
    setup_minutes: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    run_minutes: Mapped[Decimal] = mapped_column(default=Decimal("0"))  # per unit

    work_center: Mapped[WorkCenter] = relationship()
    skill: Mapped[Skill] = relationship()


class ScheduleVersion(IdMixin, CreatedMixin, Base):
    """A computed plan; the published one is what the shop floor works to."""

    __tablename__ = "schedule_version"

    created_by: Mapped[str] = mapped_column(String(80))
    method: Mapped[str] = mapped_column(String(40))  # e.g. "rule:EDD", "cp-sat 10s"
    published_at: Mapped[dt.datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(80))
    weighted_tardiness: Mapped[Decimal | None]
    makespan_minutes: Mapped[int | None] = mapped_column(Integer)


class ScheduledOperation(IdMixin, VersionedMixin, Base):
    __tablename__ = "scheduled_operation"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="positive_duration"),
        UniqueConstraint("schedule_version_id", "order_line_id", "routing_operation_id"),
    )

    schedule_version_id: Mapped[int] = mapped_column(ForeignKey("schedule_version.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_line.id", ondelete="CASCADE"), index=True)
    routing_operation_id: Mapped[int] = mapped_column(ForeignKey("routing_operation.id"))
    work_center_id: Mapped[int] = mapped_column(ForeignKey("work_center.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    start_at: Mapped[dt.datetime]
    end_at: Mapped[dt.datetime]
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
