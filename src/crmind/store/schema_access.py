"""Tables of access, audit and privacy: users, API keys, the audit log, consents, erasures.

``audit_log`` and ``erasures`` name customers by id without a foreign key, so the records
outlive what they describe and hold no personal data themselves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from crmind.store.base import Base, Id, JsonType, now

ROLES = ("admin", "agent", "marketer", "analyst", "viewer")
"""Every role a user or API key can have (permissions: crmind.api.permissions)."""

_ROLE_CHECK = "role IN (" + ", ".join(f"'{r}'" for r in ROLES) + ")"


class User(Base):
    """A person who uses crmind. ``password_hash`` is scrypt's (for the dashboard's login);
    dashboard sessions issued before ``sessions_ended_at`` are void (signing out sets it)."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_ROLE_CHECK, name="role"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=now())
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime)
    sessions_ended_at: Mapped[datetime | None] = mapped_column(DateTime)


class ApiKey(Base):
    """An API key: only its hash is stored; ``prefix`` (shown in lists) identifies it."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint(_ROLE_CHECK, name="role"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=now())
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class AuditEntry(Base):
    """Who did what to which record, when and from where.

    ``actor`` is ``user:NAME``, ``key:PREFIX`` or ``cli:LOGIN``; ``action`` is ``read``,
    ``create``, ``update``, ``delete``, ``export``, ``erase``, ...; ``customer_id`` is set when
    the record is a person's (no foreign key: the entry outlives an erasure).
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_customer_id_occurred_at", "customer_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, server_default=now(), index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(50))
    resource: Mapped[str] = mapped_column(String(100))
    resource_id: Mapped[str | None] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(BigInteger)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class Consent(Base):
    """A customer's consent for one purpose, granted or withdrawn, with its source and time.

    The history is kept: the newest row per customer and purpose is in force.
    """

    __tablename__ = "consents"
    __table_args__ = (
        Index(
            "ix_consents_customer_id_purpose_recorded_at", "customer_id", "purpose", "recorded_at"
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    purpose: Mapped[str] = mapped_column(String(50))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(100))
    recorded_by: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, server_default=now())


class Erasure(Base):
    """The record that a person's data was erased: when, by whom, and how many rows where.

    It keeps the customer's id (now an empty shell) and nothing personal.
    """

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, index=True)
    requested_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    rows: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    erased_at: Mapped[datetime] = mapped_column(DateTime, server_default=now())
