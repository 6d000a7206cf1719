"""Use cases: create, list, show, pause and resume campaigns.

A campaign is stored with its validated specification; its templates are rendered once on a
sample customer when it is created, so a typo is named then rather than at send time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crmind.campaigns.spec import CampaignSpec, CampaignSpecError
from crmind.campaigns.templates import check_templates
from crmind.errors import NotFoundError
from crmind.store.schema import table_of
from crmind.store.schema_campaigns import Campaign, CampaignMessage

CampaignStatus = Literal["active", "paused", "finished"]


@dataclass(frozen=True)
class StoredCampaign:
    id: int
    name: str
    status: str
    spec: CampaignSpec
    created_at: datetime
    created_by: str | None


def _stored(row: Campaign) -> StoredCampaign:
    return StoredCampaign(
        id=row.id,
        name=row.name,
        status=row.status,
        spec=CampaignSpec.model_validate(row.spec),
        created_at=row.created_at,
        created_by=row.created_by,
    )


def create_campaign(
    engine: Engine, spec: CampaignSpec, created_by: str | None = None
) -> StoredCampaign:
    """Store a new campaign (active). CampaignSpecError: a template fails, or the name is taken."""
    check_templates(spec.content, spec.experiment.variants)
    try:
        with engine.begin() as conn:
            campaign_id = conn.execute(
                table_of(Campaign)
                .insert()
                .values(
                    name=spec.name,
                    status="active",
                    spec=spec.model_dump(mode="json"),
                    created_by=created_by,
                )
                .returning(table_of(Campaign).c.id)
            ).scalar_one()
    except IntegrityError as error:
        raise CampaignSpecError(f"name: a campaign named {spec.name!r} exists already") from error
    return get_campaign(engine, campaign_id)


def get_campaign(bind: Engine | Connection, ref: int | str) -> StoredCampaign:
    """A campaign by id or name; NotFoundError names the reference."""
    query = select(Campaign)
    query = (
        query.where(Campaign.id == ref)
        if isinstance(ref, int)
        else query.where(Campaign.name == ref)
    )
    with Session(bind) as session:
        row = session.scalars(query).one_or_none()
        if row is None:
            raise NotFoundError(f"no campaign {ref!r}")
        return _stored(row)


def campaign_ref(text: str) -> int | str:
    """An id when ``text`` is digits, else a name (as the CLI takes them)."""
    return int(text) if text.isdigit() else text


def list_campaigns(engine: Engine) -> list[dict[str, Any]]:
    """Every campaign with its message counts by status."""
    with Session(engine) as session:
        campaigns = session.scalars(select(Campaign).order_by(Campaign.id)).all()
        counts = session.execute(
            select(CampaignMessage.campaign_id, CampaignMessage.status, func.count()).group_by(
                CampaignMessage.campaign_id, CampaignMessage.status
            )
        ).all()
    by_campaign: dict[int, dict[str, int]] = {}
    for campaign_id, status, count in counts:
        by_campaign.setdefault(campaign_id, {})[status] = count
    return [
        {
            "id": row.id,
            "name": row.name,
            "status": row.status,
            "trigger": row.spec["trigger"]["kind"],
            "channel": row.spec["channel"]["kind"],
            "messages": by_campaign.get(row.id, {}),
        }
        for row in campaigns
    ]


def set_status(engine: Engine, ref: int | str, status: CampaignStatus) -> StoredCampaign:
    """Pause, resume or finish a campaign; a paused campaign plans and sends nothing."""
    campaign = get_campaign(engine, ref)
    with engine.begin() as conn:
        conn.execute(
            update(Campaign)
            .where(Campaign.id == campaign.id)
            .values(status=status, updated_at=func.current_timestamp())
        )
    return get_campaign(engine, campaign.id)
