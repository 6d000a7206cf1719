"""The feedback family: feedback with what text analysis read in it, and the topics found."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from crmind.api.schemas.common import Page


class FeedbackPublic(BaseModel):
    id: int
    source: str
    customer_id: int | None = None
    pseudonym: str | None = None
    product_id: int | None
    order_id: int | None
    text: str
    rating: float | None
    channel: str | None
    occurred_at: datetime | None
    language: str | None
    label: str | None
    score: float | None
    alert: str | None
    topic_id: int | None
    topic: str | None


FeedbacksPublic = Page[FeedbackPublic]


class TopicPublic(BaseModel):
    language: str
    topic: int
    label: str
    keywords: list[str]
    size: int
    mean_score: float | None
    negative_share: float | None
    by_month: list[dict[str, Any]]


class TopicsPublic(BaseModel):
    model_run_id: int | None
    data: list[TopicPublic]
    count: int
