"""Declarative base, column types and mixins shared by every entity.

Conventions:
- money is ``Decimal`` stored as NUMERIC(14, 2); quantities NUMERIC(14, 3);
- timestamps are timezone-aware UTC (``UTCDateTime`` normalises on the way in and out, because
  SQLite keeps no zone);
- every row two desks may edit carries ``version`` as SQLAlchemy's ``version_id_col`` plus who
  changed it last and when, so a conflict can name the other desk.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import DateTime, Integer, MetaData, Numeric, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from app import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always timezone-aware UTC in Python."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        value = value.astimezone(dt.timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


Money = Numeric(14, 2, asdecimal=True)
Quantity = Numeric(14, 3, asdecimal=True)
Rate = Numeric(7, 4, asdecimal=True)  # percentages / rates as fractions, e.g. 0.2000


def utcnow() -> dt.datetime:
    return clock.utcnow()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:  # every model is mapped to a Table (SQLAlchemy types it as any FromClause)
        from sqlalchemy import Table

        __table__: ClassVar[Table]
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        Decimal: Money,
        str: String(200),
    }


class IdMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class CreatedMixin:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class VersionedMixin:
    """Optimistic concurrency: a stale save raises StaleDataError, mapped to ConflictError."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80), default="system", server_default="system")

    @declared_attr.directive
    def __mapper_args__(cls: type[Base]) -> dict[str, Any]:  # noqa: N805 - mixed into models only
        return {"version_id_col": cls.__table__.c.version}


def money(value: Any) -> Decimal:
    """Round to cents, half-up, as invoices and price lists do."""
    from decimal import ROUND_HALF_UP

    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
