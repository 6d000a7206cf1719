"""``POST /chat``: the assistant through the API, as the shop's chat widget calls it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from crmind.services.knowledge import DEMO_KNOWLEDGE, import_articles
from crmind.store.schema_access import AuditEntry
from tests.api.conftest import auth
from tests.assistant.shop import ANN, WANG, Shop, build_shop


@pytest.fixture
def shop(sqlite_engine: Engine, tmp_path: Path) -> Shop:
    built = build_shop(sqlite_engine, tmp_path / "shop")
    import_articles(sqlite_engine, DEMO_KNOWLEDGE)
    return built


@pytest.fixture
def agent(client: TestClient, role_keys: dict[str, str], shop: Shop) -> TestClient:
    client.headers.update(auth(role_keys["agent"]))
    return client


def test_a_visitor_proves_who_they_are_then_sees_the_order_and_the_read_is_audited(
    agent: TestClient, shop: Shop
) -> None:
    first = agent.post("/chat", json={"text": "Where is my order #A1001?"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["action"], body["intent"], body["customer_id"]) == (
        "ask_contact",
        "order_status",
        None,
    )
    conversation = body["conversation_id"]
    second = agent.post("/chat", json={"conversation_id": conversation, "text": ANN["email"]})
    shown = second.json()
    assert (shown["action"], shown["customer_id"]) == ("order_status", shop.ann)
    assert shown["order_id"] == shop.orders["A1001"]
    assert "#A1001" in shown["reply"]
    with shop.engine.connect() as conn:
        reads = conn.execute(
            select(AuditEntry.resource, AuditEntry.resource_id).where(
                AuditEntry.action == "read", AuditEntry.customer_id == shop.ann
            )
        ).all()
    assert reads == [("conversations", str(conversation))]
    thread = agent.get(f"/conversations/{conversation}").json()["thread"]
    assert [m["intent"] for m in thread] == ["order_status"] * 4


def test_a_signed_in_customer_gets_a_refund_ticket_in_chinese(
    agent: TestClient, shop: Shop
) -> None:
    answer = agent.post(
        "/chat", json={"text": "我要退款，订单A2002", "customer_id": shop.wang, "channel": "web"}
    ).json()
    assert (answer["language"], answer["action"]) == ("zh", "refund_ticket")
    ticket = agent.get(f"/conversations/{answer['ticket_id']}").json()
    assert (ticket["status"], ticket["order_id"], ticket["channel"]) == (
        "open",
        shop.orders["A2002"],
        "web",
    )
    assert WANG["email"] not in str(ticket)


def test_knowledge_answers_carry_their_citations(agent: TestClient, shop: Shop) -> None:
    answer = agent.post("/chat", json={"text": "运费是多少？"}).json()
    assert answer["action"] == "knowledge_answer"
    (citation,) = answer["citations"]
    assert citation["key"] == "shipping.zh/shipping-costs"
    assert citation["id"] >= 1
    assert answer["reply"].endswith(f"来源：{citation['title']}")


def test_bad_requests_are_problems(agent: TestClient, shop: Shop) -> None:
    unknown = agent.post("/chat", json={"conversation_id": 999999, "text": "hi"})
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert agent.post("/chat", json={"text": ""}).status_code == 422
    assert agent.post("/chat", json={"text": "hi", "colour": "red"}).status_code == 422
    mine = agent.post("/chat", json={"text": "hello", "customer_id": shop.ann}).json()
    other = agent.post(
        "/chat",
        json={"conversation_id": mine["conversation_id"], "text": "hi", "customer_id": shop.wang},
    )
    assert other.status_code == 422
    assert "another customer" in other.json()["detail"]


def test_roles_without_chat_are_refused(
    client: TestClient, role_keys: dict[str, str], shop: Shop
) -> None:
    for role in ("marketer", "analyst", "viewer"):
        refused = client.post("/chat", json={"text": "hi"}, headers=auth(role_keys[role]))
        assert refused.status_code == 403
    assert client.post("/chat", json={"text": "hi"}).status_code == 401
