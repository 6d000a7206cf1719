from __future__ import annotations

from sqlalchemy import Engine, func, select

from crmind.config import Settings
from crmind.services.demo_assistant import DEMO_MESSAGES, demo_conversation
from crmind.store.schema import Conversation, Message


def test_the_demo_conversation_cites_articles_and_hands_off(sqlite_engine: Engine) -> None:
    settings = Settings()
    first = demo_conversation(sqlite_engine, settings)
    assert first.knowledge.created == first.knowledge.read > 0
    assert set(first.knowledge.languages) == {"en", "zh"}
    replies = dict(first.turns)
    assert [message for message, _ in first.turns] == list(DEMO_MESSAGES)
    assert replies["How long does a refund take?"].citations
    chinese = replies["你们支持哪些付款方式？"]
    assert chinese.language == "zh"
    assert chinese.citations
    assert "536365" in replies["Where is my order 536365?"].reply  # asks for proof, shows nothing
    handoff = replies["I'd like to talk to a person please"]
    assert handoff.handed_off
    assert handoff.ticket_id is not None
    second = demo_conversation(sqlite_engine, settings)
    assert second.knowledge.created == 0
    with sqlite_engine.connect() as conn:
        messages = conn.execute(select(func.count()).select_from(Message)).scalar_one()
        tickets = conn.execute(
            select(func.count()).select_from(Conversation).where(Conversation.status == "open")
        ).scalar_one()
    assert messages == 2 * 2 * len(DEMO_MESSAGES)  # each turn: the customer's and the reply
    assert tickets == 2
