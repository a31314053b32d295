"""Enumerations stored as short strings (portable between SQLite and PostgreSQL)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum as SAEnum


def str_enum(enum_cls: type[StrEnum], name: str) -> SAEnum:
    return SAEnum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Role(StrEnum):
    MARKETING = "marketing"
    SALES = "sales"
    PRODUCTION = "production"
    SHIPPING = "shipping"
    FINANCE = "finance"
    SERVICE = "service"
    MANAGEMENT = "management"
    ADMIN = "admin"


class CustomerTier(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class AddressKind(StrEnum):
    BILLING = "billing"
    SHIPPING = "shipping"
    SITE = "site"


class ForecastStatus(StrEnum):
    OPEN = "open"  # figures being entered
    AGREED = "agreed"  # consensus set, awaiting both sign-offs
    SIGNED_OFF = "signed_off"  # both departments signed


class OrderKind(StrEnum):
    QUOTE = "quote"
    ORDER = "order"


class OrderStatus(StrEnum):
    """The order's lifecycle across departments (see docs/data-model.md)."""

    QUOTE = "quote"
    CONFIRMED = "confirmed"  # stock reserved, waiting for production/release
    IN_PRODUCTION = "in_production"
    READY = "ready"  # everything available, ready to pick
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    INVOICED = "invoiced"
    CLOSED = "closed"  # paid
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"
    LOST = "lost"  # quote not accepted


class ExpediteStatus(StrEnum):
    PENDING = "pending"
    NEEDS_MANAGEMENT = "needs_management"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class PickListStatus(StrEnum):
    OPEN = "open"
    PICKED = "picked"
    CANCELLED = "cancelled"


class ShipmentStatus(StrEnum):
    PREPARED = "prepared"
    SHIPPED = "shipped"
    DELIVERED = "delivered"


class InvoiceStatus(StrEnum):
    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    CREDITED = "credited"


class RefundStatus(StrEnum):
    QUEUED = "queued"
    PAID = "paid"


class RmaStatus(StrEnum):
    OPENED = "opened"
    APPROVED = "approved"
    REJECTED = "rejected"
    PICKUP_BOOKED = "pickup_booked"
    RECEIVED = "received"
    INSPECTED = "inspected"
    REFUND_QUEUED = "refund_queued"
    CLOSED = "closed"


class ReturnMethod(StrEnum):
    CARRIER_PICKUP = "carrier_pickup"
    LABEL = "label"
    NO_RETURN = "no_return"


class Disposition(StrEnum):
    RESTOCK = "restock"
    REPAIR = "repair"
    SCRAP = "scrap"
    REPLACE = "replace"


class ServiceKind(StrEnum):
    INSTALLATION = "installation"
    MAINTENANCE = "maintenance"
    REPAIR = "repair"
    TRAINING = "training"


class ServiceStatus(StrEnum):
    PLANNED = "planned"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DEBRIEFED = "debriefed"
    CANCELLED = "cancelled"


class FeedbackTag(StrEnum):
    DEFECT = "defect"
    USABILITY = "usability"
    MISSING_FEATURE = "missing_feature"
    DOCUMENTATION = "documentation"


class OpportunityKind(StrEnum):
    MORE_UNITS = "more_units"
    UPGRADE = "upgrade"
    TRAINING = "training"
    MAINTENANCE_CONTRACT = "maintenance_contract"


class LeadStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    WON = "won"
    LOST = "lost"


class Stage(StrEnum):
    """Departments' stages, used on timeline events and in the permission matrix."""

    PLANNING = "planning"
    ORDERS = "orders"
    PRIORITIES = "priorities"
    SCHEDULE = "schedule"
    SHIPPING = "shipping"
    BILLING = "billing"
    RETURNS = "returns"
    SERVICE = "service"
    ADMIN = "admin"
