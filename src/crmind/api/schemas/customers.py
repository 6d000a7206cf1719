"""The customer family: contact record, list, update, and the 360° view."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crmind.api.schemas.common import Page


class CustomerPublic(BaseModel):
    id: int
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    country: str | None = None
    country_code: str | None = None
    city: str | None = None
    postcode: str | None = None
    address: str | None = None
    birth_date: date | None = None
    gender: str | None = None
    signed_up_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    merged_into: int | None = None


CustomersPublic = Page[CustomerPublic]


class CustomerUpdate(BaseModel):
    """Contact fields to change; a field sent as null is cleared, a field left out is kept."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=500)
    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    country_code: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    city: str | None = Field(default=None, max_length=200)
    postcode: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=1000)
    birth_date: date | None = None
    gender: str | None = Field(default=None, max_length=20)


class OrderSummaryPublic(BaseModel):
    order_number: str
    occurred_at: datetime
    is_return: bool
    lines: int
    amount: float


class Customer360Public(BaseModel):
    """Everything crmind knows about one customer: contact, keys, recent orders, the newest
    analysis (profile, segments, scores with their reasons), recommendations and feedback."""

    id: int
    contact: dict[str, Any]
    identities: list[dict[str, str]]
    merged_into: int | None
    order_count: int
    orders: list[OrderSummaryPublic]
    analysis_run: int | None
    profile: dict[str, Any] | None
    segments: dict[str, str]
    scores: dict[str, dict[str, Any]]
    recommendations: list[dict[str, Any]]
    feedback: list[dict[str, Any]]
    live: dict[str, Any] | None = Field(
        default=None,
        description="What real-time events changed since the analysis run: last event, event "
        "counts, purchases and revenue, and the lifecycle stage now (null before any event).",
    )
