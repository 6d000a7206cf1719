"""Use case: one pass of the campaign runner — plan every due firing of every active campaign,
then deliver what is due. ``crmind campaigns run`` (cron) and the scheduler inside
``crmind serve`` both call :func:`run_campaigns`; any number may run at once."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select

from crmind.config import Settings
from crmind.privacy.keys import derived_key, secret_key
from crmind.services.campaign_delivery import (
    DeliveryStats,
    deliver,
    delivery_settings,
    utcnow,
)
from crmind.services.campaign_planning import PlannedRun, plan_run
from crmind.services.campaign_triggers import due_firings
from crmind.services.campaigns import get_campaign
from crmind.store.schema_campaigns import Campaign

logger = logging.getLogger(__name__)

COUPON_PURPOSE = "campaign-coupon"


@dataclass
class RunnerReport:
    planned: list[PlannedRun] = field(default_factory=list)
    delivery: DeliveryStats = field(default_factory=DeliveryStats)


def coupon_key(settings: Settings) -> bytes:
    return derived_key(secret_key(settings), COUPON_PURPOSE)


def run_campaigns(
    engine: Engine,
    settings: Settings,
    *,
    campaign_ids: list[int] | None = None,
    now: datetime | None = None,
    send: bool = True,
    until_done: bool = False,
) -> RunnerReport:
    """Plan the due firings of the active campaigns (of ``campaign_ids``), then send.

    ``now`` runs the pass as of another time (a replay, a test): delivery's clock then starts
    there and advances in real time.
    """
    moment = now or utcnow()
    offset = moment - utcnow()
    report = RunnerReport()
    query = select(Campaign.id).where(Campaign.status == "active").order_by(Campaign.id)
    if campaign_ids is not None:
        query = query.where(Campaign.id.in_(campaign_ids))
    with engine.connect() as conn:
        ids = list(conn.execute(query).scalars())
    key = coupon_key(settings)
    for campaign_id in ids:
        campaign = get_campaign(engine, campaign_id)
        for firing in due_firings(engine, campaign, moment, settings.default_timezone):
            planned = plan_run(
                engine, campaign, firing.trigger_key, moment, coupon_key=key, targets=firing.targets
            )
            if not planned.already_planned:
                report.planned.append(planned)
    if send:
        report.delivery = deliver(
            engine,
            delivery_settings(settings),
            campaign_ids=campaign_ids,
            until_done=until_done,
            clock=lambda: utcnow() + offset,
        )
    return report


class CampaignScheduler:
    """Runs :func:`run_campaigns` every ``campaign_poll_seconds`` in a daemon thread (inside
    ``crmind serve``); an error is logged and the next pass tries again."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="crmind-campaigns", daemon=True)

    def start(self) -> None:
        if self.settings.campaign_poll_seconds > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                report = run_campaigns(self.engine, self.settings)
                if report.planned or report.delivery.sent:
                    logger.info(
                        "campaigns: %d firings planned, %d messages sent",
                        len(report.planned),
                        report.delivery.sent,
                    )
            except Exception:  # the scheduler must outlive one bad pass
                logger.exception("campaign runner pass failed")
            self._stop.wait(self.settings.campaign_poll_seconds)
