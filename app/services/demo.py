"""The demo company: Northbeam Steelworks Ltd, built into an empty database in one transaction.

About 30 people make, ship and install steel shelving systems, workbenches and machine guards
(see docs and shared/SCENARIOS.md). ``build_demo`` fills a freshly migrated database with:

- users, one per role (user name = role name) plus ``sales2``; every password is DEMO_PASSWORD;
- a catalogue of 40 products in five families, materials, bills of material, routings on six work
  centers, a calendar with holidays, shifts, skills and twelve staff (welding deliberately thin);
- 25 customers with addresses, tiers, salespeople, terms and credit limits;
- two years of seasonal order history (shipped, invoiced, paid), demand history derived from the
  shipments, forecasts (signed off for the past year, open for the next), and about sixty open
  orders in every stage of the cycle;
- the data each story in SCENARIOS.md starts from (excess stock, free stock, the marketing
  expedite quota already used up, a claim over two orders, an installation to book, a debrief…).

Everything is derived from ``random.Random(seed)`` and ``today``, so the same (seed, today) gives
the same rows on SQLite and PostgreSQL alike (only password hashes differ: they are salted).
Rows are built in Python with primary keys assigned here (the tables are empty) and inserted in
one transaction, table by table in dependency order, with SQLAlchemy Core ``insert(table)``
executemany. On SQLite the parameters go through SQLAlchemy's own bind processors column by
column instead of row by row, and the big tables' indexes are rebuilt after the load: 100,000
orders (about a million rows) take some 15 s instead of a minute. On PostgreSQL the id sequences
are moved past the ids used.

Standard cost, as used throughout: ``material`` (sum of BOM quantity x material unit cost, or the
purchase price of a bought-in part) plus ``labour`` (sum over the routing of run minutes / 60 x
the work center's hourly rate; set-up is not spread over the unit) plus 15 % overhead on both:
``standard_cost = money((material + labour) * 1.15)``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import logging
import math
import operator
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import repeat
from typing import Any

from sqlalchemy import Table, func, insert, null, select, text, update

from app import clock
from app.db.engine import write_engine
from app.db.uow import Database
from app.errors import UserError, ValidationError
from app.models import ChangeCounter, ChangeFeed, NumberSequence, Product, User
from app.models.base import Base, UTCDateTime, money
from app.models.enums import (
    AddressKind,
    CustomerTier,
    Disposition,
    ExpediteStatus,
    FeedbackTag,
    ForecastStatus,
    InvoiceStatus,
    LeadStatus,
    OpportunityKind,
    OrderKind,
    OrderStatus,
    PickListStatus,
    RefundStatus,
    ReturnMethod,
    RmaStatus,
    Role,
    ServiceKind,
    ServiceStatus,
    ShipmentStatus,
    Stage,
)
from app.services.firm_calendar import FirmCalendar

log = logging.getLogger(__name__)
DEMO_PASSWORD = "demo1234"  # every demo user's password (documented in the README)
FIRM_NAME = "Northbeam Steelworks Ltd"
FIRM_COUNTRY, FIRM_REGION, FIRM_ZONE = "GB", "ENG", "Europe/London"
DEFAULT_HISTORY_ORDERS = 760
MIN_ORDERS = 100
OPEN_STATUSES = (
    OrderStatus.QUOTE, OrderStatus.CONFIRMED, OrderStatus.IN_PRODUCTION, OrderStatus.READY,
    OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.INVOICED, OrderStatus.ON_HOLD,
)

UTC = dt.timezone.utc
ZERO = Decimal(0)
OVERHEAD = Decimal("1.15")
TAX = Decimal("0.2000")
BIG_DISCOUNT = Decimal("0.12")
CHUNK = 20_000
# the biggest tables are generated as tuples in these column orders (a dict per row costs more);
# shipments and invoices as lists, because their numbers (in date order) and payment state are
# filled in after the row is made. Columns added to a model later take their defaults.
LAYOUTS: dict[str, tuple[str, ...]] = {
    "sales_order_line": ("id", "order_id", "line_no", "product_id", "quantity", "list_price", "discount",
                         "unit_price", "price_override_reason", "tax_rate", "unit_cost", "promise_date",
                         "qty_reserved", "qty_picked", "qty_shipped", "qty_invoiced", "version", "updated_at",
                         "updated_by"),
    "shipment_line": ("id", "shipment_id", "order_line_id", "quantity"),
    "invoice_line": ("id", "invoice_id", "order_line_id", "description", "quantity", "unit_price", "tax_rate",
                     "net"),
    "payment": ("id", "invoice_id", "amount", "received_on", "method", "reference", "recorded_by", "created_at"),
    "sales_order": ("id", "number", "kind", "status", "customer_id", "salesperson_id", "order_date",
                    "requested_date", "promise_date", "bottleneck", "customer_reference", "total_net", "total_tax",
                    "total_cost", "needs_approval", "approved_by", "approved_at", "confirmed_at", "hold_reason",
                    "cancel_reason", "source_order_id", "created_at", "version", "updated_at", "updated_by"),
    "shipment": ("id", "number", "order_id", "status", "carrier", "tracking_number", "shipped_at", "shipped_by",
                 "note", "created_at", "version", "updated_at", "updated_by"),
    "invoice": ("id", "number", "customer_id", "order_id", "issue_date", "due_date", "status", "net", "tax", "paid",
                "issued_by", "created_at", "version", "updated_at", "updated_by"),
}
SO = {key: i for i, key in enumerate(LAYOUTS["sales_order"])}  # column positions in an order row
SH = {key: i for i, key in enumerate(LAYOUTS["shipment"])}
INV = {key: i for i, key in enumerate(LAYOUTS["invoice"])}
BIG_TABLE = 50_000  # rows; above this, a table's indexes are built after the load (SQLite)
FAST_SQLITE = True  # False: SQLite takes the plain Core path too (a test compares the two files)
_MINUTES = [dt.timedelta(minutes=i) for i in range(1440)]
_WORKDAY: dict[dt.date, dt.date] = {}


@dataclass(frozen=True)
class DemoSummary:
    products: int
    customers: int
    orders: int
    open_orders: int
    users: int
    seconds: float


# --------------------------------------------------------------------------------------------
# The firm's fixed data
# --------------------------------------------------------------------------------------------

USERS = [  # username, full name, role
    ("marketing", "Maya Lindqvist", Role.MARKETING),
    ("sales", "Sam Carter", Role.SALES),
    ("sales2", "Priya Shah", Role.SALES),
    ("production", "Peter Morgan", Role.PRODUCTION),
    ("shipping", "Sean Doyle", Role.SHIPPING),
    ("finance", "Fiona Clarke", Role.FINANCE),
    ("service", "Hannah Webb", Role.SERVICE),
    ("management", "Margaret Hughes", Role.MANAGEMENT),
    ("admin", "Alex Kim", Role.ADMIN),
]
UID = {u[0]: i + 1 for i, u in enumerate(USERS)}

FAMILIES = [  # code, name, needs_installation, seasonality Jan..Dec
    ("SHU", "Shelving units", False, (0.80, 0.90, 1.25, 1.40, 1.35, 1.10, 0.90, 0.80, 1.00, 1.05, 0.95, 0.60)),
    ("SHS", "Shelving systems", True, (0.70, 0.90, 1.30, 1.45, 1.40, 1.10, 0.90, 0.80, 1.00, 1.00, 0.90, 0.55)),
    ("WB", "Workbenches", False, (0.90, 1.00, 1.00, 1.00, 1.00, 0.90, 0.85, 0.80, 1.15, 1.20, 1.10, 0.80)),
    ("MG", "Machine guards", False, (0.80, 0.90, 1.00, 1.00, 1.00, 1.00, 0.90, 0.90, 1.10, 1.10, 1.20, 1.00)),
    ("SP", "Spare parts & accessories", False, (1.00, 1.00, 1.10, 1.15, 1.10, 1.00, 0.95, 0.90, 1.00, 1.00, 1.00, 0.80)),
]

MATERIALS = [  # code, name, unit, unit cost, stock, lead days
    ("STL-SHEET-2", "Steel sheet 2 mm (DC01)", "kg", "1.1500", 18000, 10),
    ("STL-SHEET-3", "Steel sheet 3 mm (S275)", "kg", "1.0800", 14000, 10),
    ("STL-ANGLE-50", "Slotted steel angle 50 × 50 × 2", "m", "6.1000", 2400, 7),
    ("STL-TUBE-40", "Steel box tube 40 × 40 × 2", "m", "4.8000", 3000, 7),
    ("STL-TUBE-25", "Steel box tube 25 × 25 × 1.5", "m", "3.2000", 2600, 7),
    ("MESH-50", "Welded mesh 50 × 50 × 3 mm", "m2", "12.5000", 600, 14),
    ("PWD-7035", "Powder coat RAL 7035 light grey", "kg", "9.5000", 900, 5),
    ("PWD-5010", "Powder coat RAL 5010 gentian blue", "kg", "10.2000", 500, 5),
    ("PWD-1003", "Powder coat RAL 1003 signal yellow", "kg", "11.4000", 400, 5),
    ("TOP-BEECH-30", "Beech worktop 30 mm", "m2", "38.0000", 120, 21),
    ("FIX-M8", "Fixings kit M8 (bolts, nuts, washers)", "set", "1.8000", 4000, 3),
    ("BOLT-M12", "Anchor bolt M12 × 120", "pcs", "0.9500", 6000, 5),
]
MAT = {m[0]: i + 1 for i, m in enumerate(MATERIALS)}

# bills of material per kind, per unit at size 1.0: (material, quantity)
BOMS = {
    "unit": [("STL-SHEET-2", 18), ("STL-ANGLE-50", 8), ("PWD-7035", "0.9"), ("FIX-M8", 1)],
    "system": [("STL-SHEET-3", 60), ("STL-TUBE-40", 20), ("PWD-5010", 3), ("FIX-M8", 4), ("BOLT-M12", 8)],
    "bench": [("STL-TUBE-40", 9), ("STL-SHEET-3", 12), ("TOP-BEECH-30", "1.1"), ("PWD-7035", "0.8"), ("FIX-M8", 1)],
    "panel": [("STL-TUBE-25", 7), ("MESH-50", 2), ("PWD-1003", "0.7"), ("FIX-M8", 1)],
    "post": [("STL-TUBE-40", "2.2"), ("STL-SHEET-3", 3), ("PWD-1003", "0.3"), ("BOLT-M12", 4)],
    "door": [("STL-TUBE-25", 8), ("MESH-50", 2), ("PWD-1003", "0.8"), ("FIX-M8", 2)],
    "enclosure": [("STL-TUBE-40", 20), ("MESH-50", 10), ("STL-SHEET-3", 40), ("PWD-1003", 3), ("FIX-M8", 6)],
    "shelf": [("STL-SHEET-2", 6), ("PWD-7035", "0.3")],
    "beam": [("STL-SHEET-3", 14), ("PWD-5010", "0.6"), ("FIX-M8", 1)],
    "frame": [("STL-SHEET-3", 28), ("PWD-5010", "0.9"), ("FIX-M8", 1)],
    "divider": [("STL-SHEET-2", "1.5"), ("PWD-7035", "0.1")],
}

WORK_CENTERS = [  # code, name, hourly rate, calendar (1 standard, 2 two shifts)
    ("LASER", "Laser cutter", "85.00", 2),
    ("BRAKE", "Press brake", "60.00", 1),
    ("WELD1", "Welding station 1", "55.00", 1),
    ("WELD2", "Welding station 2", "55.00", 1),
    ("COAT", "Powder coating line", "70.00", 1),
    ("ASSY", "Assembly", "40.00", 1),
]
WC = {w[0]: i + 1 for i, w in enumerate(WORK_CENTERS)}
WC_RATE = {w[0]: Decimal(w[2]) for w in WORK_CENTERS}
# March's warehouse-season demand for the built-to-order shelving systems (units per month):
# at the consensus the headcount plan shows welding about 1.5 people short (story 1).
SPRING_PROJECTS = {"SYS-PR-2700": 250, "SYS-ARC-10": 64, "SYS-MOB-1200": 94, "SYS-CANT-2000": 52,
                   "SYS-MEZ-60": 12}

SKILLS = [("laser", "Laser cutting"), ("bending", "Press brake bending"), ("welding", "Welding (MIG/TIG)"),
          ("coating", "Powder coating"), ("assembly", "Assembly and packing"),
          ("installation", "On-site installation")]
SK = {s[0]: i + 1 for i, s in enumerate(SKILLS)}
OP_SKILL = {"LASER": "laser", "BRAKE": "bending", "WELD": "welding", "COAT": "coating", "ASSY": "assembly"}

# routing per kind at size 1.0: (operation, work center, setup minutes, run minutes per unit)
ROUTINGS = {
    "unit": [("Laser cut uprights and shelves", "LASER", 20, 4), ("Bend shelves", "BRAKE", 15, 6),
             ("Weld frames", "WELD", 10, 8), ("Powder coat", "COAT", 30, 3), ("Pack flat", "ASSY", 5, 4)],
    "system": [("Laser cut components", "LASER", 30, 25), ("Bend beams and frames", "BRAKE", 25, 40),
               ("Weld frames", "WELD", 20, 60), ("Powder coat", "COAT", 40, 15), ("Kit and pack", "ASSY", 15, 30)],
    "bench": [("Laser cut", "LASER", 15, 6), ("Bend", "BRAKE", 15, 8), ("Weld frame", "WELD", 15, 35),
              ("Powder coat", "COAT", 30, 5), ("Fit top and assemble", "ASSY", 10, 20)],
    "panel": [("Cut tube", "LASER", 10, 3), ("Weld mesh into frame", "WELD", 10, 12), ("Powder coat", "COAT", 30, 3)],
    "post": [("Cut post and foot plate", "LASER", 10, 2), ("Weld foot plate", "WELD", 5, 5),
             ("Powder coat", "COAT", 20, 1)],
    "door": [("Laser cut", "LASER", 10, 4), ("Bend", "BRAKE", 10, 5), ("Weld door frame", "WELD", 15, 25),
             ("Powder coat", "COAT", 30, 4), ("Fit hinges/runners", "ASSY", 10, 15)],
    "enclosure": [("Laser cut", "LASER", 30, 60), ("Bend", "BRAKE", 30, 60), ("Weld enclosure", "WELD", 30, 240),
                  ("Powder coat", "COAT", 45, 30), ("Assemble and test fit", "ASSY", 20, 120)],
    "shelf": [("Laser cut", "LASER", 15, 2), ("Bend", "BRAKE", 10, 3), ("Powder coat", "COAT", 20, 1.5)],
    "beam": [("Laser cut", "LASER", 15, 3), ("Roll/bend beam", "BRAKE", 15, 5), ("Weld end plates", "WELD", 10, 6),
             ("Powder coat", "COAT", 20, 2)],
    "frame": [("Laser cut", "LASER", 15, 5), ("Bend uprights", "BRAKE", 15, 6), ("Weld bracing", "WELD", 15, 14),
              ("Powder coat", "COAT", 20, 3)],
    "divider": [("Laser cut", "LASER", 10, 1), ("Bend", "BRAKE", 10, 1.5), ("Powder coat", "COAT", 15, 0.5)],
}

QTY_CHOICES = {
    "unit": (1, 2, 2, 3, 4, 4, 5, 5, 6, 6, 8, 8, 10, 10, 12, 15, 20, 25, 30),
    "system": (1, 1, 1, 2, 3),
    "bench": (1, 1, 2, 2, 2, 3, 4, 5, 6, 8, 10),
    "custom": (1, 2, 2, 3, 4, 5, 6, 8, 10),
    "panel": (2, 4, 4, 6, 8, 8, 10, 12, 16, 20, 24),
    "post": (4, 6, 8, 8, 10, 12, 16, 20, 30),
    "door": (1, 1, 1, 2, 3),
    "enclosure": (1,),
    "shelf": (2, 4, 5, 6, 8, 10, 12, 20),
    "beam": (2, 4, 6, 8, 10, 16, 20),
    "frame": (2, 2, 4, 6, 8),
    "divider": (4, 8, 10, 12, 20, 24),
    "bought": (1, 2, 4, 5, 8, 10, 12, 20, 25),
}

# sku, name, family, kind, size, unit, popularity, make_to_stock, cover months, markup, buy cost
PRODUCTS = [
    ("SH-900-4", "Boltless shelving unit 900 × 4 shelves", "SHU", "unit", "0.85", "pcs", 6, True, 1.6, "1.75", None),
    ("SH-900-5", "Boltless shelving unit 900 × 5 shelves", "SHU", "unit", "0.95", "pcs", 5, True, 1.4, "1.75", None),
    ("SH-1200-4", "Boltless shelving unit 1200 × 4 shelves", "SHU", "unit", "1.05", "pcs", 7, True, 1.5, "1.75", None),
    ("SH-1200-5", "Heavy-duty shelving unit 1200 × 5 shelves", "SHU", "unit", "1.2", "pcs", 8, True, 9.0, "1.545", None),
    ("SH-1500-5", "Heavy-duty shelving unit 1500 × 5 shelves", "SHU", "unit", "1.4", "pcs", 5, True, 1.8, "1.75", None),
    ("SH-1800-6", "Long-span shelving unit 1800 × 6 shelves", "SHU", "unit", "1.8", "pcs", 3, True, 2.0, "1.8", None),
    ("SH-1200-5-GV", "Galvanised shelving unit 1200 × 5 shelves", "SHU", "unit", "1.3", "pcs", 3, True, 1.5, "1.85", None),
    ("SH-2400-4-LS", "Long-span shelving bay 2400 × 4 levels", "SHU", "unit", "2.3", "pcs", 2, True, 1.2, "1.8", None),
    ("SYS-PR-2700", "Pallet racking system, 2700 mm bays (per bay)", "SHS", "system", "1.0", "bay", 2, False, 0, "1.6", None),
    ("SYS-ARC-10", "Archive shelving system, 10 bays", "SHS", "system", "2.2", "set", 1, False, 0, "1.65", None),
    ("SYS-MOB-1200", "Mobile shelving system 1200, per run", "SHS", "system", "1.8", "run", "0.8", False, 0, "1.7", None),
    ("SYS-CANT-2000", "Cantilever racking system 2000, per bay", "SHS", "system", "1.4", "bay", "0.8", False, 0, "1.6", None),
    ("SYS-MEZ-60", "Mezzanine storage system, 60 m²", "SHS", "system", "6.0", "set", "0.3", False, 0, "1.55", None),
    ("WB-1500-STD", "Standard workbench 1500 × 750", "WB", "bench", "0.9", "pcs", 5, True, 2.6, "1.8", None),
    ("WB-1800-STD", "Standard workbench 1800 × 750", "WB", "bench", "1.0", "pcs", 4, True, 2.4, "1.8", None),
    ("WB-2000-HD", "Heavy-duty workbench 2000 × 900", "WB", "bench", "1.35", "pcs", 2, True, 1.6, "1.8", None),
    ("WB-1500-ESD", "ESD-safe workbench 1500 × 750", "WB", "bench", "1.0", "pcs", "1.5", True, 1.5, "1.95", None),
    ("WB-1800-PK", "Packing bench 1800 with roll holder", "WB", "bench", "1.1", "pcs", "1.5", True, 1.5, "1.85", None),
    ("WB-DRW-3", "Drawer unit, 3 drawers, bench mounted", "WB", "shelf", "1.4", "pcs", 2, True, 1.8, "2.0", None),
    ("WB-CUST", "Custom workbench (to customer drawing)", "WB", "bench", "1.3", "pcs", "1.5", False, 0, "1.7", None),
    ("WB-CUST-HD", "Custom heavy-duty welding bench", "WB", "bench", "1.8", "pcs", "0.7", False, 0, "1.7", None),
    ("MG-PNL-1000", "Mesh guard panel 1000 × 2000", "MG", "panel", "1.0", "pcs", 5, True, 1.5, "1.9", None),
    ("MG-PNL-1500", "Mesh guard panel 1500 × 2000", "MG", "panel", "1.4", "pcs", 4, True, 1.5, "1.9", None),
    ("MG-PNL-500", "Mesh guard panel 500 × 2000", "MG", "panel", "0.6", "pcs", 2, True, 1.4, "1.9", None),
    ("MG-PNL-SOLID", "Solid sheet guard panel 1000 × 2000", "MG", "panel", "1.2", "pcs", "1.2", True, 1.3, "1.9", None),
    ("MG-POST-2000", "Guard post 2000 with foot plate", "MG", "post", "1.0", "pcs", 6, True, 1.6, "1.9", None),
    ("MG-DOOR-HG", "Hinged guard door 1000", "MG", "door", "1.0", "pcs", "1.5", True, 1.2, "1.9", None),
    ("MG-DOOR-SL", "Sliding guard door 1500", "MG", "door", "1.4", "pcs", 1, True, 1.2, "1.9", None),
    ("MG-ENC-CUST", "Custom machine enclosure (to survey)", "MG", "enclosure", "1.0", "set", "0.6", False, 0, "1.7", None),
    ("SP-SHELF-900", "Extra shelf 900 × 400", "SP", "shelf", "0.9", "pcs", 4, True, 1.5, "2.2", None),
    ("SP-SHELF-1200", "Extra shelf 1200 × 500", "SP", "shelf", "1.2", "pcs", 5, True, 1.5, "2.2", None),
    ("SP-BEAM-2700", "Pallet racking beam pair 2700", "SP", "beam", "1.0", "pair", 2, True, 7.0, "2.0", None),
    ("SP-FRAME-3000", "Racking upright frame 3000", "SP", "frame", "1.0", "pcs", "1.5", True, 1.5, "2.0", None),
    ("SP-DIV-400", "Shelf divider 400", "SP", "divider", "1.0", "pcs", 2, True, 2.0, "2.4", None),
    ("SP-ANCHOR-M12", "Anchor bolt kit M12 (8 pcs)", "SP", "bought", "1", "kit", 3, True, 2.0, "2.4", "9.80"),
    ("SP-FEET-4", "Levelling feet set (4)", "SP", "bought", "1", "set", 2, True, 2.0, "2.4", "6.40"),
    ("SP-CASTOR-4", "Castor set 100 mm, 2 braked (4)", "SP", "bought", "1", "set", "1.5", True, 2.0, "2.2", "24.50"),
    ("SP-INTLK", "Safety interlock switch for guard doors", "SP", "bought", "1", "pcs", 1, True, 2.0, "2.0", "38.00"),
    ("SP-LOCK-MG", "Guard door lock kit", "SP", "bought", "1", "kit", "0.8", True, 2.0, "2.2", "17.50"),
    ("SP-PAINT-7035", "Touch-up paint RAL 7035, 250 ml", "SP", "bought", "1", "tin", 1, True, 3.0, "2.6", "4.20"),
]
SKU = {p[0]: i for i, p in enumerate(PRODUCTS)}
BREAKS = ("SH-900-4", "SH-900-5", "SH-1200-4", "SH-1500-5", "WB-1500-STD", "WB-1800-STD",
          "MG-PNL-1000", "MG-PNL-1500", "MG-POST-2000", "SP-SHELF-1200")
AISLE = {"SHU": "A", "WB": "B", "MG": "C", "SP": "D", "SHS": "E"}

CUSTOMERS = [  # code, name, tier, strategic, salesperson, terms, credit, street, town, postcode, phone, weight
    ("HALDEN", "Halden Logistics Ltd", "A", True, "sales", 45, 250000, "Unit 7, Stourton Link", "Leeds", "LS10 1QR", "0113 496 0101"),
    ("PENNIN", "Pennine Foods plc", "A", True, "sales2", 60, 200000, "Bowling Back Lane", "Bradford", "BD4 7TJ", "01632 960 102"),
    ("MARLOW", "Marlow Precision Engineering Ltd", "A", True, "sales", 45, 150000, "Attercliffe Works, Broughton Lane", "Sheffield", "S9 2RX", "0114 496 0103"),
    ("ATLAS", "Atlas Automotive Components Ltd", "A", False, "sales2", 60, 120000, "Whitley Business Park", "Coventry", "CV3 4LF", "01632 960 104"),
    ("KESTRL", "Kestrel Distribution Ltd", "A", False, "sales", 30, 100000, "Unit 12, Wheatley Hall Road", "Doncaster", "DN2 4PB", "01632 960 105"),
    ("BRIGHT", "Brightwater Retail Group Ltd", "A", False, "sales2", 45, 100000, "Trafford Park Road", "Manchester", "M17 1SN", "0161 496 0106"),
    ("SHOWCS", "Showcase Exhibitions Ltd", "B", False, "sales", 30, 40000, "Halls Business Centre, Pendigo Way", "Birmingham", "B40 1PU", "0121 496 0107"),
    ("NORTHW", "Northwold Packaging Ltd", "B", False, "sales2", 30, 50000, "Hedon Road", "Hull", "HU9 5PE", "01632 960 108"),
    ("TRENT", "Trent Valley Plastics Ltd", "B", False, "sales", 30, 40000, "Meadow Lane Industrial Estate", "Nottingham", "NG2 3HQ", "01632 960 109"),
    ("CALDER", "Calder Print & Finishing Ltd", "B", False, "sales2", 30, 30000, "Leeds Road Mills", "Huddersfield", "HD1 6QF", "01632 960 110"),
    ("SEVERN", "Severn Tool Hire Ltd", "B", False, "sales", 30, 30000, "Blackpole Trading Estate", "Worcester", "WR3 8SG", "01632 960 111"),
    ("ASHBY", "Ashby Motor Factors Ltd", "B", False, "sales2", 30, 25000, "Troon Way Business Centre", "Leicester", "LE4 9HA", "01632 960 112"),
    ("FENLND", "Fenland Agricultural Supplies Ltd", "B", False, "sales", 45, 35000, "Fengate", "Peterborough", "PE1 5YW", "01632 960 113"),
    ("TYNESD", "Tyneside Marine Services Ltd", "B", False, "sales2", 30, 30000, "Walker Riverside", "Newcastle upon Tyne", "NE6 3PL", "0191 498 0114"),
    ("CLYDE", "Clyde Fabrications Ltd", "B", False, "sales", 30, 45000, "Hillington Park", "Glasgow", "G52 4TP", "0141 496 0115"),
    ("MERSEY", "Mersey Cold Stores Ltd", "B", False, "sales2", 30, 40000, "Regent Road", "Liverpool", "L20 8DB", "0151 496 0116"),
    ("OAKWD", "Oakwood School Trust", "C", False, "sales", 30, 10000, "Oakwood Lane", "York", "YO30 4XA", "01632 960 117"),
    ("REDHIL", "Redhill Garage Equipment", "C", False, "sales2", 14, 8000, "Holmethorpe Avenue", "Redhill", "RH1 2NB", "01632 960 118"),
    ("BAYLIS", "Baylis & Sons Builders Merchants", "C", False, "sales", 30, 15000, "Cheney Manor Industrial Estate", "Swindon", "SN2 2PJ", "01632 960 119"),
    ("HOLMES", "Holmes Bicycle Works", "C", False, "sales2", 14, 6000, "Cowley Road Yard", "Cambridge", "CB4 3PZ", "01632 960 120"),
    ("QUAYSD", "Quayside Brewing Co Ltd", "C", False, "sales", 30, 12000, "Feeder Road", "Bristol", "BS2 0XJ", "0117 496 0121"),
    ("GREYST", "Greystone Laboratories Ltd", "C", False, "sales2", 30, 20000, "Sandy Lane West", "Oxford", "OX4 6JY", "01632 960 122"),
    ("WILLOW", "Willow Lane Garden Centre", "C", False, "sales", 30, 8000, "Willow Lane", "Chester", "CH2 4NQ", "01632 960 123"),
    ("PEAKDO", "Peak District Outdoor Ltd", "C", False, "sales2", 30, 10000, "Harpur Hill Business Park", "Buxton", "SK17 9JL", "01632 960 124"),
    ("LINDEN", "Linden Signs & Displays", "C", False, "sales", 14, 7000, "Basingstoke Road", "Reading", "RG2 0QX", "0118 496 0125"),
]
CUST = {c[0]: i + 1 for i, c in enumerate(CUSTOMERS)}
TIER_WEIGHT = {"A": 3.0, "B": 1.5, "C": 0.6}
SITE_CUSTOMERS = ("HALDEN", "PENNIN", "MARLOW", "ATLAS", "KESTRL", "BRIGHT", "NORTHW", "MERSEY")

STAFF = [  # code, name, shift, hourly rate, hours/week, skills (code, level)
    ("ST01", "Dave Walsh", "Early", "17.50", 40, [("laser", 3), ("bending", 2)]),
    ("ST02", "Karen Lloyd", "Late", "17.50", 40, [("laser", 2), ("bending", 3)]),
    ("ST03", "Gary Price", "Day", "16.80", 40, [("bending", 3), ("assembly", 2)]),
    ("ST04", "Mick Rowe", "Day", "19.20", 40, [("welding", 3)]),
    ("ST05", "Jas Singh", "Day", "18.40", 40, [("welding", 2), ("assembly", 2)]),
    ("ST06", "Owen Hart", "Day", "16.90", 40, [("coating", 3)]),
    ("ST07", "Lisa Kent", "Day", "16.20", 32, [("coating", 2), ("assembly", 2)]),
    ("ST08", "Ben Ford", "Day", "18.00", 40, [("assembly", 3), ("installation", 3)]),
    ("ST09", "Chris Nolan", "Day", "16.50", 40, [("assembly", 2), ("installation", 2)]),
    ("ST10", "Ryan Cole", "Day", "17.00", 40, [("installation", 3), ("welding", 1)]),
    ("ST11", "Ian Moss", "Day", "17.20", 40, [("installation", 2), ("assembly", 2)]),
    ("ST12", "Tomasz Nowak", "Day", "18.50", 40, [("installation", 3), ("bending", 1)]),
]
SHIFTS = [("Day", 420, 960), ("Early", 360, 840), ("Late", 840, 1320)]

CARRIERS = (("DHL Freight", "JD0146"), ("DPD", "15502"), ("Palletways", "PW"), ("Own van", "NB"))
HOLD_REASONS = (
    "Credit limit exceeded: two invoices overdue; finance holds until payment arrives.",
    "Customer asked us to hold delivery until their new site is ready.",
    "Waiting for the customer's revised drawing (rev C) before release.",
)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

def _month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def _add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, 1)


def _month_index(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


# The demo firm's calendar: England's public holidays (the settings below say GB / ENG). Every
# date the demo generates for work (promises, shipments, refunds, bookings, overtime) is a
# business day of this calendar, whatever day the demo is built on.
FIRM_CALENDAR = FirmCalendar(FIRM_COUNTRY, FIRM_REGION)


def _working_days(month: dt.date) -> int:
    """Business days of the firm calendar in the month starting ``month``."""
    d, n = month, 0
    while d.month == month.month:
        n += FIRM_CALENDAR.is_business_day(d)
        d += dt.timedelta(days=1)
    return n


def overtime_saturday(today: dt.date) -> dt.date:
    """The demo's Saturday of overtime: two weeks ahead, moved on past public holidays."""
    sat = today + dt.timedelta(days=(5 - today.weekday()) % 7 + 14)
    while FIRM_CALENDAR.holiday(sat) is not None:
        sat += dt.timedelta(days=7)
    return sat


def _workday(d: dt.date) -> dt.date:
    """``d`` or the next business day of the firm calendar."""
    r = _WORKDAY.get(d)
    if r is None:
        r = _WORKDAY[d] = FIRM_CALENDAR.next_business_day(d)
    return r


def _workday_back(d: dt.date) -> dt.date:
    """``d`` or the business day before it."""
    return FIRM_CALENDAR.previous_business_day(d)


def _add_business_days(d: dt.date, n: int) -> dt.date:
    return FIRM_CALENDAR.add_business_days(d, n)


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    d = dt.date(year, month, 28)
    while d.month == month:
        d += dt.timedelta(days=1)
    d -= dt.timedelta(days=1)
    while d.weekday() != weekday:
        d -= dt.timedelta(days=1)
    return d


def _first_weekday(year: int, month: int, weekday: int) -> dt.date:
    d = dt.date(year, month, 1)
    while d.weekday() != weekday:
        d += dt.timedelta(days=1)
    return d


def _templates(table: Table, fallback_ts: dt.datetime) -> tuple[dict[str, Any], frozenset[str]]:
    """Values for the columns a row may leave out: Python scalar defaults, the fixed timestamp for
    callable (``utcnow``) defaults, None for nullable columns. Returns (template, required keys)."""
    template: dict[str, Any] = {}
    required = set()
    for col in table.columns:
        default = col.default
        if default is not None and getattr(default, "is_scalar", False):
            template[col.key] = default.arg
        elif default is not None and getattr(default, "is_callable", False):
            template[col.key] = fallback_ts
        elif col.nullable:
            template[col.key] = None
        else:
            required.add(col.key)
    return template, frozenset(required)


# --------------------------------------------------------------------------------------------
# the builder
# --------------------------------------------------------------------------------------------

class _Builder:
    def __init__(self, seed: int, today: dt.date) -> None:
        self.rng = random.Random(seed)
        self.today = today
        # rows per table: dicts, or tuples in LAYOUTS order for the biggest tables
        self.rows: dict[str, list[Any]] = {t.name: [] for t in Base.metadata.sorted_tables}
        self.cur_month = _month_start(today)
        self.hist_start = _add_months(self.cur_month, -24)
        self._midnight: dict[dt.date, dt.datetime] = {}
        self.setup_ts = self.ts(self.hist_start - dt.timedelta(days=30), 9 * 60)
        self.now_ts = self.ts(today, 8 * 60)
        self._qty: dict[int, Decimal] = {}
        self.seq = {"order": 0, "quote": 0}

    # -- time --------------------------------------------------------------------------------
    def midnight(self, d: dt.date) -> dt.datetime:
        m = self._midnight.get(d)
        if m is None:
            m = self._midnight[d] = dt.datetime(d.year, d.month, d.day, tzinfo=UTC)
        return m

    def ts(self, d: dt.date, minute: int) -> dt.datetime:
        m = self._midnight.get(d)
        if m is None:
            m = self.midnight(d)
        return m + (_MINUTES[minute] if 0 <= minute < 1440 else dt.timedelta(minutes=minute))

    def q(self, n: int) -> Decimal:
        v = self._qty.get(n)
        if v is None:
            v = self._qty[n] = Decimal(n)
        return v

    def add(self, table: str, row: dict[str, Any]) -> int:
        rows = self.rows[table]
        rows.append(row)
        row.setdefault("id", len(rows))
        return row["id"]

    # -- reference data ----------------------------------------------------------------------
    def build_reference(self, pw_hash: str) -> None:
        t0 = self.setup_ts
        for i, (username, full_name, role) in enumerate(USERS, 1):
            self.add("app_user", {"id": i, "username": username, "full_name": full_name, "role": role,
                                  "password_hash": pw_hash, "active": True, "failed_sign_ins": 0,
                                  "created_at": t0, "updated_at": t0, "updated_by": "system", "version": 1})
        self._settings()
        self._production()
        self._catalog()
        self._customers()
        self._priorities()

    def _settings(self) -> None:
        t0 = self.setup_ts
        values = [
            ("firm_name", FIRM_NAME, "Name printed on documents"),
            ("firm_address", {"line1": "Units 3-5, Canal Side Works", "line2": "Wharf Road", "city": "Rotherham",
                              "postcode": "S60 1BW", "country": "GB"}, "Address printed on documents"),
            ("firm_phone", "01709 496 0140", "Telephone printed on documents"),
            ("firm_email", "orders@northbeam-steel.example", "E-mail printed on documents"),
            ("company_number", "09876543", "Companies House registration number"),
            ("vat_number", "GB 987 6543 21", "VAT registration number"),
            ("bank_details", {"bank": "Yorkshire Commercial Bank", "account_name": FIRM_NAME,
                              "sort_code": "40-12-76", "account_number": "31926819",
                              "iban": "GB29 NWBK 6016 1331 9268 19", "bic": "NWBKGB2L"},
             "Bank details printed on invoices"),
            ("currency", "GBP", "Currency of all amounts"),
            ("default_tax_rate", 0.20, "VAT rate for new products and lines"),
            ("default_payment_terms_days", 30, "Payment terms for new customers"),
            ("margin_floor", 0.18, "Orders below this margin need management approval"),
            ("excess_cover_months", 6, "Stock cover above this many months of demand counts as excess"),
            ("refund_target_business_days", 3, "Refunds are to be paid within this many business days"),
            ("country", FIRM_COUNTRY, "The firm's country: its public holidays are the firm's"),
            ("region", FIRM_REGION, "Region for regional public holidays"),
            ("time_zone", FIRM_ZONE, "The firm's time zone"),
            ("demo_company", True, "This database is the demo company (the sign-in dialog shows its users)"),
        ]
        for key, value, desc in values:  # keyed by name: no id column
            self.rows["setting"].append({"key": key, "value": value, "description": desc, "created_at": t0,
                                         "updated_at": t0, "updated_by": "admin", "version": 1})

    def _production(self) -> None:
        t0 = self.setup_ts
        common = {"version": 1, "updated_at": t0, "updated_by": "production"}
        self.add("work_calendar", {"name": "Standard week (Mon-Fri 07:00-16:00)", **common})
        self.add("work_calendar", {"name": "Two shifts (Mon-Fri 06:00-22:00)", **common})
        for wd in range(5):
            self.add("calendar_hours", {"calendar_id": 1, "weekday": wd, "start_minute": 420, "end_minute": 960})
            self.add("calendar_hours", {"calendar_id": 2, "weekday": wd, "start_minute": 360, "end_minute": 1320})
        # Public holidays come from the firm calendar (country GB, region ENG), not from here. One
        # Saturday morning of overtime on the standard calendar, two weeks ahead or the first
        # Saturday after that which is no public holiday.
        self.add("calendar_exception", {"calendar_id": 1, "day": overtime_saturday(self.today),
                                        "working_minutes": 240, "note": "Saturday overtime (welding backlog)"})
        for code, name, rate, cal in WORK_CENTERS:
            self.add("work_center", {"code": code, "name": name, "calendar_id": cal, "hourly_rate": Decimal(rate),
                                     "active": True, **common})
        for code, name in SKILLS:
            self.add("skill", {"code": code, "name": name})
        shift_id = {}
        for name, start, end in SHIFTS:
            shift_id[name] = self.add("shift", {"name": name, "start_minute": start, "end_minute": end,
                                                "weekdays": 0b0011111, **common})
        for code, name, shift, rate, hours, skills in STAFF:
            sid = self.add("staff", {"code": code, "name": name, "shift_id": shift_id[shift],
                                     "hourly_rate": Decimal(rate), "hours_per_week": Decimal(hours),
                                     "user_id": None, "active": True, **common})
            for skill, level in skills:
                self.rows["staff_skill"].append({"staff_id": sid, "skill_id": SK[skill], "level": level})

    def _catalog(self) -> None:
        t0 = self.setup_ts
        common = {"version": 1, "updated_at": t0, "updated_by": "admin"}
        for code, name, inst, _season in FAMILIES:
            self.add("product_family", {"code": code, "name": name, "needs_installation": inst, **common})
        fam_id = {f[0]: i + 1 for i, f in enumerate(FAMILIES)}
        for code, name, unit, cost, stock, lead in MATERIALS:
            self.add("material", {"code": code, "name": name, "unit": unit, "unit_cost": Decimal(cost),
                                  "stock_on_hand": Decimal(stock), "lead_time_days": lead, **common})
        mat_cost = {m[0]: Decimal(m[3]) for m in MATERIALS}
        self.products: list[dict[str, Any]] = []
        rack: dict[str, int] = {}
        weld_toggle = 0
        for i, (sku, name, fam, kind, size, unit, _pop, mts, _cover, markup, buy) in enumerate(PRODUCTS):
            pid = i + 1
            s = Decimal(size)
            material = ZERO
            labour = ZERO
            if kind == "bought":
                material = Decimal(buy)
            else:
                for mcode, qty in BOMS[kind]:
                    mq = (Decimal(str(qty)) * s).quantize(Decimal("0.001"))
                    material += mq * mat_cost[mcode]
                    self.add("bom_line", {"product_id": pid, "material_id": MAT[mcode], "quantity": mq})
                material = money(material)
                for seq, (op, wc, setup, run) in enumerate(ROUTINGS[kind], 1):
                    if wc == "WELD":
                        weld_toggle += 1
                        wc_code = "WELD1" if weld_toggle % 2 else "WELD2"
                        skill = "welding"
                    else:
                        wc_code, skill = wc, OP_SKILL[wc]
                    run_min = (Decimal(str(run)) * s).quantize(Decimal("0.1"))
                    labour += run_min / 60 * WC_RATE[wc_code]
                    self.add("routing_operation", {
                        "product_id": pid, "seq": seq * 10, "name": op, "work_center_id": WC[wc_code],
                        "skill_id": SK[skill], "setup_minutes": Decimal(setup), "run_minutes": run_min, **common})
            standard = money((material + labour) * OVERHEAD)
            list_price = money(Decimal(math.ceil(standard * Decimal(markup))))
            location = None
            if mts:
                aisle = AISLE[fam]
                rack[aisle] = rack.get(aisle, 0) + 1
                location = f"{aisle}-{(rack[aisle] + 1) // 2:02d}-{(rack[aisle] + 1) % 2 + 1}"
            needs_inst = fam == "SHS"
            lead_time = 0 if kind != "bought" else 10
            if not mts:
                lead_time = 10
            self.products.append({
                "id": pid, "sku": sku, "name": name, "family_id": fam_id[fam], "unit": unit,
                "list_price": list_price, "material_cost": material, "standard_cost": standard, "tax_rate": TAX,
                "stock_on_hand": ZERO, "stock_reserved": ZERO, "target_stock": ZERO, "max_stock": ZERO,
                "location": location, "lead_time_days": lead_time, "make_to_stock": mts,
                "needs_installation": needs_inst, "active": True, **common})
        self.rows["product"] = self.products
        # what order generation needs per product, as plain tuples
        self.p_kind = []
        for _sku, _n, _fam, kind, _s, _u, _pop, mts, *_rest in PRODUCTS:
            k = kind
            if kind == "bench" and not mts:
                k = "custom"
            self.p_kind.append(k)
        self.p_fam = [p[2] for p in PRODUCTS]
        self.p_mts = [p[7] for p in PRODUCTS]
        self.p_pop = [float(p[6]) for p in PRODUCTS]
        self.p_cover = [float(p[8]) for p in PRODUCTS]
        self.p_price = [p["list_price"] for p in self.products]
        self.p_cost = [p["standard_cost"] for p in self.products]
        self.p_break = {SKU[s] for s in BREAKS}
        for sku in BREAKS:
            for mq, disc in ((10, "0.0300"), (25, "0.0600"), (50, "0.1000")):
                self.add("price_break", {"product_id": SKU[sku] + 1, "min_quantity": self.q(mq),
                                         "discount": Decimal(disc)})
        # promotions: a past one and the active spring offer on shelving units
        self.promo_start = self.today - dt.timedelta(days=10)
        self.promo_end = self.today + dt.timedelta(days=40)
        last_year = self.today - dt.timedelta(days=365)
        self.add("promotion", {"name": "Workbench autumn offer", "product_id": None, "family_id": fam_id["WB"],
                               "discount": Decimal("0.0500"), "starts_on": last_year - dt.timedelta(days=30),
                               "ends_on": last_year + dt.timedelta(days=20),
                               "note": "5 % off all workbenches (ended)", **common})
        self.add("promotion", {"name": "Shelving season offer", "product_id": None, "family_id": fam_id["SHU"],
                               "discount": Decimal("0.0800"), "starts_on": self.promo_start,
                               "ends_on": self.promo_end,
                               "note": "8 % off every shelving unit while stock lasts", **common})

    def _customers(self) -> None:
        t0 = self.setup_ts
        rng = self.rng
        for i, (code, name, tier, strategic, sp, terms, credit, street, town, pc, phone) in enumerate(CUSTOMERS, 1):
            domain = "".join(ch for ch in name.lower().split(" ltd")[0].split(" plc")[0] if ch.isalnum())[:18]
            common = {"version": 1, "updated_at": t0, "updated_by": sp}
            self.add("customer", {
                "id": i, "code": code, "name": name, "tier": CustomerTier(tier), "strategic": strategic,
                "salesperson_id": UID[sp], "payment_terms_days": terms, "credit_limit": money(credit),
                "email": f"purchasing@{domain}.example", "phone": phone,
                "notes": "Strategic account: quarterly review with management." if strategic else None,
                "active": True, **common})
            self.add("address", {"customer_id": i, "kind": AddressKind.BILLING, "line1": "Accounts Payable",
                                 "line2": street, "postcode": pc, "city": town, "country": "GB", **common})
            self.add("address", {"customer_id": i, "kind": AddressKind.SHIPPING, "line1": f"Goods In, {street}",
                                 "line2": None, "postcode": pc, "city": town, "country": "GB", **common})
            if code in SITE_CUSTOMERS:
                self.add("address", {"customer_id": i, "kind": AddressKind.SITE,
                                     "line1": f"Warehouse {rng.randint(2, 6)}, {street}",
                                     "line2": "Site contact on arrival: ask at gatehouse", "postcode": pc,
                                     "city": town, "country": "GB", **common})
        self.c_terms = [c[5] for c in CUSTOMERS]
        self.c_sp = [UID[c[4]] for c in CUSTOMERS]
        self.c_spname = [c[4] for c in CUSTOMERS]

    def _priorities(self) -> None:
        t0 = self.setup_ts
        common = {"version": 1, "updated_at": t0, "updated_by": "management"}
        d = Decimal
        self.add("priority_profile", {"name": "Balanced", "active": True, "w_tier": d("0.25"), "w_strategic": d("0.15"),
                                      "w_slack": d("0.25"), "w_availability": d("0.10"), "w_value": d("0.10"),
                                      "w_margin": d("0.10"), "w_age": d("0.05"), **common})
        self.add("priority_profile", {"name": "Strategic customers first", "active": False, "w_tier": d("0.25"),
                                      "w_strategic": d("0.35"), "w_slack": d("0.15"), "w_availability": d("0.05"),
                                      "w_value": d("0.10"), "w_margin": d("0.05"), "w_age": d("0.05"), **common})
        self.add("expedite_quota", {"department": Role.MARKETING, "user_id": None, "per_month": 3, **common})
        self.add("expedite_quota", {"department": Role.SALES, "user_id": None, "per_month": 3, **common})

    # -- order specs -------------------------------------------------------------------------
    def _discount(self, pi: int, qty: int, day: dt.date) -> Decimal:
        disc = ZERO
        if pi in self.p_break:
            if qty >= 50:
                disc = Decimal("0.1000")
            elif qty >= 25:
                disc = Decimal("0.0600")
            elif qty >= 10:
                disc = Decimal("0.0300")
        if self.p_fam[pi] == "SHU" and self.promo_start <= day <= self.promo_end and disc < Decimal("0.08"):
            disc = Decimal("0.0800")
        return disc

    def history_specs(self, n: int) -> list[dict[str, Any]]:
        """``n`` random orders over the 24 months before today, seasonal, all finished."""
        rng = self.rng
        last = self.today - dt.timedelta(days=8)
        days = []
        weights = []
        d = self.hist_start
        fam_season = {f[0]: f[3] for f in FAMILIES}
        overall = [sum(f[3][m] for f in FAMILIES) / len(FAMILIES) for m in range(12)]
        while d <= last:
            if d.weekday() < 5:
                months = (_month_index(d) - _month_index(self.hist_start))
                days.append(d)
                weights.append(overall[d.month - 1] * (1 + 0.08 * months / 12))
            d += dt.timedelta(days=1)
        cum = []
        acc = 0.0
        for w in weights:
            acc += w
            cum.append(acc)
        picked = sorted(rng.choices(range(len(days)), cum_weights=cum, k=n))
        # product weights per calendar month, customer weights
        n_p = len(PRODUCTS)
        p_cum: list[list[float]] = []
        for m in range(12):
            acc, row = 0.0, []
            for pi in range(n_p):
                acc += self.p_pop[pi] * fam_season[self.p_fam[pi]][m]
                row.append(acc)
            p_cum.append(row)
        c_cum, acc = [], 0.0
        for c in CUSTOMERS:
            acc += TIER_WEIGHT[c[2]]
            c_cum.append(acc)
        c_idx = range(len(CUSTOMERS))
        p_idx = range(n_p)
        n_lines_choices = (1, 1, 1, 1, 2, 2, 2, 3, 3, 4)
        specs = []
        rand = rng.random
        for k in picked:
            day = days[k]
            ci = rng.choices(c_idx, cum_weights=c_cum)[0]
            n_lines = n_lines_choices[int(rand() * 10)]
            prods = rng.choices(p_idx, cum_weights=p_cum[day.month - 1], k=n_lines)
            seen: list[int] = []
            lines = []
            for pi in prods:
                if pi in seen:
                    continue
                seen.append(pi)
                choices = QTY_CHOICES[self.p_kind[pi]]
                lines.append((pi, choices[int(rand() * len(choices))], None))
            r = rand()
            status = OrderStatus.CLOSED
            if r < 0.08:
                status = OrderStatus.LOST
            elif r < 0.10:
                status = OrderStatus.CANCELLED
            specs.append({"day": day, "minute": 450 + int(rand() * 540), "ci": ci, "lines": lines,
                          "status": status, "from_quote": status is OrderStatus.LOST or rand() < 0.22})
        return specs

    def _open_qty(self, pi: int) -> int:
        """A modest quantity for an open order (the lower half of the product's usual range)."""
        choices = QTY_CHOICES[self.p_kind[pi]]
        return self.rng.choice(choices[:len(choices) // 2 + 1])

    def _pick_lines(self, stock_only: bool = False, mto: bool = False, n: int | None = None) -> list[tuple]:
        rng = self.rng
        n = n or rng.choice((1, 2, 2, 3, 3, 4))
        pool = [pi for pi in range(len(PRODUCTS)) if not stock_only or self.p_mts[pi]]
        weights = [self.p_pop[pi] for pi in pool]
        lines: list[tuple] = []
        used: set[int] = set()
        if mto:
            mto_pool = [pi for pi in range(len(PRODUCTS)) if not self.p_mts[pi] and self.p_fam[pi] != "SHS"]
            pi = rng.choice(mto_pool)
            used.add(pi)
            lines.append((pi, self._open_qty(pi), None))
        while len(lines) < n:
            pi = rng.choices(pool, weights=weights)[0]
            if pi in used:
                continue
            used.add(pi)
            lines.append((pi, self._open_qty(pi), None))
        return lines

    def open_specs(self) -> list[dict[str, Any]]:
        """About sixty open orders in every stage, plus the story orders, with dates around today."""
        rng, today = self.rng, self.today
        c_w = [TIER_WEIGHT[c[2]] for c in CUSTOMERS]
        not_story = [i for i, c in enumerate(CUSTOMERS) if c[0] not in ("HALDEN", "SHOWCS")]
        specs: list[dict[str, Any]] = []

        def cust() -> int:
            while True:
                ci = rng.choices(range(len(CUSTOMERS)), weights=c_w)[0]
                if ci in not_story:
                    return ci

        def back(days: int) -> dt.date:
            return _workday_back(today - dt.timedelta(days=days))

        def spec(status: OrderStatus, day: dt.date, ci: int, lines: list[tuple], **kw: Any) -> None:
            # orders still to ship are promised from today on (a few in production already late)
            mto = any(not self.p_mts[ln[0]] for ln in lines)
            if status in (OrderStatus.QUOTE, OrderStatus.CONFIRMED, OrderStatus.ON_HOLD):
                kw.setdefault("promise_in", rng.randrange(10, 22) if mto else rng.randrange(2, 9))
            elif status is OrderStatus.IN_PRODUCTION:
                kw.setdefault("promise_in", rng.choice((-2, -1, 1, 2, 3, 4, 6, 8, 10, 12, 15)))
            elif status in (OrderStatus.READY, OrderStatus.PARTIALLY_SHIPPED):
                kw.setdefault("promise_in", rng.randrange(0, 4) if not mto else rng.randrange(3, 10))
            specs.append({"day": min(day, today), "minute": 480 + rng.randrange(480), "ci": ci, "lines": lines,
                          "status": status, "from_quote": kw.pop("from_quote", rng.random() < 0.3), **kw})

        for _ in range(10):
            spec(OrderStatus.QUOTE, back(rng.randrange(0, 25)), cust(), self._pick_lines(), from_quote=True)
        # a quote whose discount needs management's approval (margin below the floor)
        spec(OrderStatus.QUOTE, back(1), CUST["BAYLIS"] - 1, [(SKU["SH-1500-5"], 30, Decimal("0.3500"))],
             from_quote=True, needs_approval=True)
        for i in range(11):
            spec(OrderStatus.CONFIRMED, back(rng.randrange(0, 10)), cust(), self._pick_lines(mto=i % 3 == 0))
        for _ in range(7):
            spec(OrderStatus.IN_PRODUCTION, back(rng.randrange(6, 25)), cust(), self._pick_lines(mto=True))
        for _ in range(6):
            spec(OrderStatus.READY, back(rng.randrange(1, 8)), cust(), self._pick_lines(stock_only=True))
        for _ in range(4):
            lines = self._pick_lines(stock_only=True, n=2) + self._pick_lines(mto=True, n=1)
            uniq = list({ln[0]: ln for ln in lines}.values())
            spec(OrderStatus.PARTIALLY_SHIPPED, back(rng.randrange(12, 25)), cust(), uniq,
                 ship_back=rng.randrange(2, 7))
        for _ in range(5):
            spec(OrderStatus.SHIPPED, back(rng.randrange(3, 15)), cust(), self._pick_lines(stock_only=True),
                 ship_back=rng.randrange(1, 4))
        for i in range(11):
            overdue = i < 4
            ship = rng.randrange(55, 85) if overdue else rng.randrange(4, 25)
            spec(OrderStatus.INVOICED, back(ship + rng.randrange(2, 8)), cust(),
                 self._pick_lines(stock_only=True), ship_back=ship, partially_paid=i == 5)
        for i in range(3):
            spec(OrderStatus.ON_HOLD, back(rng.randrange(5, 20)), cust(), self._pick_lines(mto=i == 2),
                 hold_reason=HOLD_REASONS[i])
        # story orders (SCENARIOS.md)
        hal, show = CUST["HALDEN"] - 1, CUST["SHOWCS"] - 1
        spec(OrderStatus.INVOICED, back(21), hal, [(SKU["SH-1500-5"], 8, None), (SKU["SP-SHELF-1200"], 10, None)],
             ship_back=18, story="rma2", customer_reference="HL-PO-55821")
        spec(OrderStatus.SHIPPED, back(30), hal, [(SKU["SYS-PR-2700"], 2, None), (SKU["SP-ANCHOR-M12"], 4, None)],
             ship_back=1, story="install", customer_reference="HL-PO-55902")
        spec(OrderStatus.IN_PRODUCTION, back(9), hal, [(SKU["WB-CUST"], 6, None), (SKU["SH-1200-5"], 20, None)],
             story="strategic", customer_reference="HL-PO-56010")
        spec(OrderStatus.CONFIRMED, back(4), show,
             [(SKU["WB-1800-STD"], 4, None), (SKU["MG-PNL-1000"], 12, None), (SKU["WB-CUST"], 2, None)],
             story="tradeshow", customer_reference="NEC stand - Logistics Show")
        return specs

    def pinned_history_specs(self) -> list[dict[str, Any]]:
        """Finished orders the stories refer to (debriefed installations, a claimed order)."""
        today = self.today
        hal, pen = CUST["HALDEN"] - 1, CUST["PENNIN"] - 1

        def back(days: int) -> dt.date:
            return _workday_back(today - dt.timedelta(days=days))

        return [
            {"day": back(48), "minute": 600, "ci": hal, "status": OrderStatus.CLOSED, "from_quote": False,
             "lines": [(SKU["SH-1200-5"], 10, None), (SKU["SH-1200-4"], 6, None)], "ship_back": 45,
             "pay_back": 6, "story": "rma1", "customer_reference": "HL-PO-55410"},
            {"day": back(140), "minute": 560, "ci": hal, "status": OrderStatus.CLOSED, "from_quote": True,
             "lines": [(SKU["SYS-ARC-10"], 1, None), (SKU["SP-ANCHOR-M12"], 3, None)], "ship_back": 118,
             "story": "debrief_halden", "customer_reference": "HL-PO-52233"},
            {"day": back(235), "minute": 620, "ci": pen, "status": OrderStatus.CLOSED, "from_quote": True,
             "lines": [(SKU["SYS-MOB-1200"], 2, None), (SKU["SP-ANCHOR-M12"], 2, None)], "ship_back": 212,
             "story": "debrief_pennine", "customer_reference": "PF/4471"},
        ]

    # -- orders ------------------------------------------------------------------------------
    def materialize(self, specs: list[dict[str, Any]], progress: Callable[[float], None] | None) -> None:
        rng, today = self.rng, self.today
        rand = rng.random
        specs.sort(key=lambda s: (s["day"], s["minute"]))
        orders, lines_out = self.rows["sales_order"], self.rows["sales_order_line"]
        shipments, ship_lines = self.rows["shipment"], self.rows["shipment_line"]
        invoices, inv_lines, payments = self.rows["invoice"], self.rows["invoice_line"], self.rows["payment"]
        timeline = self.rows["timeline_event"]
        pick_lists, pick_lines = self.rows["pick_list"], self.rows["pick_list_line"]
        packages = self.rows["package"]
        demand: dict[tuple[int, int], list] = {}
        hist_lo, hist_hi = _month_index(self.hist_start), _month_index(self.cur_month)
        reserved = [ZERO] * len(PRODUCTS)
        hal = CUST["HALDEN"] - 1
        self.story: dict[str, int] = {}
        self.order_info: list[tuple] = []  # (order id, ci, status, ship_day, invoice id, first line id)
        p_price, p_cost, p_mts, p_names, p_skus = self.p_price, self.p_cost, self.p_mts, \
            [p["name"] for p in self.products], [p["sku"] for p in self.products]
        p_loc = [p["location"] for p in self.products]
        one_day, td = dt.timedelta(days=1), dt.timedelta
        # (product, discount, quantity) -> unit price, quantity, net, tax, cost of the line
        price_cache: dict[tuple[int, Decimal, int], tuple[Decimal, ...]] = {}
        disc_cache: dict[tuple[int, int, bool], Decimal] = {}
        promo_lo, promo_hi = self.promo_start, self.promo_end
        p_desc = [f"{sku} {name}" for sku, name in zip(p_skus, p_names)]
        days_td = [td(days=i) for i in range(400)]
        hours_td = [td(hours=i) for i in range(24)]
        delivered_before = today - td(days=3)
        ship_cap = today - one_day
        to_confirm = (td(minutes=25), td(days=2, minutes=35))
        mid = self._midnight
        mins = _MINUTES
        ZERO_ = ZERO
        S = OrderStatus
        # per status: open?, kind, has shipment, all lines shipped, invoiced, reserves stock
        flags = {st: (st in OPEN_STATUSES,
                      OrderKind.QUOTE if st in (S.QUOTE, S.LOST) else OrderKind.ORDER,
                      st in (S.PARTIALLY_SHIPPED, S.SHIPPED, S.INVOICED, S.CLOSED),
                      st in (S.SHIPPED, S.INVOICED, S.CLOSED),
                      st in (S.INVOICED, S.CLOSED),
                      st in (S.CONFIRMED, S.IN_PRODUCTION, S.READY, S.ON_HOLD, S.PARTIALLY_SHIPPED))
                 for st in OrderStatus}
        c_terms, c_spname, c_sp = self.c_terms, self.c_spname, self.c_sp
        seq = self.seq
        now_ts = self.now_ts
        story = self.story
        order_info = self.order_info
        due_cache: dict[tuple[dt.date, int], dt.date] = {}

        def due_of(day0: dt.date, days: int) -> dt.date:
            # one date object per distinct due date: the insert converts each object once
            d1 = due_cache.get((day0, days))
            if d1 is None:
                d1 = due_cache[(day0, days)] = day0 + days_td[days]
            return d1

        inv_status, inv_paid, inv_updated = INV["status"], INV["paid"], INV["updated_at"]
        for d0 in {sp["day"] for sp in specs}:
            self.midnight(d0)
        line_id = len(lines_out)
        n_specs = len(specs)
        for n, s in enumerate(specs):
            if progress is not None and n % 5000 == 0:
                progress(0.10 + 0.45 * n / n_specs)
            oid = len(orders) + 1
            ci, status, day = s["ci"], s["status"], s["day"]
            is_open, kind, has_shipment, ships_all, is_invoiced, reserves = flags[status]
            terms = c_terms[ci]
            sp_name = c_spname[ci]
            track = is_open or ci == hal or "story" in s
            from_quote = s["from_quote"]
            if kind is OrderKind.QUOTE:  # a confirmed order carries its SO- number, as orders.confirm gives
                seq["quote"] += 1
                number = f"Q-{seq['quote']:06d}"
            else:
                seq["order"] += 1
                number = f"SO-{seq['order']:06d}"
            created = mid[day] + mins[s["minute"]]
            confirmed_at = None
            if kind is OrderKind.ORDER:
                confirmed_at = created + to_confirm[from_quote]
            has_mto = False
            for ln in s["lines"]:
                if not p_mts[ln[0]]:
                    has_mto = True
                    break
            lead = 21 if has_mto else 4
            if "promise_in" in s:  # open orders: promised relative to today
                promise_in = s["promise_in"]
                promise = (_workday(today + days_td[promise_in]) if promise_in >= 0
                           else _workday_back(today - days_td[-promise_in]))
                requested = max(day + one_day, _workday_back(promise - days_td[int(rand() * 6)]))
            else:
                promise = _workday(day + days_td[lead])
                requested = _workday(day + days_td[lead + int(rand() * 10) - 3])
            # ship / invoice / pay days
            ship_day = pay_day = None
            if has_shipment:
                if "ship_back" in s:
                    ship_day = _workday_back(today - days_td[s["ship_back"]])
                else:
                    late = rand() < 0.12
                    extra = (1 + int(rand() * 6)) if late else -int(rand() * (lead // 2 + 1))
                    ship_day = _workday(day + days_td[max(1, lead + extra)])
                    if ship_day >= ship_cap:  # would ship after today: somewhere before instead
                        ship_day = _workday_back(day + days_td[1 + int(rand() * ((ship_cap - day).days - 1))])
                    if ship_day < day:
                        ship_day = day
            if status is S.CLOSED:
                if "pay_back" in s:
                    pay_day = today - days_td[s["pay_back"]]
                else:
                    pay_day = _workday(ship_day + days_td[terms + int(rand() * 21) - 6])
                    if pay_day >= today:  # not due yet: this customer paid early
                        pay_day = _workday_back(ship_day + days_td[1 + int(rand() * ((today - ship_day).days - 1))])
                if pay_day <= ship_day:
                    pay_day = ship_day + one_day if ship_day + one_day < today else ship_day
            if "story" in s:
                story[s["story"]] = oid
            # lines
            tot_net = tot_tax = tot_cost = ZERO
            o_lines = []
            n_lines = len(s["lines"])
            line_promise = promise if kind is OrderKind.ORDER else None
            for ln_no, (pi, qty, disc) in enumerate(s["lines"], 1):
                line_id += 1
                if disc is None:
                    dkey = (pi, qty, promo_lo <= day <= promo_hi)
                    disc = disc_cache.get(dkey)
                    if disc is None:
                        disc = disc_cache[dkey] = self._discount(pi, qty, day)
                key = (pi, disc, qty)
                priced = price_cache.get(key)
                if priced is None:
                    unit_price = money(p_price[pi] * (1 - disc))
                    dq = self.q(qty)
                    net = money(dq * unit_price)
                    priced = price_cache[key] = (unit_price, dq, net, money(net * TAX), money(dq * p_cost[pi]))
                unit_price, dq, net, tax, cost = priced
                mts = p_mts[pi]
                tot_net += net
                tot_tax += tax
                tot_cost += cost
                shipped = ZERO_
                if ships_all or (has_shipment and mts and ln_no < n_lines):  # partly shipped: stock lines
                    shipped = dq
                res = ZERO_
                if reserves and mts and shipped < dq:
                    res = dq - shipped
                    reserved[pi] += res
                o_lines.append((line_id, pi, dq, unit_price, net, tax, shipped))
                lines_out.append((  # LAYOUTS["sales_order_line"]
                    line_id, oid, ln_no, pi + 1, dq, p_price[pi], disc, unit_price,
                    "Special discount agreed" if disc >= BIG_DISCOUNT else None,
                    TAX, p_cost[pi], line_promise, res, shipped, shipped, dq if is_invoiced else ZERO_,
                    1, created, sp_name))
            last_ts = confirmed_at or created
            last_by = sp_name
            if track:
                timeline.append({"customer_id": ci + 1, "order_id": oid, "at": created, "stage": Stage.ORDERS,
                                 "kind": "quote_created" if kind is OrderKind.QUOTE or s["from_quote"] else "created",
                                 "summary": f"{'Quote' if number[0] == 'Q' else 'Order'} {number} entered, "
                                            f"{len(o_lines)} line(s), net {tot_net:,}",
                                 "user": sp_name, "ref_table": "sales_order", "ref_id": oid})
                if confirmed_at is not None:
                    timeline.append({"customer_id": ci + 1, "order_id": oid, "at": confirmed_at,
                                     "stage": Stage.ORDERS, "kind": "confirmed",
                                     "summary": f"Order {number} confirmed, promised for {promise:%d %b %Y}",
                                     "user": sp_name, "ref_table": "sales_order", "ref_id": oid})
            ship_id = inv_id = None
            if ship_day is not None:
                ship_mid = mid.get(ship_day) or self.midnight(ship_day)
                shipped_at = ship_mid + mins[780 + int(rand() * 180)]
                carrier, prefix = CARRIERS[int(rand() * len(CARRIERS))]
                ship_id = len(shipments) + 1
                shipments.append([  # LAYOUTS["shipment"]
                    ship_id, None, oid,
                    ShipmentStatus.DELIVERED if ship_day < delivered_before else ShipmentStatus.SHIPPED,
                    carrier, None if carrier == "Own van" else f"{prefix}{int(rand() * 1e9):09d}",
                    shipped_at, "shipping", None, shipped_at - hours_td[3], 1, shipped_at, "shipping"])
                for (lid, pi, _dq, _up, net, _tax, shipped) in o_lines:
                    if shipped:
                        ship_lines.append((len(ship_lines) + 1, ship_id, lid, shipped))
                        mi = ship_day.year * 12 + ship_day.month - 1
                        if hist_lo <= mi < hist_hi:
                            key2 = (pi, mi)
                            acc = demand.get(key2)
                            if acc is None:
                                demand[key2] = [shipped, net]
                            else:
                                acc[0] += shipped
                                acc[1] += net
                last_ts, last_by = shipped_at, "shipping"
                if is_open:
                    pl_id = len(pick_lists) + 1
                    pick_lists.append({"id": pl_id, "number": None, "status": PickListStatus.PICKED,
                                       "created_by": "shipping", "picked_by": "shipping",
                                       "picked_at": shipped_at - td(hours=2),
                                       "created_at": shipped_at - td(hours=4), "version": 1,
                                       "updated_at": shipped_at - td(hours=2), "updated_by": "shipping"})
                    for (lid, pi, _dq, _up, _net, _tax, shipped) in o_lines:
                        if shipped:
                            pick_lines.append({"id": len(pick_lines) + 1, "pick_list_id": pl_id,
                                               "order_line_id": lid, "location": p_loc[pi],
                                               "qty_to_pick": shipped, "qty_picked": shipped})
                    packages.append({"id": len(packages) + 1, "shipment_id": ship_id,
                                     "weight_kg": Decimal(40 + int(rand() * 400)), "dimensions": "1200×1000×900 pallet"})
                if track:
                    timeline.append({"customer_id": ci + 1, "order_id": oid, "at": shipped_at,
                                     "stage": Stage.SHIPPING, "kind": "shipped",
                                     "summary": f"Shipped {number} with {carrier}", "user": "shipping",
                                     "ref_table": "shipment", "ref_id": ship_id})
                if is_invoiced:
                    inv_id = len(invoices) + 1
                    gross = tot_net + tot_tax
                    issued_at = shipped_at + hours_td[2]
                    due = due_of(ship_day, terms)
                    inv = [inv_id, None, ci + 1, oid, ship_day, due, InvoiceStatus.ISSUED,  # LAYOUTS["invoice"]
                           tot_net, tot_tax, ZERO, "finance", issued_at, 1, issued_at, "finance"]
                    invoices.append(inv)
                    for (lid, pi, dq, up, net, _tax, _sh) in o_lines:
                        inv_lines.append((len(inv_lines) + 1, inv_id, lid, p_desc[pi], dq, up, TAX, net))
                    last_ts, last_by = issued_at, "finance"
                    if track:
                        timeline.append({"customer_id": ci + 1, "order_id": oid, "at": issued_at,
                                         "stage": Stage.BILLING, "kind": "invoiced",
                                         "summary": f"Invoice for {number}: {gross:,} due "
                                                    f"{due:%d %b %Y}",
                                         "user": "finance", "ref_table": "invoice", "ref_id": inv_id})
                    amount = None
                    if pay_day is not None:
                        amount = gross
                        inv[inv_status] = InvoiceStatus.PAID
                    elif s.get("partially_paid"):
                        amount = money(gross * Decimal("0.4"))
                        pay_day = min(ship_day + td(days=terms // 2), today - one_day)
                        inv[inv_status] = InvoiceStatus.PARTIALLY_PAID
                    if amount is not None:
                        paid_at = (mid.get(pay_day) or self.midnight(pay_day)) + mins[600]
                        inv[inv_paid] = amount
                        inv[inv_updated] = paid_at
                        payments.append((len(payments) + 1, inv_id, amount, pay_day, "bank transfer",
                                         f"Remittance {number}", "finance", paid_at))
                        last_ts = paid_at
                        if track:
                            timeline.append({"customer_id": ci + 1, "order_id": oid, "at": paid_at,
                                             "stage": Stage.BILLING, "kind": "payment",
                                             "summary": f"Payment of {amount:,} received for {number}",
                                             "user": "finance", "ref_table": "payment",
                                             "ref_id": len(payments)})
            elif status is OrderStatus.CANCELLED:
                last_ts = created + td(days=3)
            elif status is OrderStatus.LOST:
                last_ts = created + td(days=14)
            if track and status is OrderStatus.IN_PRODUCTION:
                timeline.append({"customer_id": ci + 1, "order_id": oid, "at": confirmed_at + td(days=2),
                                 "stage": Stage.SCHEDULE, "kind": "released",
                                 "summary": f"{number} released to the workshop", "user": "production",
                                 "ref_table": "sales_order", "ref_id": oid})
            if track and status is OrderStatus.ON_HOLD:
                timeline.append({"customer_id": ci + 1, "order_id": oid, "at": confirmed_at + td(hours=3),
                                 "stage": Stage.ORDERS, "kind": "on_hold",
                                 "summary": f"{number} put on hold: {s['hold_reason']}",
                                 "user": "finance" if "Credit" in s["hold_reason"] else sp_name,
                                 "ref_table": "sales_order", "ref_id": oid})
            if last_ts > now_ts:
                last_ts = now_ts
            needs_approval = bool(s.get("needs_approval"))
            orders.append((  # LAYOUTS["sales_order"]
                oid, number, kind, status, ci + 1, c_sp[ci], day, requested, promise,
                "Welding" if has_mto and kind is OrderKind.ORDER else None,
                s.get("customer_reference") or (
                    f"PO-{int(rand() * 90000) + 10000}" if kind is OrderKind.ORDER else None),
                tot_net, tot_tax, tot_cost, needs_approval, None, None, confirmed_at, s.get("hold_reason"),
                "Customer's project postponed" if status is OrderStatus.CANCELLED else None,
                None, created, 1, last_ts, last_by))
            order_info.append((oid, ci, status, ship_day, inv_id, o_lines))
        self.reserved = reserved
        self.demand = demand
        # gap-free numbers in date order: invoices (1..N), shipments, pick lists
        issue, number_at = INV["issue_date"], INV["number"]
        for i, inv in enumerate(sorted(invoices, key=lambda r: (r[issue], r[0])), 1):
            inv[number_at] = i
        shipped_at_, number_at = SH["shipped_at"], SH["number"]
        for i, sh in enumerate(sorted(shipments, key=lambda r: (r[shipped_at_], r[0])), 1):
            sh[number_at] = f"SH-{i:06d}"
        for i, pl in enumerate(pick_lists, 1):
            pl["number"] = f"PL-{i:06d}"

    # -- stock, demand history, forecasts ----------------------------------------------------
    def stock_and_planning(self) -> None:
        rng = self.rng
        months = [_add_months(self.hist_start, k) for k in range(24)]
        hist_lo = _month_index(self.hist_start)
        demand = self.demand
        dh = self.rows["demand_history"]
        monthly: list[list[int]] = []
        for pi in range(len(PRODUCTS)):
            series = []
            for k, m in enumerate(months):
                qty, rev = demand.get((pi, hist_lo + k), (ZERO, ZERO))
                dh.append({"id": len(dh) + 1, "product_id": pi + 1, "period_start": m, "quantity": qty,
                           "revenue": money(rev)})
                series.append(int(qty))
            monthly.append(series)
        # forecasts: past 12 months signed off (bias: marketing +18 %, production -7 %), this
        # month signed off, next 12 months open with marketing inflating and production cutting
        fc = self.rows["forecast"]
        for pi in range(len(PRODUCTS)):
            series = monthly[pi]
            shelving = self.p_fam[pi] in ("SHU", "SHS")
            for k in range(-12, 13):
                period = _add_months(self.cur_month, k)
                same_month = [series[j] for j in range(24) if months[j].month == period.month]
                if k < 0:
                    prev = series[12 + k]  # the same month a year earlier
                    baseline = round(prev * 1.05)
                    actual = series[24 + k]
                    mkt = round(actual * 1.18 * (0.95 + 0.10 * rng.random()))
                    prod = round(actual * 0.93 * (0.97 + 0.06 * rng.random()))
                else:
                    baseline = round(sum(same_month) / max(len(same_month), 1) * 1.06)
                    if k > 0 and period.month == 3 and PRODUCTS[pi][0] in SPRING_PROJECTS:
                        # story 1: the warehouse season — system installations peak in March, and
                        # welding (three welders) cannot make their frames in time
                        # (sized for a March of 23 working days; Easter takes two of them some years)
                        baseline = round(SPRING_PROJECTS[PRODUCTS[pi][0]] * _working_days(period) / 23)
                    if k == 0:
                        mkt, prod = round(baseline * 1.18), round(baseline * 0.93)
                    else:
                        up = (1.20 if k <= 3 else 1.15) if shelving else 1.08
                        down = 0.90 if k <= 3 else 0.93
                        mkt = round(baseline * up * (0.99 + 0.02 * rng.random()))
                        prod = round(baseline * down * (0.99 + 0.02 * rng.random()))
                entered = self.ts(_workday_back(period - dt.timedelta(days=24)), 10 * 60)
                if k > 0:
                    entered = self.ts(_workday_back(self.today - dt.timedelta(days=3)), 10 * 60 + pi)
                signed = k <= 0
                sign_ts = self.ts(_workday_back(period - dt.timedelta(days=12)), 15 * 60)
                fc.append({
                    "id": len(fc) + 1, "product_id": pi + 1, "period_start": period, "granularity": "month",
                    "baseline_qty": self.q(baseline), "baseline_method": "seasonal naive, 2 years, +trend",
                    "marketing_qty": self.q(mkt), "marketing_by": "marketing", "marketing_at": entered,
                    "production_qty": self.q(prod), "production_by": "production",
                    "production_at": entered + dt.timedelta(hours=26),
                    "consensus_qty": self.q(round((mkt + prod) / 2)) if signed else None,
                    "status": ForecastStatus.SIGNED_OFF if signed else ForecastStatus.OPEN,
                    "marketing_signed_by": "marketing" if signed else None,
                    "marketing_signed_at": sign_ts if signed else None,
                    "production_signed_by": "production" if signed else None,
                    "production_signed_at": sign_ts + dt.timedelta(minutes=20) if signed else None,
                    "version": 1, "updated_at": sign_ts + dt.timedelta(minutes=20) if signed else
                    entered + dt.timedelta(hours=26),
                    "updated_by": "production"})

        # stock: free stock (on hand - reserved) sized in months of the demand the hints expect
        # (the next six months of forecast: marketing's figures while no consensus is set); what
        # open orders reserve comes on top. Ordinary stock items hold about their target, never
        # a quarter above it, so only the products meant to be in excess are (story 2).
        ahead = {pi: [] for pi in range(len(PRODUCTS))}
        first, last = _add_months(self.cur_month, 1), _add_months(self.cur_month, 7)
        for f in self.rows["forecast"]:
            if first <= f["period_start"] < last:
                ahead[f["product_id"] - 1].append(f["marketing_qty"])
        for pi, p in enumerate(self.products):
            mean = sum(monthly[pi]) / 24
            expected = float(sum(ahead[pi]) / len(ahead[pi])) if ahead[pi] else 0.0
            res = self.reserved[pi]
            p["stock_reserved"] = res
            if not self.p_mts[pi]:
                continue
            cover = self.p_cover[pi]
            excess = cover > 6
            target = max(math.ceil(mean * (1.0 if excess else 1.5)), 2)
            p["target_stock"] = self.q(target)
            p["max_stock"] = self.q(max(math.ceil(mean * 3), 5))
            if excess:
                free = math.ceil(expected * cover)
            elif expected <= 0:
                free = 0  # nothing expected to sell: nothing kept free
            else:
                share = min(max(cover / 1.5, 0.3), 1.15) * (0.95 + 0.1 * rng.random())
                free = min(int(target * share), target + math.ceil(max(1.0, 0.25 * target)) - 1)
                free = max(free, 1)
            p["stock_on_hand"] = self.q(free) + res
        # opening stock as one counted movement per stocked product
        for p in self.products:
            if p["stock_on_hand"] > 0:
                self.add("stock_movement", {"product_id": p["id"], "at": self.ts(self.today, 6 * 60),
                                            "quantity": p["stock_on_hand"], "reason": "count",
                                            "reference": "Opening stock count", "user": "shipping"})

    # -- the stories -------------------------------------------------------------------------
    def stories(self) -> None:
        today, td = self.today, dt.timedelta
        info = {oi[0]: oi for oi in self.order_info}
        orders = self.rows["sales_order"]
        timeline = self.rows["timeline_event"]
        month_start = self.cur_month

        def order(oid: int) -> dict[str, Any]:
            return dict(zip(LAYOUTS["sales_order"], orders[oid - 1]))

        def event(oid: int | None, ci: int, at: dt.datetime, stage: Stage, kind: str, summary: str, user: str,
                  ref_table: str | None, ref_id: int | None) -> None:
            timeline.append({"customer_id": ci + 1, "order_id": oid, "at": at, "stage": stage, "kind": kind,
                             "summary": summary, "user": user, "ref_table": ref_table, "ref_id": ref_id})

        # expedites: three by marketing this month (the quota is three), one by sales; older ones
        # (one of them on the story customer's strategic order, so it shows on its timeline)
        open_prod = [o[0] for o in orders if o[SO["status"]] in (OrderStatus.IN_PRODUCTION, OrderStatus.CONFIRMED)
                     and o[0] != self.story["tradeshow"] and o[0] != self.story["strategic"]]
        picks = open_prod[:4]
        days_in = (today - month_start).days
        plans = [
            ("marketing", Role.MARKETING, ExpediteStatus.ACCEPTED, "Key account reorder before their stock count",
             Decimal("4"), 0, 0),
            ("marketing", Role.MARKETING, ExpediteStatus.ACCEPTED, "Customer featured in our spring mailing",
             None, 1, 1),
            ("marketing", Role.MARKETING, ExpediteStatus.PENDING, "Showroom display needed for open day", None,
             None, None),
            ("sales", Role.SALES, ExpediteStatus.ACCEPTED, "Line-down at customer: guard panels missing",
             Decimal("2"), 0, 0),
        ]
        for k, (user, dept, status, reason, ot, so, sd) in enumerate(plans):
            oid = picks[k]
            req_day = month_start + td(days=min(days_in, [1, 3, 6, 2][k] * days_in // 7))
            at = self.ts(req_day, 9 * 60 + 15 * k)
            decided = status is not ExpediteStatus.PENDING
            promise = order(oid)["promise_date"]
            # accepted: the promise was moved to the requested date; pending: two working days earlier
            wanted = promise if decided else max(_workday_back(promise - td(days=2)), today + td(days=1))
            eid = self.add("expedite_request", {
                "order_id": oid, "requested_by": user, "department": dept, "requested_date": wanted,
                "reason": reason, "status": status, "over_quota": False, "management_by": None,
                "management_at": None, "decided_by": "production" if decided else None,
                "decided_at": at + td(hours=3) if decided else None,
                "decision_comment": ("Accepted with overtime" if ot else "Accepted; one order slips a day")
                if decided else None,
                "overtime_hours": ot, "slipped_orders": so, "slipped_days": sd,
                "created_at": at, "version": 1, "updated_at": at + td(hours=3) if decided else at,
                "updated_by": "production" if decided else user})
            o = order(oid)
            event(oid, o["customer_id"] - 1, at, Stage.PRIORITIES, "expedite_requested",
                  f"{user.capitalize()} asked to expedite {o['number']}: {reason}", user, "expedite_request", eid)
        # older expedites on finished orders, for the requesters' statistics
        closed_by_month: dict[int, list[int]] = {}
        for oid, _ci, status, _ship_day, _inv_id, _lines in self.order_info:
            if status is OrderStatus.CLOSED:
                closed_by_month.setdefault(_month_index(orders[oid - 1][SO["order_date"]]), []).append(oid)
        for back in (1, 2, 3):
            mi = _month_index(_add_months(month_start, -back))
            cands = closed_by_month.get(mi, [])
            # two months ago marketing asked a fourth time: over the quota, management agreed
            for j in range(min(len(cands), 5 if back == 2 else 3)):
                oid = cands[(j * 7 + back) % len(cands)]
                o = order(oid)
                user, dept = ("sales", Role.SALES) if j == 1 else ("marketing", Role.MARKETING)
                over = j == 4
                at = self.ts(o["order_date"], 11 * 60 + j)
                st = ExpediteStatus.DECLINED if (back == 3 and j == 2) else ExpediteStatus.ACCEPTED
                eid = self.add("expedite_request", {
                    "order_id": oid, "requested_by": user, "department": dept, "requested_date": o["order_date"] + td(days=10),
                    "reason": "Trade show stock" if user == "marketing" else "Customer deadline moved forward",
                    "status": st, "over_quota": over,
                    "management_by": "management" if over else None,
                    "management_at": at + td(hours=2) if over else None,
                    "decided_by": "production", "decided_at": at + td(hours=4),
                    "decision_comment": "Declined: would delay two strategic orders" if st is ExpediteStatus.DECLINED
                    else "Accepted", "overtime_hours": Decimal(j + 1) if st is ExpediteStatus.ACCEPTED else None,
                    "slipped_orders": j % 2, "slipped_days": j % 2,
                    "created_at": at, "version": 1, "updated_at": at + td(hours=4), "updated_by": "production"})
                if o["customer_id"] == CUST["HALDEN"]:
                    event(oid, o["customer_id"] - 1, at, Stage.PRIORITIES, "expedite_requested",
                          f"Expedite requested for {o['number']}", user, "expedite_request", eid)
        # the story customer's earlier order was expedited too (story 8: it is on their timeline)
        o = order(self.story["rma1"])
        at = self.ts(o["order_date"], 14 * 60)
        eid = self.add("expedite_request", {
            "order_id": o["id"], "requested_by": "sales", "department": Role.SALES,
            "requested_date": o["order_date"] + td(days=3), "reason": "Their stock count moved forward a week",
            "status": ExpediteStatus.ACCEPTED, "over_quota": False, "management_by": None, "management_at": None,
            "decided_by": "production", "decided_at": at + td(hours=2), "decision_comment": "Accepted",
            "overtime_hours": Decimal(0), "slipped_orders": 1, "slipped_days": 1, "created_at": at, "version": 1,
            "updated_at": at + td(hours=2), "updated_by": "production"})
        event(o["id"], o["customer_id"] - 1, at, Stage.PRIORITIES, "expedite_requested",
              f"Sales asked to expedite {o['number']}: their stock count moved forward a week", "sales",
              "expedite_request", eid)
        event(o["id"], o["customer_id"] - 1, at + td(hours=2), Stage.PRIORITIES, "expedite_decided",
              f"Production accepted the expedite of {o['number']}; one other order slipped a day", "production",
              "expedite_request", eid)
        # returns -------------------------------------------------------------------------
        cn_rows = self.rows["credit_note"]
        hal = CUST["HALDEN"] - 1
        recent_closed = [oi for oi in self.order_info if oi[2] is OrderStatus.CLOSED and oi[1] != hal
                         and oi[3] is not None and oi[3] >= today - td(days=120)]
        if len(recent_closed) < 3:
            recent_closed = [oi for oi in self.order_info if oi[2] is OrderStatus.CLOSED and oi[1] != hal]

        def rma(number: int, ci: int, status: RmaStatus, opened: dt.datetime, complaint: str, **kw: Any) -> int:
            return self.add("return_authorization", {
                "number": f"RMA-{number:06d}", "customer_id": ci + 1, "status": status, "channel": "phone",
                "opened_by": kw.pop("opened_by", "sales"), "complaint": complaint, "decided_by": None,
                "decided_at": None, "decision_reason": None, "return_method": None, "pickup_details": None,
                "received_at": None, "received_by": None, "created_at": opened, "version": 1,
                "updated_at": kw.pop("updated_at", opened), "updated_by": kw.pop("updated_by", "sales"), **kw})

        def credit(rma_id: int, inv_id: int, net: Decimal, day: dt.date, reason: str) -> tuple[int, Decimal]:
            tax = money(net * TAX)
            cid = self.add("credit_note", {"number": len(cn_rows) + 1, "invoice_id": inv_id, "rma_id": rma_id,
                                           "issue_date": day, "net": net, "tax": tax, "reason": reason,
                                           "issued_by": "finance", "created_at": self.ts(day, 11 * 60),
                                           "version": 1, "updated_at": self.ts(day, 11 * 60),
                                           "updated_by": "finance"})
            return cid, net + tax

        # 1. closed: restocked, refunded within two business days
        oi1 = recent_closed[0]
        lid, pi, dq, up, _net, _tax, _sh = oi1[5][0]
        opened = self.ts(_workday(oi1[3] + td(days=6)), 10 * 60)
        recv = _workday(opened.date() + td(days=5))
        paid_day = _add_business_days(recv, 2)
        r1 = rma(1, oi1[1], RmaStatus.CLOSED, opened, "Wrong colour delivered (RAL 5010 instead of 7035).",
                 decided_by="management", decided_at=opened + td(hours=4), decision_reason="Our error: accept",
                 return_method=ReturnMethod.CARRIER_PICKUP, pickup_details="Palletways collection booked",
                 received_at=self.ts(recv, 9 * 60), received_by="shipping",
                 updated_at=self.ts(paid_day, 15 * 60), updated_by="finance")
        self.add("return_line", {"rma_id": r1, "order_line_id": lid, "quantity": self.q(1),
                                 "reason": "Wrong colour", "condition": "As new, in original packing",
                                 "disposition": Disposition.RESTOCK})
        cid, amount = credit(r1, oi1[4], money(up), recv, f"RMA-000001: 1 × {self.products[pi]['sku']} returned")
        self.add("refund", {"credit_note_id": cid, "amount": amount, "status": RefundStatus.PAID,
                            "queued_at": self.ts(recv, 11 * 60), "due_by": _add_business_days(recv, 3),
                            "paid_at": self.ts(paid_day, 15 * 60), "paid_by": "finance",
                            "reference": "BACS refund", "created_at": self.ts(recv, 11 * 60), "version": 1,
                            "updated_at": self.ts(paid_day, 15 * 60), "updated_by": "finance"})
        # 2. refund queued to finance: scrapped on receipt
        oi2 = recent_closed[1]
        lid, pi, dq, up, _net, _tax, _sh = oi2[5][0]
        recv2 = _workday_back(today - td(days=1))
        opened2 = self.ts(_workday_back(recv2 - td(days=6)), 14 * 60)
        r2 = rma(2, oi2[1], RmaStatus.REFUND_QUEUED, opened2, "Unit dropped by the carrier, frame twisted.",
                 decided_by="management", decided_at=opened2 + td(hours=2), decision_reason="Carrier damage",
                 return_method=ReturnMethod.CARRIER_PICKUP, pickup_details="DHL Freight pickup, ref JD014600912",
                 received_at=self.ts(recv2, 9 * 60), received_by="shipping",
                 updated_at=self.ts(recv2, 11 * 60), updated_by="finance")
        self.add("return_line", {"rma_id": r2, "order_line_id": lid, "quantity": self.q(1),
                                 "reason": "Damaged in transit", "condition": "Frame twisted beyond repair",
                                 "disposition": Disposition.SCRAP})
        cid, amount = credit(r2, oi2[4], money(up), recv2, f"RMA-000002: 1 × {self.products[pi]['sku']} damaged")
        self.add("refund", {"credit_note_id": cid, "amount": amount, "status": RefundStatus.QUEUED,
                            "queued_at": self.ts(recv2, 11 * 60), "due_by": _add_business_days(recv2, 3),
                            "paid_at": None, "paid_by": None, "reference": None,
                            "created_at": self.ts(recv2, 11 * 60), "version": 1,
                            "updated_at": self.ts(recv2, 11 * 60), "updated_by": "finance"})
        # 3. approved, pickup booked
        oi3 = recent_closed[2]
        lid, pi, dq, up, _net, _tax, _sh = oi3[5][0]
        opened3 = self.ts(_workday_back(today - td(days=3)), 11 * 60)
        r3 = rma(3, oi3[1], RmaStatus.PICKUP_BOOKED, opened3, "Two shelves arrived scratched.",
                 decided_by="sales", decided_at=opened3 + td(hours=1), decision_reason="Cosmetic damage, replace",
                 return_method=ReturnMethod.CARRIER_PICKUP, pickup_details="DPD collection booked for Friday",
                 updated_at=opened3 + td(hours=2))
        self.add("return_line", {"rma_id": r3, "order_line_id": lid, "quantity": self.q(1),
                                 "reason": "Scratched", "condition": None, "disposition": None})
        # 4. story 6: the call that opens a claim over two orders of the story customer
        o_a, o_b = info[self.story["rma1"]], info[self.story["rma2"]]
        opened4 = self.ts(today, 8 * 60 + 40) if today.weekday() < 5 else self.now_ts
        r4 = rma(4, hal, RmaStatus.OPENED, opened4,
                 "Two shelving units from two deliveries arrived damaged: bent uprights.")
        self.add("return_line", {"rma_id": r4, "order_line_id": o_a[5][0][0], "quantity": self.q(1),
                                 "reason": "Arrived damaged (bent upright)", "condition": None, "disposition": None})
        self.add("return_line", {"rma_id": r4, "order_line_id": o_b[5][0][0], "quantity": self.q(1),
                                 "reason": "Arrived damaged (bent upright)", "condition": None, "disposition": None})
        for rid, oi, at, summ in ((r1, oi1, opened, "Return RMA-000001 opened"),
                                  (r2, oi2, opened2, "Return RMA-000002 opened"),
                                  (r3, oi3, opened3, "Return RMA-000003 opened"),
                                  (r4, o_a, opened4, "Return RMA-000004 opened: 2 shelving units damaged")):
            event(oi[0], oi[1], at, Stage.RETURNS, "return_opened", summ, "sales", "return_authorization", rid)
        event(oi1[0], oi1[1], self.ts(paid_day, 15 * 60), Stage.BILLING, "refund_paid",
              f"Refund of {self.rows['refund'][0]['amount']:,} paid (RMA-000001)", "finance", "refund", 1)
        event(oi2[0], oi2[1], self.ts(recv2, 11 * 60), Stage.BILLING, "refund_queued",
              f"Refund of {self.rows['refund'][1]['amount']:,} queued to finance (RMA-000002)", "finance",
              "refund", 2)
        # service ---------------------------------------------------------------------------

        def job(number: int, kind: ServiceKind, status: ServiceStatus, ci: int, oid: int | None, tech: int | None,
                start: dt.datetime | None, minutes: int, desc: str, created: dt.datetime, **kw: Any) -> int:
            return self.add("service_job", {
                "number": f"SJ-{number:06d}", "kind": kind, "status": status, "customer_id": ci + 1,
                "order_id": oid, "rma_id": None, "technician_id": tech, "scheduled_start": start,
                "scheduled_end": start + td(minutes=minutes) if start else None,
                "recurrence_months": kw.pop("recurrence", None), "description": desc,
                "minutes_spent": kw.pop("spent", 0), "materials_used": kw.pop("materials", None),
                "created_at": created, "version": 1, "updated_at": kw.pop("updated_at", created),
                "updated_by": kw.pop("updated_by", "service")})

        pen = CUST["PENNIN"] - 1
        done_specs = [("debrief_pennine", pen, 10, 4, "Mobile shelving installed; floor rails shimmed.",
                       None, "usability", "SP-ANCHOR-M12",
                       "Anchor bolts at the rail ends are awkward to reach with a standard socket."),
                      ("debrief_halden", hal, 8, 5, "Archive shelving installed in the records room.",
                       "Customer is opening a second warehouse next year and will need racking and shelving "
                       "for about 2,000 m².", "usability", "SP-ANCHOR-M12",
                       "Anchor bolts behind the base plate are hard to reach; needed a cranked spanner.")]
        n_job = 0
        for story_key, ci, tech, sat, work, situation, tag, sku, text_ in done_specs:
            oi = info[self.story[story_key]]
            n_job += 1
            day = _workday(oi[3] + td(days=7))
            start = self.ts(day, 8 * 60)
            created = (oi[3] and self.ts(oi[3], 16 * 60)) or start
            jid = job(n_job, ServiceKind.INSTALLATION, ServiceStatus.DEBRIEFED, ci, oi[0], tech, start, 480,
                      f"Install {self.products[oi[5][0][1]]['name']} on site", created, spent=450,
                      materials="Anchor bolts M12 × 16", updated_at=start + td(hours=9))
            did = self.add("service_debrief", {"job_id": jid, "filed_by": "service", "minutes_on_site": 450,
                                               "work_done": work, "situation": situation, "satisfaction": sat,
                                               "created_at": start + td(hours=9), "version": 1,
                                               "updated_at": start + td(hours=9), "updated_by": "service"})
            self.add("product_feedback", {"debrief_id": did, "product_id": SKU[sku] + 1, "tag": FeedbackTag(tag),
                                          "text": text_, "created_at": start + td(hours=9)})
            event(oi[0], ci, created, Stage.SERVICE, "service_job_created",
                  f"Installation job SJ-{n_job:06d} created", "shipping", "service_job", jid)
            event(oi[0], ci, start + td(hours=9), Stage.SERVICE, "debriefed",
                  f"SJ-{n_job:06d} debriefed: satisfaction {sat}/5", "service", "service_debrief", did)
            if situation:
                self.add("product_feedback", {"debrief_id": did, "product_id": SKU["SYS-ARC-10"] + 1,
                                              "tag": FeedbackTag.DOCUMENTATION,
                                              "text": "Assembly drawing does not show the bracing order.",
                                              "created_at": start + td(hours=9)})
                lead_id = self.add("lead", {"debrief_id": did, "customer_id": ci + 1, "salesperson_id": self.c_sp[ci],
                                            "kind": OpportunityKind.MORE_UNITS,
                                            "description": "Second warehouse next year: racking and shelving, "
                                                           "about 2,000 m²",
                                            "estimated_value": money(85000), "status": LeadStatus.NEW,
                                            "created_at": start + td(hours=9), "version": 1,
                                            "updated_at": start + td(hours=9), "updated_by": "service"})
                event(oi[0], ci, start + td(hours=9, minutes=1), Stage.SERVICE, "lead_created",
                      "Lead for the salesperson: second warehouse next year", "service", "lead", lead_id)
        # story 7: the shipped shelving system waits for an installer to be booked
        oi = info[self.story["install"]]
        n_job += 1
        created = self.ts(oi[3], 16 * 60)
        jid = job(n_job, ServiceKind.INSTALLATION, ServiceStatus.PLANNED, hal, oi[0], None, None, 0,
                  "Install pallet racking (2 bays) at the Leeds warehouse; anchor to slab.", created,
                  updated_by="shipping")
        event(oi[0], hal, created, Stage.SERVICE, "service_job_created",
              f"Installation job SJ-{n_job:06d} created on shipment", "shipping", "service_job", jid)
        # a scheduled yearly inspection for another customer
        n_job += 1
        start = self.ts(_workday(today + td(days=6)), 8 * 60)
        job(n_job, ServiceKind.MAINTENANCE, ServiceStatus.SCHEDULED, pen, None, 11, start, 240,
            "Annual racking inspection (SEMA-style), mobile shelving rails", self.now_ts - td(days=20),
            recurrence=12)
        # notes -----------------------------------------------------------------------------
        note_rows = [
            (hal, None, "sales", Stage.ORDERS, "Site contact Jo Whitfield, 0113 496 0199. Deliveries Mon-Fri "
             "before 10:00; forklift on site. Opening a second warehouse next year."),
            (CUST["SHOWCS"] - 1, self.story["tradeshow"], "marketing", Stage.PRIORITIES,
             "Stand build at the NEC starts on the 14th; everything must be on site the day before."),
            (hal, self.story["strategic"], "production", Stage.SCHEDULE,
             "Custom benches to drawing HL-WB-07 rev B; welding booked on station 1."),
        ]
        for row in orders:
            o = dict(zip(LAYOUTS["sales_order"], row))
            if o["status"] is OrderStatus.ON_HOLD and "Credit" in (o["hold_reason"] or ""):
                note_rows.append((o["customer_id"] - 1, o["id"], "finance", Stage.BILLING,
                                  "On credit hold: two invoices overdue. Release when paid."))
                break
        for ci, oid, author, stage, txt in note_rows:
            at = self.now_ts - td(days=2, hours=len(self.rows["note"]))
            self.add("note", {"customer_id": ci + 1, "order_id": oid, "author": author, "stage": stage,
                              "text": txt, "created_at": at, "version": 1, "updated_at": at,
                              "updated_by": author})
        # timeline ids in time order
        timeline.sort(key=lambda e: (e["at"], e["customer_id"], e["order_id"] or 0, e["kind"]))
        for i, e in enumerate(timeline, 1):
            e["id"] = i
        self.n_jobs = n_job
        self.n_rma = 4
        self.n_credit = len(cn_rows)

    def sequences(self) -> dict[str, int]:
        return {"order": self.seq["order"] + 1, "quote": self.seq["quote"] + 1,
                "invoice": len(self.rows["invoice"]) + 1, "credit_note": self.n_credit + 1,
                "shipment": len(self.rows["shipment"]) + 1, "pick_list": len(self.rows["pick_list"]) + 1,
                "rma": self.n_rma + 1, "service_job": self.n_jobs + 1}


# --------------------------------------------------------------------------------------------
# insertion
# --------------------------------------------------------------------------------------------

_HHMM = [f"{m // 60:02d}:{m % 60:02d}:00.000000" for m in range(1440)]


def _utc_text(proc: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """UTCDateTime's SQLite bind processor (UTC, naive, ``YYYY-MM-DD HH:MM:SS.ffffff``) for the
    whole-minute UTC timestamps the demo uses, from cached pieces; anything else goes to ``proc``.
    ``_insert_table`` checks it against ``proc`` before using it."""
    days: dict[int, str] = {}

    def run(value: Any) -> Any:
        if value is None or value.tzinfo is not UTC or value.second or value.microsecond:
            return proc(value)
        o = value.toordinal()
        d = days.get(o)
        if d is None:
            d = days[o] = f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
        return d + _HHMM[value.hour * 60 + value.minute]

    return run


class _Constant:
    """A column with the same value in every row of an insert."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _insert_table(conn: Any, table: Table, rows: list[Any], done: Callable[[int], None],
                  layout: tuple[str, ...] | None = None, constants: dict[str, Any] | None = None) -> None:
    """``insert(table)`` with ``rows`` (dicts, or tuples in ``layout`` order), executemany in chunks.

    On SQLite the statement is compiled once and the parameters are converted column by column
    with SQLAlchemy's own bind processors for each column type (once per distinct value object
    where the rows share them; timestamps through a cached formatter checked against
    SQLAlchemy's on each column), then handed to the driver's executemany: the same values in the
    file, several times faster than SQLAlchemy's per-row parameter processing. Other databases
    take the plain Core path.
    """
    stmt = insert(table)
    dialect = conn.dialect
    if not FAST_SQLITE or dialect.name != "sqlite" or dialect.paramstyle != "qmark":
        # a primary key given as None is left out, so the database numbers the rows
        shared = {key: value for key, value in (constants or {}).items()
                  if not (value is None and table.columns[key].primary_key)}
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            if layout is not None:
                chunk = [{**shared, **dict(zip(layout, r))} for r in chunk]
            conn.execute(stmt, chunk)
            done(len(chunk))
        return
    # columns that are NULL in every row are written as a NULL literal: the driver binds a None
    # through its adapter lookup, several times slower than any other value (measured: 25 None
    # parameters per row cost 5× as much as 25 floats)
    nulls = [key for key, value in (constants or {}).items() if value is None] if layout is not None else []
    if nulls:
        stmt = stmt.values({key: null() for key in nulls})
    keys = [c.key for c in table.columns if c.key not in nulls]
    compiled = stmt.compile(dialect=dialect, column_keys=keys)
    order = list(compiled.positiontup or [])
    if sorted(order) != sorted(keys):
        raise AssertionError(f"unexpected insert parameters for {table.name}: {order}")
    position = {key: i for i, key in enumerate(layout)} if layout is not None else {}
    getters = [operator.itemgetter(key) for key in order]

    def columns_of(chunk: list[Any]) -> list[Any]:
        if layout is None:
            return [list(map(get, chunk)) for get in getters]
        transposed = list(zip(*chunk))
        # a constant column: the value itself, converted once below and repeated
        return [transposed[position[key]] if key in position else _Constant(constants[key])  # type: ignore[index]
                for key in order]

    sql = compiled.string
    procs: list[tuple[Callable[[Any], Any] | None, bool]] | None = None
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        columns = columns_of(chunk)
        if procs is None:
            procs = []
            for key, values in zip(order, columns):
                col = table.columns[key]
                proc = col.type.dialect_impl(dialect).bind_processor(dialect)
                if isinstance(values, _Constant):
                    procs.append((proc, False))
                    continue
                if proc is not None and isinstance(col.type, UTCDateTime):
                    fast = _utc_text(proc)
                    sample = [v for v in values[:50] if v is not None]
                    proc = fast if all(fast(v) == proc(v) for v in sample) else proc
                # rows share value objects (prices, quantities, days, enums): such columns convert
                # each object once, keyed by identity (every value stays alive in ``rows``
                # meanwhile; hashing by value would cost more than converting)
                shared = proc is not None and len({id(v) for v in values[:2000]}) * 2 < len(values[:2000])
                procs.append((proc, shared))
        converted_columns: list[Any] = []
        for values, (proc, shared) in zip(columns, procs):
            if isinstance(values, _Constant):
                converted_columns.append(repeat(values.value if proc is None else proc(values.value)))
            elif proc is None:
                converted_columns.append(values)
            elif shared:
                distinct = dict(zip(map(id, values), values))
                converted = {k: proc(v) for k, v in distinct.items()}
                converted_columns.append(map(converted.__getitem__, map(id, values)))
            else:
                converted_columns.append(map(proc, values))
        conn.exec_driver_sql(sql, list(zip(*converted_columns)))
        done(len(chunk))


def _insert_all(conn: Any, rows: dict[str, list[Any]], fallback_ts: dt.datetime,
                progress: Callable[[float], None] | None) -> None:
    total = sum(len(r) for r in rows.values()) or 1
    count = [0]

    def done(n: int) -> None:
        count[0] += n
        if progress is not None:
            progress(0.6 + 0.38 * count[0] / total)

    deferred: list[str] = []
    if conn.dialect.name == "sqlite" and FAST_SQLITE:
        # big tables: drop their secondary indexes and recreate them from the very same SQL after
        # the load (SQLite builds an index from sorted keys much faster than row by row)
        big = [name for name, data in rows.items() if len(data) >= BIG_TABLE]
        for name in big:
            for index_name, sql in conn.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                    "AND sql IS NOT NULL ORDER BY name", (name,)).fetchall():
                conn.exec_driver_sql(f'DROP INDEX "{index_name}"')
                deferred.append(sql)
    for table in Base.metadata.sorted_tables:
        data = rows.get(table.name)
        if not data:
            continue
        template, required = _templates(table, fallback_ts)
        layout = LAYOUTS.get(table.name)
        if layout is not None:
            # columns added to the model since the layout was written take their defaults
            extra = set(table.columns.keys()) - set(layout)
            if set(layout) - set(table.columns.keys()) or extra & required or len(data[0]) != len(layout):
                raise AssertionError(f"demo layout for {table.name} does not match its columns")
            _insert_table(conn, table, data, done, layout, {key: template[key] for key in extra})
            continue
        ncols = len(table.columns)
        keys = set(template) | required
        fixed: list[dict[str, Any]] = []
        for r in data:
            if len(r) != ncols:
                r = {**template, **r}
            fixed.append(r)
        missing = required - set(fixed[0])
        extra = set(fixed[0]) - keys
        if missing or extra:
            raise AssertionError(f"demo rows for {table.name}: missing {sorted(missing)}, unknown {sorted(extra)}")
        _insert_table(conn, table, fixed, done)
    for sql in deferred:
        conn.exec_driver_sql(sql)


def _reset_pg_sequences(conn: Any) -> None:
    for table in Base.metadata.sorted_tables:
        col = table.columns.get("id")
        if col is None or not col.primary_key or not col.autoincrement:
            continue
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), COALESCE(MAX(id), 1), "
            f"MAX(id) IS NOT NULL) FROM \"{table.name}\""))


def _iter_progress(progress: Callable[[float], None] | None) -> Callable[[float], None] | None:
    if progress is None:
        return None
    last = [-1.0]

    def report(fraction: float) -> None:
        fraction = max(0.0, min(1.0, fraction))
        if fraction - last[0] >= 0.01 or fraction >= 1.0:
            last[0] = fraction
            progress(fraction)

    return report


def _announce(conn: Any, b: _Builder) -> None:
    """Move the change counter on, with a feed entry naming every table filled, so a desk that
    has this (empty) database open reloads everything."""
    current = conn.execute(select(ChangeCounter.value).where(ChangeCounter.id == 1)).scalar()
    top = conn.execute(select(func.max(ChangeFeed.seq))).scalar()
    seq = max(int(current or 0), int(top or 0)) + 1
    if current is None:
        conn.execute(insert(ChangeCounter).values(id=1, value=seq))
    else:
        conn.execute(update(ChangeCounter).where(ChangeCounter.id == 1).values(value=seq))
    conn.execute(insert(ChangeFeed).values(seq=seq, at=b.now_ts, username="system", workstation=None,
                                           tables=sorted(name for name, rows in b.rows.items() if rows),
                                           entities={}))


def _has_data(conn: Any) -> bool:
    return bool(conn.execute(select(func.count()).select_from(User)).scalar()
                or conn.execute(select(func.count()).select_from(Product)).scalar())


def build_rows(today: dt.date, *, orders: int | None = None, seed: int = 7, password_hash: str = "-",
               progress: Callable[[float], None] | None = None,
               phase: Callable[[str], None] | None = None) -> _Builder:
    """Every row of the demo company as of ``today``, in memory (no database): the reference data,
    order history, open orders, planning data and the stories. ``build_demo`` inserts them; the
    tests build them for every day of two years and check them against the schema's rules."""
    b = _Builder(seed, today)
    b.build_reference(password_hash)
    open_specs = b.open_specs()
    pinned = b.pinned_history_specs()
    n_hist = (orders - len(open_specs) - len(pinned)) if orders is not None else DEFAULT_HISTORY_ORDERS
    specs = b.history_specs(n_hist) + pinned + open_specs
    if phase:
        phase("specs")
    if progress:
        progress(0.1)
    b.materialize(specs, progress)
    if phase:
        phase("orders")
    b.stock_and_planning()
    b.stories()
    if phase:
        phase("planning+stories")
    return b


def _demo_password_hash(seed: int) -> str:
    """The demo users' password hash (``DEMO_PASSWORD``, scrypt as ``auth.hash_password`` writes it)
    with a salt made from the seed, not a random one: the audit chain records a digest of each
    user's hash, and the same seed and day must give the same database, chain included."""
    import base64
    import hashlib

    from app.services.auth import SCRYPT_P, SCRYPT_R

    n = 2**14
    salt = hashlib.sha256(f"OrderCycle demo company, seed {seed}".encode()).digest()[:16]
    digest = hashlib.scrypt(DEMO_PASSWORD.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def build_demo(db: Database, *, orders: int | None = None, seed: int = 7,
               progress: Callable[[float], None] | None = None) -> DemoSummary:
    """Fill an empty, freshly migrated database with the demo company as of the firm clock's today
    (``clock.pinned(day)`` builds it as of another day). Deterministic for (seed, today).

    ``orders`` is the total number of sales orders, history and open (at least 100); by default
    about 820. ``progress`` gets fractions 0..1 now and then. Raises UserError if the database
    already has users or products.
    """
    started = time.perf_counter()
    if orders is not None and orders < MIN_ORDERS:
        raise ValidationError(f"the demo company needs at least {MIN_ORDERS:,} orders", field="orders")
    today = clock.today()
    report = _iter_progress(progress)
    refusal = "The database already has data; choose a new file for the demo company."
    with db.engine.connect() as conn:
        busy = _has_data(conn)
        conn.rollback()
    if busy:
        raise UserError(refusal)
    if report:
        report(0.0)
    phases: list[tuple[str, float]] = []

    def phase(name: str) -> None:
        phases.append((name, time.perf_counter()))

    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of fresh rows: the cyclic collector would rescan them over and over
    try:
        b = build_rows(today, orders=orders, seed=seed, password_hash=_demo_password_hash(seed),
                       progress=report, phase=phase)
        if report:
            report(0.6)
        with write_engine(db.engine).connect() as conn:
            cache_size = None
            if conn.dialect.name == "sqlite":  # a big page cache for the load, put back afterwards
                cache_size = conn.exec_driver_sql("PRAGMA cache_size").scalar()
                conn.exec_driver_sql("PRAGMA cache_size = -262144")
                conn.commit()
            try:
                with conn.begin():
                    if _has_data(conn):  # someone filled it meanwhile
                        raise UserError(refusal)
                    _insert_all(conn, b.rows, b.now_ts, report)
                    for name, next_value in b.sequences().items():
                        conn.execute(update(NumberSequence).where(NumberSequence.name == name)
                                     .values(next_value=next_value))
                    _announce(conn, b)
                    if conn.dialect.name == "postgresql":
                        _reset_pg_sequences(conn)
                    # written without the unit of work: record the protected rows' state on the audit chain
                    from app.db import audit_chain

                    audit_chain.seal(conn, at=b.now_ts)
            finally:
                if cache_size is not None:
                    conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache_size)}")
                    conn.commit()
        phase("insert+commit")
        n_open = sum(1 for o in b.rows["sales_order"] if o[SO["status"]] in OPEN_STATUSES)
        summary = DemoSummary(products=len(b.rows["product"]), customers=len(b.rows["customer"]),
                              orders=len(b.rows["sales_order"]), open_orders=n_open,
                              users=len(b.rows["app_user"]), seconds=0.0)
        del b
        phase("free")
    finally:
        if gc_was_enabled:
            gc.enable()
    last = started
    for name, at in phases:
        log.info("demo %s: %.2f s", name, at - last)
        last = at
    if report:
        report(1.0)
    return dataclasses.replace(summary, seconds=round(time.perf_counter() - started, 3))


def build_demo_file(location: str, *, orders: int | None = None, seed: int = 7,
                    progress: Callable[[float], None] | None = None) -> DemoSummary:
    """The demo company in a new database at ``location``, all or nothing.

    A SQLite file is built beside its final place under a temporary name and moved into place
    only when complete, so a failure (a date rule, a full disk, a crash) leaves no file behind and
    the next start tries again. A file that exists already is refused: the demo never goes into a
    firm's data. A PostgreSQL database must be empty; the demo goes in in one transaction.
    """
    import os
    from pathlib import Path

    from app.db.engine import sqlite_path, to_url
    from app.db.open import open_database

    path = sqlite_path(to_url(location))
    if path is None:
        db = open_database(location)
        try:
            return build_demo(db, orders=orders, seed=seed, progress=progress)
        finally:
            db.dispose()
    path = Path(path)
    if path.exists():
        raise UserError(f"{path} exists already; the demo company is only built into a new file.",
                        hint="Choose another file name, or delete that file if it is an old demo.")
    tmp = path.with_name(f".{path.name}.building-{os.getpid()}")

    def clean() -> None:
        for leftover in path.parent.glob(f"{tmp.name}*"):
            try:
                leftover.unlink()
            except OSError:  # pragma: no cover - best effort
                log.warning("could not remove %s", leftover)

    clean()
    try:
        db = open_database(str(tmp))
        try:
            summary = build_demo(db, orders=orders, seed=seed, progress=progress)
        finally:
            db.dispose()
        if path.exists():  # another process made one meanwhile: keep theirs
            raise UserError(f"{path} was created by another program while the demo was being built.")
        os.replace(tmp, path)
    finally:
        clean()
    return summary
