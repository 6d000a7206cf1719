"""The events family: one event (``EventIn``), a batch (``EventBatch``), the answer.

The shape rules live here (types, lengths, patterns, an offset on every time, the size of
``properties``, an amount on every purchase); the rules that need the store (a customer id
that exists, a plausible e-mail) are the service's (:mod:`crmind.services.events`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
)

from crmind.services.events import MAX_BATCH, PURCHASE, IncomingEvent

MAX_PROPERTIES_BYTES: Final = 8192
"""The largest ``properties`` object, as compact JSON."""
FUTURE_TOLERANCE: Final = timedelta(days=1)
"""How far ahead of the server's clock an event may be (clocks differ a little)."""
EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)

_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"  # no control characters (PostgreSQL refuses NUL)
_TYPE = r"^[A-Za-z][A-Za-z0-9 _.:/-]*$"
_SOURCE = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"

Source = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=_SOURCE,
        description="The system the events come from; event ids are unique within it.",
        examples=["shop"],
    ),
]


class EventIn(BaseModel):
    """One behaviour event. Name the customer by `customer_id` (the store's id) or by any of
    `customer_key` (the source's own id), `email`, `phone`; with none, the event is anonymous."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event_id: str = Field(
        min_length=1,
        max_length=200,
        pattern=_PRINTABLE,
        description="Unique within the source: sending it again stores nothing new.",
    )
    type: str = Field(
        min_length=1,
        max_length=100,
        pattern=_TYPE,
        description="page_view, cart_add, purchase, email_open, ... (a `purchase` needs `amount`).",
        examples=["page_view"],
    )
    occurred_at: AwareDatetime = Field(
        description="ISO 8601 with an offset, e.g. 2025-03-01T10:15:00+01:00."
    )
    source: Source | None = Field(default=None, description="Default: the batch's, else `api`.")
    customer_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    customer_key: str | None = Field(default=None, min_length=1, max_length=200, pattern=_PRINTABLE)
    email: str | None = Field(default=None, min_length=1, max_length=320, pattern=_PRINTABLE)
    phone: str | None = Field(default=None, min_length=1, max_length=40, pattern=_PRINTABLE)
    channel: str | None = Field(default=None, min_length=1, max_length=50, pattern=_PRINTABLE)
    sku: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=_PRINTABLE, description="A product."
    )
    properties: dict[str, Any] | None = Field(
        default=None,
        description=f"Anything else, as a JSON object of at most {MAX_PROPERTIES_BYTES} bytes.",
    )
    amount: float | None = Field(
        default=None,
        ge=-1e12,
        le=1e12,
        allow_inf_nan=False,
        validate_default=True,
        description="The value of a purchase (required for `purchase`).",
    )
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", examples=["EUR"])
    order_number: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=_PRINTABLE,
        description="A purchase's order number (default: the event id).",
    )

    @field_validator("occurred_at")
    @classmethod
    def _plausible_time(cls, value: datetime) -> datetime:
        if value < EARLIEST:
            raise ValueError("must be in 1970 or later")
        if value > datetime.now(UTC) + FUTURE_TOLERANCE:
            raise ValueError("is more than a day ahead of the server's clock")
        return value

    @field_validator("properties")
    @classmethod
    def _small_object(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        text = json.dumps(value, separators=(",", ":"))
        if len(text.encode()) > MAX_PROPERTIES_BYTES:
            raise ValueError(f"must be at most {MAX_PROPERTIES_BYTES} bytes of JSON")
        if "\\u0000" in text:
            raise ValueError("must not contain NUL characters")
        return value

    @field_validator("amount")
    @classmethod
    def _purchase_has_amount(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is None and info.data.get("type") == PURCHASE:
            raise ValueError("is required for a purchase")
        return value

    def incoming(self, default_source: str) -> IncomingEvent:
        """The event as the service takes it."""
        return IncomingEvent(
            event_id=self.event_id,
            type=self.type,
            occurred_at=self.occurred_at,
            source=self.source or default_source,
            customer_id=self.customer_id,
            customer_key=self.customer_key,
            email=self.email,
            phone=self.phone,
            channel=self.channel,
            sku=self.sku,
            properties=self.properties,
            amount=self.amount,
            currency=self.currency,
            order_number=self.order_number,
        )


class EventBatch(BaseModel):
    """Up to 1,000 events in one request; `source` applies to events that name none."""

    model_config = ConfigDict(extra="forbid")

    source: Source | None = None
    events: list[EventIn] = Field(min_length=1, max_length=MAX_BATCH)


def _body_kind(body: Any) -> str:
    if isinstance(body, EventBatch) or (isinstance(body, dict) and "events" in body):
        return "batch"
    return "event"


EventsBody = Annotated[
    Annotated[EventIn, Tag("event")] | Annotated[EventBatch, Tag("batch")],
    Discriminator(_body_kind),
]
"""One event, or ``{"events": [...]}``."""


def incoming_events(body: EventIn | EventBatch) -> list[IncomingEvent]:
    """The events of a request body, each with its source."""
    if isinstance(body, EventIn):
        return [body.incoming("api")]
    default = body.source or "api"
    return [event.incoming(default) for event in body.events]


class DuplicatePublic(BaseModel):
    index: int
    event_id: str


class EventsAccepted(BaseModel):
    """What a request stored: new events, and those the store already had (duplicates)."""

    received: int
    stored: int
    duplicates: list[DuplicatePublic]
    customers_created: int
    orders_created: int
    live_states_updated: int


class EventErrorPublic(BaseModel):
    """One reason a batch was refused: the event (index in the batch), the field, why."""

    index: int | None
    field: str
    reason: str
    location: str
