"""Pick lists and shipments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, CreatedMixin, IdMixin, Quantity, VersionedMixin
from app.models.enums import PickListStatus, ShipmentStatus, str_enum


class PickList(IdMixin, CreatedMixin, VersionedMixin, Base):
    """A walk through the warehouse for one or several orders (lines sorted by location)."""

    __tablename__ = "pick_list"

    number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[PickListStatus] = mapped_column(str_enum(PickListStatus, "pick_list_status"),
                                                   default=PickListStatus.OPEN)
    created_by: Mapped[str] = mapped_column(String(80))
    picked_by: Mapped[str | None] = mapped_column(String(80))
    picked_at: Mapped[dt.datetime | None]

    lines: Mapped[list[PickListLine]] = relationship(cascade="all, delete-orphan")


class PickListLine(IdMixin, Base):
    __tablename__ = "pick_list_line"
    __table_args__ = (
        CheckConstraint("qty_to_pick > 0", name="to_pick_positive"),
        CheckConstraint("qty_picked IS NULL OR (qty_picked >= 0 AND qty_picked <= qty_to_pick)", name="picked_range"),
    )

    pick_list_id: Mapped[int] = mapped_column(ForeignKey("pick_list.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_line.id"), index=True)
    location: Mapped[str | None] = mapped_column(String(32))
    qty_to_pick: Mapped[Decimal] = mapped_column(Quantity)
    qty_picked: Mapped[Decimal | None] = mapped_column(Quantity)


class Shipment(IdMixin, CreatedMixin, VersionedMixin, Base):
    __tablename__ = "shipment"

    number: Mapped[str] = mapped_column(String(20), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), index=True)
    status: Mapped[ShipmentStatus] = mapped_column(str_enum(ShipmentStatus, "shipment_status"),
                                                   default=ShipmentStatus.PREPARED)
    carrier: Mapped[str | None] = mapped_column(String(60))
    tracking_number: Mapped[str | None] = mapped_column(String(60))
    shipped_at: Mapped[dt.datetime | None]
    shipped_by: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text)

    lines: Mapped[list[ShipmentLine]] = relationship(cascade="all, delete-orphan")
    packages: Mapped[list[Package]] = relationship(cascade="all, delete-orphan")


class ShipmentLine(IdMixin, Base):
    __tablename__ = "shipment_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_line.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)


class Package(IdMixin, Base):
    __tablename__ = "package"
    __table_args__ = (CheckConstraint("weight_kg > 0", name="weight_positive"),)

    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id", ondelete="CASCADE"), index=True)
    weight_kg: Mapped[Decimal] = mapped_column(Quantity)
    dimensions: Mapped[str | None] = mapped_column(String(40))
