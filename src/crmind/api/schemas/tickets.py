"""The conversation (ticket) family: tickets, their messages, and the changes agents make."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crmind.api.schemas.common import Page
from crmind.api.schemas.products import NO_NUL

TicketStatus = Literal["open", "pending", "closed"]
TicketPriority = Literal["low", "normal", "high", "urgent"]


class TicketPublic(BaseModel):
    id: int
    customer_id: int | None
    channel: str
    status: str
    origin: str
    subject: str | None
    priority: str
    summary: str | None
    assigned_to: str | None
    feedback_id: int | None
    order_id: int | None
    created_at: datetime | None
    updated_at: datetime | None
    closed_at: datetime | None
    messages: int


TicketsPublic = Page[TicketPublic]


class MessagePublic(BaseModel):
    id: int
    role: str
    text: str
    intent: str | None
    confidence: float | None
    created_at: datetime | None


class TicketDetailPublic(TicketPublic):
    thread: list[MessagePublic]


class TicketUpdate(BaseModel):
    """Assign (``assigned_to``; null unassigns), reprioritise, reopen or retitle a ticket."""

    model_config = ConfigDict(extra="forbid")

    assigned_to: str | None = Field(default=None, max_length=200, pattern=NO_NUL)
    priority: TicketPriority | None = None
    status: TicketStatus | None = None
    subject: str | None = Field(default=None, max_length=1000, pattern=NO_NUL)


class ReplyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20_000, pattern=NO_NUL)


class TicketClose(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary: str | None = Field(default=None, max_length=5_000, pattern=NO_NUL)
