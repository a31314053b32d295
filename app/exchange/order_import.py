"""The open-orders import and export (one row per order line): imported orders go through the
order rules — prices, the margin floor, free stock, promise dates, numbers of the order series,
the timeline and the audit — in bulk (see ``Orders``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.db.bulk import BulkInsert
from app.exchange.shared import SKU, product_map
from app.exchange.spec import ZERO, Diff, Field, Kind, Row, Rows
from app.models import Customer, Product, SalesOrder, SalesOrderLine, TimelineEvent
from app.models.base import utcnow
from app.models.enums import OrderKind, OrderStatus, Stage
from app.services import credit, numbers
from app.services.orders import WAITS, allocate_reservations, approval_reason, promise_text, reservation_text
from app.services.pricing import CostBook, line_amounts, load_rules_for_days, margin_of, price_line, price_lines
from app.services.promise import Planner
from app.services.settings import load_settings

P, C, O, L = Product.__table__, Customer.__table__, SalesOrder.__table__, SalesOrderLine.__table__

# --- open orders with lines -----------------------------------------------------------------------
PRICE_FROM_SHEET = "unit price from the Excel import"  # the reason kept with a price the sheet sets


class Orders(Kind):
    """Orders go through the order rules of ``app.services.orders`` — the same functions, on plain
    tuples, so 100,000 lines stay a bulk write: prices (``pricing.price_lines``: the firm's
    price, or the sheet's as a price set by hand), totals (``pricing.line_amounts``), the margin
    floor (``orders.approval_reason``: an order below it is imported confirmed but waits for
    management), free stock (``orders.allocate_reservations``), promise dates (one
    ``promise.Planner`` for the sheet, each order queued behind the ones before it, as if confirmed
    on the order screen one after another), numbers (a block of the order series,
    ``numbers.next_numbers``) and the credit limit (``credit.hold_reason_for``: a new order that
    takes its customer above the limit is imported on credit hold for finance)."""

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
        found: Any = s.execute(select(  # every order: 1,000,000 rows are read as plain tuples
                O.c.id, O.c.number, O.c.status, O.c.customer_id, O.c.order_date, O.c.requested_date,
                O.c.customer_reference, O.c.total_net, O.c.import_ref))
        for oid, number, status, cid, odate, rdate, ref, net, iref in found:
            existing[number] = {"id": oid, "number": number, "status": getattr(status, "value", status),
                                "customer_id": cid, "order_date": odate, "requested_date": rdate,
                                "customer_reference": ref, "total_net": net}
            if iref is not None:
                imported[iref] = existing[number]
        return {"customers": customers, "products": product_map(s), "orders": existing, "imported": imported,
                "settings": load_settings(s)}

    def diff(self, s: Session, rows: Sequence[Row], lk: dict[str, Any]) -> Diff:
        d = Diff()
        orders: dict[str, dict[str, Any]] = {}
        customers, products = lk["customers"], lk["products"]
        problems = d.problems
        o: dict[str, Any] | None = None
        table = rows if isinstance(rows, Rows) else Rows.of(rows)
        top = QTY_LIMIT
        # 100,000 rows a few seconds after the read: kept tight, straight from the columns
        for (number, cust, odate, rdate, ref, sku, qty, price, disc), rn in zip(zip(*(table.column(name) for name in (
                "number", "customer", "order_date", "requested_date", "customer_reference", "sku", "quantity",
                "unit_price", "discount"))), table.numbers):
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
            changed_ids = [o["id"] for o in changed]
            held: Any = s.execute(select(L.c.product_id, func.sum(L.c.qty_reserved))
                                  .where(L.c.order_id.in_(changed_ids)).group_by(L.c.product_id))
            for pid, q in held:
                reserved_delta[pid] = reserved_delta.get(pid, ZERO) - Decimal(q)
                free[pid] = free.get(pid, ZERO) + Decimal(q)
            s.execute(L.delete().where(L.c.order_id.in_(changed_ids)))
        # the new orders' numbers: a block of the order series, in the sheet's order
        new_numbers = numbers.next_numbers(s, "order", len(new))
        # on SQLite this transaction holds the database's write lock, so the new headers take the
        # next ids, given explicitly; elsewhere they are read back after the insert
        conn = s.connection()
        before: int = s.scalar(select(func.max(O.c.id))) or 0  # the highest order id before this import
        sqlite = conn.dialect.name == "sqlite"
        ids: dict[str, int] = {n: before + i for i, n in enumerate(new_numbers, 1)} if sqlite else {}
        for o, n in zip(new, new_numbers, strict=True):
            o["new_number"] = n
        for o in changed:
            ids[o["db_number"]] = o["id"]
        header_layout = HEADER_LAYOUT if sqlite else HEADER_LAYOUT[:-1]  # without the id
        header_constants = {c.key: None for c in O.columns if c.key not in HEADER_LAYOUT} | {
            "kind": OrderKind.ORDER.value, "confirmed_at": now,
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
        # the credit limit, as on the order screen: a new order that takes its customer above the
        # limit is held for finance; each order counts for the ones after it
        limits = {cid: Decimal(str(lim)) for cid, lim in s.execute(select(C.c.id, C.c.credit_limit)
                                                                   .where(C.c.credit_limit > 0))}
        exposures: dict[int, credit.Exposure] = {}
        confirmed_status, held_status = OrderStatus.CONFIRMED.value, OrderStatus.ON_HOLD.value
        for o in sequence:
            lines = o["lines"]
            wanted = [(ln[0], ln[1]) for ln in lines]
            number = o.get("new_number") or o["db_number"]
            confirmed = o.get("status", "confirmed") == "confirmed"
            cid = o["customer_id"]
            held = None
            limit = limits.get(cid) if "id" not in o else None
            if limit is not None:
                owed = exposures.get(cid) or credit.exposure(s, cid)
                held = credit.hold_reason_for(limit, owed, o["net"] + o["tax"])
                exposures[cid] = credit.Exposure(owed.receivables, owed.open_orders + o["net"] + o["tax"])
            if confirmed:
                promised, bottleneck, dates = planner.order_dates(wanted)
                takes = allocate_reservations(free, wanted)
                if held is None:
                    planner.queue([(pid, q, t) for (pid, q), t in zip(wanted, takes, strict=True)])
                else:  # a held order keeps its stock but waits outside the work queues
                    planner.hold()
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
                                total_(tax), total_(cost), reason is not None,
                                confirmed_status if held is None else held_status, held, o["number"]) +
                               ((oid,) if sqlite else ()))
                events.append((cid, number, "imported", (f"Order {number} imported from Excel ({o['number']} in "
                                                         f"the sheet, {len(lines)} line(s)){when}")))
                if held is not None:
                    events.append((cid, number, "credit_hold", f"{number} on credit hold for finance — {held}"))
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
            above: Any = s.execute(select(O.c.id, O.c.number).where(O.c.id > before))
            ids.update((number, oid) for oid, number in above if number in wanted_numbers)
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
        moved: list[dict[str, Any]] = [{"_id": pid, "delta": dq} for pid, dq in reserved_delta.items() if dq]
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
        stored: Any = s.execute(select(L.c.order_id, L.c.product_id, L.c.quantity, L.c.unit_price)
                                .where(L.c.order_id.in_(order_ids[i:i + 500])))
        for oid, pid, q, p in stored:
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
                 "status", "hold_reason", "import_ref", "id")
LINE_LAYOUT = ("order_id", "line_no", "product_id", "quantity", "list_price", "discount", "unit_price",
               "price_override_reason", "tax_rate", "unit_cost", "promise_date", "qty_reserved")
EVENT_LAYOUT = ("customer_id", "order_id", "kind", "summary", "ref_id")
