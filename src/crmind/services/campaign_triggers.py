"""Use case: which firings of a campaign's trigger are due now.

``once`` fires once; ``schedule`` at the latest cron slot not yet planned; ``event`` for the
customers who, since the campaign's last event pass, bought something, left feedback read as
negative, or entered a segment or lifecycle stage in the newest analysis run. Each event gives its
message a key of its own (``order:<id>``, ``feedback:<id>``, ``segment:<run>``), so overlapping
passes of two runners still send one message per event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from crmind.campaigns.spec import Trigger
from crmind.campaigns.timing import due_slot
from crmind.services.campaigns import StoredCampaign
from crmind.store.order_status import is_sale
from crmind.store.schema import (
    CustomerScore,
    Feedback,
    FeedbackAnalysis,
    ModelRun,
    Order,
    Segment,
    SegmentMember,
)
from crmind.store.schema_campaigns import CampaignRun

EVENT_PREFIX = "events:"


@dataclass(frozen=True)
class Firing:
    """A due firing: its key, and (for events) the customers it is for with their event's key."""

    trigger_key: str
    targets: dict[int, str] | None = None


def due_firings(engine: Engine, campaign: StoredCampaign, now: datetime, zone: str) -> list[Firing]:
    trigger = campaign.spec.trigger
    if trigger.kind == "once":
        return [Firing("once")]
    if trigger.kind == "schedule":
        assert trigger.cron is not None
        slot = due_slot(trigger.cron, campaign.created_at, now, zone)
        return [] if slot is None else [Firing(f"slot:{slot:%Y-%m-%dT%H:%M}")]
    if trigger.event in ("segment_entry", "stage_entry"):
        run_id, entered = _entries(engine, trigger)
        # keyed by the analysis run: a second pass over the same run plans nothing new
        key = f"{'segment' if trigger.event == 'segment_entry' else 'stage'}:{run_id}"
        return [Firing(key, entered)] if entered else []
    since = _last_event_pass(engine, campaign) or campaign.created_at
    targets = _event_targets(engine, trigger, since, now)
    return [Firing(f"{EVENT_PREFIX}{now.isoformat()}", targets)] if targets else []


def _last_event_pass(engine: Engine, campaign: StoredCampaign) -> datetime | None:
    with engine.connect() as conn:
        value = conn.execute(
            select(func.max(CampaignRun.started_at)).where(
                CampaignRun.campaign_id == campaign.id,
                CampaignRun.trigger_key.startswith(EVENT_PREFIX),
            )
        ).scalar()
    return value if isinstance(value, datetime) else None


def _event_targets(
    engine: Engine, trigger: Trigger, since: datetime, now: datetime
) -> dict[int, str]:
    with engine.connect() as conn:
        if trigger.event == "purchase":
            rows = conn.execute(
                select(Order.customer_id, func.max(Order.id))
                .where(
                    Order.customer_id.is_not(None),
                    Order.is_return.is_(False),
                    is_sale(Order.status),
                    Order.occurred_at > since,
                    Order.occurred_at <= now,
                )
                .group_by(Order.customer_id)
            ).all()
            return {cid: f"order:{order}" for cid, order in rows if cid is not None}
        if trigger.event == "negative_feedback":
            rows = conn.execute(
                select(Feedback.customer_id, func.max(Feedback.id))
                .join(FeedbackAnalysis, FeedbackAnalysis.feedback_id == Feedback.id)
                .where(
                    Feedback.customer_id.is_not(None),
                    FeedbackAnalysis.label == "negative",
                    Feedback.occurred_at > since,
                    Feedback.occurred_at <= now,
                )
                .group_by(Feedback.customer_id)
            ).all()
            return {cid: f"feedback:{fid}" for cid, fid in rows if cid is not None}
    return {}


def _entries(engine: Engine, trigger: Trigger) -> tuple[int | None, dict[int, str]]:
    """The newest analysis run, and the customers in the segment (or stage) in it and not in the
    run before."""
    with Session(engine) as session:
        runs = list(
            session.scalars(
                select(ModelRun.id)
                .where(ModelRun.kind == "analysis", ModelRun.status == "completed")
                .order_by(ModelRun.id.desc())
                .limit(2)
            )
        )
    if not runs:
        return None, {}
    newest = _members(engine, trigger, runs[0])
    before = _members(engine, trigger, runs[1]) if len(runs) > 1 else set()
    prefix = "segment" if trigger.event == "segment_entry" else "stage"
    return runs[0], dict.fromkeys(newest - before, f"{prefix}:{runs[0]}")


def _members(engine: Engine, trigger: Trigger, run_id: int) -> set[int]:
    if trigger.event == "segment_entry":
        query = (
            select(SegmentMember.customer_id)
            .join(Segment, Segment.id == SegmentMember.segment_id)
            .where(
                Segment.model_run_id == run_id,
                or_(Segment.key == trigger.segment, Segment.name == trigger.segment),
            )
        )
    else:
        query = select(CustomerScore.customer_id).where(
            CustomerScore.model_run_id == run_id,
            CustomerScore.kind == "lifecycle",
            CustomerScore.label == trigger.stage,
        )
    with engine.connect() as conn:
        return set(conn.execute(query).scalars())
