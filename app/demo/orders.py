"""The orders' rows: sales orders and their lines, shipments, pick lists, packages, invoices,
payments and the customers' timelines, from the specs; demand per product and month on the way."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from app.demo.dates import _MINUTES, _month_index, _workday, _workday_back
from app.demo.firm import BIG_DISCOUNT, CARRIERS, CUST, PRODUCTS, TAX
from app.demo.rows import INV, OPEN_STATUSES, SH, ZERO, _BuilderBase
from app.models.base import money
from app.models.enums import InvoiceStatus, OrderKind, OrderStatus, PickListStatus, ShipmentStatus, Stage


class _Orders(_BuilderBase):
    """Turns order specs into rows (``materialize``), each line's discount from ``_discount``."""

    # -- orders ------------------------------------------------------------------------------
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
                assert ship_day is not None, "a closed order has shipped (see flags)"
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
                                     "weight_kg": Decimal(40 + int(rand() * 400)),
                                     "dimensions": "1200×1000×900 pallet"})
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
                        assert pay_day is not None, "an amount is paid on a day"
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
                assert confirmed_at is not None, "an order in production was confirmed"
                timeline.append({"customer_id": ci + 1, "order_id": oid, "at": confirmed_at + td(days=2),
                                 "stage": Stage.SCHEDULE, "kind": "released",
                                 "summary": f"{number} released to the workshop", "user": "production",
                                 "ref_table": "sales_order", "ref_id": oid})
            if track and status is OrderStatus.ON_HOLD:
                assert confirmed_at is not None, "an order on hold was confirmed"
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
