"""Users, the audit log, the change feed and firm-wide settings."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, CreatedMixin, IdMixin, VersionedMixin
from app.models.enums import Role, str_enum


class User(IdMixin, CreatedMixin, VersionedMixin, Base):
    __tablename__ = "app_user"

    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    password_hash: Mapped[str] = mapped_column(String(255))  # scrypt$n$r$p$salt$hash
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_sign_in_at: Mapped[dt.datetime | None]
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)  # wrong passwords since the last success
    # no sign-in before this moment (a growing delay after wrong passwords, or the lock); NULL = free
    locked_until: Mapped[dt.datetime | None]


class AuditLog(IdMixin, Base):
    """One row per changed field (or per created/deleted row): who, when, what, old → new."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_entity", "entity", "entity_id"),
        Index("ix_audit_at", "at"),
        Index("ix_audit_user_at", "username", "at"),
    )

    at: Mapped[dt.datetime]
    username: Mapped[str] = mapped_column(String(80))
    workstation: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(16))  # insert, update, delete, sign_in, …
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(60))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    change_seq: Mapped[int | None] = mapped_column(BigInteger)
    # the hash chain (app/db/audit_chain.py): the previous row's hash, and SHA-256 over it and this row
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditChain(Base):
    """The head of the audit log's hash chain: one row (id 1) with the last audit row's id and hash.
    Every save that appends audit rows locks it first, so appends are serialised."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int | None] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


class ChangeCounter(Base):
    """A single row whose ``value`` every write bumps: other desks poll it with one tiny query."""

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class ChangeFeed(Base):
    """What each committed unit of work touched, so a desk reloads only what changed."""

    __tablename__ = "change_feed"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime]
    username: Mapped[str] = mapped_column(String(80))
    workstation: Mapped[str | None] = mapped_column(String(80))
    tables: Mapped[list] = mapped_column(JSON)  # ["sales_order", "sales_order_line"]
    entities: Mapped[dict] = mapped_column(JSON)  # {"sales_order": [12, 13]}


class Setting(CreatedMixin, VersionedMixin, Base):
    """Firm-wide settings (margin floor, refund target, firm name and bank details…)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[dict | list | str | int | float | bool | None] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(Text)


class SignInEvent(IdMixin, Base):
    __tablename__ = "sign_in_event"

    at: Mapped[dt.datetime]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    username: Mapped[str] = mapped_column(String(80))
    workstation: Mapped[str | None] = mapped_column(String(80))
    success: Mapped[bool] = mapped_column(Boolean)


class DeskSession(IdMixin, Base):
    """A signed-in desk, kept alive by a heartbeat: who is working, where, since when (presence)."""

    __tablename__ = "desk_session"
    __table_args__ = (Index("ix_desk_session_heartbeat", "heartbeat_at"),)

    username: Mapped[str] = mapped_column(String(80))
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    workstation: Mapped[str] = mapped_column(String(80))
    app_version: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[dt.datetime]
    heartbeat_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]


class EditLease(IdMixin, Base):
    """"‹name› (production) is editing this since 10:42": informs other desks, never blocks reading.
    Expires when the heartbeat stops (desk closed or died)."""

    __tablename__ = "edit_lease"
    __table_args__ = (Index("ix_edit_lease_entity", "entity", "entity_id"),)

    desk_session_id: Mapped[int] = mapped_column(ForeignKey("desk_session.id", ondelete="CASCADE"), index=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    since: Mapped[dt.datetime]
    heartbeat_at: Mapped[dt.datetime]


class FirmClosingDay(IdMixin, CreatedMixin, VersionedMixin, Base):
    """A day the firm sets itself in its calendar, on top of the country's public holidays:
    ``open`` False = closed (a works holiday, stocktaking); True = open on a public holiday."""

    __tablename__ = "firm_closing_day"

    day: Mapped[dt.date] = mapped_column(unique=True)
    open: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(String(120))
