"""Use case: the demo's conversation with the service assistant, on the demo knowledge base."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine

from crmind.config import Settings
from crmind.services.assistant import AssistantReply, chat_turn
from crmind.services.knowledge import DEMO_KNOWLEDGE, KnowledgeImport, import_articles

DEMO_MESSAGES: Final = (
    "Hello!",
    "How long does a refund take?",
    "你们支持哪些付款方式？",
    "Where is my order 536365?",
    "I'd like to talk to a person please",
)
"""A customer's messages: a greeting, policy questions in English and Chinese, an order look-up
(which asks for proof of identity), and a hand-off that opens a ticket with the transcript."""


@dataclass(frozen=True)
class DemoConversation:
    knowledge: KnowledgeImport
    turns: list[tuple[str, AssistantReply]]


def demo_conversation(engine: Engine, settings: Settings) -> DemoConversation:
    """Import the demo knowledge base (a second call changes nothing) and hold the demo
    conversation with the assistant, as an anonymous customer."""
    knowledge = import_articles(engine, DEMO_KNOWLEDGE)
    turns: list[tuple[str, AssistantReply]] = []
    conversation: int | None = None
    for message in DEMO_MESSAGES:
        reply = chat_turn(engine, conversation, message, channel="demo", settings=settings)
        conversation = reply.conversation_id
        turns.append((message, reply))
    return DemoConversation(knowledge=knowledge, turns=turns)
