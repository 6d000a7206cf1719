"""Channels that deliver a campaign's messages: e-mail over SMTP, signed webhooks, export files.

Each channel has ``send(message)`` and ``close()``; ``send`` returns when the message has left
(the SMTP server accepted it, the webhook answered 2xx, the line is written) and raises
:class:`DeliveryError` otherwise, saying whether trying again later may succeed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from crmind.campaigns.templates import RenderedMessage
from crmind.errors import CrmindError


class DeliveryError(CrmindError):
    """A message did not leave. ``transient``: a later attempt may succeed (4xx, timeouts)."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True)
class OutgoingMessage:
    """One message ready to leave: who, what, and the key a receiver can deduplicate on."""

    message_id: int
    campaign_id: int
    campaign: str
    customer_id: int
    variant: str
    rendered: RenderedMessage
    recipient: str | None = None
    unsubscribe_url: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def idempotency_key(self) -> str:
        return f"crmind-campaign-{self.campaign_id}-message-{self.message_id}"


class Channel(Protocol):
    def send(self, message: OutgoingMessage) -> None: ...

    def close(self) -> None: ...
