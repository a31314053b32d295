"""The demo company builds on every day: its rows (calendars, stories, open orders, history) for
every day of two consecutive years, checked against the schema's unique keys and foreign keys and
the firm calendar's business days; and the whole demo, into a real SQLite file, on 30+ dates
spread over 2026–2028, including the days that once failed (the second Saturday ahead a bank
holiday: 2026-12-07 met Boxing Day)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pytest
from sqlalchemy import UniqueConstraint, func, select

from app import clock
from app.models import Base, CalendarException, Refund, SalesOrder, ServiceJob
from app.models.enums import OrderStatus
from app.demo import FIRM_CALENDAR, LAYOUTS, build_demo_file, build_rows, overtime_saturday

OPEN = {s.value for s in (OrderStatus.CONFIRMED, OrderStatus.IN_PRODUCTION, OrderStatus.READY)}


def _columns(table: str, rows: list[Any]) -> Iterable[dict[str, Any]]:
    layout = LAYOUTS.get(table)
    for r in rows:
        yield r if isinstance(r, dict) else dict(zip(layout, r, strict=False))  # type: ignore[arg-type]


def schema_problems(b: Any) -> list[str]:
    """What the database would refuse: duplicate primary or unique keys, dangling foreign keys."""
    problems: list[str] = []
    ids: dict[str, set[Any]] = {}
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    decoded = {name: list(_columns(name, rows)) for name, rows in b.rows.items() if rows}
    for name, rows in decoded.items():
        t = tables[name]
        keys = [tuple(c.name for c in t.primary_key.columns)]
        keys += [tuple(c.name for c in con.columns) for con in t.constraints if isinstance(con, UniqueConstraint)]
        keys += [tuple(c.name for c in ix.columns) for ix in t.indexes if ix.unique]
        for cols in keys:
            if not all(c in rows[0] for c in cols):
                continue
            seen: set[tuple[Any, ...]] = set()
            for r in rows:
                k = tuple(r[c] for c in cols)
                if None in k:
                    continue
                if k in seen:
                    problems.append(f"{name}: duplicate {cols} = {k}")
                seen.add(k)
        if "id" in rows[0]:
            ids[name] = {r["id"] for r in rows}
    for name, rows in decoded.items():
        for fk in tables[name].foreign_keys:
            col, target = fk.parent.name, fk.column.table.name
            if target not in ids or fk.column.name != "id":
                continue
            for r in rows:
                v = r.get(col)
                if v is not None and v not in ids[target]:
                    problems.append(f"{name}.{col} = {v}: no {target} row")
                    break
    return problems


def calendar_problems(b: Any, today: dt.date) -> list[str]:
    """Dates of work the demo makes up must be business days of its firm calendar."""
    out = []
    rows = {name: list(_columns(name, r)) for name, r in b.rows.items() if r}
    for o in rows["sales_order"]:
        status = getattr(o["status"], "value", o["status"])
        promise = o.get("promise_date")
        if status in OPEN and promise and promise >= today and not FIRM_CALENDAR.is_business_day(promise):
            out.append(f"order {o['number']} promised on {promise} ({FIRM_CALENDAR.holiday(promise) or 'weekend'})")
    for r in rows.get("refund", []):
        if not FIRM_CALENDAR.is_business_day(r["due_by"]):
            out.append(f"refund due on {r['due_by']}, not a business day")
    for j in rows.get("service_job", []):
        start = j.get("scheduled_start")
        if start is not None and clock.local_date(start) >= today and \
                not FIRM_CALENDAR.is_business_day(clock.local_date(start)):
            out.append(f"service job {j['number']} booked on {clock.local_date(start)}")
    for e in rows.get("calendar_exception", []):
        if e["working_minutes"] and FIRM_CALENDAR.holiday(e["day"]):
            out.append(f"overtime on a public holiday: {e['day']} {FIRM_CALENDAR.holiday(e['day'])}")
    return out


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def test_the_demo_rows_hold_on_every_day_of_two_years() -> None:
    failures: dict[dt.date, list[str]] = {}
    for day in _days(dt.date(2027, 1, 1), dt.date(2028, 12, 31)):
        b = build_rows(day, orders=100)
        problems = schema_problems(b) + calendar_problems(b, day)
        if problems:
            failures[day] = problems[:3]
    assert failures == {}, f"{len(failures)} days fail, e.g. {list(failures.items())[:3]}"


def test_the_overtime_saturday_never_lands_on_a_holiday() -> None:
    for day in _days(dt.date(2026, 1, 1), dt.date(2028, 12, 31)):
        sat = overtime_saturday(day)
        assert sat.weekday() == 5 and sat >= day + dt.timedelta(days=14) and FIRM_CALENDAR.holiday(sat) is None


# the days that failed (their second Saturday ahead a bank holiday), month ends, leap days, DST
# changes in the firm's zone (Europe/London), weekends and holidays themselves, spread over 2026–2028
DATES = [dt.date(2026, 12, 7), dt.date(2026, 12, 10), dt.date(2026, 12, 12), dt.date(2026, 12, 25),
         dt.date(2026, 12, 31), dt.date(2027, 1, 1), dt.date(2027, 3, 8), dt.date(2027, 3, 28),
         dt.date(2027, 4, 18), dt.date(2027, 5, 1), dt.date(2027, 5, 17), dt.date(2027, 8, 12),
         dt.date(2027, 8, 30), dt.date(2027, 10, 31), dt.date(2027, 12, 6), dt.date(2027, 12, 11),
         dt.date(2027, 12, 26), dt.date(2028, 1, 2), dt.date(2028, 2, 29), dt.date(2028, 3, 26),
         dt.date(2028, 4, 2), dt.date(2028, 4, 14), dt.date(2028, 5, 14), dt.date(2028, 6, 30),
         dt.date(2028, 8, 14), dt.date(2028, 10, 29), dt.date(2028, 11, 30), dt.date(2028, 12, 9),
         dt.date(2028, 12, 24), dt.date(2028, 12, 31), dt.date(2026, 6, 15), dt.date(2026, 3, 29)]


@pytest.mark.parametrize("day", DATES, ids=str)
def test_the_whole_demo_builds_into_a_file(tmp_path, day: dt.date) -> None:
    from app.db.open import open_database

    path = tmp_path / "demo.db"
    with clock.pinned(day):
        summary = build_demo_file(str(path))
    assert summary.open_orders >= 55 and path.exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary file left"
    db = open_database(path, create=False)
    try:
        with db.read() as s:
            assert s.scalar(select(func.max(SalesOrder.order_date))) <= day
            assert s.scalar(select(func.count()).select_from(CalendarException)) == 1
            assert s.scalar(select(func.count()).select_from(Refund)) >= 1
            assert s.scalar(select(func.count()).select_from(ServiceJob)) >= 1
    finally:
        db.dispose()
