"""The data each story in SCENARIOS.md starts from: expedites (the marketing quota used up),
returns and refunds (a claim over two orders), service jobs with debriefs, feedback and a lead,
an installation to book, notes; then the timeline's ids in time order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from app.demo.dates import _add_business_days, _add_months, _month_index, _workday, _workday_back
from app.demo.firm import CUST, SKU, TAX
from app.demo.rows import LAYOUTS, SO, _BuilderBase
from app.models.base import money
from app.models.enums import (
    Disposition,
    ExpediteStatus,
    FeedbackTag,
    LeadStatus,
    OpportunityKind,
    OrderStatus,
    RefundStatus,
    ReturnMethod,
    RmaStatus,
    Role,
    ServiceKind,
    ServiceStatus,
    Stage,
)


class _Stories(_BuilderBase):
    """The stories' data (``stories``)."""

    # -- the stories -------------------------------------------------------------------------
    def stories(self) -> None:
        today, td = self.today, dt.timedelta
        info = {oi[0]: oi for oi in self.order_info}
        orders = self.rows["sales_order"]
        timeline = self.rows["timeline_event"]
        month_start = self.cur_month

        def order(oid: int) -> dict[str, Any]:
            return dict(zip(LAYOUTS["sales_order"], orders[oid - 1]))

        def event(oid: int | None, ci: int, at: dt.datetime, stage: Stage, kind: str, summary: str, user: str,
                  ref_table: str | None, ref_id: int | None) -> None:
            timeline.append({"customer_id": ci + 1, "order_id": oid, "at": at, "stage": stage, "kind": kind,
                             "summary": summary, "user": user, "ref_table": ref_table, "ref_id": ref_id})

        # expedites: three by marketing this month (the quota is three), one by sales; older ones
        # (one of them on the story customer's strategic order, so it shows on its timeline)
        open_prod = [o[0] for o in orders if o[SO["status"]] in (OrderStatus.IN_PRODUCTION, OrderStatus.CONFIRMED)
                     and o[0] != self.story["tradeshow"] and o[0] != self.story["strategic"]]
        picks = open_prod[:4]
        days_in = (today - month_start).days
        plans = [
            ("marketing", Role.MARKETING, ExpediteStatus.ACCEPTED, "Key account reorder before their stock count",
             Decimal("4"), 0, 0),
            ("marketing", Role.MARKETING, ExpediteStatus.ACCEPTED, "Customer featured in our spring mailing",
             None, 1, 1),
            ("marketing", Role.MARKETING, ExpediteStatus.PENDING, "Showroom display needed for open day", None,
             None, None),
            ("sales", Role.SALES, ExpediteStatus.ACCEPTED, "Line-down at customer: guard panels missing",
             Decimal("2"), 0, 0),
        ]
        for k, (user, dept, status, reason, ot, so, sd) in enumerate(plans):
            oid = picks[k]
            req_day = month_start + td(days=min(days_in, [1, 3, 6, 2][k] * days_in // 7))
            at = self.ts(req_day, 9 * 60 + 15 * k)
            decided = status is not ExpediteStatus.PENDING
            promise = order(oid)["promise_date"]
            # accepted: the promise was moved to the requested date; pending: two working days earlier
            wanted = promise if decided else max(_workday_back(promise - td(days=2)), today + td(days=1))
            eid = self.add("expedite_request", {
                "order_id": oid, "requested_by": user, "department": dept, "requested_date": wanted,
                "reason": reason, "status": status, "over_quota": False, "management_by": None,
                "management_at": None, "decided_by": "production" if decided else None,
                "decided_at": at + td(hours=3) if decided else None,
                "decision_comment": ("Accepted with overtime" if ot else "Accepted; one order slips a day")
                if decided else None,
                "overtime_hours": ot, "slipped_orders": so, "slipped_days": sd,
                "created_at": at, "version": 1, "updated_at": at + td(hours=3) if decided else at,
                "updated_by": "production" if decided else user})
            o = order(oid)
            event(oid, o["customer_id"] - 1, at, Stage.PRIORITIES, "expedite_requested",
                  f"{user.capitalize()} asked to expedite {o['number']}: {reason}", user, "expedite_request", eid)
        # older expedites on finished orders, for the requesters' statistics
        closed_by_month: dict[int, list[int]] = {}
        for oid, _ci, status, _ship_day, _inv_id, _lines in self.order_info:
            if status is OrderStatus.CLOSED:
                closed_by_month.setdefault(_month_index(orders[oid - 1][SO["order_date"]]), []).append(oid)
        for back in (1, 2, 3):
            mi = _month_index(_add_months(month_start, -back))
            cands = closed_by_month.get(mi, [])
            # two months ago marketing asked a fourth time: over the quota, management agreed
            for j in range(min(len(cands), 5 if back == 2 else 3)):
                oid = cands[(j * 7 + back) % len(cands)]
                o = order(oid)
                user, dept = ("sales", Role.SALES) if j == 1 else ("marketing", Role.MARKETING)
                over = j == 4
                at = self.ts(o["order_date"], 11 * 60 + j)
                st = ExpediteStatus.DECLINED if (back == 3 and j == 2) else ExpediteStatus.ACCEPTED
                eid = self.add("expedite_request", {
                    "order_id": oid, "requested_by": user, "department": dept,
                    "requested_date": o["order_date"] + td(days=10),
                    "reason": "Trade show stock" if user == "marketing" else "Customer deadline moved forward",
                    "status": st, "over_quota": over,
                    "management_by": "management" if over else None,
                    "management_at": at + td(hours=2) if over else None,
                    "decided_by": "production", "decided_at": at + td(hours=4),
                    "decision_comment": "Declined: would delay two strategic orders" if st is ExpediteStatus.DECLINED
                    else "Accepted", "overtime_hours": Decimal(j + 1) if st is ExpediteStatus.ACCEPTED else None,
                    "slipped_orders": j % 2, "slipped_days": j % 2,
                    "created_at": at, "version": 1, "updated_at": at + td(hours=4), "updated_by": "production"})
                if o["customer_id"] == CUST["HALDEN"]:
                    event(oid, o["customer_id"] - 1, at, Stage.PRIORITIES, "expedite_requested",
                          f"Expedite requested for {o['number']}", user, "expedite_request", eid)
        # the story customer's earlier order was expedited too (story 8: it is on their timeline)
        o = order(self.story["rma1"])
        at = self.ts(o["order_date"], 14 * 60)
        eid = self.add("expedite_request", {
            "order_id": o["id"], "requested_by": "sales", "department": Role.SALES,
            "requested_date": o["order_date"] + td(days=3), "reason": "Their stock count moved forward a week",
            "status": ExpediteStatus.ACCEPTED, "over_quota": False, "management_by": None, "management_at": None,
            "decided_by": "production", "decided_at": at + td(hours=2), "decision_comment": "Accepted",
            "overtime_hours": Decimal(0), "slipped_orders": 1, "slipped_days": 1, "created_at": at, "version": 1,
            "updated_at": at + td(hours=2), "updated_by": "production"})
        event(o["id"], o["customer_id"] - 1, at, Stage.PRIORITIES, "expedite_requested",
              f"Sales asked to expedite {o['number']}: their stock count moved forward a week", "sales",
              "expedite_request", eid)
        event(o["id"], o["customer_id"] - 1, at + td(hours=2), Stage.PRIORITIES, "expedite_decided",
              f"Production accepted the expedite of {o['number']}; one other order slipped a day", "production",
              "expedite_request", eid)
        # returns -------------------------------------------------------------------------
        cn_rows = self.rows["credit_note"]
        hal = CUST["HALDEN"] - 1
        recent_closed = [oi for oi in self.order_info if oi[2] is OrderStatus.CLOSED and oi[1] != hal
                         and oi[3] is not None and oi[3] >= today - td(days=120)]
        if len(recent_closed) < 3:
            recent_closed = [oi for oi in self.order_info if oi[2] is OrderStatus.CLOSED and oi[1] != hal]

        def rma(number: int, ci: int, status: RmaStatus, opened: dt.datetime, complaint: str, **kw: Any) -> int:
            return self.add("return_authorization", {
                "number": f"RMA-{number:06d}", "customer_id": ci + 1, "status": status, "channel": "phone",
                "opened_by": kw.pop("opened_by", "sales"), "complaint": complaint, "decided_by": None,
                "decided_at": None, "decision_reason": None, "return_method": None, "pickup_details": None,
                "received_at": None, "received_by": None, "created_at": opened, "version": 1,
                "updated_at": kw.pop("updated_at", opened), "updated_by": kw.pop("updated_by", "sales"), **kw})

        def credit(rma_id: int, inv_id: int, net: Decimal, day: dt.date, reason: str) -> tuple[int, Decimal]:
            tax = money(net * TAX)
            cid = self.add("credit_note", {"number": len(cn_rows) + 1, "invoice_id": inv_id, "rma_id": rma_id,
                                           "issue_date": day, "net": net, "tax": tax, "reason": reason,
                                           "issued_by": "finance", "created_at": self.ts(day, 11 * 60),
                                           "version": 1, "updated_at": self.ts(day, 11 * 60),
                                           "updated_by": "finance"})
            return cid, net + tax

        # 1. closed: restocked, refunded within two business days
        oi1 = recent_closed[0]
        lid, pi, dq, up, _net, _tax, _sh = oi1[5][0]
        opened = self.ts(_workday(oi1[3] + td(days=6)), 10 * 60)
        recv = _workday(opened.date() + td(days=5))
        paid_day = _add_business_days(recv, 2)
        r1 = rma(1, oi1[1], RmaStatus.CLOSED, opened, "Wrong colour delivered (RAL 5010 instead of 7035).",
                 decided_by="management", decided_at=opened + td(hours=4), decision_reason="Our error: accept",
                 return_method=ReturnMethod.CARRIER_PICKUP, pickup_details="Palletways collection booked",
                 received_at=self.ts(recv, 9 * 60), received_by="shipping",
                 updated_at=self.ts(paid_day, 15 * 60), updated_by="finance")
        self.add("return_line", {"rma_id": r1, "order_line_id": lid, "quantity": self.q(1),
                                 "reason": "Wrong colour", "condition": "As new, in original packing",
                                 "disposition": Disposition.RESTOCK})
        cid, amount = credit(r1, oi1[4], money(up), recv, f"RMA-000001: 1 × {self.products[pi]['sku']} returned")
        self.add("refund", {"credit_note_id": cid, "amount": amount, "status": RefundStatus.PAID,
                            "queued_at": self.ts(recv, 11 * 60), "due_by": _add_business_days(recv, 3),
                            "paid_at": self.ts(paid_day, 15 * 60), "paid_by": "finance",
                            "reference": "BACS refund", "created_at": self.ts(recv, 11 * 60), "version": 1,
                            "updated_at": self.ts(paid_day, 15 * 60), "updated_by": "finance"})
        # 2. refund queued to finance: scrapped on receipt
        oi2 = recent_closed[1]
        lid, pi, dq, up, _net, _tax, _sh = oi2[5][0]
        recv2 = _workday_back(today - td(days=1))
        opened2 = self.ts(_workday_back(recv2 - td(days=6)), 14 * 60)
        r2 = rma(2, oi2[1], RmaStatus.REFUND_QUEUED, opened2, "Unit dropped by the carrier, frame twisted.",
                 decided_by="management", decided_at=opened2 + td(hours=2), decision_reason="Carrier damage",
                 return_method=ReturnMethod.CARRIER_PICKUP, pickup_details="DHL Freight pickup, ref JD014600912",
                 received_at=self.ts(recv2, 9 * 60), received_by="shipping",
                 updated_at=self.ts(recv2, 11 * 60), updated_by="finance")
        self.add("return_line", {"rma_id": r2, "order_line_id": lid, "quantity": self.q(1),
                                 "reason": "Damaged in transit", "condition": "Frame twisted beyond repair",
                                 "disposition": Disposition.SCRAP})
        cid, amount = credit(r2, oi2[4], money(up), recv2, f"RMA-000002: 1 × {self.products[pi]['sku']} damaged")
        self.add("refund", {"credit_note_id": cid, "amount": amount, "status": RefundStatus.QUEUED,
                            "queued_at": self.ts(recv2, 11 * 60), "due_by": _add_business_days(recv2, 3),
                            "paid_at": None, "paid_by": None, "reference": None,
                            "created_at": self.ts(recv2, 11 * 60), "version": 1,
                            "updated_at": self.ts(recv2, 11 * 60), "updated_by": "finance"})
        # 3. approved, pickup booked
        oi3 = recent_closed[2]
        lid, pi, dq, up, _net, _tax, _sh = oi3[5][0]
        opened3 = self.ts(_workday_back(today - td(days=3)), 11 * 60)
        r3 = rma(3, oi3[1], RmaStatus.PICKUP_BOOKED, opened3, "Two shelves arrived scratched.",
                 decided_by="sales", decided_at=opened3 + td(hours=1), decision_reason="Cosmetic damage, replace",
                 return_method=ReturnMethod.CARRIER_PICKUP, pickup_details="DPD collection booked for Friday",
                 updated_at=opened3 + td(hours=2))
        self.add("return_line", {"rma_id": r3, "order_line_id": lid, "quantity": self.q(1),
                                 "reason": "Scratched", "condition": None, "disposition": None})
        # 4. story 6: the call that opens a claim over two orders of the story customer
        o_a, o_b = info[self.story["rma1"]], info[self.story["rma2"]]
        opened4 = self.ts(today, 8 * 60 + 40) if today.weekday() < 5 else self.now_ts
        r4 = rma(4, hal, RmaStatus.OPENED, opened4,
                 "Two shelving units from two deliveries arrived damaged: bent uprights.")
        self.add("return_line", {"rma_id": r4, "order_line_id": o_a[5][0][0], "quantity": self.q(1),
                                 "reason": "Arrived damaged (bent upright)", "condition": None, "disposition": None})
        self.add("return_line", {"rma_id": r4, "order_line_id": o_b[5][0][0], "quantity": self.q(1),
                                 "reason": "Arrived damaged (bent upright)", "condition": None, "disposition": None})
        for rid, oi, at, summ in ((r1, oi1, opened, "Return RMA-000001 opened"),
                                  (r2, oi2, opened2, "Return RMA-000002 opened"),
                                  (r3, oi3, opened3, "Return RMA-000003 opened"),
                                  (r4, o_a, opened4, "Return RMA-000004 opened: 2 shelving units damaged")):
            event(oi[0], oi[1], at, Stage.RETURNS, "return_opened", summ, "sales", "return_authorization", rid)
        event(oi1[0], oi1[1], self.ts(paid_day, 15 * 60), Stage.BILLING, "refund_paid",
              f"Refund of {self.rows['refund'][0]['amount']:,} paid (RMA-000001)", "finance", "refund", 1)
        event(oi2[0], oi2[1], self.ts(recv2, 11 * 60), Stage.BILLING, "refund_queued",
              f"Refund of {self.rows['refund'][1]['amount']:,} queued to finance (RMA-000002)", "finance",
              "refund", 2)
        # service ---------------------------------------------------------------------------

        def job(number: int, kind: ServiceKind, status: ServiceStatus, ci: int, oid: int | None, tech: int | None,
                start: dt.datetime | None, minutes: int, desc: str, created: dt.datetime, **kw: Any) -> int:
            return self.add("service_job", {
                "number": f"SJ-{number:06d}", "kind": kind, "status": status, "customer_id": ci + 1,
                "order_id": oid, "rma_id": None, "technician_id": tech, "scheduled_start": start,
                "scheduled_end": start + td(minutes=minutes) if start else None,
                "recurrence_months": kw.pop("recurrence", None), "description": desc,
                "minutes_spent": kw.pop("spent", 0), "materials_used": kw.pop("materials", None),
                "created_at": created, "version": 1, "updated_at": kw.pop("updated_at", created),
                "updated_by": kw.pop("updated_by", "service")})

        pen = CUST["PENNIN"] - 1
        done_specs = [("debrief_pennine", pen, 10, 4, "Mobile shelving installed; floor rails shimmed.",
                       None, "usability", "SP-ANCHOR-M12",
                       "Anchor bolts at the rail ends are awkward to reach with a standard socket."),
                      ("debrief_halden", hal, 8, 5, "Archive shelving installed in the records room.",
                       "Customer is opening a second warehouse next year and will need racking and shelving "
                       "for about 2,000 m².", "usability", "SP-ANCHOR-M12",
                       "Anchor bolts behind the base plate are hard to reach; needed a cranked spanner.")]
        n_job = 0
        for story_key, ci, tech, sat, work, situation, tag, sku, text_ in done_specs:
            oi = info[self.story[story_key]]
            n_job += 1
            day = _workday(oi[3] + td(days=7))
            start = self.ts(day, 8 * 60)
            created = (oi[3] and self.ts(oi[3], 16 * 60)) or start
            jid = job(n_job, ServiceKind.INSTALLATION, ServiceStatus.DEBRIEFED, ci, oi[0], tech, start, 480,
                      f"Install {self.products[oi[5][0][1]]['name']} on site", created, spent=450,
                      materials="Anchor bolts M12 × 16", updated_at=start + td(hours=9))
            did = self.add("service_debrief", {"job_id": jid, "filed_by": "service", "minutes_on_site": 450,
                                               "work_done": work, "situation": situation, "satisfaction": sat,
                                               "created_at": start + td(hours=9), "version": 1,
                                               "updated_at": start + td(hours=9), "updated_by": "service"})
            self.add("product_feedback", {"debrief_id": did, "product_id": SKU[sku] + 1, "tag": FeedbackTag(tag),
                                          "text": text_, "created_at": start + td(hours=9)})
            event(oi[0], ci, created, Stage.SERVICE, "service_job_created",
                  f"Installation job SJ-{n_job:06d} created", "shipping", "service_job", jid)
            event(oi[0], ci, start + td(hours=9), Stage.SERVICE, "debriefed",
                  f"SJ-{n_job:06d} debriefed: satisfaction {sat}/5", "service", "service_debrief", did)
            if situation:
                self.add("product_feedback", {"debrief_id": did, "product_id": SKU["SYS-ARC-10"] + 1,
                                              "tag": FeedbackTag.DOCUMENTATION,
                                              "text": "Assembly drawing does not show the bracing order.",
                                              "created_at": start + td(hours=9)})
                lead_id = self.add("lead", {"debrief_id": did, "customer_id": ci + 1, "salesperson_id": self.c_sp[ci],
                                            "kind": OpportunityKind.MORE_UNITS,
                                            "description": "Second warehouse next year: racking and shelving, "
                                                           "about 2,000 m²",
                                            "estimated_value": money(85000), "status": LeadStatus.NEW,
                                            "created_at": start + td(hours=9), "version": 1,
                                            "updated_at": start + td(hours=9), "updated_by": "service"})
                event(oi[0], ci, start + td(hours=9, minutes=1), Stage.SERVICE, "lead_created",
                      "Lead for the salesperson: second warehouse next year", "service", "lead", lead_id)
        # story 7: the shipped shelving system waits for an installer to be booked
        oi = info[self.story["install"]]
        n_job += 1
        created = self.ts(oi[3], 16 * 60)
        jid = job(n_job, ServiceKind.INSTALLATION, ServiceStatus.PLANNED, hal, oi[0], None, None, 0,
                  "Install pallet racking (2 bays) at the Leeds warehouse; anchor to slab.", created,
                  updated_by="shipping")
        event(oi[0], hal, created, Stage.SERVICE, "service_job_created",
              f"Installation job SJ-{n_job:06d} created on shipment", "shipping", "service_job", jid)
        # a scheduled yearly inspection for another customer
        n_job += 1
        start = self.ts(_workday(today + td(days=6)), 8 * 60)
        job(n_job, ServiceKind.MAINTENANCE, ServiceStatus.SCHEDULED, pen, None, 11, start, 240,
            "Annual racking inspection (SEMA-style), mobile shelving rails", self.now_ts - td(days=20),
            recurrence=12)
        # notes -----------------------------------------------------------------------------
        note_rows = [
            (hal, None, "sales", Stage.ORDERS, "Site contact Jo Whitfield, 0113 496 0199. Deliveries Mon-Fri "
             "before 10:00; forklift on site. Opening a second warehouse next year."),
            (CUST["SHOWCS"] - 1, self.story["tradeshow"], "marketing", Stage.PRIORITIES,
             "Stand build at the NEC starts on the 14th; everything must be on site the day before."),
            (hal, self.story["strategic"], "production", Stage.SCHEDULE,
             "Custom benches to drawing HL-WB-07 rev B; welding booked on station 1."),
        ]
        for row in orders:
            o = dict(zip(LAYOUTS["sales_order"], row))
            if o["status"] is OrderStatus.ON_HOLD and "Credit" in (o["hold_reason"] or ""):
                note_rows.append((o["customer_id"] - 1, o["id"], "finance", Stage.BILLING,
                                  "On credit hold: two invoices overdue. Release when paid."))
                break
        for ci, oid, author, stage, txt in note_rows:
            at = self.now_ts - td(days=2, hours=len(self.rows["note"]))
            self.add("note", {"customer_id": ci + 1, "order_id": oid, "author": author, "stage": stage,
                              "text": txt, "created_at": at, "version": 1, "updated_at": at,
                              "updated_by": author})
        # timeline ids in time order
        timeline.sort(key=lambda e: (e["at"], e["customer_id"], e["order_id"] or 0, e["kind"]))
        for i, e in enumerate(timeline, 1):
            e["id"] = i
        self.n_jobs = n_job
        self.n_rma = 4
        self.n_credit = len(cn_rows)
