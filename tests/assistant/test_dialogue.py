"""Scripted conversations through the dialogue, in English and Chinese, on SQLite and
PostgreSQL: the shipped intent classifier, the demo knowledge base, the real store's actions,
no language model (its path is tested in tests/services/test_assistant.py).

Each turn runs in its own transaction, as ``chat_turn`` runs it; the dialogue state is carried
between turns in memory (storing it is the service's part).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from crmind.assistant.actions import StoreActions
from crmind.assistant.dialogue import Dialogue, Turn
from crmind.assistant.intents import default_classifier
from crmind.assistant.knowledge import KnowledgeIndex, read_articles
from crmind.assistant.phrasing import LlmPhrasing
from crmind.assistant.replies import say
from crmind.assistant.state import DialogueState
from crmind.privacy.binding import cipher_of
from crmind.services.knowledge import DEMO_KNOWLEDGE
from crmind.store.db import unit_of_work
from crmind.store.schema import Conversation, Order
from tests.assistant.shop import ANN, BO, WANG, Shop, build_shop


@pytest.fixture(scope="module")
def dialogue() -> Dialogue:
    index = KnowledgeIndex.build(read_articles(DEMO_KNOWLEDGE))
    return Dialogue(default_classifier(), index, LlmPhrasing(None))


@pytest.fixture
def shop(engine: Engine, tmp_path: Path) -> Shop:
    return build_shop(engine, tmp_path / "shop")


@dataclass
class Talk:
    """One conversation: say a message, get the assistant's turn."""

    dialogue: Dialogue
    engine: Engine
    conversation_id: int
    state: DialogueState = field(default_factory=DialogueState)

    def say(self, text: str) -> Turn:
        with unit_of_work(self.engine) as session:
            conversation = session.get(Conversation, self.conversation_id)
            assert conversation is not None
            actions = StoreActions(session, conversation, cipher_of(self.engine), ("GB", "CN"))
            return self.dialogue.respond(self.state, text, actions)

    @property
    def conversation(self) -> Conversation:
        with unit_of_work(self.engine) as session:
            found = session.get(Conversation, self.conversation_id)
            assert found is not None
            return found


def talk(dialogue: Dialogue, engine: Engine, customer_id: int | None = None) -> Talk:
    with unit_of_work(engine) as session:
        conversation = Conversation(
            channel="chat", status="pending", origin="assistant", customer_id=customer_id
        )
        session.add(conversation)
        session.flush()
        return Talk(dialogue, engine, conversation.id)


def _status(engine: Engine, number: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(Order.status).where(Order.order_number == number)).scalar()


# --- order status and the identity check --------------------------------------------------------


def test_order_status_asks_for_the_order_then_the_email_across_turns(
    dialogue: Dialogue, shop: Shop
) -> None:
    chat = talk(dialogue, shop.engine)
    first = chat.say("Hi, where is my order?")
    assert (first.intent, first.action) == ("order_status", "ask_order")
    second = chat.say("It's #A1001")
    assert second.action == "ask_contact"
    assert "#A1001" in second.reply
    third = chat.say(ANN["email"])
    assert (third.intent, third.action, third.order_id) == (
        "order_status",
        "order_status",
        shop.orders["A1001"],
    )
    assert "#A1001" in third.reply
    assert "shipped" in third.reply
    assert "15.00" in third.reply
    assert chat.conversation.customer_id == shop.ann
    assert chat.state.pending is None


def test_order_status_in_chinese_with_the_phone_number(dialogue: Dialogue, shop: Shop) -> None:
    chat = talk(dialogue, shop.engine)
    first = chat.say("我的订单到哪了？")
    assert (first.language, first.action) == ("zh", "ask_order")
    assert first.reply == say("ask_order", "zh")
    second = chat.say("订单号是A2001")
    assert second.action == "ask_contact"
    assert second.reply == say("ask_contact", "zh", order="#A2001")
    third = chat.say("13812345678")  # no words: the conversation stays in Chinese
    assert (third.language, third.action) == ("zh", "order_status")
    assert "订单 #A2001" in third.reply
    assert "尚未发货" in third.reply
    assert chat.conversation.customer_id == shop.wang


def test_a_wrong_email_gets_the_same_reply_as_an_unknown_order_and_reveals_nothing(
    dialogue: Dialogue, shop: Shop
) -> None:
    wrong = talk(dialogue, shop.engine)
    wrong.say("where is order #A1001?")
    refused = wrong.say(BO["email"])  # a real customer's e-mail, not the order's
    unknown = talk(dialogue, shop.engine)
    unknown.say("where is order #A1009?")
    missing = unknown.say(ANN["email"])
    assert refused.action == missing.action == "not_found"
    assert refused.reply == say("not_found", "en", order="#A1001")
    assert missing.reply == say("not_found", "en", order="#A1009")
    assert refused.reply.replace("A1001", "A1009") == missing.reply
    for leaked in ("shipped", "15.00", "2024-03-01", "Ann", "ann.lee"):
        assert leaked not in refused.reply
    assert refused.order_id is None
    assert wrong.conversation.customer_id is None


def test_repeated_failures_lock_the_order_look_up_for_the_conversation(
    dialogue: Dialogue, shop: Shop
) -> None:
    chat = talk(dialogue, shop.engine)
    chat.say("订单A1001在哪里")
    replies = [chat.say(email) for email in ("a@example.com", "b@example.com", "c@example.com")]
    assert [r.action for r in replies] == ["not_found", "not_found", "identity_locked"]
    assert replies[-1].reply == say("identity_locked", "zh")
    after = chat.say(f"order A1001 {ANN['email']}")  # the right proof, too late
    assert after.action == "identity_locked"
    assert "shipped" not in after.reply
    assert after.order_id is None


def test_a_signed_in_customer_sees_their_orders_but_not_anothers(
    dialogue: Dialogue, shop: Shop
) -> None:
    chat = talk(dialogue, shop.engine, customer_id=shop.ann)
    own = chat.say("What's the status of order A1002?")
    assert own.action == "order_status"
    assert "#A1002" in own.reply
    other = chat.say("and order A2001?")
    assert other.action == "not_found"
    assert "尚未发货" not in other.reply
    assert "not shipped" not in other.reply


# --- refunds, cancellations -------------------------------------------------------------------


def test_a_refund_request_opens_exactly_one_ticket_with_the_order_attached(
    dialogue: Dialogue, shop: Shop
) -> None:
    chat = talk(dialogue, shop.engine, customer_id=shop.ann)
    opened = chat.say("I want a refund for order A1001, it arrived broken")
    assert (opened.intent, opened.action) == ("return_refund", "refund_ticket")
    assert opened.ticket_id == chat.conversation_id
    conversation = chat.conversation
    assert (conversation.status, conversation.order_id) == ("open", shop.orders["A1001"])
    assert conversation.summary
    again = chat.say("I want my money back for A1001")
    assert (again.action, again.ticket_id) == ("ticket_exists", opened.ticket_id)
    with shop.engine.connect() as conn:
        tickets = conn.execute(
            select(Conversation.id).where(
                Conversation.status == "open", Conversation.order_id == shop.orders["A1001"]
            )
        ).all()
    assert len(tickets) == 1


def test_a_refund_in_chinese_asks_for_the_order_and_opens_the_ticket(
    dialogue: Dialogue, shop: Shop
) -> None:
    chat = talk(dialogue, shop.engine)
    asked = chat.say("我要退货退款")
    assert (asked.language, asked.intent) == ("zh", "return_refund")
    assert asked.action == "ask_order"
    chat.say("A2002")
    opened = chat.say(WANG["email"])
    assert opened.action == "refund_ticket"
    assert opened.reply == say("refund_opened", "zh", ticket=chat.conversation_id, order="#A2002")
    assert chat.conversation.order_id == shop.orders["A2002"]


def test_an_unshipped_order_is_cancelled_and_a_shipped_one_is_not(
    dialogue: Dialogue, shop: Shop
) -> None:
    chat = talk(dialogue, shop.engine, customer_id=shop.ann)
    done = chat.say("Please cancel order A1002")
    assert (done.intent, done.action) == ("cancel_order", "cancel_cancelled")
    assert done.reply == say("cancelled", "en", order="#A1002")
    assert _status(shop.engine, "A1002") == "cancelled"
    refused = chat.say("cancel order A1001")
    assert refused.action == "cancel_shipped"
    assert "already shipped" in refused.reply
    assert _status(shop.engine, "A1001") == "shipped"
    unsure = chat.say("cancel my order A1003 please")  # no status: a person decides
    assert unsure.action == "cancel_needs_person"
    assert unsure.ticket_id == chat.conversation_id
    assert chat.conversation.order_id == shop.orders["A1003"]


def test_cancellation_in_chinese(dialogue: Dialogue, shop: Shop) -> None:
    chat = talk(dialogue, shop.engine, customer_id=shop.wang)
    done = chat.say("帮我取消订单A2001")
    assert (done.language, done.action) == ("zh", "cancel_cancelled")
    assert done.reply == say("cancelled", "zh", order="#A2001")
    refused = chat.say("取消订单A2002")
    assert refused.action == "cancel_shipped"
    assert "无法再取消" in refused.reply
    assert (_status(shop.engine, "A2001"), _status(shop.engine, "A2002")) == (
        "cancelled",
        "delivered",
    )


def test_it_means_the_order_just_shown(dialogue: Dialogue, shop: Shop) -> None:
    chat = talk(dialogue, shop.engine, customer_id=shop.ann)
    chat.say("where is order A1002?")
    cancelled = chat.say("Please cancel it")
    assert cancelled.action == "cancel_cancelled"
    assert cancelled.order_id == shop.orders["A1002"]


# --- recommendations ----------------------------------------------------------------------------


def test_recommendations_for_a_known_customer_with_reasons_in_both_languages(
    dialogue: Dialogue, shop: Shop
) -> None:
    english = talk(dialogue, shop.engine, customer_id=shop.ann).say(
        "What would you recommend for me?"
    )
    assert english.action == "recommendations"
    assert english.reply.count("\n- ") == 3
    assert "popular: bought by" in english.reply
    chinese = talk(dialogue, shop.engine, customer_id=shop.wang).say("有什么推荐的商品吗？")
    assert (chinese.language, chinese.action) == ("zh", "recommendations")
    assert "热销" in chinese.reply


def test_an_anonymous_visitor_proves_who_they_are_before_recommendations(
    dialogue: Dialogue, shop: Shop
) -> None:
    chat = talk(dialogue, shop.engine)
    asked = chat.say("Can you recommend something?")
    assert asked.reply == say("recommend_needs_identity", "en")
    chat.say("A1001")
    shown = chat.say(ANN["phone"])
    assert shown.action == "recommendations"


# --- hand-off, out of scope, knowledge ------------------------------------------------------------


def test_asking_for_a_person_opens_a_ticket_with_a_summary(dialogue: Dialogue, shop: Shop) -> None:
    chat = talk(dialogue, shop.engine, customer_id=shop.ann)
    turn = chat.say("I want to talk to a real person")
    assert (turn.intent, turn.action, turn.handed_off) == ("human_handoff", "handoff", True)
    assert turn.ticket_id == chat.conversation_id
    conversation = chat.conversation
    assert conversation.status == "open"
    assert conversation.summary
    assert "talk to a real person" in conversation.summary
    again = chat.say("hello? a person please")
    assert again.reply == say("handoff_exists", "en", ticket=turn.ticket_id)
    chinese = talk(dialogue, shop.engine).say("我要转人工客服")
    assert (chinese.language, chinese.action) == ("zh", "handoff")
    assert chinese.reply == say("handoff", "zh", ticket=chinese.ticket_id)


def test_messages_out_of_scope_get_clarifications_then_a_person(
    dialogue: Dialogue, shop: Shop
) -> None:
    chat = talk(dialogue, shop.engine)
    turns = [chat.say(text) for text in ("zxqv blorp", "wug wug wug", "qwerty asdf")]
    assert [t.action for t in turns] == ["clarify", "clarify", "handoff"]
    assert turns[0].intent == "out_of_scope"
    assert turns[-1].ticket_id == chat.conversation_id
    chinese = talk(dialogue, shop.engine).say("火星上的天气怎么样")
    assert (chinese.language, chinese.action) == ("zh", "clarify")
    assert chinese.reply == say("clarify", "zh")


def test_a_policy_question_is_answered_from_the_knowledge_base_citing_its_article(
    dialogue: Dialogue, shop: Shop
) -> None:
    english = talk(dialogue, shop.engine).say("Do you deliver to Ireland?")
    assert english.action == "knowledge_answer"
    assert english.citations
    assert english.citations[0]["key"].startswith("shipping.en")
    assert english.reply.endswith(f"Source: {english.citations[0]['title']}")
    chinese = talk(dialogue, shop.engine).say("运费是多少？")
    assert (chinese.language, chinese.action) == ("zh", "knowledge_answer")
    assert chinese.citations[0]["key"].startswith("shipping.zh")
    assert f"来源：{chinese.citations[0]['title']}" in chinese.reply
