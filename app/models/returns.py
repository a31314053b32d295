"""Returns and claims (RMA): one claim may cover lines from several orders of one customer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, CreatedMixin, IdMixin, Quantity, VersionedMixin
from app.models.enums import Disposition, ReturnMethod, RmaStatus, str_enum


class ReturnAuthorization(IdMixin, CreatedMixin, VersionedMixin, Base):
    __tablename__ = "return_authorization"

    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    status: Mapped[RmaStatus] = mapped_column(str_enum(RmaStatus, "rma_status"), default=RmaStatus.OPENED)
    channel: Mapped[str] = mapped_column(String(16), default="phone")  # phone, email, visit
    opened_by: Mapped[str] = mapped_column(String(80))
    complaint: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[dt.datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    return_method: Mapped[ReturnMethod | None] = mapped_column(str_enum(ReturnMethod, "return_method"))
    pickup_details: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[dt.datetime | None]
    received_by: Mapped[str | None] = mapped_column(String(80))

    lines: Mapped[list[ReturnLine]] = relationship(cascade="all, delete-orphan")


class ReturnLine(IdMixin, Base):
    __tablename__ = "return_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    rma_id: Mapped[int] = mapped_column(ForeignKey("return_authorization.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_line.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    reason: Mapped[str] = mapped_column(Text)
    condition: Mapped[str | None] = mapped_column(Text)  # found at inspection
    disposition: Mapped[Disposition | None] = mapped_column(str_enum(Disposition, "disposition"))
