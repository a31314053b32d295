"""Formatting of money, quantities and dates: one place, so every widget and document agrees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from app import clock

CURRENCY = "£"


def money(value: Decimal | int | float | None, *, symbol: bool = True) -> str:
    if value is None:
        return ""
    text = f"{Decimal(value):,.2f}"
    if text.startswith("-"):
        return f"-{CURRENCY}{text[1:]}" if symbol else text
    return f"{CURRENCY}{text}" if symbol else text


def quantity(value: Decimal | int | float | None) -> str:
    if value is None:
        return ""
    d = Decimal(value)
    return f"{d:,.0f}" if d == d.to_integral_value() else f"{d.normalize():,f}"


def date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def local_time(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(clock.zone()).strftime("%Y-%m-%d %H:%M")


def percent(value: Decimal | float | None, digits: int = 1) -> str:
    if value is None:
        return ""
    return f"{Decimal(value) * 100:.{digits}f}%"
