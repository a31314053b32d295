"""Forecasts per product and period, and demand history (the actuals they are judged against)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, Quantity, VersionedMixin
from app.models.enums import ForecastStatus, str_enum


class Forecast(IdMixin, VersionedMixin, Base):
    """One product, one period: the statistical baseline, each department's figure, the consensus.

    Marketing edits only ``marketing_qty``, production only ``production_qty``; the consensus is
    signed off by both (who and when). Editing after sign-off reopens it.
    """

    __tablename__ = "forecast"
    __table_args__ = (
        UniqueConstraint("product_id", "period_start", "granularity"),
        CheckConstraint(
            "COALESCE(baseline_qty, 0) >= 0 AND COALESCE(marketing_qty, 0) >= 0 "
            "AND COALESCE(production_qty, 0) >= 0 AND COALESCE(consensus_qty, 0) >= 0",
            name="quantities_nonneg",
        ),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    period_start: Mapped[dt.date] = mapped_column(index=True)
    granularity: Mapped[str] = mapped_column(String(8), default="month")  # month | week
    baseline_qty: Mapped[Decimal | None] = mapped_column(Quantity)
    baseline_method: Mapped[str | None] = mapped_column(String(40))
    marketing_qty: Mapped[Decimal | None] = mapped_column(Quantity)
    marketing_by: Mapped[str | None] = mapped_column(String(80))
    marketing_at: Mapped[dt.datetime | None]
    production_qty: Mapped[Decimal | None] = mapped_column(Quantity)
    production_by: Mapped[str | None] = mapped_column(String(80))
    production_at: Mapped[dt.datetime | None]
    consensus_qty: Mapped[Decimal | None] = mapped_column(Quantity)
    status: Mapped[ForecastStatus] = mapped_column(
        str_enum(ForecastStatus, "forecast_status"), default=ForecastStatus.OPEN
    )
    marketing_signed_by: Mapped[str | None] = mapped_column(String(80))
    marketing_signed_at: Mapped[dt.datetime | None]
    production_signed_by: Mapped[str | None] = mapped_column(String(80))
    production_signed_at: Mapped[dt.datetime | None]


class DemandHistory(IdMixin, Base):
    """Actual demand per product and month (from shipped orders, or imported history)."""

    __tablename__ = "demand_history"
    __table_args__ = (UniqueConstraint("product_id", "period_start"),)

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    period_start: Mapped[dt.date]
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    revenue: Mapped[Decimal] = mapped_column(default=Decimal("0"))
