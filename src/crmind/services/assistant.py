"""Use case: one turn of a customer's conversation with the assistant.

:func:`chat_turn` stores the customer's message and the assistant's reply (each with the intent
and confidence read in the message; the reply with what it rests on in ``messages.details``:
the action taken, cited articles, slots, the ticket), and the dialogue state in
``conversations.state``, all in one transaction. A new conversation is opened when
``conversation_id`` is None; it is ``pending`` (handled by the assistant) until a ticket opens
it (:mod:`crmind.assistant.actions`).

``customer_id`` is the caller's word that the customer is signed in as that customer (the web
shop's chat widget, the CLI's ``--customer``); without it the customer proves who they are in the
conversation before any order is shown. A conversation that belongs to one customer is refused
to a caller naming another.

Speed: the intent classifier (trained once per process), the knowledge index (rebuilt when the
articles change) and the LLM client are shared between turns; without an LLM a turn is a few
indexed reads and one small write transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from crmind.assistant.actions import StoreActions
from crmind.assistant.dialogue import Dialogue, DialogueOptions, Turn
from crmind.assistant.intents import default_classifier
from crmind.assistant.knowledge import ArticleHit, KnowledgeIndex
from crmind.assistant.llm import chat_client
from crmind.assistant.phrasing import LlmPhrasing
from crmind.assistant.replies import language_of
from crmind.assistant.state import DialogueState
from crmind.config import Settings, get_settings
from crmind.errors import CrmindError, NotFoundError
from crmind.privacy.binding import cipher_of
from crmind.services.knowledge import knowledge_index
from crmind.store.db import unit_of_work
from crmind.store.schema import Conversation, Customer, Message

ORIGIN = "assistant"
MAX_MESSAGE_CHARS = 4000
EXTRA_PHONE_REGIONS = ("GB", "CN", "US")
"""Regions a phone number written without ``+`` is also read under, after the store's default."""


class ChatError(CrmindError):
    """A chat message or conversation the assistant cannot take (says which and why)."""


@dataclass(frozen=True)
class AssistantReply:
    """The assistant's answer to one message."""

    conversation_id: int
    reply: str
    intent: str
    confidence: float
    action: str | None
    citations: list[dict[str, Any]] = field(default_factory=list)
    handed_off: bool = False
    ticket_id: int | None = None
    language: str = "en"
    used_llm: bool = False  # a model was asked to word the reply
    llm_grounded: bool = False  # its wording was grounded and is the reply
    customer_id: int | None = None  # whom the conversation belongs to (given or proven)
    order_id: int | None = None  # the order the reply is about


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class _StoreKnowledge:
    """The store's knowledge index, looked up on the first search of a turn: most turns
    (order actions, slot answers, greetings) search nothing and skip the look-up."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._index: KnowledgeIndex | None = None

    def _current(self) -> KnowledgeIndex:
        if self._index is None:
            self._index = knowledge_index(self.engine)
        return self._index

    def search(self, query: str, *, language: str | None = None, k: int = 5) -> list[ArticleHit]:
        return self._current().search(query, language=language, k=k)

    def answerable(self, hit: ArticleHit) -> bool:
        return self._current().answerable(hit)


def assistant_dialogue(engine: Engine, settings: Settings | None = None) -> Dialogue:
    """The dialogue of the store on ``engine`` for one turn: the intent classifier (the one
    `crmind intents train` saved in the data directory, else the shipped one), the
    store's knowledge index, and the configured LLM (if any) to phrase answers."""
    settings = settings or get_settings()
    return Dialogue(
        default_classifier(settings.data_dir),
        _StoreKnowledge(engine),
        LlmPhrasing(chat_client(settings)),
        DialogueOptions(),
    )


def chat_turn(
    engine: Engine,
    conversation_id: int | None,
    text: str,
    *,
    customer_id: int | None = None,
    channel: str = "chat",
    settings: Settings | None = None,
) -> AssistantReply:
    """Answer ``text`` in conversation ``conversation_id`` (None: a new one); see the module
    docstring. NotFoundError for an unknown conversation or customer; ChatError for an empty
    or too long message, a closed conversation, one that is not the assistant's, or one that
    belongs to another customer."""
    settings = settings or get_settings()
    message = text.strip()
    if not message:
        raise ChatError("the message is empty")
    if len(message) > MAX_MESSAGE_CHARS:
        raise ChatError(f"the message has {len(message)} characters; at most {MAX_MESSAGE_CHARS}")
    dialogue = assistant_dialogue(engine, settings)
    if conversation_id is None:
        conversation_id = _open_conversation(engine, customer_id, channel)
    regions = tuple(dict.fromkeys((settings.default_phone_region, *EXTRA_PHONE_REGIONS)))
    with unit_of_work(engine) as session:
        session.autoflush = False  # nothing is written before the reply is decided
        conversation = _conversation(session, conversation_id, customer_id)
        state = DialogueState.from_json(conversation.state)
        if not conversation.state and conversation.language:
            state.language = language_of(conversation.language)
        actions = StoreActions(session, conversation, cipher_of(engine), regions)
        turn = dialogue.respond(state, message, actions)
        _store(session, conversation, state, message, turn)
        customer = conversation.customer_id
    return AssistantReply(
        conversation_id=conversation_id,
        reply=turn.reply,
        intent=turn.intent,
        confidence=turn.confidence,
        action=turn.action,
        citations=turn.citations,
        handed_off=turn.handed_off,
        ticket_id=turn.ticket_id,
        language=turn.language,
        used_llm=turn.used_llm,
        llm_grounded=turn.llm_grounded,
        customer_id=customer,
        order_id=turn.order_id,
    )


def _open_conversation(engine: Engine, customer_id: int | None, channel: str) -> int:
    with unit_of_work(engine) as session:
        if customer_id is not None:
            customer_id = _live_customer(session, customer_id)
        conversation = Conversation(
            customer_id=customer_id,
            channel=channel,
            status="pending",
            origin=ORIGIN,
            created_at=_now(),
            updated_at=_now(),
        )
        session.add(conversation)
        session.flush()
        return conversation.id


def _live_customer(session: Session, customer_id: int) -> int:
    """The customer, or the survivor it was merged into; NotFoundError if unknown."""
    row = session.execute(
        select(Customer.id, Customer.merged_into).where(Customer.id == customer_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no customer with id {customer_id}")
    return int(row.merged_into or row.id)


def _conversation(session: Session, conversation_id: int, customer_id: int | None) -> Conversation:
    conversation = session.scalars(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    ).first()
    if conversation is None:
        raise NotFoundError(f"no conversation with id {conversation_id}")
    if conversation.origin != ORIGIN:
        raise ChatError(
            f"conversation {conversation_id} was opened by {conversation.origin}, not the "
            "assistant; reply to it as an agent"
        )
    if conversation.status == "closed":
        raise ChatError(f"conversation {conversation_id} is closed; start a new one")
    if customer_id is not None:
        live = _live_customer(session, customer_id)
        if conversation.customer_id is None:
            conversation.customer_id = live
        elif conversation.customer_id != live:
            raise ChatError(f"conversation {conversation_id} belongs to another customer")
    return conversation


def _store(
    session: Session,
    conversation: Conversation,
    state: DialogueState,
    text: str,
    turn: Turn,
) -> None:
    now = _now()
    asked: dict[str, Any] = {"language": turn.language, "slots": turn.slots}
    if turn.predicted != turn.intent:
        asked["predicted"] = turn.predicted
    session.add_all(
        [
            Message(
                conversation_id=conversation.id,
                role="customer",
                text=text,
                intent=turn.intent,
                confidence=turn.confidence,
                details=asked,
                created_at=now,
            ),
            Message(
                conversation_id=conversation.id,
                role="assistant",
                text=turn.reply,
                intent=turn.intent,
                confidence=turn.confidence,
                details=turn.details(),
                created_at=now,
            ),
        ]
    )
    conversation.state = state.to_json()
    conversation.language = turn.language
    conversation.updated_at = now
