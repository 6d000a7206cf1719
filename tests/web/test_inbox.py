"""The service inbox and the chat widget: a chat that asks for a person becomes a hand-off in
the inbox; an agent assigns, replies (an agent message) and closes it; forms need their CSRF
token and the right role; reads of a customer's ticket are audited."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from crmind.services.assistant import chat_turn
from crmind.services.dashboard_inbox import inbox_page, view_counts
from crmind.store.schema import Message
from crmind.store.schema_access import AuditEntry
from tests.api.sample_store import SampleStore
from tests.web.conftest import sign_in

HTMX = {"HX-Request": "true"}


def _hand_off(store: SampleStore, customer_id: int | None = None) -> int:
    """A new assistant conversation that asked for a person: its ticket id."""
    reply = chat_turn(store.engine, None, "Hello", customer_id=customer_id, settings=store.settings)
    reply = chat_turn(
        store.engine,
        reply.conversation_id,
        "I want to talk to a person",
        customer_id=customer_id,
        settings=store.settings,
    )
    assert reply.ticket_id is not None
    return reply.ticket_id


def test_a_chat_asking_for_a_person_is_handed_off_and_shows_in_the_inbox(
    web: TestClient,
) -> None:
    csrf = sign_in(web, "agent")
    first = web.post("/ui/chat/messages", data={"csrf": csrf, "text": "Hello"}, headers=HTMX)
    assert first.status_code == 200
    conversation = re.search(r'data-conversation="(\d+)"', first.text).group(1)  # type: ignore[union-attr]
    assert 'data-message-role="assistant"' in first.text
    assert 'hx-swap-oob="true"' in first.text
    second = web.post(
        "/ui/chat/messages",
        data={"csrf": csrf, "text": "I want to talk to a person", "conversation_id": conversation},
        headers=HTMX,
    )
    assert f'data-handoff="{conversation}"' in second.text
    assert second.text.count('data-message-role="customer"') == 2
    handoffs = web.get("/ui/inbox", params={"view": "handoffs"}).text
    assert f'data-ticket-id="{conversation}"' in handoffs


def test_a_chat_message_without_htmx_redirects_back_to_its_conversation(web: TestClient) -> None:
    csrf = sign_in(web, "admin")
    answer = web.post(
        "/ui/chat/messages", data={"csrf": csrf, "text": "Hi"}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert re.fullmatch(r"/ui/chat\?conversation=\d+", answer.headers["location"])
    page = web.get(answer.headers["location"])
    assert page.text.count('data-message-role="assistant"') == 1


def test_an_empty_chat_message_is_refused_with_a_reason(web: TestClient) -> None:
    csrf = sign_in(web, "agent")
    answer = web.post("/ui/chat/messages", data={"csrf": csrf, "text": "  "}, headers=HTMX)
    assert "data-chat-error" in answer.text


def test_an_agent_assigns_replies_and_closes_a_ticket(
    web: TestClient, web_sample: SampleStore
) -> None:
    ticket = _hand_off(web_sample, customer_id=5)
    csrf = sign_in(web, "agent")
    url = f"/ui/inbox/{ticket}"
    page = web.get(url)
    assert 'data-message-role="customer"' in page.text
    assert "data-customer-link=" in page.text
    assert "data-summary" in page.text  # the assistant's hand-off summary
    done = web.post(f"{url}/assign", data={"csrf": csrf, "to": "agent"})
    assert 'data-assigned-to="agent"' in done.text
    mine = web.get("/ui/inbox", params={"view": "mine"}).text
    assert f'data-ticket-id="{ticket}"' in mine
    web.post(f"{url}/reply", data={"csrf": csrf, "text": "Happy to help: what is the order?"})
    with web_sample.engine.connect() as conn:
        roles = conn.execute(
            select(Message.role).where(Message.conversation_id == ticket).order_by(Message.id)
        ).scalars()
        assert list(roles)[-1] == "agent"
    closed = web.post(f"{url}/close", data={"csrf": csrf, "summary": "asked for the order"})
    assert 'data-status-value="closed"' in closed.text
    assert "asked for the order" in closed.text
    assert 'data-action="reply"' not in closed.text
    again = web.post(f"{url}/reply", data={"csrf": csrf, "text": "more"})
    assert again.status_code == 409


def test_reading_a_customers_ticket_is_audited(web: TestClient, web_sample: SampleStore) -> None:
    ticket = _hand_off(web_sample, customer_id=6)

    def reads() -> int:
        with web_sample.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).where(
                        AuditEntry.actor == "user:admin",
                        AuditEntry.resource == "conversations",
                        AuditEntry.resource_id == str(ticket),
                        AuditEntry.customer_id == 6,
                    )
                ).scalar_one()
            )

    sign_in(web, "admin")
    before = reads()
    web.get(f"/ui/inbox/{ticket}")
    assert reads() == before + 1


def test_forms_need_the_token_the_role_and_a_known_assignee(
    web: TestClient, web_sample: SampleStore
) -> None:
    ticket = _hand_off(web_sample)
    sign_in(web, "agent")
    assert web.post(f"/ui/inbox/{ticket}/close", data={"csrf": "forged"}).status_code == 403
    csrf = sign_in(web, "agent")
    bad = web.post(f"/ui/inbox/{ticket}/assign", data={"csrf": csrf, "to": "marketer"})
    assert bad.status_code == 400
    assert web.get("/ui/inbox/999999").status_code == 404
    csrf = sign_in(web, "marketer")
    assert web.post(f"/ui/inbox/{ticket}/close", data={"csrf": csrf}).status_code == 403
    assert web.post("/ui/chat/messages", data={"csrf": csrf, "text": "hi"}).status_code == 403


def test_the_views_count_what_they_list(web_sample: SampleStore) -> None:
    counts = view_counts(web_sample.engine, "agent")
    for view in ("open", "unassigned", "handoffs", "closed"):
        assert inbox_page(web_sample.engine, view, "agent", limit=500).count == counts[view]
    assert counts["open"] >= counts["unassigned"]
