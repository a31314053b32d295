"""The kinds of data that go in and out of Excel: products, customers, stock levels, price lists,
open orders with lines, historic sales and forecasts (import and export); order lines and
invoices (export). Each import is an upsert by its key (SKU, customer code, order number)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exchange.order_import import PRICE_FROM_SHEET, Orders
from app.exchange.shared import SKU, product_map
from app.services.customers import DEFAULT_TIER, credit_refusal
from app.services.product_checks import price_refusal
from app.services.settings import load_settings
from app.services.stock import count_movement, counted_problem
from app.exchange.spec import (
    ZERO,
    Diff,
    Field,
    Kind,
    Row,
    ids_by_key,
    upsert,
    write_upsert,
)
from app.models import (
    Address,
    Customer,
    DemandHistory,
    Forecast,
    Invoice,
    Product,
    ProductFamily,
    SalesOrder,
    SalesOrderLine,
    StockMovement,
    User,
)
from app.models.base import money, utcnow
from app.models.enums import AddressKind

P, C, O, L = Product.__table__, Customer.__table__, SalesOrder.__table__, SalesOrderLine.__table__
def _product_updates(s: Session, rows: Sequence[Row], lk: dict[str, Any], fields: tuple[str, ...]) -> Diff:
    """Changes to products that exist (stock counts, prices): ``fields`` of each row keyed by SKU;
    an unknown SKU is a problem (these imports never create products)."""
    d = Diff()
    out = []
    for r in _keyed(rows, "sku", d):
        if r.values["sku"] not in lk["products"]:
            d.problems.append((r.number, "sku", f"no product '{r.values['sku']}'"))
            continue
        out.append({k: r.values[k] for k in ("sku", *fields) if k in r.values})
    _ins, upd, same = upsert(s, P, "sku", out, lk["products"], user="")
    d.updated, d.unchanged, d.payload = len(upd), same, upd
    return d


def _keyed(rows: Sequence[Row], key: str, diff: Diff) -> list[Row]:
    """Rows whose key appears once; a duplicate key in the file is a problem on each later row."""
    seen: dict[Any, int] = {}
    out = []
    for r in rows:
        k = r.values.get(key)
        if k in seen:
            diff.problems.append((r.number, key, f"'{k}' appears twice in the file (first in row {seen[k]})"))
            continue
        seen[k] = r.number
        out.append(r)
    return out


# --- products -------------------------------------------------------------------------------------
class Products(Kind):
    name, title = "products", "Products"
    description = "Products: create new SKUs and update existing ones"
    import_permission = "products.edit"
    key = ("sku",)
    fields = (
        SKU,
        Field("name", "Name", "text", True, ("description", "product name", "item description", "bezeichnung"),
              "What the product is called on quotes and invoices"),
        Field("family", "Family", "code", True, ("product family", "group", "category", "product group"),
              "The product family code", lookup="family"),
        Field("unit", "Unit", "text", False, ("uom", "unit of measure"), "pcs, m, kg… (pcs when empty)"),
        Field("list_price", "List price", "money", True, ("price", "sales price", "unit price", "preis"),
              "Price before discounts, without VAT"),
        Field("material_cost", "Material cost", "money", False, ("material",), "Bought-in material per unit"),
        Field("standard_cost", "Standard cost", "money", False, ("cost", "unit cost", "std cost")),
        Field("tax_rate", "VAT rate", "rate", False, ("vat", "tax", "tax rate"), "20 % or 0.2 (the firm's default when "
              "empty)"),
        Field("location", "Location", "text", False, ("bin", "storage location", "shelf"),
              "Aisle-rack-shelf, e.g. A-03-2"),
        Field("lead_time_days", "Lead time (days)", "int", False, ("lead time",)),
        Field("make_to_stock", "Stock item", "bool", False, ("make to stock", "stocked"), "yes: kept in stock; "
              "no: made to order"),
        Field("target_stock", "Target stock", "qty", False, ("min stock", "reorder level")),
        Field("max_stock", "Max stock", "qty", False, ("maximum stock",)),
        Field("needs_installation", "Installed on site", "bool", False, ("installation",)),
    )

    def lookups(self, s: Session) -> dict[str, Any]:
        return {"products": product_map(s),
                "families": {code: fid for fid, code in s.execute(select(ProductFamily.id, ProductFamily.code))}}

    def choice_lists(self, s: Session) -> dict[str, list[str]]:
        return {"family": sorted(self.lookups(s)["families"])}

    def diff(self, s: Session, rows: Sequence[Row], lk: dict[str, Any]) -> Diff:
        d = Diff()
        out = []
        role = lk["actor"].role
        for r in _keyed(rows, "sku", d):
            vals = r.values
            fam = lk["families"].get(vals["family"])
            if fam is None:
                d.problems.append((r.number, "family", f"no product family '{vals['family']}' (the firm's families "
                                   "and their codes: Products → Product families…)"))
                continue
            row = {"sku": vals["sku"], "name": vals["name"], "family_id": fam, "list_price": vals["list_price"]}
            for f in ("unit", "material_cost", "standard_cost", "tax_rate", "location", "lead_time_days",
                      "make_to_stock", "target_stock", "max_stock", "needs_installation"):
                if f in vals:
                    row[f] = vals[f]
            # prices are management's, as on the product form
            refused = price_refusal(role, lk["products"].get(vals["sku"]), row)
            if refused is not None:
                d.problems.append((r.number, refused[0], f"your role ({role}) may not set {refused[1]} of a product"))
                continue
            out.append(row)
        ins, upd, same = upsert(s, P, "sku", out, lk["products"], user="")
        d.created, d.updated, d.unchanged, d.payload = len(ins), len(upd), same, (ins, upd)
        return d

    def apply(self, s: Session, diff: Diff, lk: dict[str, Any], user: str) -> dict[str, list[int]]:
        ins, upd = diff.payload
        rate = load_settings(s).default_tax_rate  # the firm's, for a product without its own
        touched = write_upsert(s, P, ins, upd, user=user, defaults={"unit": "pcs", "material_cost": ZERO,
                                                                      "standard_cost": ZERO, "tax_rate": rate,
                                                                      "stock_on_hand": ZERO, "stock_reserved": ZERO,
                                                                      "target_stock": ZERO, "max_stock": ZERO,
                                                                      "lead_time_days": 0, "make_to_stock": True,
                                                                      "needs_installation": False, "active": True})
        touched += list(ids_by_key(s, P, "sku", [r["sku"] for r in ins]).values())
        return {"product": touched}

    def export(self, s: Session, actor: Any = None) -> Iterable[Sequence[Any]]:
        for r in s.execute(select(P.c.sku, P.c.name, ProductFamily.code, P.c.unit, P.c.list_price, P.c.material_cost,
                                  P.c.standard_cost, P.c.tax_rate, P.c.location, P.c.lead_time_days, P.c.make_to_stock,
                                  P.c.target_stock, P.c.max_stock, P.c.needs_installation)
                           .join(ProductFamily, ProductFamily.id == P.c.family_id).order_by(P.c.sku)):
            yield tuple(r)


# --- customers ------------------------------------------------------------------------------------
class Customers(Kind):
    name, title = "customers", "Customers"
    description = "Customers with their billing address"
    import_permission = "customers.edit"
    key = ("code",)
    fields = (
        Field("code", "Customer code", "code", True, ("customer no", "customer number", "account", "account no",
                                                      "debtor", "kundennummer", "code"), "Short unique code",
              lookup="customer"),
        Field("name", "Name", "text", True, ("company", "customer name", "firm", "firma")),
        Field("tier", "Tier", "enum", False, ("class", "rating"), "A, B or C (B when empty)", choices=("A", "B", "C")),
        Field("strategic", "Strategic", "bool", False, ("key account",)),
        Field("salesperson", "Salesperson", "code", False, ("account manager", "rep", "sales rep"),
              "The salesperson's user name", lookup="user"),
        Field("payment_terms_days", "Payment terms (days)", "int", False, ("terms", "payment terms")),
        Field("credit_limit", "Credit limit", "money", False),
        Field("email", "E-mail", "text", False, ("email address", "mail")),
        Field("phone", "Phone", "text", False, ("telephone", "tel")),
        Field("line1", "Address", "text", False, ("street", "address line 1", "address 1")),
        Field("postcode", "Postcode", "text", False, ("zip", "post code", "zip code", "plz")),
        Field("city", "City", "text", False, ("town", "ort")),
        Field("country", "Country", "code", False, ("country code",), "Two letters, e.g. GB"),
    )

    def lookups(self, s: Session) -> dict[str, Any]:
        existing = {r.code: dict(r._mapping) for r in s.execute(select(
            C.c.id, C.c.code, C.c.name, C.c.tier, C.c.strategic, C.c.salesperson_id, C.c.payment_terms_days,
            C.c.credit_limit, C.c.email, C.c.phone))}
        for r in existing.values():
            r["tier"] = getattr(r["tier"], "value", r["tier"])
        users = {u.upper(): i for i, u in s.execute(select(User.id, User.username))}
        addresses = {cid: dict(r._mapping) for cid, r in ((r.customer_id, r) for r in s.execute(
            select(Address.__table__).where(Address.__table__.c.kind == AddressKind.BILLING.value)))}
        return {"customers": existing, "users": users, "addresses": addresses}

    def choice_lists(self, s: Session) -> dict[str, list[str]]:
        return {"user": sorted(u.lower() for u in self.lookups(s)["users"])}

    def diff(self, s: Session, rows: Sequence[Row], lk: dict[str, Any]) -> Diff:
        d = Diff()
        out, addr = [], {}
        role = lk["actor"].role
        for r in _keyed(rows, "code", d):
            vals = r.values
            row: dict[str, Any] = {"code": vals["code"], "name": vals["name"]}
            if "salesperson" in vals:
                uid = lk["users"].get(vals["salesperson"])
                if uid is None:
                    d.problems.append((r.number, "salesperson", f"no user '{vals['salesperson'].lower()}'"))
                    continue
                row["salesperson_id"] = uid
            for f in ("tier", "strategic", "payment_terms_days", "credit_limit", "email", "phone"):
                if f in vals:
                    row[f] = vals[f]
            # the credit limit and the tier: the customers screen's rule (management only)
            cur = lk["customers"].get(vals["code"])
            before = (cur["credit_limit"], cur["tier"]) if cur is not None else None
            refused = credit_refusal(role, before, row.get("credit_limit", before[0] if before else ZERO),
                                     row.get("tier", before[1] if before else DEFAULT_TIER))
            if refused is not None:
                d.problems.append((r.number, refused[0], f"your role ({role}) may not set {refused[1]} of a customer"))
                continue
            out.append(row)
            if any(f in vals for f in ("line1", "postcode", "city")):
                missing = [f for f in ("line1", "postcode", "city") if f not in vals]
                if missing:
                    d.problems.append((r.number, missing[0], "an address needs street, postcode and city"))
                    continue
                addr[vals["code"]] = {"line1": vals["line1"], "postcode": vals["postcode"], "city": vals["city"],
                                      "country": vals.get("country", "GB")[:2]}
        ins, upd, same = upsert(s, C, "code", out, lk["customers"], user="")
        # an address change alone counts as an update of that customer
        upd_codes = {u["_id"] for u in upd}
        for code, a in addr.items():
            cur = lk["customers"].get(code)
            if cur is None or cur["id"] in upd_codes:
                continue
            old = lk["addresses"].get(cur["id"])
            if old is None or any(str(old.get(k)) != str(val) for k, val in a.items()):
                upd.append({"_id": cur["id"]})
                same -= 1
        d.created, d.updated, d.unchanged, d.payload = len(ins), len(upd), same, (ins, upd, addr)
        return d

    def apply(self, s: Session, diff: Diff, lk: dict[str, Any], user: str) -> dict[str, list[int]]:
        ins, upd, addr = diff.payload
        real = [u for u in upd if len(u) > 1]
        terms = load_settings(s).default_payment_terms_days  # the firm's, for a customer without its own
        touched = write_upsert(s, C, ins, real, user=user, defaults={"tier": DEFAULT_TIER, "strategic": False,
                                                                      "payment_terms_days": terms,
                                                                      "credit_limit": ZERO, "active": True})
        ids = ids_by_key(s, C, "code", list(addr) + [r["code"] for r in ins])
        a = Address.__table__
        now = utcnow()
        for code, fields in addr.items():
            cid = ids[code]
            old = lk["addresses"].get(cid)
            if old is None:
                s.execute(a.insert().values(customer_id=cid, kind=AddressKind.BILLING.value, version=1,
                                            updated_at=now, updated_by=user, **fields))
            elif any(str(old.get(k)) != str(val) for k, val in fields.items()):
                s.execute(a.update().where(a.c.id == old["id"]).values(version=a.c.version + 1, updated_at=now,
                                                                       updated_by=user, **fields))
        return {"customer": touched + [ids[r["code"]] for r in ins]}

    def export(self, s: Session, actor: Any = None) -> Iterable[Sequence[Any]]:
        a = Address.__table__
        q = (select(C.c.code, C.c.name, C.c.tier, C.c.strategic, User.username, C.c.payment_terms_days,
                    C.c.credit_limit, C.c.email, C.c.phone, a.c.line1, a.c.postcode, a.c.city, a.c.country)
             .outerjoin(User, User.id == C.c.salesperson_id)
             .outerjoin(a, (a.c.customer_id == C.c.id) & (a.c.kind == AddressKind.BILLING.value))
             .order_by(C.c.code))
        seen = set()
        for r in s.execute(q):
            if r[0] in seen:
                continue
            seen.add(r[0])
            yield (r[0], r[1], getattr(r[2], "value", r[2]), *r[3:])


# --- stock levels ---------------------------------------------------------------------------------
class Stock(Kind):
    name, title = "stock", "Stock levels"
    description = "Counted stock on hand per SKU (a stock count); differences are booked as stock movements"
    import_permission = "products.edit"
    key = ("sku",)
    fields = (
        SKU,
        Field("stock_on_hand", "On hand", "qty", True, ("stock", "quantity", "qty", "counted", "count", "bestand"),
              "What is on the shelf"),
        Field("location", "Location", "text", False, ("bin", "storage location")),
        Field("stock_reserved", "Reserved", "qty", False, (), "Export only: set aside for open orders (ignored on "
              "import)"),
        Field("name", "Name", "text", False, ("description",), "Export only (ignored on import)"),
    )

    def lookups(self, s: Session) -> dict[str, Any]:
        return {"products": product_map(s)}

    def diff(self, s: Session, rows: Sequence[Row], lk: dict[str, Any]) -> Diff:
        counted, refused = [], []  # the count rule of the products window's Count stock… (services/stock)
        for r in rows:
            p = lk["products"].get(r.values.get("sku"))
            why = None
            if p is not None and r.values.get("stock_on_hand") is not None:
                _qty, why = counted_problem(r.values["stock_on_hand"], p["unit"] or "")
            if why:
                refused.append((r.number, "stock_on_hand", why))
            else:
                counted.append(r)
        d = _product_updates(s, counted, lk, ("stock_on_hand", "location"))
        d.problems = sorted([*d.problems, *refused], key=lambda p: p[0])
        return d

    def apply(self, s: Session, diff: Diff, lk: dict[str, Any], user: str) -> dict[str, list[int]]:
        by_id = {p["id"]: p for p in lk["products"].values()}
        moves = [m for u in diff.payload if "stock_on_hand" in u
                 if (m := count_movement(u["_id"], by_id[u["_id"]]["stock_on_hand"], u["stock_on_hand"], user,
                                         "Excel import")) is not None]
        touched = write_upsert(s, P, [], diff.payload, user=user)
        if moves:
            s.execute(StockMovement.__table__.insert(), moves)
        return {"product": touched, "stock_movement": []}

    def export(self, s: Session, actor: Any = None) -> Iterable[Sequence[Any]]:
        for r in s.execute(select(P.c.sku, P.c.stock_on_hand, P.c.location, P.c.stock_reserved, P.c.name)
                           .order_by(P.c.sku)):
            yield tuple(r)


# --- price list -----------------------------------------------------------------------------------
class PriceList(Kind):
    name, title = "prices", "Price list"
    description = "List prices (and VAT rates) per SKU"
    import_permission = "products.edit"
    key = ("sku",)
    fields = (SKU, Field("list_price", "List price", "money", True, ("price", "new price", "sales price", "preis")),
              Field("tax_rate", "VAT rate", "rate", False, ("vat", "tax")),
              Field("name", "Name", "text", False, ("description",), "Export only (ignored on import)"))

    def lookups(self, s: Session) -> dict[str, Any]:
        return {"products": product_map(s)}

    def diff(self, s: Session, rows: Sequence[Row], lk: dict[str, Any]) -> Diff:
        return _product_updates(s, rows, lk, ("list_price", "tax_rate"))

    def apply(self, s: Session, diff: Diff, lk: dict[str, Any], user: str) -> dict[str, list[int]]:
        return {"product": write_upsert(s, P, [], diff.payload, user=user)}

    def export(self, s: Session, actor: Any = None) -> Iterable[Sequence[Any]]:
        for r in s.execute(select(P.c.sku, P.c.list_price, P.c.tax_rate, P.c.name).order_by(P.c.sku)):
            yield tuple(r)




# --- historic sales and forecasts -------------------------------------------------------------------
class SalesHistory(Kind):
    name, title = "history", "Historic sales"
    description = "Monthly sales per SKU (quantity and revenue) for the planning board's history and baselines"
    import_permission = "products.edit"
    key = ("sku", "month")
    fields = (SKU, Field("month", "Month", "date", True, ("period", "date", "monat"), "Any day of the month, e.g. "
                                                                                        "2026-03 or 01/03/2026"),
              Field("quantity", "Quantity", "qty", True, ("qty", "units", "sold", "menge")),
              Field("revenue", "Revenue", "money", False, ("sales", "value", "turnover", "umsatz")))

    def lookups(self, s: Session) -> dict[str, Any]:
        t = DemandHistory.__table__
        return {"products": product_map(s),
                "history": {(pid, day): {"id": i, "quantity": q, "revenue": rev} for i, pid, day, q, rev in
                            s.execute(select(t.c.id, t.c.product_id, t.c.period_start, t.c.quantity, t.c.revenue))}}

    def diff(self, s: Session, rows: Sequence[Row], lk: dict[str, Any]) -> Diff:
        d = Diff()
        seen: dict[tuple, int] = {}
        ins, upd, same = [], [], 0
        for r in rows:
            v = r.values
            prod = lk["products"].get(v["sku"])
            if prod is None:
                d.problems.append((r.number, "sku", f"no product '{v['sku']}'"))
                continue
            month = v["month"].replace(day=1)
            k = (prod["id"], month)
            if k in seen:
                d.problems.append((r.number, "month", f"{v['sku']} {month:%Y-%m} appears twice (first in row "
                                                      f"{seen[k]})"))
                continue
            seen[k] = r.number
            row = {"product_id": prod["id"], "period_start": month, "quantity": v["quantity"],
                   "revenue": v.get("revenue", ZERO)}
            cur = lk["history"].get(k)
            if cur is None:
                ins.append(row)
            elif Decimal(cur["quantity"]) != row["quantity"] or Decimal(cur["revenue"]) != row["revenue"]:
                upd.append({"_id": cur["id"], "quantity": row["quantity"], "revenue": row["revenue"]})
            else:
                same += 1
        d.created, d.updated, d.unchanged, d.payload = len(ins), len(upd), same, (ins, upd)
        return d

    def apply(self, s: Session, diff: Diff, lk: dict[str, Any], user: str) -> dict[str, list[int]]:
        ins, upd = diff.payload
        write_upsert(s, DemandHistory.__table__, ins, upd, user=user, versioned=False)
        return {"demand_history": []}

    def export(self, s: Session, actor: Any = None) -> Iterable[Sequence[Any]]:
        t = DemandHistory.__table__
        for r in s.execute(select(P.c.sku, t.c.period_start, t.c.quantity, t.c.revenue)
                           .join(P, P.c.id == t.c.product_id).order_by(P.c.sku, t.c.period_start)):
            yield tuple(r)


class Forecasts(Kind):
    name, title = "forecasts", "Forecasts"
    description = ("Your department's monthly forecast per SKU (marketing's or production's, by who imports); "
                   "the export shows every line of the board")
    import_permission = "planning.view"  # the department's own figures: checked per role in planning.set_figures
    key = ("sku", "month")
    fields = (SKU, Field("month", "Month", "date", True, ("period", "monat")),
              Field("quantity", "Forecast", "qty", True, ("qty", "forecast", "quantity", "menge", "units")),
              Field("marketing", "Marketing", "qty", False, (), "Export only"),
              Field("production", "Production", "qty", False, (), "Export only"),
              Field("consensus", "Consensus", "qty", False, (), "Export only"),
              Field("baseline", "Baseline", "qty", False, (), "Export only"))

    def lookups(self, s: Session) -> dict[str, Any]:
        t = Forecast.__table__
        return {"products": product_map(s),
                "figures": {(pid, day): {"marketing": m, "production": p} for pid, day, m, p in s.execute(
                    select(t.c.product_id, t.c.period_start, t.c.marketing_qty, t.c.production_qty)
                    .where(t.c.granularity == "month"))}}

    def diff(self, s: Session, rows: Sequence[Row], lk: dict[str, Any]) -> Diff:
        d = Diff()
        seen: dict[tuple, int] = {}
        cells = []
        dept = getattr(lk.get("actor"), "role", None)
        if dept not in ("marketing", "production"):
            d.problems.append((rows[0].number if rows else 1, None, "forecast figures are imported by marketing or "
                                                                     "production, each for their own line"))
            return d
        for r in rows:
            v = r.values
            prod = lk["products"].get(v["sku"])
            if prod is None:
                d.problems.append((r.number, "sku", f"no product '{v['sku']}'"))
                continue
            k = (prod["id"], v["month"].replace(day=1))
            if k in seen:
                d.problems.append((r.number, "month", f"appears twice (first in row {seen[k]})"))
                continue
            seen[k] = r.number
            cur = (lk["figures"].get(k) or {}).get(dept)
            changed = cur is None or Decimal(cur) != v["quantity"]
            cells.append((prod["id"], k[1], v["quantity"], changed))
        d.updated = sum(1 for c in cells if c[3])
        d.unchanged = len(cells) - d.updated
        d.payload = cells
        return d

    def export(self, s: Session, actor: Any = None) -> Iterable[Sequence[Any]]:
        t = Forecast.__table__
        mine = {"marketing": t.c.marketing_qty, "production": t.c.production_qty}.get(getattr(actor, "role", ""),
                                                                                      t.c.consensus_qty)
        for r in s.execute(select(P.c.sku, t.c.period_start, mine, t.c.marketing_qty, t.c.production_qty,
                                  t.c.consensus_qty, t.c.baseline_qty).join(P, P.c.id == t.c.product_id)
                           .where(t.c.granularity == "month").order_by(P.c.sku, t.c.period_start)):
            yield tuple(r)

    def columns(self) -> list[tuple[str, str]]:
        return [("SKU", "code"), ("Month", "month"), ("Forecast", "qty"), ("Marketing", "qty"),
                ("Production", "qty"), ("Consensus", "qty"), ("Baseline", "qty")]


# --- export only -------------------------------------------------------------------------------------
class OrderLines(Kind):
    name, title = "order-lines", "Order lines"
    description = "Every order line with its quantities through the cycle"
    fields = ()

    def columns(self) -> list[tuple[str, str]]:
        return [("Order", "code"), ("Status", "text"), ("Customer", "code"), ("Order date", "date"), ("Line", "int"),
                ("SKU", "code"), ("Quantity", "qty"), ("Unit price", "money"), ("Net", "money"), ("Promise", "date"),
                ("Reserved", "qty"), ("Picked", "qty"), ("Shipped", "qty"), ("Invoiced", "qty")]

    def export(self, s: Session, actor: Any = None) -> Iterable[Sequence[Any]]:
        q = (select(O.c.number, O.c.status, C.c.code, O.c.order_date, L.c.line_no, P.c.sku, L.c.quantity,
                    L.c.unit_price, L.c.quantity * L.c.unit_price, L.c.promise_date, L.c.qty_reserved, L.c.qty_picked,
                    L.c.qty_shipped, L.c.qty_invoiced)
             .join(C, C.c.id == O.c.customer_id).join(L, L.c.order_id == O.c.id).join(P, P.c.id == L.c.product_id)
             .order_by(O.c.id, L.c.line_no))
        for r in s.execute(q).yield_per(5000):
            yield (r[0], _status_text(r[1]), *r[2:8], money(Decimal(r[8])), *r[9:])


class Invoices(Kind):
    name, title = "invoices", "Invoices"
    description = "Invoices with amounts paid and due"
    fields = ()
    export_permission = "billing.view"

    def columns(self) -> list[tuple[str, str]]:
        return [("Invoice", "int"), ("Order", "code"), ("Customer", "code"), ("Issued", "date"), ("Due", "date"),
                ("Net", "money"), ("VAT", "money"), ("Total", "money"), ("Paid", "money"), ("Status", "text")]

    def export(self, s: Session, actor: Any = None) -> Iterable[Sequence[Any]]:
        i = Invoice.__table__
        q = (select(i.c.number, O.c.number, C.c.code, i.c.issue_date, i.c.due_date, i.c.net, i.c.tax,
                    i.c.net + i.c.tax, i.c.paid, i.c.status)
             .join(O, O.c.id == i.c.order_id).join(C, C.c.id == i.c.customer_id).order_by(i.c.number))
        for r in s.execute(q).yield_per(5000):
            yield (*r[:7], money(Decimal(r[7])), r[8], _status_text(r[9]))


def _status_text(status: Any) -> str:
    """An order's or invoice's status as the export writes it ("partially shipped")."""
    return str(getattr(status, "value", status)).replace("_", " ")


KINDS: dict[str, Kind] = {k.name: k for k in (Products(), Customers(), Stock(), PriceList(), Orders(), SalesHistory(),
                                              Forecasts(), OrderLines(), Invoices())}
IMPORT_KINDS = [k for k in KINDS.values() if k.import_permission]


def kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        from app.errors import UserError

        raise UserError(f"There is no kind '{name}'. Kinds: {', '.join(KINDS)}.") from None


__all__ = ["KINDS", "IMPORT_KINDS", "kind", "dt", "Orders", "PRICE_FROM_SHEET"]
