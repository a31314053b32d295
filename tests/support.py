"""The test suite's one date.

``TODAY`` is the day the whole suite runs as: ``ORDERCYCLE_TEST_TODAY=YYYY-MM-DD`` pins it (CI runs
the suite on several dates: a December Saturday, a leap day, a DST change day), otherwise it is the
real date. ``tests/conftest.py`` pins the one clock (``app.clock``) to it for every test, so
services, views, documents and child processes all agree; tests never pass dates to services.
``ORDERCYCLE_TEST_ZONE`` sets the firm time zone the suite runs in (default: the workstation's).
"""

from __future__ import annotations

import datetime as dt
import os

from app import clock


def _suite_today() -> dt.date:
    text = os.environ.get("ORDERCYCLE_TEST_TODAY", "").strip()
    if text:
        return dt.date.fromisoformat(text)
    return clock.today()


ZONE = os.environ.get("ORDERCYCLE_TEST_ZONE", "").strip()
if ZONE:
    clock.set_zone(ZONE)
TODAY: dt.date = _suite_today()
