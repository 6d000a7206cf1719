"""Tables of campaigns: what a campaign is, each pass of its runner, who is in its experiment, and
every message it planned, with the state of its delivery.

Exactly once rests on two rules. A message is a row before it is anything else: planning inserts
it under the unique key (campaign, customer, trigger), so a second runner planning the same
trigger inserts nothing. And a message leaves only after a runner has claimed it (``pending`` ->
``sending`` in one conditional update that only one runner can win) and that claim is committed;
a claim found stale (its runner died between the send and recording it) becomes ``in_doubt`` and
is never sent again on its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crmind.store.base import Base, Id, JsonType, now

MESSAGE_STATUSES = ("pending", "sending", "sent", "failed", "in_doubt", "skipped")
"""``pending`` (planned, due at ``next_attempt_at``), ``sending`` (claimed by a runner),
``sent``, ``failed`` (with ``reason``), ``in_doubt`` (its runner died mid-send), ``skipped``
(planned for the treatment group but held back: frequency cap, no address)."""


class Campaign(Base):
    """A campaign: its validated specification (audience, trigger, content, channel, experiment,
    limits) as JSON, and whether it is active."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    spec: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=now())


class CampaignRun(Base):
    """One firing of a campaign's trigger (``once``, a schedule slot, a batch of events), with
    what planning found. Unique per trigger: two runners never plan the same firing twice."""

    __tablename__ = "campaign_runs"
    __table_args__ = (UniqueConstraint("campaign_id", "trigger_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    trigger_key: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime, server_default=now())
    counts: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class CampaignMember(Base):
    """A customer's place in a campaign's experiment (``holdout`` or a variant), fixed the first
    time the customer is in the audience, and when that was (conversions count from then)."""

    __tablename__ = "campaign_members"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[int] = mapped_column(ForeignKey("campaign_runs.id", ondelete="CASCADE"))
    assigned_at: Mapped[datetime] = mapped_column(DateTime)


class CampaignMessage(Base):
    """One message of a campaign to one customer for one trigger. ``content`` keeps what was
    chosen for it (subject, products, coupon, language), never the address."""

    __tablename__ = "campaign_messages"
    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id", "trigger_key"),
        Index("ix_campaign_messages_status_due", "status", "next_attempt_at"),
        Index("ix_campaign_messages_customer_id_created_at", "customer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(ForeignKey("campaign_runs.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    trigger_key: Mapped[str] = mapped_column(String(200))
    variant: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    content: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=now())
