"""The campaign family: a campaign as listed, its preview counts and its report."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from crmind.api.schemas.common import Page


class CampaignPublic(BaseModel):
    id: int
    name: str
    status: str
    trigger: str
    channel: str
    messages: dict[str, int]


CampaignsPublic = Page[CampaignPublic]


class AudienceStepPublic(BaseModel):
    rule: str
    remaining: int


class CampaignPreviewPublic(BaseModel):
    """How many customers each audience rule leaves, and who would be messaged (no names)."""

    steps: list[AudienceStepPublic]
    audience: int
    consenting: int
    holdout: int
    treated: int


class GroupOutcomePublic(BaseModel):
    group: str
    customers: int
    conversions: int
    revenue: float


class UpliftPublic(BaseModel):
    uplift: float
    low: float
    high: float
    confidence: float
    p_value: float | None = None


class CampaignReportPublic(BaseModel):
    id: int
    name: str
    status: str
    messages: dict[str, int]
    groups: list[GroupOutcomePublic]
    conversion_uplift: UpliftPublic | None
    revenue_uplift: UpliftPublic | None
    attribution_days: int
    window_open_until: datetime | None
