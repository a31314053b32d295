"""A service job created for an order that no longer exists (deleted by another desk while the
form was open): a plain validation message, not a crash. Found by the type check (issue 19):
``create_job`` read the order's customer without checking the order was there."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import ValidationError
from app.models import Customer, SalesOrder, ServiceJob
from app.services import service_jobs


def test_a_job_for_an_order_that_no_longer_exists_is_refused_plainly(demo) -> None:
    db, actor = demo
    with db.read() as s:
        cust = s.scalars(select(Customer.id).where(Customer.code == "PENNIN")).one()
        gone = (s.scalar(select(func.max(SalesOrder.id))) or 0) + 1000
        before = s.scalar(select(func.count()).select_from(ServiceJob))
    with pytest.raises(ValidationError, match="that order no longer exists"):
        service_jobs.create_job(db, actor("service"), cust, "repair", "Bent upright", order_id=gone)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(ServiceJob)) == before
