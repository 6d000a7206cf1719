"""The part of campaign delivery that claims, renders, sends and records one batch of due
messages (see :mod:`crmind.services.campaign_delivery` for the rules it keeps)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Engine,
    String,
    and_,
    bindparam,
    select,
    text,
    update,
)

from crmind.campaigns.channels import Channel, DeliveryError, OutgoingMessage
from crmind.campaigns.channels.email import SmtpChannel, SmtpSettings
from crmind.campaigns.channels.export import ExportChannel
from crmind.campaigns.channels.webhook import WebhookChannel
from crmind.campaigns.spec import Variant
from crmind.campaigns.templates import MessageContext, ProductPick, render
from crmind.campaigns.timing import backoff, quiet_until
from crmind.errors import CrmindError
from crmind.privacy.binding import cipher_of
from crmind.services.campaign_unsubscribe import unsubscribe_url
from crmind.services.campaigns import StoredCampaign
from crmind.store.schema import Customer
from crmind.store.schema_campaigns import CampaignMessage

BATCH = 500
"""Due messages read at once (one query with what sending them needs)."""


@dataclass(frozen=True)
class DeliverySettings:
    """What delivery needs from the settings (built by :func:`delivery_settings`)."""

    smtp: SmtpSettings
    webhook_secret: bytes
    unsubscribe_key: bytes
    public_base_url: str
    export_dir: Path
    timezone: str
    max_attempts: int
    retry_seconds: float
    lease_seconds: float


@dataclass
class DeliveryStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    in_doubt: int = 0
    lost_races: int = 0
    quiet_until: datetime | None = None
    failures: list[str] = field(default_factory=list)

    def add(self, other: DeliveryStats) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.retried += other.retried
        self.in_doubt += other.in_doubt
        self.lost_races += other.lost_races
        self.quiet_until = other.quiet_until or self.quiet_until
        self.failures.extend(other.failures)


_CLAIM_PG = text(
    """
    WITH outcome AS (
        UPDATE campaign_messages
        SET status = :o_status, reason = :o_reason, sent_at = :o_sent,
            next_attempt_at = COALESCE(:o_next, next_attempt_at)
        WHERE id = :o_id AND claimed_by = :runner
    )
    UPDATE campaign_messages
    SET status = 'sending', claimed_by = :runner, claimed_at = :now, attempts = attempts + 1
    WHERE id = :id AND status = 'pending'
    """
).bindparams(
    bindparam("o_id", type_=BigInteger()),
    bindparam("o_status", type_=String()),
    bindparam("o_reason", type_=String()),
    bindparam("o_sent", type_=DateTime()),
    bindparam("o_next", type_=DateTime()),
    bindparam("now", type_=DateTime()),
)
"""On PostgreSQL the previous message's outcome and the next claim are one statement in
autocommit: one round trip and one commit per message."""


@dataclass(frozen=True)
class _Due:
    """A due message with what sending it needs (read once per batch)."""

    id: int
    campaign_id: int
    customer_id: int
    variant: str
    content: dict[str, Any] | None
    attempts: int
    name: str | None
    first_name: str | None
    email: str | None


class Sender:
    """One runner's claims, channels and records."""

    def __init__(
        self, engine: Engine, config: DeliverySettings, runner: str, clock: Callable[[], datetime]
    ) -> None:
        self.engine = engine
        self.config = config
        self.runner = runner
        self.clock = clock
        self.channels: dict[int, Channel] = {}
        self.cipher = cipher_of(engine)
        self._outcome: tuple[int, dict[str, Any]] | None = None
        self._claims: Connection | None = None
        if engine.dialect.name == "postgresql":
            self._claims = engine.execution_options(isolation_level="AUTOCOMMIT").connect()

    def run_batch(self, active: dict[int, StoredCampaign]) -> DeliveryStats:
        stats = DeliveryStats()
        now = self.clock()
        sendable = []
        for campaign in active.values():
            quiet = quiet_until(now, campaign.spec.limits.quiet_hours, self.config.timezone)
            if quiet is None:
                sendable.append(campaign.id)
            else:
                stats.quiet_until = min(quiet, stats.quiet_until or quiet)
        if not sendable:
            return stats
        with self.engine.connect() as conn:
            due = [
                _Due(*row)
                for row in conn.execute(
                    select(
                        CampaignMessage.id,
                        CampaignMessage.campaign_id,
                        CampaignMessage.customer_id,
                        CampaignMessage.variant,
                        CampaignMessage.content,
                        CampaignMessage.attempts,
                        Customer.name,
                        Customer.first_name,
                        Customer.email,
                    )
                    .join(Customer, Customer.id == CampaignMessage.customer_id)
                    .where(
                        CampaignMessage.status == "pending",
                        CampaignMessage.next_attempt_at <= now,
                        CampaignMessage.campaign_id.in_(sendable),
                    )
                    .order_by(CampaignMessage.id)
                    .limit(BATCH)
                )
            ]
        for message in due:
            if not self._claim(message.id):
                stats.lost_races += 1
                continue
            self._send(message, active[message.campaign_id], stats)
        self._flush()
        return stats

    def _claim(self, message_id: int) -> bool:
        """Claim one message (committed before it is sent), recording the previous message's
        outcome in the same transaction: one commit per message, and never more than one
        message sent but not yet recorded."""
        if self._claims is not None:  # PostgreSQL: one statement, one round trip
            params = {**self._outcome_params(), "runner": self.runner, "id": message_id}
            result = self._claims.execute(_CLAIM_PG, params | {"now": self.clock()})
            self._outcome = None
            return result.rowcount == 1
        with self.engine.begin() as conn:
            self._record_outcome(conn)
            result = conn.execute(
                update(CampaignMessage)
                .where(CampaignMessage.id == message_id, CampaignMessage.status == "pending")
                .values(
                    status="sending",
                    claimed_by=self.runner,
                    claimed_at=self.clock(),
                    attempts=CampaignMessage.attempts + 1,
                )
            )
        return result.rowcount == 1

    def _outcome_params(self) -> dict[str, Any]:
        if self._outcome is None:
            return {
                "o_id": None,
                "o_status": None,
                "o_reason": None,
                "o_sent": None,
                "o_next": None,
            }
        message_id, values = self._outcome
        return {
            "o_id": message_id,
            "o_status": values["status"],
            "o_reason": values.get("reason"),
            "o_sent": values.get("sent_at"),
            "o_next": values.get("next_attempt_at"),
        }

    def _send(self, message: _Due, campaign: StoredCampaign, stats: DeliveryStats) -> None:
        attempts = message.attempts + 1
        try:
            self._channel(campaign).send(self._outgoing(message, campaign))
        except DeliveryError as error:
            self._failed(message.id, error, attempts, stats)
            return
        except CrmindError as error:  # a template or the data: retrying will not help
            self._failed(message.id, DeliveryError(str(error), transient=False), 1, stats)
            return
        self._outcome = (message.id, {"status": "sent", "sent_at": self.clock(), "reason": None})
        stats.sent += 1

    def _failed(
        self, message_id: int, error: DeliveryError, attempts: int, stats: DeliveryStats
    ) -> None:
        if error.transient and attempts < self.config.max_attempts:
            retry_at = self.clock() + backoff(attempts, self.config.retry_seconds)
            values = {"status": "pending", "next_attempt_at": retry_at, "reason": error.reason}
            self._outcome = (message_id, values)
            stats.retried += 1
            return
        reason = (
            error.reason if not error.transient else f"{error.reason} (after {attempts} attempts)"
        )
        self._outcome = (message_id, {"status": "failed", "reason": reason})
        stats.failed += 1
        stats.failures.append(f"message {message_id}: {reason}")

    def _record_outcome(self, conn: Connection) -> None:
        if self._outcome is None:
            return
        message_id, values = self._outcome
        conn.execute(
            update(CampaignMessage)
            .where(
                and_(CampaignMessage.id == message_id, CampaignMessage.claimed_by == self.runner)
            )
            .values(**values)
        )
        self._outcome = None

    def _flush(self) -> None:
        if self._outcome is None:
            return
        if self._claims is not None:
            no_claim = {"runner": self.runner, "id": None, "now": None}
            self._claims.execute(_CLAIM_PG, self._outcome_params() | no_claim)
            self._outcome = None
            return
        with self.engine.begin() as conn:
            self._record_outcome(conn)

    def _outgoing(self, message: _Due, campaign: StoredCampaign) -> OutgoingMessage:
        content = message.content or {}
        link = unsubscribe_url(
            self.config.public_base_url,
            self.config.unsubscribe_key,
            message.customer_id,
            campaign.id,
        )
        context = message_context(
            campaign,
            message.customer_id,
            content,
            name=self.cipher.decrypt(message.name, "customers.name"),
            first_name=self.cipher.decrypt(message.first_name, "customers.first_name"),
            unsubscribe_link=link,
        )
        return OutgoingMessage(
            message_id=message.id,
            campaign_id=campaign.id,
            campaign=campaign.name,
            customer_id=message.customer_id,
            variant=message.variant,
            rendered=render(campaign.spec.content, context, variant_of(campaign, message.variant)),
            recipient=self.cipher.decrypt(message.email, "customers.email"),
            unsubscribe_url=link,
            data={"products": content.get("products", []), "coupon": content.get("coupon")},
        )

    def _channel(self, campaign: StoredCampaign) -> Channel:
        if campaign.id not in self.channels:
            kind = campaign.spec.channel.kind
            channel: Channel
            if kind == "email":
                channel = SmtpChannel(self.config.smtp)
            elif kind == "webhook":
                channel = WebhookChannel(str(campaign.spec.channel.url), self.config.webhook_secret)
            else:
                channel = ExportChannel(self.config.export_dir / f"campaign-{campaign.id}.jsonl")
            self.channels[campaign.id] = channel
        return self.channels[campaign.id]

    def close(self) -> None:
        try:
            self._flush()
        finally:
            if self._claims is not None:
                self._claims.close()
            for channel in self.channels.values():
                channel.close()


def message_context(
    campaign: StoredCampaign,
    customer_id: int,
    content: dict[str, Any],
    *,
    name: str | None,
    first_name: str | None,
    unsubscribe_link: str | None,
) -> MessageContext:
    """What a template sees for one customer: the planned content and the names read now."""
    full_name = name or ""
    return MessageContext(
        customer_id=customer_id,
        first_name=first_name or (full_name.split() or [""])[0],
        name=full_name,
        language=content.get("language", campaign.spec.content.default_language),
        segment=content.get("segment"),
        stage=content.get("stage"),
        coupon=content.get("coupon"),
        unsubscribe_url=unsubscribe_link,
        campaign=campaign.name,
        products=[ProductPick(**pick) for pick in content.get("products", [])],
    )


def variant_of(campaign: StoredCampaign, name: str) -> Variant | None:
    for variant in campaign.spec.experiment.variants:
        if variant.name == name:
            return variant
    return None
