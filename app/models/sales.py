"""Quotes and sales orders with their lines, notes, and the cross-department timeline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, CreatedMixin, IdMixin, Quantity, Rate, VersionedMixin, utcnow
from app.models.enums import OrderKind, OrderStatus, Stage, str_enum


class SalesOrder(IdMixin, CreatedMixin, VersionedMixin, Base):
    """A quote or an order. A quote becomes an order by confirmation (same row, same number)."""

    __tablename__ = "sales_order"
    __table_args__ = (
        CheckConstraint("total_net >= 0 AND total_tax >= 0", name="totals_nonneg"),
        # the lists sort and filter in SQL: one index per sortable/filterable column that matters
        Index("ix_sales_order_status_promise", "status", "promise_date"),
        Index("ix_sales_order_customer_date", "customer_id", "order_date"),
        Index("ix_sales_order_salesperson_date", "salesperson_id", "order_date"),
        Index("ix_sales_order_order_date", "order_date"),
        Index("ix_sales_order_total_net", "total_net"),
        # an order imported from another system keeps that system's number: importing the same
        # sheet again finds the orders it made instead of making them twice
        Index("uq_sales_order_import_ref", "import_ref", unique=True),
    )

    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[OrderKind] = mapped_column(str_enum(OrderKind, "order_kind"), default=OrderKind.QUOTE)
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus, "order_status"), default=OrderStatus.QUOTE)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    salesperson_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    order_date: Mapped[dt.date]
    requested_date: Mapped[dt.date | None]
    promise_date: Mapped[dt.date | None]
    bottleneck: Mapped[str | None] = mapped_column(String(80))  # resource that sets the promise date
    customer_reference: Mapped[str | None] = mapped_column(String(60))
    # cached totals (kept by the order service) so million-row lists sort by value in SQL
    total_net: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    total_tax: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    total_cost: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    needs_approval: Mapped[bool] = mapped_column(default=False)  # margin below the floor
    approved_by: Mapped[str | None] = mapped_column(String(80))
    approved_at: Mapped[dt.datetime | None]
    confirmed_at: Mapped[dt.datetime | None]
    hold_reason: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    source_order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id"))  # backorder of
    import_ref: Mapped[str | None] = mapped_column(String(40))  # its number in the sheet it was imported from

    lines: Mapped[list[SalesOrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="SalesOrderLine.line_no"
    )


class SalesOrderLine(IdMixin, VersionedMixin, Base):
    __tablename__ = "sales_order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="price_nonneg"),
        CheckConstraint("discount >= 0 AND discount < 1", name="discount_range"),
        CheckConstraint(
            "qty_reserved >= 0 AND qty_picked >= 0 AND qty_shipped >= 0 AND qty_invoiced >= 0 "
            "AND qty_shipped <= quantity",
            name="quantities",
        ),
    )

    # no index of its own: the unique (order_id, line_no) serves lookups by order (migration 0003)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    list_price: Mapped[Decimal]
    discount: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0"))
    unit_price: Mapped[Decimal]
    price_override_reason: Mapped[str | None] = mapped_column(Text)
    tax_rate: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0.2000"))
    unit_cost: Mapped[Decimal] = mapped_column(default=Decimal("0"))  # estimate at pricing time
    promise_date: Mapped[dt.date | None]
    qty_reserved: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    qty_picked: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    qty_shipped: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    qty_invoiced: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))

    order: Mapped[SalesOrder] = relationship(back_populates="lines")


class Note(IdMixin, CreatedMixin, VersionedMixin, Base):
    """A note on a customer, optionally about one of its orders; visible to every department."""

    __tablename__ = "note"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(80))
    stage: Mapped[Stage] = mapped_column(str_enum(Stage, "stage"))
    text: Mapped[str] = mapped_column(Text)


class TimelineEvent(IdMixin, Base):
    """What happened to a customer's business, by any department, in time order (stories 8 and 9)."""

    __tablename__ = "timeline_event"
    __table_args__ = (
        Index("ix_timeline_customer_at", "customer_id", "at"),
        Index("ix_timeline_order_at", "order_id", "at"),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    stage: Mapped[Stage] = mapped_column(str_enum(Stage, "stage"))
    kind: Mapped[str] = mapped_column(String(40))  # created, confirmed, expedite_requested, shipped…
    summary: Mapped[str] = mapped_column(Text)
    user: Mapped[str] = mapped_column(String(80))
    ref_table: Mapped[str | None] = mapped_column(String(40))
    ref_id: Mapped[int | None] = mapped_column(Integer)
