"""The kinds of data that go in and out of Excel: products, customers, stock levels, price lists,
open orders with lines, historic sales and forecasts (import and export); order lines and
invoices (export). Each import is an upsert by its key (SKU, customer code, order number)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.db.bulk import BulkInsert
from app.exchange.spec import (
    ZERO,
    Diff,
    Field,
    Kind,
    Row,
    Rows,
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
    TimelineEvent,
    User,
)
from app.models.base import money, utcnow
from app.models.enums import AddressKind, OrderKind, OrderStatus, Stage
from app.services import numbers
from app.services.orders import (
    WAITS,
    allocate_reservations,
    approval_reason,
    promise_text,
    reservation_text,
)
from app.services.pricing import (
    CostBook,
    line_amounts,
    load_rules_for_days,
    margin_of,
    price_line,
    price_lines,
)
from app.services.promise import Planner
from app.services.settings import load_settings

P, C, O, L = Product.__table__, Customer.__table__, SalesOrder.__table__, SalesOrderLine.__table__
SKU = Field("sku", "SKU", "code", True, ("item no", "item number", "article", "article no", "part no", "product code",
                                         "item code", "code", "artikel", "artikelnummer", "artikel nr", "product id"),
            "The product's code, as in OrderCycle (any case)", lookup="sku")


def _product_map(s: Session) -> dict[str, dict[str, Any]]:
    return {r.sku: dict(r._mapping) for r in s.execute(select(
        P.c.id, P.c.sku, P.c.name, P.c.family_id, P.c.unit, P.c.list_price, P.c.material_cost, P.c.standard_cost,
        P.c.tax_rate, P.c.location, P.c.lead_time_days, P.c.make_to_stock, P.c.target_stock, P.c.max_stock,
        P.c.needs_installation, P.c.stock_on_hand, P.c.stock_reserved, P.c.active))}


def _product_updates(s: Session, rows: list[Row], lk: dict[str, Any], fields: tuple[str, ...]) -> Diff:
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


def _keyed(rows: list[Row], key: str, diff: Diff) -> list[Row]:
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
        Field("location", "Location", "text", False, ("bin", "storage location", "shelf"), "Aisle-rack-shelf, e.g. A-03-2"),
        Field("lead_time_days", "Lead time (days)", "int", False, ("lead time",)),
        Field("make_to_stock", "Stock item", "bool", False, ("make to stock", "stocked"), "yes: kept in stock; "
              "no: made to order"),
        Field("target_stock", "Target stock", "qty", False, ("min stock", "reorder level")),
        Field("max_stock", "Max stock", "qty", False, ("maximum stock",)),
        Field("needs_installation", "Installed on site", "bool", False, ("installation",)),
    )

    def lookups(self, s: Session) -> dict[str, Any]:
        return {"products": _product_map(s),
                "families": {code: fid for fid, code in s.execute(select(ProductFamily.id, ProductFamily.code))}}

    def choice_lists(self, s: Session) -> dict[str, list[str]]:
        return {"family": sorted(self.lookups(s)["families"])}

    def diff(self, s: Session, rows: list[Row], lk: dict[str, Any]) -> Diff:
        d = Diff()
        out = []
        for r in _keyed(rows, "sku", d):
            vals = r.values
            fam = lk["families"].get(vals["family"])
            if fam is None:
                d.problems.append((r.number, "family", f"no product family '{vals['family']}'"))
                continue
            row = {"sku": vals["sku"], "name": vals["name"], "family_id": fam, "list_price": vals["list_price"]}
            for f in ("unit", "material_cost", "standard_cost", "tax_rate", "location", "lead_time_days",
                      "make_to_stock", "target_stock", "max_stock", "needs_installation"):
                if f in vals:
                    row[f] = vals[f]
            out.append(row)
        ins, upd, same = upsert(s, P, "sku", out, lk["products"], user="")
        d.created, d.updated, d.unchanged, d.payload = len(ins), len(upd), same, (ins, upd)
        return d

    def apply(self, s: Session, diff: Diff, lk: dict[str, Any], user: str) -> dict[str, list[int]]:
        ins, upd = diff.payload
        touched = write_upsert(s, P, ins, upd, user=user, defaults={"unit": "pcs", "material_cost": ZERO,
                                                                      "standard_cost": ZERO, "tax_rate": Decimal("0.2"),
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

    def diff(self, s: Session, rows: list[Row], lk: dict[str, Any]) -> Diff:
        d = Diff()
        out, addr = [], {}
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
        touched = write_upsert(s, C, ins, real, user=user, defaults={"tier": "B", "strategic": False,
                                                                      "payment_terms_days": 30, "credit_limit": ZERO,
                                                                      "active": True})
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
        return {"products": _product_map(s)}

    def diff(self, s: Session, rows: list[Row], lk: dict[str, Any]) -> Diff:
        return _product_updates(s, rows, lk, ("stock_on_hand", "location"))

    def apply(self, s: Session, diff: Diff, lk: dict[str, Any], user: str) -> dict[str, list[int]]:
        by_id = {p["id"]: p for p in lk["products"].values()}
        now = utcnow()
        moves = [{"product_id": u["_id"], "at": now, "quantity": u["stock_on_hand"] - by_id[u["_id"]]["stock_on_hand"],
                  "reason": "count", "reference": "Excel import", "user": user}
                 for u in diff.payload if "stock_on_hand" in u]
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
        return {"products": _product_map(s)}

    def diff(self, s: Session, rows: list[Row], lk: dict[str, Any]) -> Diff:
        return _product_updates(s, rows, lk, ("list_price", "tax_rate"))

    def apply(self, s: Session, diff: Diff, lk: dict[str, Any], user: str) -> dict[str, list[int]]:
        return {"product": write_upsert(s, P, [], diff.payload, user=user)}

    def export(self, s: Session, actor: Any = None) -> Iterable[Sequence[Any]]:
        for r in s.execute(select(P.c.sku, P.c.list_price, P.c.tax_rate, P.c.name).order_by(P.c.sku)):
            yield tuple(r)


# --- open orders with lines -----------------------------------------------------------------------
PRICE_FROM_SHEET = "unit price from the Excel import"  # the reason kept with a price the sheet sets


class Orders(Kind):
    """Orders go through the order rules of ``app.services.orders`` — the same functions, on plain
    tuples, so 100,000 lines stay a bulk write: prices (``pricing.price_lines``: the firm's
    price, or the sheet's as a price set by hand), totals (``pricing.line_amounts``), the margin
    floor (``orders.approval_reason``: an order below it is imported confirmed but waits for
    management), free stock (``orders.allocate_reservations``), promise dates (one
    ``promise.Planner`` for the sheet, each order queued behind the ones before it, as if confirmed
    on the order screen one after another) and numbers (a block of the order series,
    ``numbers.next_numbers``)."""

    name, title = "orders", "Open orders"
    description = ("Open orders with their lines, one row per line (e.g. from the previous system); imported orders "
                   "are priced and confirmed as on the order screen: they reserve free stock, get promise dates and "
                   "numbers of the order series, and wait for management when below the margin floor")
    import_permission = "orders.edit"
    key = ("number",)
    fields = (
        Field("number", "Order number", "code", True, ("order no", "order", "order id", "so", "sales order",
                                                       "auftrag", "auftragsnummer"),
              "An order's number in OrderCycle changes that order; any other number (the previous system's) "
              "groups the lines of a new order, which takes the next number of the order series"),
        Field("customer", "Customer code", "code", True, ("customer", "customer no", "account", "debtor"),
              lookup="customer"),
        Field("order_date", "Order date", "date", True, ("date", "ordered", "datum"),
              "Prices and promotions of this day apply"),
        Field("requested_date", "Requested date", "date", False, ("delivery date", "due date", "wanted",
                                                                   "liefertermin")),
        Field("customer_reference", "Customer reference", "text", False, ("po", "po number", "reference", "your ref")),
        SKU,
        Field("quantity", "Quantity", "qty", True, ("qty", "amount", "menge", "units"), positive=True),
        Field("unit_price", "Unit price", "money", False, ("price", "net price"), "Net price per unit, as if set by "
              "hand on the order form; empty: the firm's price (list price, quantity breaks, the customer's tier, "
              "promotions)"),
        Field("discount", "Discount", "rate", False, ("disc", "rebate"), "Extra discount on top of the firm's when "
              "the unit price is empty, as on the order form (5 % or 0.05); ignored when a unit price is given"),
    )

    def lookups(self, s: Session) -> dict[str, Any]:
        customers = {code: (cid, sp, getattr(tier, "value", tier), active) for cid, code, sp, tier, active in s.execute(
            select(C.c.id, C.c.code, C.c.salesperson_id, C.c.tier, C.c.active))}
        existing: dict[str, dict[str, Any]] = {}
        imported: dict[str, dict[str, Any]] = {}  # by the number in the sheet they came from
        for oid, number, status, cid, odate, rdate, ref, net, iref in s.execute(select(
                O.c.id, O.c.number, O.c.status, O.c.customer_id, O.c.order_date, O.c.requested_date,
                O.c.customer_reference, O.c.total_net, O.c.import_ref)):
            existing[number] = {"id": oid, "number": number, "status": getattr(status, "value", status),
                                "customer_id": cid, "order_date": odate, "requested_date": rdate,
                                "customer_reference": ref, "total_net": net}
            if iref is not None:
                imported[iref] = existing[number]
        return {"customers": customers, "products": _product_map(s), "orders": existing, "imported": imported,
                "settings": load_settings(s)}

    def diff(self, s: Session, rows: list[Row], lk: dict[str, Any]) -> Diff:
        d = Diff()
        orders: dict[str, dict[str, Any]] = {}
        customers, products = lk["customers"], lk["products"]
        problems = d.problems
        o: dict[str, Any] | None = None
        if not isinstance(rows, Rows):
            rows = Rows.of(rows)
        top = QTY_LIMIT
        # 100,000 rows a few seconds after the read: kept tight, straight from the columns
        for (number, cust, odate, rdate, ref, sku, qty, price, disc), rn in zip(zip(*(rows.column(name) for name in (
                "number", "customer", "order_date", "requested_date", "customer_reference", "sku", "quantity",
                "unit_price", "discount"))), rows.numbers):
            prod = products.get(sku)
            if o is None or o["number"] != number:  # rows of one order usually follow each other
                o = orders.get(number)
                if o is None:
                    o = orders[number] = {"number": number, "customer": cust, "order_date": odate,
                                          "requested_date": rdate, "customer_reference": ref, "lines": [],
                                          "first_row": rn, "bad": False}
                    c = customers.get(cust)
                    if c is None or not c[3]:
                        problems.append((rn, "customer", f"customer '{cust}' is inactive" if c else
                                         f"no customer '{cust}'"))
                        o["bad"] = True
                    if rdate is not None and odate is not None and rdate < odate:
                        problems.append((rn, "requested_date", "the requested date cannot be before the order date"))
                        o["bad"] = True
                    if prod is None or not prod["active"] or qty >= top:
                        problems.append(_line_problem(rn, sku, prod, qty))
                        o["bad"] = True
                        continue
                    if not o["bad"]:
                        o["lines"].append((prod["id"], qty, price, disc, rn))
                    continue
            bad = False
            if cust not in customers:
                problems.append((rn, "customer", f"no customer '{cust}'"))
                bad = True
            elif o["customer"] != cust:
                problems.append((rn, "customer", f"order {number} has {o['customer']} in row {o['first_row']}: "
                                                 "one order, one value"))
                bad = True
            if o["order_date"] != odate:
                problems.append((rn, "order_date", f"order {number} has {o['order_date']} in row "
                                                   f"{o['first_row']}: one order, one value"))
                bad = True
            if prod is None or not prod["active"] or qty >= top:
                problems.append(_line_problem(rn, sku, prod, qty))
                bad = True
            if bad:
                o["bad"] = True
            elif not o["bad"]:
                o["lines"].append((prod["id"], qty, price, disc, rn))
        good = [o for o in orders.values() if not o["bad"]]
        # an OrderCycle number is that order; another number, one imported before, is the order
        # it made (an import of the same sheet again changes nothing)
        known, imported = lk["orders"], lk["imported"]
        for o in good:
            cur = known.get(o["number"]) or imported.get(o["number"])
            if cur is not None:
                o["current"] = cur
        _price(s, good, lk)
        new, changed, same = [], [], 0
        lines_of = _stored_lines(s, [o["current"]["id"] for o in good if "current" in o])
        differ = []
        for o in good:
            cur = o.get("current")
            if cur is None:
                new.append(o)
                continue
            want = sorted((ln[0], ln[1], ln[4]) for ln in o["lines"])
            if want == sorted(lines_of.get(cur["id"], [])) and o["customer_id"] == cur["customer_id"] and \
                    o["requested_date"] == cur["requested_date"] and \
                    o["customer_reference"] == cur["customer_reference"]:
                same += 1
            else:
                differ.append((o, cur))
        # only quotes and confirmed orders nobody is picking change, as on the order screen
        busy = _orders_being_picked(s, [cur["id"] for _o, cur in differ])
        for o, cur in differ:
            name = f"order {o['number']}" if cur["number"] == o["number"] else \
                f"order {o['number']} (imported before as {cur['number']})"
            if cur["customer_id"] != o["customer_id"]:
                why = f"{name} is another customer's: an import cannot move it to {o['customer']}"
            elif cur["status"] not in ("quote", "confirmed"):
                why = f"{name} is {cur['status'].replace('_', ' ')}: an import cannot change it any more"
            elif cur["id"] in busy:
                why = f"{name} is being picked or shipped: its lines can no longer change"
            else:
                o["id"], o["status"], o["before"] = cur["id"], cur["status"], cur["total_net"]
                o["db_number"] = cur["number"]
                changed.append(o)
                continue
            problems.append((o["first_row"], "number", why))
        d.created, d.updated, d.unchanged, d.payload = len(new), len(changed), same, (new, changed)
        return d

    def apply(self, s: Session, diff: Diff, lk: dict[str, Any], user: str) -> dict[str, list[int]]:
        from sqlalchemy import bindparam, update

        new, changed = diff.payload
        now, today = utcnow(), clock.today()
        products = lk["products"]
        sku_of = {p["id"]: p["sku"] for p in products.values()}
        free = {p["id"]: max(ZERO, p["stock_on_hand"] - p["stock_reserved"]) for p in products.values()}
        reserved_delta: dict[int, Decimal] = {}
        if changed:  # release the old lines' reservations, then replace the lines
            ids = [o["id"] for o in changed]
            for pid, q in s.execute(select(L.c.product_id, func.sum(L.c.qty_reserved)).where(L.c.order_id.in_(ids))
                                    .group_by(L.c.product_id)):
                reserved_delta[pid] = reserved_delta.get(pid, ZERO) - Decimal(q)
                free[pid] = free.get(pid, ZERO) + Decimal(q)
            s.execute(L.delete().where(L.c.order_id.in_(ids)))
        # the new orders' numbers: a block of the order series, in the sheet's order
        new_numbers = numbers.next_numbers(s, "order", len(new))
        # on SQLite this transaction holds the database's write lock, so the new headers take the
        # next ids, given explicitly; elsewhere they are read back after the insert
        conn = s.connection()
        before = s.scalar(select(func.max(O.c.id))) or 0
        sqlite = conn.dialect.name == "sqlite"
        ids: dict[str, int] = {n: before + i for i, n in enumerate(new_numbers, 1)} if sqlite else {}
        for o, n in zip(new, new_numbers, strict=True):
            o["new_number"] = n
        for o in changed:
            ids[o["db_number"]] = o["id"]
        header_layout = HEADER_LAYOUT if sqlite else HEADER_LAYOUT[:-1]  # without the id
        header_constants = {c.key: None for c in O.columns if c.key not in HEADER_LAYOUT} | {
            "kind": OrderKind.ORDER.value, "status": OrderStatus.CONFIRMED.value, "confirmed_at": now,
            "created_at": now, "version": 1, "updated_at": now, "updated_by": user}
        headers_out = BulkInsert(conn, O, header_layout, header_constants | ({} if sqlite else {"id": None}))
        lines_out = BulkInsert(conn, L, LINE_LAYOUT, {
            "id": None, "qty_picked": ZERO, "qty_shipped": ZERO, "qty_invoiced": ZERO, "version": 1,
            "updated_at": now, "updated_by": user})
        # values in the driver's form (floats and text on SQLite), each distinct value converted once
        qty_, money_, rate_, day_ = (lines_out.converter("quantity"), lines_out.converter("unit_price"),
                                     lines_out.converter("tax_rate"), lines_out.converter("promise_date"))
        total_, date_ = headers_out.converter("total_net"), headers_out.converter("order_date")
        # the orders one after another in the sheet's order, as the order screen would confirm them:
        # free stock to their lines, then their promise against the work queued before them
        confirmed_ids = [o["id"] for o in changed if o["status"] == "confirmed"]
        planner = Planner(s, today, exclude_order_ids=confirmed_ids, free=free)
        planner.load(free)
        all_lines: list[tuple[Any, ...]] = []
        headers: list[tuple[Any, ...]] = []
        updates: list[dict[str, Any]] = []
        events: list[tuple[int, str, str, str]] = []  # (customer id, order number, kind, summary)
        # a line's values in the driver's form, once per distinct line (``_price`` shares the line
        # tuples between orders; the payload keeps them alive, so their ids stay theirs)
        driver: dict[int, tuple[Any, ...]] = {}
        texts: dict[tuple[Any, ...], str] = {}
        sequence = sorted((*new, *changed), key=lambda o: o["first_row"])
        for o in sequence:
            lines = o["lines"]
            wanted = [(ln[0], ln[1]) for ln in lines]
            number = o.get("new_number") or o["db_number"]
            confirmed = o.get("status", "confirmed") == "confirmed"
            if confirmed:
                promised, bottleneck, dates = planner.order_dates(wanted)
                takes = allocate_reservations(free, wanted)
                planner.queue([(pid, q, t) for (pid, q), t in zip(wanted, takes, strict=True)])
                reserved = any(takes)
                if reserved:
                    for (pid, _q), t in zip(wanted, takes, strict=True):
                        reserved_delta[pid] = reserved_delta.get(pid, ZERO) + t
            else:  # a quote changed by the import stays a quote: promised, nothing reserved or queued
                promised, bottleneck, dates = planner.quote_dates(wanted)
                takes, reserved = [ZERO] * len(lines), False
            oid = ids.get(number)
            for k, (ln, day, t) in enumerate(zip(lines, dates, takes), 1):
                part = driver.get(id(ln))
                if part is None:
                    pid, qty, list_price, disc, price, why, rate, cost = ln
                    part = driver[id(ln)] = (pid, qty_(qty), money_(list_price), rate_(disc), money_(price), why,
                                             rate_(rate), money_(cost))
                all_lines.append((oid, k, *part, day_(day), qty_(t)))
            net, tax, cost, reason = o["net"], o["tax"], o["cost"], o["approval"]
            cid = o["customer_id"]
            when = texts.get((promised, bottleneck))
            if when is None:
                when = texts[(promised, bottleneck)] = promise_text(promised, bottleneck)
            if "id" in o:
                updates.append({"_id": o["id"], "net": net, "tax": tax, "cost": cost, "needs": reason is not None,
                                "promise": promised, "bottleneck": bottleneck,
                                "requested": o["requested_date"], "ref": o["customer_reference"]})
                events.append((cid, number, "changed", (f"{number} changed by an Excel import: {len(lines)} "
                                                        f"line(s), net {net:,} (was {o['before']:,}){when}")))
            else:
                requested = date_(o["requested_date"])
                headers.append((number, cid, o["salesperson_id"], date_(o["order_date"]), requested,
                                date_(promised), bottleneck, o["customer_reference"], total_(net),
                                total_(tax), total_(cost), reason is not None, o["number"]) +
                               ((oid,) if sqlite else ()))
                events.append((cid, number, "imported", (f"Order {number} imported from Excel ({o['number']} in "
                                                         f"the sheet, {len(lines)} line(s)){when}")))
            if reason is not None:  # as the screen words it (a confirmed order it changes goes back to approval)
                what = "back_to_approval" if confirmed and "id" in o else "needs_approval"
                events.append((cid, number, what, f"{number}: {reason}" + (f"; {WAITS}" if confirmed else "")))
            if reserved:
                events.append((cid, number, "stock_reserved", "Stock reserved: " + "; ".join(
                    reservation_text(sku_of[ln[0]], t, ln[1], ln[1]) for ln, t in zip(lines, takes, strict=True))))
        headers_out.execute(headers)
        if new and not sqlite:
            # the new headers' ids in one query: rows above the highest id before the insert, kept
            # by number (another desk's order may have taken an id in between)
            wanted_numbers = set(new_numbers)
            ids.update((number, oid) for oid, number in s.execute(select(O.c.id, O.c.number).where(O.c.id > before))
                       if number in wanted_numbers)
            all_lines = [ln if ln[0] is not None else (ids[number], *ln[1:])
                         for ln, number in zip(all_lines, (o.get("new_number") or o["db_number"]
                                                           for o in sequence for _ in o["lines"]), strict=True)]
        if updates:
            s.connection().execute(update(O).where(O.c.id == bindparam("_id")).values(
                total_net=bindparam("net"), total_tax=bindparam("tax"), total_cost=bindparam("cost"),
                needs_approval=bindparam("needs"), approved_by=None, approved_at=None,
                promise_date=bindparam("promise"), bottleneck=bindparam("bottleneck"),
                requested_date=bindparam("requested"), customer_reference=bindparam("ref"),
                version=O.c.version + 1, updated_at=now, updated_by=user), updates)
        lines_out.execute(all_lines)
        BulkInsert(conn, TimelineEvent.__table__, EVENT_LAYOUT, {
            "id": None, "at": now, "stage": Stage.ORDERS.value, "user": user, "ref_table": "sales_order"}).execute(
            [(cid, ids[number], kind, summary, ids[number]) for cid, number, kind, summary in events])
        moved = [{"_id": pid, "delta": dq} for pid, dq in reserved_delta.items() if dq]
        if moved:
            s.connection().execute(update(P).where(P.c.id == bindparam("_id")).values(
                stock_reserved=P.c.stock_reserved + bindparam("delta"), version=P.c.version + 1, updated_at=now,
                updated_by=user), moved)
        return {"sales_order": list(ids.values()), "sales_order_line": [], "product": [m["_id"] for m in moved]}

    def export(self, s: Session, actor: Any = None) -> Iterable[Sequence[Any]]:
        q = (select(O.c.number, C.c.code, O.c.order_date, O.c.requested_date, O.c.customer_reference, P.c.sku,
                    L.c.quantity, L.c.unit_price, L.c.discount)
             .join(C, C.c.id == O.c.customer_id).join(L, L.c.order_id == O.c.id).join(P, P.c.id == L.c.product_id)
             .where(O.c.status.in_([OrderStatus.CONFIRMED.value, OrderStatus.IN_PRODUCTION.value,
                                    OrderStatus.READY.value, OrderStatus.PARTIALLY_SHIPPED.value]))
             .order_by(O.c.number, L.c.line_no))
        for r in s.execute(q).yield_per(5000):
            yield tuple(r)


QTY_LIMIT = Decimal(10) ** 10  # the order form's limit for a line's quantity


def _line_problem(rn: int, sku: str, prod: dict[str, Any] | None, qty: Decimal) -> tuple[int, str, str]:
    if prod is None:
        return rn, "sku", f"no product '{sku}'"
    if not prod["active"]:
        return rn, "sku", f"product '{sku}' is inactive"
    return rn, "quantity", f"the quantity must be below {QTY_LIMIT:,}"


def _orders_being_picked(s: Session, order_ids: list[int]) -> set[int]:
    """Orders with a line picked, shipped or on a pick list that is not cancelled (as the order
    screen's ``_check_editable``)."""
    from app.models import PickList, PickListLine
    from app.models.enums import PickListStatus

    busy: set[int] = set()
    for i in range(0, len(order_ids), 500):
        chunk = order_ids[i:i + 500]
        busy.update(s.scalars(select(L.c.order_id).where(L.c.order_id.in_(chunk), (L.c.qty_picked > 0)
                                                         | (L.c.qty_shipped > 0))))
        busy.update(s.scalars(select(L.c.order_id).join(PickListLine, PickListLine.order_line_id == L.c.id)
                              .join(PickList, PickList.id == PickListLine.pick_list_id)
                              .where(L.c.order_id.in_(chunk), PickList.status != PickListStatus.CANCELLED)))
    return busy


def _stored_lines(s: Session, order_ids: list[int]) -> dict[int, list[tuple[int, Decimal, Decimal]]]:
    out: dict[int, list[tuple[int, Decimal, Decimal]]] = {}
    for i in range(0, len(order_ids), 500):  # the existing orders' lines in a few bulk queries
        for oid, pid, q, p in s.execute(select(L.c.order_id, L.c.product_id, L.c.quantity, L.c.unit_price)
                                        .where(L.c.order_id.in_(order_ids[i:i + 500]))):
            out.setdefault(oid, []).append((pid, Decimal(q), Decimal(p)))
    return out


def _price(s: Session, orders: list[dict[str, Any]], lk: dict[str, Any]) -> None:
    """Price the orders' lines as the order screen does, then their totals and whether each waits
    for management: ``o["lines"]`` become (product id, quantity, list price, discount, unit price,
    override reason, tax rate, unit cost) and ``o`` gets net, tax, cost, approval (the reason or
    None), customer_id and salesperson_id. Prices are those of the order's date (an existing
    order's own). A sheet price equal to the firm's price for the line is the firm's price; any
    other is a price set by hand, kept with its reason. Lines repeat (product, quantity, tier):
    each distinct one is priced once."""
    settings, customers = lk["settings"], lk["customers"]
    tax_rate = {p["id"]: p["tax_rate"] for p in lk["products"].values()}
    day_of = [o["current"]["order_date"] if "current" in o else o["order_date"] for o in orders]
    pids = {ln[0] for o in orders for ln in o["lines"]}
    rules_on = load_rules_for_days(s, pids, set(day_of))
    book = CostBook(s, pids, settings=settings)
    # 1. the distinct lines (rules, quantity, tier, extra discount, sheet price), and the distinct
    #    prices by the rules among them (rules, quantity, tier, extra discount)
    index: dict[tuple[Any, ...], int] = {}
    distinct: list[tuple[int, Decimal | None]] = []  # (price by the rules, sheet price)
    by_rules_index: dict[tuple[Any, ...], int] = {}
    rule_keys: list[tuple[Any, ...]] = []
    refs: list[list[int]] = []  # per order, the distinct line of each of its lines
    for o, day in zip(orders, day_of, strict=True):
        rules, tier = rules_on[day], customers[o["customer"]][2]
        mine = []
        for pid, qty, price, disc, _rn in o["lines"]:
            r = rules[pid]
            key = (id(r), qty, tier, ZERO if price is not None or disc is None else disc, price)
            i = index.get(key)
            if i is None:
                ri = by_rules_index.get(key[:4])
                if ri is None:
                    ri = by_rules_index[key[:4]] = len(rule_keys)
                    rule_keys.append((r, qty, tier, key[3], None))
                i = index[key] = len(distinct)
                distinct.append((ri, price))
            mine.append(i)
        refs.append(mine)
    # 2. priced by the rules; a different price in the sheet is a price set by hand
    by_rules = price_lines(rule_keys, settings=settings, unit_cost=book.unit_cost)
    line_of = []
    for ri, sheet in distinct:
        disc, price, unit_cost = by_rules[ri]
        r, qty, tier = rule_keys[ri][0], rule_keys[ri][1], rule_keys[ri][2]
        why = None
        if sheet is not None and sheet != price:  # set by hand (each distinct sheet price is new: no memo)
            disc, price = price_line(r, qty, tier=tier, settings=settings, unit_cost=unit_cost, override=sheet)
            why = PRICE_FROM_SHEET
        rate = tax_rate[r.product_id]
        line_of.append(((r.product_id, qty, r.list_price, disc, price, why, rate, unit_cost),
                        *line_amounts(qty, price, rate, unit_cost), price < unit_cost))
    # 3. the orders' lines, totals and approval
    floor = settings.margin_floor
    for o, mine in zip(orders, refs, strict=True):
        cid, sp, _tier, _active = customers[o["customer"]]
        o["customer_id"], o["salesperson_id"] = cid, sp
        out = []
        net = tax = cost = ZERO
        below = []
        for k, i in enumerate(mine, 1):
            line, n, t, c, under = line_of[i]
            out.append(line)
            net += n
            tax += t
            cost += c
            if under:
                below.append(k)
        o["lines"] = out
        o["net"], o["tax"], o["cost"] = net, tax, cost
        o["approval"] = approval_reason(margin_of(net, cost), below, floor)


# in each table's column order (the id last: SQLite only, see ``Orders.apply``)
HEADER_LAYOUT = ("number", "customer_id", "salesperson_id", "order_date", "requested_date", "promise_date",
                 "bottleneck", "customer_reference", "total_net", "total_tax", "total_cost", "needs_approval",
                 "import_ref", "id")
LINE_LAYOUT = ("order_id", "line_no", "product_id", "quantity", "list_price", "discount", "unit_price",
               "price_override_reason", "tax_rate", "unit_cost", "promise_date", "qty_reserved")
EVENT_LAYOUT = ("customer_id", "order_id", "kind", "summary", "ref_id")


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
        return {"products": _product_map(s),
                "history": {(pid, day): {"id": i, "quantity": q, "revenue": rev} for i, pid, day, q, rev in
                            s.execute(select(t.c.id, t.c.product_id, t.c.period_start, t.c.quantity, t.c.revenue))}}

    def diff(self, s: Session, rows: list[Row], lk: dict[str, Any]) -> Diff:
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
        for r in s.execute(select(P.c.sku, t.c.period_start, t.c.quantity, t.c.revenue).join(P, P.c.id == t.c.product_id)
                           .order_by(P.c.sku, t.c.period_start)):
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
        return {"products": _product_map(s),
                "figures": {(pid, day): {"marketing": m, "production": p} for pid, day, m, p in s.execute(
                    select(t.c.product_id, t.c.period_start, t.c.marketing_qty, t.c.production_qty)
                    .where(t.c.granularity == "month"))}}

    def diff(self, s: Session, rows: list[Row], lk: dict[str, Any]) -> Diff:
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
            yield (r[0], getattr(r[1], "value", r[1]).replace("_", " "), *r[2:8], money(Decimal(r[8])), *r[9:])


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
            yield (*r[:7], money(Decimal(r[7])), r[8], getattr(r[9], "value", r[9]).replace("_", " "))


KINDS: dict[str, Kind] = {k.name: k for k in (Products(), Customers(), Stock(), PriceList(), Orders(), SalesHistory(),
                                              Forecasts(), OrderLines(), Invoices())}
IMPORT_KINDS = [k for k in KINDS.values() if k.import_permission]


def kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        from app.errors import UserError

        raise UserError(f"There is no kind '{name}'. Kinds: {', '.join(KINDS)}.") from None


__all__ = ["KINDS", "IMPORT_KINDS", "kind", "dt"]
