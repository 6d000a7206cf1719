"""The segment family: segments of the newest analysis and their members. A member is named by
customer id for roles that read personal data, by keyed pseudonym for the others."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from crmind.api.schemas.common import Page


class SegmentPublic(BaseModel):
    id: int
    model_run_id: int
    kind: str = Field(description="rfm, learned, value_tier or lifecycle.")
    key: str
    name: str
    description: str | None
    size: int
    value_share: float | None = Field(description="Share of all customers' spend, 0 to 1.")
    definition: dict[str, Any] | None


SegmentsPublic = Page[SegmentPublic]


class SegmentMemberPublic(BaseModel):
    customer_id: int | None = Field(
        default=None, description="For roles that may read personal data."
    )
    pseudonym: str | None = Field(
        default=None, description="For roles limited to pseudonymised data."
    )


SegmentMembersPublic = Page[SegmentMemberPublic]
