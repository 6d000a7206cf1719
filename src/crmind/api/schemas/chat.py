"""The assistant chat family: a customer's message and the assistant's reply."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from crmind.api.schemas.products import NO_NUL
from crmind.services.assistant import MAX_MESSAGE_CHARS


class ChatCreate(BaseModel):
    """A customer's message; without ``conversation_id`` a new conversation starts.
    ``customer_id`` says the customer is signed in as that customer (else they prove who
    they are in the conversation before any order is shown)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, pattern=NO_NUL)
    conversation_id: int | None = Field(default=None, ge=1, le=2**62)
    customer_id: int | None = Field(default=None, ge=1, le=2**62)
    channel: str = Field(default="chat", min_length=1, max_length=50, pattern=NO_NUL)


class CitationPublic(BaseModel):
    id: int | None
    key: str
    title: str
    score: float


class ChatReplyPublic(BaseModel):
    conversation_id: int
    reply: str
    intent: str
    confidence: float
    action: str | None
    citations: list[CitationPublic]
    handed_off: bool
    ticket_id: int | None
    language: str
    used_llm: bool
    llm_grounded: bool
    customer_id: int | None
    order_id: int | None
