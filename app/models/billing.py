"""Invoices (gap-free numbers), payments, credit notes and refunds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, CreatedMixin, IdMixin, Quantity, Rate, VersionedMixin
from app.models.enums import InvoiceStatus, RefundStatus, str_enum


# every document series with its printed prefix, declared once: the migrations seed these rows,
# the number service (app/services/numbers.py) draws from them
SERIES: dict[str, str] = {"order": "SO-", "quote": "Q-", "invoice": "", "credit_note": "", "shipment": "SH-",
                          "pick_list": "PL-", "rma": "RMA-", "service_job": "SJ-"}


class NumberSequence(Base):
    """Gap-free document numbers: the counter row is read and bumped inside the same write
    transaction as the document, so a rolled-back invoice never consumes a number."""

    __tablename__ = "number_sequence"

    name: Mapped[str] = mapped_column(String(24), primary_key=True)  # invoice, credit_note, order…
    prefix: Mapped[str] = mapped_column(String(8))
    next_value: Mapped[int] = mapped_column(Integer, default=1)
    # the series' first number in OrderCycle: 1, or where a firm continuing an old system's numbering
    # started (its documents are gap-free from here; ``db check`` counts from it)
    start_value: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class Invoice(IdMixin, CreatedMixin, VersionedMixin, Base):
    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint("net >= 0 AND tax >= 0 AND paid >= 0", name="amounts_nonneg"),
        CheckConstraint("due_date >= issue_date", name="due_after_issue"),
    )

    number: Mapped[int] = mapped_column(Integer, unique=True)  # gap-free
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), index=True)
    issue_date: Mapped[dt.date]
    due_date: Mapped[dt.date] = mapped_column(index=True)
    status: Mapped[InvoiceStatus] = mapped_column(str_enum(InvoiceStatus, "invoice_status"),
                                                  default=InvoiceStatus.ISSUED)
    net: Mapped[Decimal]
    tax: Mapped[Decimal]
    paid: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    issued_by: Mapped[str] = mapped_column(String(80))

    lines: Mapped[list[InvoiceLine]] = relationship(cascade="all, delete-orphan")


class InvoiceLine(IdMixin, Base):
    __tablename__ = "invoice_line"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order_line.id"))
    description: Mapped[str]
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal]
    tax_rate: Mapped[Decimal] = mapped_column(Rate)
    net: Mapped[Decimal]


class Payment(IdMixin, CreatedMixin, Base):
    __tablename__ = "payment"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    amount: Mapped[Decimal]
    received_on: Mapped[dt.date]
    method: Mapped[str] = mapped_column(String(24), default="bank transfer")
    reference: Mapped[str | None] = mapped_column(String(60))
    recorded_by: Mapped[str] = mapped_column(String(80))


class CreditNote(IdMixin, CreatedMixin, VersionedMixin, Base):
    __tablename__ = "credit_note"
    __table_args__ = (CheckConstraint("net >= 0 AND tax >= 0", name="amounts_nonneg"),)

    number: Mapped[int] = mapped_column(Integer, unique=True)  # gap-free, own sequence
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    rma_id: Mapped[int | None] = mapped_column(ForeignKey("return_authorization.id"), index=True)
    issue_date: Mapped[dt.date]
    net: Mapped[Decimal]
    tax: Mapped[Decimal]
    reason: Mapped[str] = mapped_column(Text)
    issued_by: Mapped[str] = mapped_column(String(80))


class Refund(IdMixin, CreatedMixin, VersionedMixin, Base):
    """Money back to the customer, queued to finance; its age is tracked against a target."""

    __tablename__ = "refund"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_note.id"), index=True)
    amount: Mapped[Decimal]
    status: Mapped[RefundStatus] = mapped_column(str_enum(RefundStatus, "refund_status"), default=RefundStatus.QUEUED)
    queued_at: Mapped[dt.datetime]
    due_by: Mapped[dt.date]  # receipt + target business days
    paid_at: Mapped[dt.datetime | None]
    paid_by: Mapped[str | None] = mapped_column(String(80))
    reference: Mapped[str | None] = mapped_column(String(60))


