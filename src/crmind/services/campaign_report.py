"""Use case: what a campaign did — messages by status, and conversions of the treated against
the holdout within the attribution window, with the uplift and its confidence interval.

The comparison is by intention to treat: every customer placed in a variant counts as treated,
whether or not the message reached them (a capped, failed or bounced message is part of the
effect of running the campaign). A conversion is an order (not a return) after the customer was
placed and within ``attribution_days``; revenue is the sum of its lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import polars as pl
from sqlalchemy import Engine, func, select

from crmind import columns as c
from crmind.campaigns.assignment import HOLDOUT
from crmind.campaigns.uplift import MeanUplift, RateUplift, mean_uplift, rate_uplift
from crmind.services.campaign_delivery import utcnow
from crmind.services.campaigns import StoredCampaign, get_campaign
from crmind.store.order_status import is_sale
from crmind.store.schema import Order, OrderLine
from crmind.store.schema_campaigns import CampaignMember, CampaignMessage


@dataclass(frozen=True)
class GroupOutcome:
    group: str
    customers: int
    conversions: int
    revenue: float


@dataclass
class CampaignReport:
    campaign: StoredCampaign
    messages: dict[str, int]
    groups: list[GroupOutcome]
    conversion_uplift: RateUplift | None
    revenue_uplift: MeanUplift | None
    variant_uplifts: dict[str, RateUplift] = field(default_factory=dict)
    window_open_until: datetime | None = None


def campaign_report(
    engine: Engine, ref: int | str, now: datetime | None = None, confidence: float = 0.95
) -> CampaignReport:
    campaign = get_campaign(engine, ref)
    window = timedelta(days=campaign.spec.experiment.attribution_days)
    outcomes = _outcomes(engine, campaign.id, window)
    with engine.connect() as conn:
        messages = dict(
            conn.execute(
                select(CampaignMessage.status, func.count())
                .where(CampaignMessage.campaign_id == campaign.id)
                .group_by(CampaignMessage.status)
            ).all()
        )
    summary = (
        outcomes.group_by("group_name")
        .agg(pl.len(), pl.col("converted").sum(), pl.col("revenue").sum())
        .sort("group_name")
    )
    groups = [
        GroupOutcome(str(group), int(customers), int(conversions), float(revenue))
        for group, customers, conversions, revenue in summary.iter_rows()
    ]
    holdout = outcomes.filter(pl.col("group_name") == HOLDOUT)
    treated = outcomes.filter(pl.col("group_name") != HOLDOUT)
    report = CampaignReport(
        campaign=campaign,
        messages={str(k): int(v) for k, v in messages.items()},
        groups=groups,
        conversion_uplift=_rates(treated, holdout, confidence),
        revenue_uplift=(
            mean_uplift(
                treated.get_column("revenue").to_numpy().astype(np.float64),
                holdout.get_column("revenue").to_numpy().astype(np.float64),
                confidence,
            )
            if treated.height >= 2 and holdout.height >= 2
            else None
        ),
    )
    for variant in treated.get_column("group_name").unique().sort().to_list():
        rates = _rates(treated.filter(pl.col("group_name") == variant), holdout, confidence)
        if rates is not None and len(campaign.spec.experiment.variants) > 1:
            report.variant_uplifts[variant] = rates
    if outcomes.height:
        last = outcomes.get_column("assigned_at").max()
        if isinstance(last, datetime) and last + window > (now or utcnow()):
            report.window_open_until = last + window
    return report


def _rates(treated: pl.DataFrame, holdout: pl.DataFrame, confidence: float) -> RateUplift | None:
    if treated.height == 0 or holdout.height == 0:
        return None
    return rate_uplift(
        int(treated.get_column("converted").sum()),
        treated.height,
        int(holdout.get_column("converted").sum()),
        holdout.height,
        confidence,
    )


def _outcomes(engine: Engine, campaign_id: int, window: timedelta) -> pl.DataFrame:
    """One row per member: group, placement time, converted (bool) and revenue in the window."""
    with engine.connect() as conn:
        members = conn.execute(
            select(
                CampaignMember.customer_id, CampaignMember.group_name, CampaignMember.assigned_at
            ).where(CampaignMember.campaign_id == campaign_id)
        ).all()
        orders = conn.execute(
            select(Order.customer_id, Order.id, Order.occurred_at, func.sum(OrderLine.amount))
            .join(CampaignMember, CampaignMember.customer_id == Order.customer_id)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(
                CampaignMember.campaign_id == campaign_id,
                Order.is_return.is_(False),
                is_sale(Order.status),
                Order.occurred_at > CampaignMember.assigned_at,
            )
            .group_by(Order.customer_id, Order.id, Order.occurred_at)
        ).all()
    member_frame = pl.DataFrame(
        members,
        schema={c.CUSTOMER_ID: pl.Int64, "group_name": pl.String, "assigned_at": pl.Datetime("us")},
        orient="row",
    )
    order_frame = pl.DataFrame(
        orders,
        schema={
            c.CUSTOMER_ID: pl.Int64,
            "order_id": pl.Int64,
            "occurred_at": pl.Datetime("us"),
            "amount": pl.Float64,
        },
        orient="row",
    )
    in_window = (
        order_frame.join(member_frame, on=c.CUSTOMER_ID)
        .filter(pl.col("occurred_at") <= pl.col("assigned_at") + window)
        .group_by(c.CUSTOMER_ID)
        .agg(pl.col("amount").sum().alias("revenue"))
    )
    return member_frame.join(in_window, on=c.CUSTOMER_ID, how="left").with_columns(
        pl.col("revenue").fill_null(0.0), pl.col("revenue").is_not_null().alias("converted")
    )
