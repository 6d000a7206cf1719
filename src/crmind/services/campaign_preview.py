"""Use case: preview a campaign before it sends — how many customers each audience rule leaves,
how many of them consent, how many the holdout keeps back, and the message one customer would get.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import Engine, select

from crmind.campaigns.assignment import HOLDOUT, group_of
from crmind.campaigns.audiences import AudienceStep, select_audience
from crmind.campaigns.templates import RenderedMessage, render
from crmind.config import Settings
from crmind.errors import NotFoundError
from crmind.privacy.binding import cipher_of
from crmind.privacy.consent import MARKETING_EMAIL
from crmind.services.campaign_audiences import audience_frame
from crmind.services.campaign_planning import message_contents
from crmind.services.campaign_runner import coupon_key
from crmind.services.campaign_sender import message_context, variant_of
from crmind.services.campaign_unsubscribe import unsubscribe_key, unsubscribe_url
from crmind.services.campaigns import StoredCampaign
from crmind.services.consents import granted
from crmind.store.schema import Customer


@dataclass(frozen=True)
class CampaignPreview:
    steps: list[AudienceStep]
    audience: int
    consenting: int
    holdout: int
    treated: int
    sample_customer_id: int | None
    sample_group: str | None
    sample: RenderedMessage | None


def preview_campaign(
    engine: Engine, settings: Settings, campaign: StoredCampaign, customer_id: int | None = None
) -> CampaignPreview:
    """Counts for the audience now, and the message of ``customer_id`` (default: the first
    consenting customer of the audience). Nothing is written."""
    spec = campaign.spec
    frame = audience_frame(engine, sorted({rule.kind for rule in spec.audience.scores}))
    selection = select_audience(frame, spec.audience)
    consenting = sorted(set(selection.customer_ids) & granted(engine, MARKETING_EMAIL))
    seed = f"campaign:{campaign.id}"
    holdout = sum(group_of(seed, c, spec.experiment) == HOLDOUT for c in consenting)
    sample_id = customer_id if customer_id is not None else (consenting[0] if consenting else None)
    sample, group = None, None
    if sample_id is not None:
        sample, group = _sample(engine, settings, campaign, frame, sample_id)
    return CampaignPreview(
        steps=selection.steps,
        audience=len(selection.customer_ids),
        consenting=len(consenting),
        holdout=holdout,
        treated=len(consenting) - holdout,
        sample_customer_id=sample_id,
        sample_group=group,
        sample=sample,
    )


def _sample(
    engine: Engine,
    settings: Settings,
    campaign: StoredCampaign,
    frame: pl.DataFrame,
    customer_id: int,
) -> tuple[RenderedMessage, str]:
    with engine.connect() as conn:
        row = conn.execute(
            select(Customer.name, Customer.first_name).where(Customer.id == customer_id)
        ).one_or_none()
        if row is None:
            raise NotFoundError(f"no customer {customer_id}")
        content = message_contents(
            engine, conn, campaign, frame, [customer_id], coupon_key(settings)
        )[customer_id]
    cipher = cipher_of(engine)
    group = group_of(f"campaign:{campaign.id}", customer_id, campaign.spec.experiment)
    context = message_context(
        campaign,
        customer_id,
        content,
        name=cipher.decrypt(row[0], "customers.name"),
        first_name=cipher.decrypt(row[1], "customers.first_name"),
        unsubscribe_link=unsubscribe_url(
            settings.public_base_url, unsubscribe_key(settings), customer_id, campaign.id
        ),
    )
    return render(campaign.spec.content, context, variant_of(campaign, group)), group
