"""What the assistant remembers between the turns of one conversation (``conversations.state``).

The state holds no personal data in the clear: an order number that was asked about, keyed
search hashes of a contact the customer gave before the order number (used once, then dropped),
counters and the ids of orders that got tickets. Who the customer is lives in
``conversations.customer_id`` (set when given by the caller or proven in the conversation), so
that a subject's erasure reaches the conversation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from crmind.assistant.replies import DEFAULT_LANGUAGE


@dataclass
class Pending:
    """An action waiting for a slot: ``intent`` needs ``awaiting`` ("order_number" or
    "contact"); ``asked`` counts how often it was asked for without an answer."""

    intent: str
    order_number: str | None = None
    contact_hashes: list[str] = field(default_factory=list)
    awaiting: str | None = None
    asked: int = 0


@dataclass
class DialogueState:
    """The dialogue state of a conversation; :meth:`to_json` / :meth:`from_json` round-trip."""

    language: str = DEFAULT_LANGUAGE
    pending: Pending | None = None
    identity_failures: int = 0  # order look-ups that matched nothing; MAX locks the look-up
    not_understood: int = 0  # turns in a row the assistant could not help with
    ticket_orders: dict[str, int] = field(default_factory=dict)  # order id -> ticket id
    handed_off: bool = False
    last_intent: str | None = None
    last_order: str | None = None  # the order last shown: "cancel it" means this one
    turns: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> DialogueState:
        if not value:
            return cls()
        known = {name: value[name] for name in cls.__dataclass_fields__ if name in value}
        pending = known.get("pending")
        if isinstance(pending, dict):
            fields = Pending.__dataclass_fields__
            known["pending"] = Pending(**{k: v for k, v in pending.items() if k in fields})
        return cls(**known)
