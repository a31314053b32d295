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

The package, outside the business rules (app/services), builds that data with the same tables and
rules as a firm's own:

- ``firm``: the firm's fixed data (users, catalogue, work centers, customers, staff);
- ``dates``: the firm calendar and the date helpers every generated date goes through;
- ``rows``: the rows being built (the big tables' tuple layouts, the builder's shared state);
- ``reference``, ``specs``, ``orders``, ``planning``, ``stories``: the builder's parts, in the
  order ``build_rows`` runs them (reference data; which orders; the orders with their shipments,
  invoices and payments; stock, demand history and forecasts; the stories' data);
- ``load``: the rows into a database (SQLite's fast path, PostgreSQL's sequences);
- ``build``: ``build_rows``, ``build_demo`` and ``build_demo_file``.

A test that replaces one of these names patches the module that uses it (``app.demo.build`` for
``build_demo``, ``app.demo.load`` for ``FAST_SQLITE`` and ``BIG_TABLE``), not this package.
"""

from app.demo.build import (
    DEFAULT_HISTORY_ORDERS,
    MIN_ORDERS,
    DemoSummary,
    build_demo,
    build_demo_file,
    build_rows,
)
from app.demo.dates import FIRM_CALENDAR, overtime_saturday
from app.demo.firm import DEMO_PASSWORD, FIRM_NAME
from app.demo.rows import LAYOUTS, OPEN_STATUSES

__all__ = [
    "DEFAULT_HISTORY_ORDERS",
    "DEMO_PASSWORD",
    "FIRM_CALENDAR",
    "FIRM_NAME",
    "LAYOUTS",
    "MIN_ORDERS",
    "OPEN_STATUSES",
    "DemoSummary",
    "build_demo",
    "build_demo_file",
    "build_rows",
    "overtime_saturday",
]
