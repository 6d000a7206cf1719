"""``chat_turn`` on SQLite and PostgreSQL: every message stored with its intent, confidence and
details, the dialogue state in the conversation, tickets with the whole transcript, refusals;
and the LLM path against a real local model server (marker ``llm``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from crmind.assistant.intents import IntentClassifier, trained_model_path
from crmind.config import Settings
from crmind.errors import NotFoundError
from crmind.services.assistant import AssistantReply, ChatError, assistant_dialogue, chat_turn
from crmind.services.knowledge import DEMO_KNOWLEDGE, import_articles
from crmind.services.privacy import erase_customer
from crmind.services.tickets import close_ticket, ticket_detail
from crmind.store.schema import Conversation, Message
from tests.assistant.llm_server import LlamaServer
from tests.assistant.shop import ANN, WANG, Shop, build_shop


@pytest.fixture
def shop(engine: Engine, tmp_path: Path) -> Shop:
    built = build_shop(engine, tmp_path / "shop")
    import_articles(engine, DEMO_KNOWLEDGE)
    return built


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)  # no LLM configured


def _chat(
    shop: Shop, settings: Settings, messages: list[str], customer_id: int | None = None
) -> list[AssistantReply]:
    replies: list[AssistantReply] = []
    conversation: int | None = None
    for message in messages:
        reply = chat_turn(
            shop.engine, conversation, message, customer_id=customer_id, settings=settings
        )
        conversation = reply.conversation_id
        replies.append(reply)
    return replies


def _messages(engine: Engine, conversation_id: int) -> list[Message]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Message.__table__)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.id)
        ).all()
    return [Message(**row._mapping) for row in rows]


def _conversation(engine: Engine, conversation_id: int) -> Conversation:
    with engine.connect() as conn:
        row = conn.execute(
            select(Conversation.__table__).where(Conversation.id == conversation_id)
        ).one()
    return Conversation(**row._mapping)


def test_every_message_is_stored_with_intent_confidence_and_details(
    shop: Shop, settings: Settings
) -> None:
    replies = _chat(shop, settings, ["Where is my order #A1001?", ANN["email"]])
    conversation_id = replies[0].conversation_id
    assert replies[1].conversation_id == conversation_id
    assert (replies[1].action, replies[1].customer_id) == ("order_status", shop.ann)
    messages = _messages(shop.engine, conversation_id)
    assert [m.role for m in messages] == ["customer", "assistant"] * 2
    assert [m.text for m in messages[::2]] == ["Where is my order #A1001?", ANN["email"]]
    assert all(m.intent == "order_status" for m in messages)
    assert all(m.confidence is not None and 0 <= m.confidence <= 1 for m in messages)
    assert messages[1].details == {"action": "ask_contact", "slots": {"order_number": "A1001"}}
    assert messages[2].details is not None
    assert messages[2].details["slots"] == {
        "order_number": "A1001",
        "email": "given",
    }
    assert messages[3].details is not None
    assert messages[3].details["order_id"] == shop.orders["A1001"]
    conversation = _conversation(shop.engine, conversation_id)
    assert (conversation.origin, conversation.status, conversation.language) == (
        "assistant",
        "pending",
        "en",
    )
    assert conversation.customer_id == shop.ann
    assert conversation.state is not None
    assert conversation.state["last_order"] == "A1001"


def test_no_contact_detail_is_kept_in_the_state_or_the_details(
    shop: Shop, settings: Settings
) -> None:
    _chat(shop, settings, ["我的订单A2001到哪了", WANG["phone"]])
    _chat(shop, settings, ["order A1001", "wrong.person@example.com", ANN["email"]])
    with shop.engine.connect() as conn:
        kept = [
            json.dumps(value, ensure_ascii=False)
            for value in [
                *conn.execute(select(Conversation.state)).scalars(),
                *conn.execute(select(Message.details)).scalars(),
            ]
        ]
    for secret in (ANN["email"], WANG["phone"], "138 1234", "wrong.person"):
        assert not any(secret in value for value in kept), secret


def test_a_hand_off_ticket_holds_the_whole_transcript_and_a_summary(
    shop: Shop, settings: Settings
) -> None:
    messages = ["Hello", "where is order A1002?", "I want to speak to a human agent"]
    replies = _chat(shop, settings, messages, customer_id=shop.ann)
    last = replies[-1]
    assert (last.handed_off, last.ticket_id, last.action) == (True, last.conversation_id, "handoff")
    ticket = ticket_detail(shop.engine, last.conversation_id)
    assert ticket["status"] == "open"
    assert [m["text"] for m in ticket["thread"] if m["role"] == "customer"] == messages
    assert len(ticket["thread"]) == 6
    assert "A1002" in ticket["summary"]
    assert "human_handoff" in ticket["summary"]


def test_a_chinese_refund_opens_one_ticket_with_the_order_attached(
    shop: Shop, settings: Settings
) -> None:
    replies = _chat(shop, settings, ["订单A2002我要退款", WANG["email"], "订单A2002退款"])
    assert [r.action for r in replies] == ["ask_contact", "refund_ticket", "ticket_exists"]
    assert all(r.language == "zh" for r in replies)
    with shop.engine.connect() as conn:
        tickets = conn.execute(
            select(Conversation.id, Conversation.customer_id).where(
                Conversation.order_id == shop.orders["A2002"], Conversation.status == "open"
            )
        ).all()
    assert tickets == [(replies[0].conversation_id, shop.wang)]


def test_knowledge_answers_cite_their_article(shop: Shop, settings: Settings) -> None:
    (reply,) = _chat(shop, settings, ["How much does shipping cost?"])
    assert reply.action == "knowledge_answer"
    assert reply.citations[0]["key"] == "shipping.en/shipping-costs"
    assert reply.citations[0]["id"] is not None  # the stored article
    assert not reply.used_llm


def test_refusals_name_the_problem(shop: Shop, settings: Settings) -> None:
    with pytest.raises(ChatError, match="empty"):
        chat_turn(shop.engine, None, "   ", settings=settings)
    with pytest.raises(NotFoundError, match="conversation"):
        chat_turn(shop.engine, 10**9, "hello", settings=settings)
    with pytest.raises(NotFoundError, match="customer"):
        chat_turn(shop.engine, None, "hello", customer_id=10**9, settings=settings)
    (mine,) = _chat(shop, settings, ["hello"], customer_id=shop.ann)
    with pytest.raises(ChatError, match="another customer"):
        chat_turn(shop.engine, mine.conversation_id, "hi", customer_id=shop.wang, settings=settings)
    close_ticket(shop.engine, mine.conversation_id)
    with pytest.raises(ChatError, match="closed"):
        chat_turn(shop.engine, mine.conversation_id, "hi", settings=settings)


def test_a_turn_rolls_back_whole_when_it_fails(shop: Shop, settings: Settings) -> None:
    (first,) = _chat(shop, settings, ["hello"])
    with shop.engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM messages")).scalar_one()
    with pytest.raises(ChatError):
        chat_turn(shop.engine, first.conversation_id, "x" * 5000, settings=settings)
    with shop.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM messages")).scalar_one() == before


def test_a_proven_conversation_is_the_customers_and_their_erasure_reaches_it(
    shop: Shop, settings: Settings
) -> None:
    replies = _chat(shop, settings, ["where is my order A1001?", f"it is {ANN['email']}"])
    assert replies[-1].customer_id == shop.ann
    erase_customer(shop.engine, shop.ann, actor="test")
    texts = [m.text for m in _messages(shop.engine, replies[0].conversation_id)]
    assert len(texts) == 4
    assert not any(ANN["email"] in text for text in texts)


# --- the LLM path against the real local server ---------------------------------------------------


@pytest.mark.llm
def test_with_the_local_llm_answers_stay_grounded_and_cited(
    shop: Shop, tmp_path: Path, llm_server: LlamaServer
) -> None:
    settings = Settings(data_dir=tmp_path, llm_base_url=llm_server.base_url, llm_model="smollm2")
    replies = _chat(
        shop,
        settings,
        ["How much does shipping cost?", "where is order A1001?", "I want to talk to a person"],
        customer_id=shop.ann,
    )
    answer, status, handoff = replies
    assert answer.used_llm
    assert status.used_llm
    assert answer.action == "knowledge_answer"
    assert answer.citations[0]["key"] == "shipping.en/shipping-costs"
    assert answer.reply.endswith("Source: How much does shipping cost?")
    (templated,) = _chat(shop, Settings(data_dir=tmp_path), ["How much does shipping cost?"])
    if not answer.llm_grounded:  # the model's wording was rejected: the template is shown
        assert answer.reply == templated.reply
    assert status.action == "order_status"
    if not status.llm_grounded:
        assert "#A1001" in status.reply
        assert "shipped" in status.reply
    stored = _messages(shop.engine, answer.conversation_id)
    assert stored[1].details is not None
    assert stored[1].details["llm"] == ("grounded" if answer.llm_grounded else "rejected")
    ticket = ticket_detail(shop.engine, handoff.conversation_id)
    assert handoff.handed_off
    assert ticket["summary"]


def test_the_assistant_reads_with_the_model_intents_train_saved(
    sqlite_engine: Engine, settings: Settings
) -> None:
    """A model saved in the data directory replaces the shipped one for the next turn."""
    assert assistant_dialogue(sqlite_engine, settings).classifier.predict_one("hi").intent == (
        "greeting"
    )
    texts = ["hello there", "hi", "good morning", "bye now", "see you", "thanks, goodbye"]
    labels = ["goodbye", "goodbye", "goodbye", "greeting", "greeting", "greeting"]
    path = trained_model_path(settings.data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    IntentClassifier().fit(texts * 5, labels * 5).save(path)
    assert assistant_dialogue(sqlite_engine, settings).classifier.predict_one("hi").intent == (
        "goodbye"
    )
