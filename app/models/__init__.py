"""SQLAlchemy entities for every stage of the order cycle. Import this package to register them."""

from app.models.base import Base
from app.models.billing import CreditNote, Invoice, InvoiceLine, NumberSequence, Payment, Refund
from app.models.catalog import (
    BomComponent,
    BomLine,
    Material,
    PriceBreak,
    Product,
    ProductFamily,
    Promotion,
    StockMovement,
)
from app.models.fulfilment import Package, PickList, PickListLine, Shipment, ShipmentLine
from app.models.parties import Address, Customer, CustomerContact
from app.models.planning import DemandHistory, Forecast
from app.models.priorities import ExpediteQuota, ExpediteRequest, PriorityProfile, PriorityScore
from app.models.production import (
    CalendarException,
    CalendarHours,
    RoutingOperation,
    ScheduledOperation,
    ScheduleVersion,
    Shift,
    Skill,
    Staff,
    StaffSkill,
    WorkCalendar,
    WorkCenter,
)
from app.models.returns import ReturnAuthorization, ReturnLine
from app.models.sales import Note, SalesOrder, SalesOrderLine, TimelineEvent
from app.models.service import Lead, ProductFeedback, ServiceDebrief, ServiceJob
from app.models.system import (
    AuditLog,
    ChangeCounter,
    ChangeFeed,
    DeskSession,
    EditLease,
    FirmClosingDay,
    Setting,
    SignInEvent,
    User,
)

__all__ = [  # the models (every class imported above)
    "Address", "AuditLog", "Base", "BomComponent", "BomLine", "CalendarException", "CalendarHours", "ChangeCounter",
    "ChangeFeed",
    "CreditNote", "Customer", "CustomerContact", "DemandHistory", "DeskSession", "EditLease", "ExpediteQuota",
    "ExpediteRequest", "FirmClosingDay", "Forecast", "Invoice", "InvoiceLine", "Lead", "Material", "Note",
    "NumberSequence", "Package", "Payment", "PickList", "PickListLine", "PriceBreak", "PriorityProfile",
    "PriorityScore", "Product", "ProductFamily", "ProductFeedback", "Promotion", "Refund", "ReturnAuthorization",
    "ReturnLine", "RoutingOperation", "SalesOrder", "SalesOrderLine", "ScheduleVersion", "ScheduledOperation",
    "ServiceDebrief", "ServiceJob", "Setting", "Shift", "Shipment", "ShipmentLine", "SignInEvent", "Skill", "Staff",
    "StaffSkill", "StockMovement", "TimelineEvent", "User", "WorkCalendar", "WorkCenter",
]
