"""Which orders the demo has: seasonal history, about sixty open orders in every stage, and the
finished orders the stories refer to, as specs (day, customer, lines, status, …) that
``orders`` turns into rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from app.demo.dates import _month_index, _workday_back
from app.demo.firm import CUST, CUSTOMERS, FAMILIES, HOLD_REASONS, PRODUCTS, QTY_CHOICES, SKU, TIER_WEIGHT
from app.demo.rows import _BuilderBase
from app.models.enums import OrderStatus


class _Specs(_BuilderBase):
    """Order specs: ``history_specs``, ``open_specs``, ``pinned_history_specs``."""

    # -- order specs -------------------------------------------------------------------------
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
