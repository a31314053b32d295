"""The demo's reference data: users, the firm's settings, the production set-up (calendars, work
centers, skills, shifts, staff), the catalogue (families, materials, bills of material, routings,
products, price breaks, promotions), customers with their addresses, and the priority set-up."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from app.demo.dates import overtime_saturday
from app.demo.firm import (
    AISLE,
    BOMS,
    BREAKS,
    ABROAD,
    CONTACT_NAMES,
    CUSTOMERS,
    FAMILIES,
    FIRM_COUNTRY,
    FIRM_NAME,
    FIRM_REGION,
    FIRM_ZONE,
    MAT,
    MATERIALS,
    OP_SKILL,
    OVERHEAD,
    PRODUCTS,
    ROUTINGS,
    SHIFTS,
    SITE_CUSTOMERS,
    SK,
    SKILLS,
    SKU,
    STAFF,
    TAX,
    UID,
    USERS,
    WC,
    WC_RATE,
    WORK_CENTERS,
)
from app.demo.rows import ZERO, _BuilderBase
from app.models.base import money
from app.models.enums import AddressKind, CustomerTier, Role


class _Reference(_BuilderBase):
    """Builds the reference data (``build_reference``)."""

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
        """The demo firm's own settings; everything else is the declared default (a value equal
        to its default is not stored), each checked by its declaration in app.services.settings."""
        from app.services.settings import stored_rows

        t0 = self.setup_ts
        values = {
            "firm_name": FIRM_NAME,
            "firm_address": {"line1": "Units 3-5, Canal Side Works", "line2": "Wharf Road", "city": "Rotherham",
                             "postcode": "S60 1BW", "country": "GB"},
            "firm_phone": "01709 496 0140",
            "firm_email": "orders@northbeam-steel.example",
            "company_number": "09876543",
            "vat_number": "GB 987 6543 21",
            "bank_details": {"bank": "Yorkshire Commercial Bank", "account_name": FIRM_NAME, "sort_code": "40-12-76",
                             "account_number": "31926819", "iban": "GB29 NWBK 6016 1331 9268 19",
                             "bic": "NWBKGB2L"},
            "currency": "GBP",
            "country": FIRM_COUNTRY,
            "region": FIRM_REGION,
            "time_zone": FIRM_ZONE,
            "demo_company": True,
        }
        for key, value, desc in stored_rows(values):  # keyed by name: no id column
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
                assert buy is not None, f"{sku}: a bought product needs its buy cost"
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
            for min_qty, disc in ((10, "0.0300"), (25, "0.0600"), (50, "0.1000")):
                self.add("price_break", {"product_id": SKU[sku] + 1, "min_quantity": self.q(min_qty),
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
        for k, (code, name, tier, sp, terms, credit, vat, lines, pc, town, region, country, phone) in enumerate(
                ABROAD, len(CUSTOMERS) + 1):
            common = {"version": 1, "updated_at": t0, "updated_by": sp}
            domain = "".join(ch for ch in name.lower().split(" gmbh")[0].split(" inc")[0] if ch.isalnum())[:18]
            self.add("customer", {
                "id": k, "code": code, "name": name, "tier": CustomerTier(tier), "strategic": False,
                "salesperson_id": UID[sp], "payment_terms_days": terms, "credit_limit": money(credit),
                "vat_number": vat, "email": f"{'einkauf' if country == 'AT' else 'purchasing'}@{domain}.example",
                "phone": phone, "notes": "New this month: first quote requested.", "active": True, **common})
            for kind in (AddressKind.BILLING, AddressKind.SHIPPING):
                self.add("address", {"customer_id": k, "kind": kind, "line1": lines[0], "line2": None, "postcode": pc,
                                     "city": town, "region": region, "country": country, **common})
        # two people at every customer: the buyer, and accounts payable (who gets the invoices)
        everyone = [(c[0], c[1], c[4]) for c in CUSTOMERS] + [(c[0], c[1], c[3]) for c in ABROAD]
        for i, (code, name, sp) in enumerate(everyone, 1):
            domain = "".join(ch for ch in name.lower().split(" ltd")[0].split(" plc")[0].split(" gmbh")[0]
                             .split(" inc")[0] if ch.isalnum())[:18]
            common = {"version": 1, "updated_at": t0, "updated_by": sp}
            for j, (role, invoices) in enumerate((("Buyer", False), ("Accounts payable", True))):
                first, last = CONTACT_NAMES[(2 * i + j) % len(CONTACT_NAMES)]
                self.add("customer_contact", {
                    "customer_id": i, "name": f"{first} {last}", "role": role,
                    "email": f"{first[0].lower()}.{last.lower()}@{domain}.example", "phone": None,
                    "for_invoices": invoices, **common})
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
