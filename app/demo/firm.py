"""The demo firm's fixed data: Northbeam Steelworks Ltd's users, product families, materials,
bills of material, work centers, skills, routings, products, customers and staff.

Standard cost, as used throughout: ``material`` (sum of BOM quantity x material unit cost, or the
purchase price of a bought-in part) plus ``labour`` (sum over the routing of run minutes / 60 x
the work center's hourly rate; set-up is not spread over the unit) plus 15 % overhead on both:
``standard_cost = money((material + labour) * 1.15)``.
"""

from __future__ import annotations

from decimal import Decimal

from app.models.enums import Role

DEMO_PASSWORD = "demo1234"  # every demo user's password (documented in the README)
FIRM_NAME = "Northbeam Steelworks Ltd"
FIRM_COUNTRY, FIRM_REGION, FIRM_ZONE = "GB", "ENG", "Europe/London"
OVERHEAD = Decimal("1.15")
TAX = Decimal("0.2000")
BIG_DISCOUNT = Decimal("0.12")

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
    ("SP", "Spare parts & accessories", False,
     (1.00, 1.00, 1.10, 1.15, 1.10, 1.00, 0.95, 0.90, 1.00, 1.00, 1.00, 0.80)),
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
BOMS: dict[str, list[tuple[str, int | str]]] = {
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
ROUTINGS: dict[str, list[tuple[str, str, int, float]]] = {
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
ProductRow = tuple[str, str, str, str, str, str, int | str, bool, float, str, str | None]
PRODUCTS: list[ProductRow] = [
    ("SH-900-4", "Boltless shelving unit 900 × 4 shelves", "SHU", "unit", "0.85", "pcs", 6, True, 1.6, "1.75", None),
    ("SH-900-5", "Boltless shelving unit 900 × 5 shelves", "SHU", "unit", "0.95", "pcs", 5, True, 1.4, "1.75", None),
    ("SH-1200-4", "Boltless shelving unit 1200 × 4 shelves", "SHU", "unit", "1.05", "pcs", 7, True, 1.5, "1.75", None),
    ("SH-1200-5", "Heavy-duty shelving unit 1200 × 5 shelves", "SHU", "unit", "1.2", "pcs", 8, True, 9.0, "1.545",
     None),
    ("SH-1500-5", "Heavy-duty shelving unit 1500 × 5 shelves", "SHU", "unit", "1.4", "pcs", 5, True, 1.8, "1.75", None),
    ("SH-1800-6", "Long-span shelving unit 1800 × 6 shelves", "SHU", "unit", "1.8", "pcs", 3, True, 2.0, "1.8", None),
    ("SH-1200-5-GV", "Galvanised shelving unit 1200 × 5 shelves", "SHU", "unit", "1.3", "pcs", 3, True, 1.5, "1.85",
     None),
    ("SH-2400-4-LS", "Long-span shelving bay 2400 × 4 levels", "SHU", "unit", "2.3", "pcs", 2, True, 1.2, "1.8", None),
    ("SYS-PR-2700", "Pallet racking system, 2700 mm bays (per bay)", "SHS", "system", "1.0", "bay", 2, False, 0,
     "1.6", None),
    ("SYS-ARC-10", "Archive shelving system, 10 bays", "SHS", "system", "2.2", "set", 1, False, 0, "1.65", None),
    ("SYS-MOB-1200", "Mobile shelving system 1200, per run", "SHS", "system", "1.8", "run", "0.8", False, 0, "1.7",
     None),
    ("SYS-CANT-2000", "Cantilever racking system 2000, per bay", "SHS", "system", "1.4", "bay", "0.8", False, 0,
     "1.6", None),
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
    ("MG-ENC-CUST", "Custom machine enclosure (to survey)", "MG", "enclosure", "1.0", "set", "0.6", False, 0, "1.7",
     None),
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
    ("HALDEN", "Halden Logistics Ltd", "A", True, "sales", 45, 250000, "Unit 7, Stourton Link", "Leeds", "LS10 1QR",
     "0113 496 0101"),
    ("PENNIN", "Pennine Foods plc", "A", True, "sales2", 60, 200000, "Bowling Back Lane", "Bradford", "BD4 7TJ",
     "01632 960 102"),
    ("MARLOW", "Marlow Precision Engineering Ltd", "A", True, "sales", 45, 150000,
     "Attercliffe Works, Broughton Lane", "Sheffield", "S9 2RX", "0114 496 0103"),
    ("ATLAS", "Atlas Automotive Components Ltd", "A", False, "sales2", 60, 120000, "Whitley Business Park",
     "Coventry", "CV3 4LF", "01632 960 104"),
    ("KESTRL", "Kestrel Distribution Ltd", "A", False, "sales", 30, 100000, "Unit 12, Wheatley Hall Road",
     "Doncaster", "DN2 4PB", "01632 960 105"),
    ("BRIGHT", "Brightwater Retail Group Ltd", "A", False, "sales2", 45, 100000, "Trafford Park Road", "Manchester",
     "M17 1SN", "0161 496 0106"),
    ("SHOWCS", "Showcase Exhibitions Ltd", "B", False, "sales", 30, 40000, "Halls Business Centre, Pendigo Way",
     "Birmingham", "B40 1PU", "0121 496 0107"),
    ("NORTHW", "Northwold Packaging Ltd", "B", False, "sales2", 30, 50000, "Hedon Road", "Hull", "HU9 5PE",
     "01632 960 108"),
    ("TRENT", "Trent Valley Plastics Ltd", "B", False, "sales", 30, 40000, "Meadow Lane Industrial Estate",
     "Nottingham", "NG2 3HQ", "01632 960 109"),
    ("CALDER", "Calder Print & Finishing Ltd", "B", False, "sales2", 30, 30000, "Leeds Road Mills", "Huddersfield",
     "HD1 6QF", "01632 960 110"),
    ("SEVERN", "Severn Tool Hire Ltd", "B", False, "sales", 30, 30000, "Blackpole Trading Estate", "Worcester",
     "WR3 8SG", "01632 960 111"),
    ("ASHBY", "Ashby Motor Factors Ltd", "B", False, "sales2", 30, 25000, "Troon Way Business Centre", "Leicester",
     "LE4 9HA", "01632 960 112"),
    ("FENLND", "Fenland Agricultural Supplies Ltd", "B", False, "sales", 45, 35000, "Fengate", "Peterborough",
     "PE1 5YW", "01632 960 113"),
    ("TYNESD", "Tyneside Marine Services Ltd", "B", False, "sales2", 30, 30000, "Walker Riverside",
     "Newcastle upon Tyne", "NE6 3PL", "0191 498 0114"),
    ("CLYDE", "Clyde Fabrications Ltd", "B", False, "sales", 30, 45000, "Hillington Park", "Glasgow", "G52 4TP",
     "0141 496 0115"),
    ("MERSEY", "Mersey Cold Stores Ltd", "B", False, "sales2", 30, 40000, "Regent Road", "Liverpool", "L20 8DB",
     "0151 496 0116"),
    ("OAKWD", "Oakwood School Trust", "C", False, "sales", 30, 10000, "Oakwood Lane", "York", "YO30 4XA",
     "01632 960 117"),
    ("REDHIL", "Redhill Garage Equipment", "C", False, "sales2", 14, 8000, "Holmethorpe Avenue", "Redhill", "RH1 2NB",
     "01632 960 118"),
    ("BAYLIS", "Baylis & Sons Builders Merchants", "C", False, "sales", 30, 15000, "Cheney Manor Industrial Estate",
     "Swindon", "SN2 2PJ", "01632 960 119"),
    ("HOLMES", "Holmes Bicycle Works", "C", False, "sales2", 14, 6000, "Cowley Road Yard", "Cambridge", "CB4 3PZ",
     "01632 960 120"),
    ("QUAYSD", "Quayside Brewing Co Ltd", "C", False, "sales", 30, 12000, "Feeder Road", "Bristol", "BS2 0XJ",
     "0117 496 0121"),
    ("GREYST", "Greystone Laboratories Ltd", "C", False, "sales2", 30, 20000, "Sandy Lane West", "Oxford", "OX4 6JY",
     "01632 960 122"),
    ("WILLOW", "Willow Lane Garden Centre", "C", False, "sales", 30, 8000, "Willow Lane", "Chester", "CH2 4NQ",
     "01632 960 123"),
    ("PEAKDO", "Peak District Outdoor Ltd", "C", False, "sales2", 30, 10000, "Harpur Hill Business Park", "Buxton",
     "SK17 9JL", "01632 960 124"),
    ("LINDEN", "Linden Signs & Displays", "C", False, "sales", 14, 7000, "Basingstoke Road", "Reading", "RG2 0QX",
     "0118 496 0125"),
]
CUST = {c[0]: i + 1 for i, c in enumerate(CUSTOMERS)}
# customers abroad, new this month (no orders yet): the invoicing cases a firm meets outside its
# country — a business in another EU country (reverse charge, its UID number) and one outside the EU
# (export). code, name, tier, salesperson, terms, credit, VAT number, lines, postcode, city, region, country, phone
ABROAD = [
    ("DONAU", "Donau Anlagenbau GmbH", "B", "sales", 30, 60000, "ATU13585627", ("Industriestraße 12",), "4020",
     "Linz", "Oberösterreich", "AT", "+43 732 908 150"),
    ("LAKEMN", "Lakeshore Manufacturing Inc.", "C", "sales2", 45, 40000, None, ("1800 Lakeshore Drive",), "60616",
     "Chicago", "IL", "US", "+1 312 555 0142"),
]
# people at each customer: (first name, last name, role) — a buyer, and accounts payable, who gets the invoices
CONTACT_NAMES = [("Alison", "Reed"), ("Tom", "Haworth"), ("Priya", "Nair"), ("Gareth", "Lloyd"), ("Helen", "Marsh"),
                 ("Kwame", "Mensah"), ("Laura", "Finch"), ("Sean", "Doyle"), ("Megan", "Price"), ("Imran", "Shah")]
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
