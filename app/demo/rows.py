"""The rows being built: the biggest tables' tuple layouts, and the builder's shared state (the row
store, the random generator, time and quantity caches). The builder's parts (``reference``,
``specs``, ``orders``, ``planning``, ``stories``) extend ``_BuilderBase``; ``build._Builder``
combines them."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from app.demo.dates import _MINUTES, UTC, _add_months, _month_start
from app.models.base import Base
from app.models.enums import OrderStatus

OPEN_STATUSES = (
    OrderStatus.QUOTE, OrderStatus.CONFIRMED, OrderStatus.IN_PRODUCTION, OrderStatus.READY,
    OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.INVOICED, OrderStatus.ON_HOLD,
)

ZERO = Decimal(0)
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


class _BuilderBase:
    """The row store and what every part of the builder uses (random generator, today, time and
    quantity caches)."""

    # set by one part of the builder for the later ones
    products: list[dict[str, Any]]
    p_kind: list[str]
    p_fam: list[str]
    p_mts: list[bool]
    p_pop: list[float]
    p_cover: list[float]
    p_price: list[Decimal]
    p_cost: list[Decimal]
    p_break: set[int]
    promo_start: dt.date
    promo_end: dt.date
    c_terms: list[int]
    c_sp: list[int]
    c_spname: list[str]
    story: dict[str, int]
    order_info: list[tuple]
    reserved: list[Decimal]
    demand: dict[tuple[int, int], list]
    n_jobs: int
    n_rma: int
    n_credit: int

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
