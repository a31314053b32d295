"""SQLAlchemy entities for every stage of the order cycle. Import this package to register them."""

from app.models.base import Base
from app.models.billing import CreditNote, Invoice, InvoiceLine, NumberSequence, Payment, Refund
from app.models.catalog import BomLine, Material, PriceBreak, Product, ProductFamily, Promotion, StockMovement
from app.models.fulfilment import Package, PickList, PickListLine, Shipment, ShipmentLine
from app.models.parties import Address, Customer
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

__all__ = [name for name in dir() if not name.startswith("_")]
