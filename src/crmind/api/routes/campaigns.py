"""Campaigns (``campaigns:read`` to list and report, ``campaigns:write`` to create, preview,
pause and resume). Sending is the runner's (``crmind campaigns run`` or the server's scheduler)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from crmind.access.roles import Permission
from crmind.api.deps import EngineDep, SettingsDep, require
from crmind.api.schemas.campaigns import (
    AudienceStepPublic,
    CampaignPreviewPublic,
    CampaignPublic,
    CampaignReportPublic,
    CampaignsPublic,
    GroupOutcomePublic,
    UpliftPublic,
)
from crmind.api.schemas.common import RecordId
from crmind.campaigns.spec import CampaignSpec
from crmind.services.access import Principal
from crmind.services.campaign_preview import preview_campaign
from crmind.services.campaign_report import campaign_report
from crmind.services.campaigns import (
    create_campaign,
    get_campaign,
    list_campaigns,
    set_status,
)

router = APIRouter(prefix="/campaigns", tags=["campaigns"])

Reader = require(Permission.CAMPAIGNS_READ)
Writer = require(Permission.CAMPAIGNS_WRITE)


def _public(engine: EngineDep, campaign_id: int) -> CampaignPublic:
    row = next(row for row in list_campaigns(engine) if row["id"] == campaign_id)
    return CampaignPublic(**row)


@router.get("", dependencies=[Depends(Reader)])
def list_all(engine: EngineDep) -> CampaignsPublic:
    """Every campaign with its messages by status. Example: `GET /campaigns`"""
    rows = [CampaignPublic(**row) for row in list_campaigns(engine)]
    return CampaignsPublic(data=rows, count=len(rows))


@router.post("", status_code=201)
def create(
    engine: EngineDep, spec: CampaignSpec, principal: Annotated[Principal, Depends(Writer)]
) -> CampaignPublic:
    """Create a campaign (active) from its specification; its templates are checked first.
    Example: `POST /campaigns {"name": "welcome", "content": {...}}`"""
    campaign = create_campaign(engine, spec, created_by=principal.actor)
    return _public(engine, campaign.id)


@router.get("/{campaign_id}/preview", dependencies=[Depends(Writer)])
def preview(
    engine: EngineDep, settings: SettingsDep, campaign_id: RecordId
) -> CampaignPreviewPublic:
    """The audience now, rule by rule, with the consenting and the holdout (nothing is sent).
    Example: `GET /campaigns/1/preview`"""
    result = preview_campaign(engine, settings, get_campaign(engine, campaign_id))
    return CampaignPreviewPublic(
        steps=[AudienceStepPublic(rule=s.rule, remaining=s.remaining) for s in result.steps],
        audience=result.audience,
        consenting=result.consenting,
        holdout=result.holdout,
        treated=result.treated,
    )


@router.get("/{campaign_id}/report", dependencies=[Depends(Reader)])
def report(engine: EngineDep, campaign_id: RecordId) -> CampaignReportPublic:
    """Messages by status, conversions per group, and the uplift with its interval.
    Example: `GET /campaigns/1/report`"""
    result = campaign_report(engine, campaign_id)
    rates, money = result.conversion_uplift, result.revenue_uplift
    return CampaignReportPublic(
        id=result.campaign.id,
        name=result.campaign.name,
        status=result.campaign.status,
        messages=result.messages,
        groups=[GroupOutcomePublic(**vars(group)) for group in result.groups],
        conversion_uplift=None
        if rates is None
        else UpliftPublic(
            uplift=rates.uplift,
            low=rates.low,
            high=rates.high,
            confidence=rates.confidence,
            p_value=rates.p_value,
        ),
        revenue_uplift=None
        if money is None
        else UpliftPublic(
            uplift=money.uplift, low=money.low, high=money.high, confidence=money.confidence
        ),
        attribution_days=result.campaign.spec.experiment.attribution_days,
        window_open_until=result.window_open_until,
    )


@router.post("/{campaign_id}/pause", dependencies=[Depends(Writer)])
def pause(engine: EngineDep, campaign_id: RecordId) -> CampaignPublic:
    """Pause: nothing is planned or sent until resumed. Example: `POST /campaigns/1/pause`"""
    set_status(engine, campaign_id, "paused")
    return _public(engine, campaign_id)


@router.post("/{campaign_id}/resume", dependencies=[Depends(Writer)])
def resume(engine: EngineDep, campaign_id: RecordId) -> CampaignPublic:
    """Resume a paused campaign. Example: `POST /campaigns/1/resume`"""
    set_status(engine, campaign_id, "active")
    return _public(engine, campaign_id)
