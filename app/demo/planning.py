"""Stock, demand history and forecasts, from the orders the demo made."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from app.demo.dates import _add_months, _month_index, _workday_back, _working_days
from app.demo.firm import PRODUCTS, SPRING_PROJECTS
from app.demo.rows import ZERO, _BuilderBase
from app.models.base import money
from app.models.enums import ForecastStatus


class _Planning(_BuilderBase):
    """Stock levels, demand history and forecasts (``stock_and_planning``)."""

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
        ahead: dict[int, list[Decimal]] = {pi: [] for pi in range(len(PRODUCTS))}  # marketing's quantities
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
