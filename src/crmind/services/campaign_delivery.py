"""Use case: deliver the due messages of active campaigns, each exactly once.

For every due ``pending`` message a runner first *claims* it (``pending`` -> ``sending`` in one
conditional update, committed; a second runner's update of the same row changes nothing and it
moves on), then renders and sends it, then records the outcome: ``sent``; ``pending`` again with
a later ``next_attempt_at`` after a transient failure (back-off doubling from
``campaign_retry_seconds``); ``failed`` with the reason after a permanent one or the last attempt.

A runner killed between the send and its record leaves the message ``sending``; no runner sends a
``sending`` message, and once its claim is older than ``campaign_claim_lease_seconds`` it is marked
``in_doubt`` (the one case where crmind cannot know whether it left; it is not sent again).

The batch work (claim, render, send, record) is :class:`crmind.services.campaign_sender.Sender`.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select, update

from crmind.campaigns.channels.email import SmtpSettings
from crmind.config import Settings
from crmind.privacy.keys import derived_key, secret_key
from crmind.services.campaign_sender import DeliverySettings, DeliveryStats, Sender
from crmind.services.campaign_unsubscribe import unsubscribe_key
from crmind.services.campaigns import StoredCampaign, get_campaign
from crmind.store.schema_campaigns import Campaign, CampaignMessage

__all__ = [
    "DeliverySettings",
    "DeliveryStats",
    "deliver",
    "delivery_settings",
    "mark_in_doubt",
    "utcnow",
    "webhook_secret",
]

logger = logging.getLogger(__name__)

WEBHOOK_PURPOSE = "campaign-webhook"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def delivery_settings(settings: Settings) -> DeliverySettings:
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return DeliverySettings(
        smtp=SmtpSettings(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=password,
            sender=settings.smtp_sender,
            ca_file=str(settings.smtp_ca_file) if settings.smtp_ca_file else None,
        ),
        webhook_secret=webhook_secret(settings),
        unsubscribe_key=unsubscribe_key(settings),
        public_base_url=settings.public_base_url,
        export_dir=settings.data_dir / "campaign_exports",
        timezone=settings.default_timezone,
        max_attempts=settings.campaign_max_attempts,
        retry_seconds=settings.campaign_retry_seconds,
        lease_seconds=settings.campaign_claim_lease_seconds,
    )


def webhook_secret(settings: Settings) -> bytes:
    """The key that signs webhooks: ``webhook_secret`` if set, else derived from the secret."""
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value().encode()
    return derived_key(secret_key(settings), WEBHOOK_PURPOSE).hex().encode()


def deliver(
    engine: Engine,
    config: DeliverySettings,
    *,
    campaign_ids: list[int] | None = None,
    until_done: bool = False,
    max_wait_seconds: float = 300.0,
    clock: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryStats:
    """Send every due message of the active campaigns (of ``campaign_ids``, when given).

    ``until_done``: also wait for messages retrying later (at most ``max_wait_seconds`` per wait),
    and return only when none is pending.
    """
    runner = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    stats = DeliveryStats(
        in_doubt=mark_in_doubt(engine, clock() - timedelta(seconds=config.lease_seconds))
    )
    sender = Sender(engine, config, runner, clock)
    try:
        while True:
            active = _active_campaigns(engine, campaign_ids)
            if not active:
                break
            batch = sender.run_batch(active)
            stats.add(batch)
            if batch.sent or batch.failed or batch.retried or batch.lost_races:
                continue
            wait = _next_due(engine, active, clock()) if until_done else None
            if wait is None or batch.quiet_until is not None:
                break
            sleep(min(max_wait_seconds, max(0.05, wait)))
    finally:
        sender.close()
    return stats


def mark_in_doubt(engine: Engine, claimed_before: datetime) -> int:
    """Mark messages claimed before ``claimed_before`` and never recorded as ``in_doubt``."""
    with engine.begin() as conn:
        result = conn.execute(
            update(CampaignMessage)
            .where(CampaignMessage.status == "sending", CampaignMessage.claimed_at < claimed_before)
            .values(
                status="in_doubt",
                reason="its runner stopped while sending; not sent again to avoid a duplicate",
            )
        )
    if result.rowcount:
        logger.warning("%d campaign messages marked in doubt", result.rowcount)
    return int(result.rowcount)


def _active_campaigns(engine: Engine, campaign_ids: list[int] | None) -> dict[int, StoredCampaign]:
    query = select(Campaign.id).where(Campaign.status == "active")
    if campaign_ids is not None:
        query = query.where(Campaign.id.in_(campaign_ids))
    with engine.connect() as conn:
        ids = list(conn.execute(query).scalars())
    return {campaign_id: get_campaign(engine, campaign_id) for campaign_id in ids}


def _next_due(engine: Engine, active: dict[int, StoredCampaign], now: datetime) -> float | None:
    """Seconds until the next pending message of ``active`` is due; None when none is pending."""
    with engine.connect() as conn:
        due = conn.execute(
            select(func.min(CampaignMessage.next_attempt_at)).where(
                CampaignMessage.status == "pending", CampaignMessage.campaign_id.in_(list(active))
            )
        ).scalar()
    return None if due is None else (due - now).total_seconds()
