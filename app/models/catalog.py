"""Products, materials, bills of material and pricing rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Numeric, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, IdMixin, Quantity, Rate, VersionedMixin


class ProductFamily(IdMixin, VersionedMixin, Base):
    __tablename__ = "product_family"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str]
    needs_installation: Mapped[bool] = mapped_column(Boolean, default=False)


class Product(IdMixin, VersionedMixin, Base):
    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("list_price >= 0", name="list_price_nonneg"),
        CheckConstraint("standard_cost >= 0", name="standard_cost_nonneg"),
        CheckConstraint("stock_reserved >= 0", name="reserved_nonneg"),
        CheckConstraint("lead_time_days >= 0", name="lead_time_nonneg"),
    )

    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str]
    family_id: Mapped[int] = mapped_column(ForeignKey("product_family.id"), index=True)
    unit: Mapped[str] = mapped_column(String(12), default="pcs")
    list_price: Mapped[Decimal]
    # standard cost = material (from the BOM, or entered) + labour from the routing + overhead
    material_cost: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    standard_cost: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    tax_rate: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0.2000"))
    stock_on_hand: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    stock_reserved: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    target_stock: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    max_stock: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    location: Mapped[str | None] = mapped_column(String(32))  # e.g. "A-03-2" aisle-rack-shelf
    lead_time_days: Mapped[int] = mapped_column(Integer, default=0)  # material lead time
    make_to_stock: Mapped[bool] = mapped_column(Boolean, default=True)
    needs_installation: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    family: Mapped[ProductFamily] = relationship()
    bom: Mapped[list[BomLine]] = relationship(back_populates="product", cascade="all, delete-orphan")
    components: Mapped[list[BomComponent]] = relationship(back_populates="product", cascade="all, delete-orphan",
                                                          foreign_keys="BomComponent.product_id")


class Material(IdMixin, VersionedMixin, Base):
    """Purchased material (steel sheet, tube, powder, fixings) used by bills of material."""

    __tablename__ = "material"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str]
    unit: Mapped[str] = mapped_column(String(12), default="kg")
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(14, 4, asdecimal=True))
    stock_on_hand: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    lead_time_days: Mapped[int] = mapped_column(Integer, default=5)


class BomLine(IdMixin, Base):
    __tablename__ = "bom_line"
    __table_args__ = (
        UniqueConstraint("product_id", "material_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("material.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)

    product: Mapped[Product] = relationship(back_populates="bom")
    material: Mapped[Material] = relationship()


class BomComponent(IdMixin, Base):
    """A made or bought product in another product's bill of materials (a sub-assembly: the
    frames in a shelving system). The products screen refuses a BOM that contains its own product,
    directly or deeper; the database refuses the direct case too."""

    __tablename__ = "bom_component"
    __table_args__ = (
        UniqueConstraint("product_id", "component_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("component_id <> product_id", name="not_itself"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)

    product: Mapped[Product] = relationship(back_populates="components", foreign_keys=[product_id])
    component: Mapped[Product] = relationship(foreign_keys=[component_id])


class PriceBreak(IdMixin, Base):
    """Quantity break: from ``min_quantity`` units on, ``discount`` off list price."""

    __tablename__ = "price_break"
    __table_args__ = (
        UniqueConstraint("product_id", "min_quantity"),
        CheckConstraint("discount >= 0 AND discount < 1", name="discount_range"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    min_quantity: Mapped[Decimal] = mapped_column(Quantity)
    discount: Mapped[Decimal] = mapped_column(Rate)


class Promotion(IdMixin, VersionedMixin, Base):
    """A time-boxed discount on a product or a whole family."""

    __tablename__ = "promotion"
    __table_args__ = (
        CheckConstraint("discount > 0 AND discount < 1", name="discount_range"),
        CheckConstraint("(product_id IS NULL) <> (family_id IS NULL)", name="product_xor_family"),
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
    )

    name: Mapped[str]
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    family_id: Mapped[int | None] = mapped_column(ForeignKey("product_family.id", ondelete="CASCADE"))
    discount: Mapped[Decimal] = mapped_column(Rate)
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    note: Mapped[str | None] = mapped_column(Text)


class StockMovement(IdMixin, Base):
    """Every change of stock on hand, with its cause (shipment, restock, count, production)."""

    __tablename__ = "stock_movement"

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    at: Mapped[dt.datetime]
    quantity: Mapped[Decimal] = mapped_column(Quantity)  # + in, - out
    reason: Mapped[str] = mapped_column(String(24))  # shipment, restock, count, production, scrap
    reference: Mapped[str | None] = mapped_column(String(60))
    user: Mapped[str] = mapped_column(String(80))
