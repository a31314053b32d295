"""Customers, their addresses and their contact people."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, IdMixin, VersionedMixin
from app.models.enums import AddressKind, CustomerTier, str_enum


class Customer(IdMixin, VersionedMixin, Base):
    __tablename__ = "customer"
    __table_args__ = (
        CheckConstraint("payment_terms_days >= 0", name="terms_nonneg"),
        CheckConstraint("credit_limit >= 0", name="credit_nonneg"),
    )

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    tier: Mapped[CustomerTier] = mapped_column(str_enum(CustomerTier, "customer_tier"), default=CustomerTier.B)
    strategic: Mapped[bool] = mapped_column(Boolean, default=False)
    salesperson_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    credit_limit: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: archived (gone from order entry)
    #: the VAT (tax) number as checked for the billing country, with its country prefix (ATU13585627)
    vat_number: Mapped[str | None] = mapped_column(String(20))

    addresses: Mapped[list[Address]] = relationship(back_populates="customer", cascade="all, delete-orphan")
    contacts: Mapped[list[CustomerContact]] = relationship(back_populates="customer", cascade="all, delete-orphan",
                                                           order_by="CustomerContact.id")


class Address(IdMixin, VersionedMixin, Base):
    __tablename__ = "address"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AddressKind] = mapped_column(str_enum(AddressKind, "address_kind"))
    line1: Mapped[str]
    line2: Mapped[str | None]
    postcode: Mapped[str] = mapped_column(String(16))
    city: Mapped[str] = mapped_column(String(80))
    country: Mapped[str] = mapped_column(String(2), default="GB")
    region: Mapped[str | None] = mapped_column(String(80))  # county, state, province (as the post wants it)

    customer: Mapped[Customer] = relationship(back_populates="addresses")


class CustomerContact(IdMixin, VersionedMixin, Base):
    """A person at the customer: who orders, who gets the invoices (at most one ``for_invoices``)."""

    __tablename__ = "customer_contact"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(80))  # "buyer", "accounts payable", "site manager"…
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    for_invoices: Mapped[bool] = mapped_column(Boolean, default=False)

    customer: Mapped[Customer] = relationship(back_populates="contacts")
