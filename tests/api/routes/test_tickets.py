"""Conversations / tickets: list, one with its messages, assign, reply, close, reopen."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from crmind.services.audit import AuditQuery, search
from tests.api.sample_store import ALERT_TEXT, SampleStore


def _tickets(client: TestClient, sample: SampleStore, **params: str | int) -> dict[str, Any]:
    response = client.get(
        "/conversations", params={"limit": 500, **params}, headers=sample.as_role("agent")
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _alert_ticket(client: TestClient, sample: SampleStore) -> dict[str, Any]:
    """The ticket the lawyer review opened (customer 2); other tests may change others."""
    page = _tickets(client, sample, customer_id=2)
    return dict(next(t for t in page["data"] if "lawyer" in (t["subject"] or "")))


def test_alerted_feedback_opened_tickets_with_the_text_as_first_message(
    sample: SampleStore, sample_client: TestClient
) -> None:
    ticket = _alert_ticket(sample_client, sample)
    detail = sample_client.get(
        f"/conversations/{ticket['id']}", headers=sample.as_role("agent")
    ).json()
    assert detail["origin"] == "feedback_alert"
    assert detail["thread"][0]["text"] == ALERT_TEXT
    assert detail["messages"] == len(detail["thread"])


def test_tickets_filter_by_status_and_assignee(
    sample: SampleStore, sample_client: TestClient
) -> None:
    everything = _tickets(sample_client, sample)
    open_ = _tickets(sample_client, sample, status="open")
    assert {t["status"] for t in open_["data"]} <= {"open"}
    target = open_["data"][-1]
    agent = sample.as_role("agent")
    assigned = sample_client.patch(
        f"/conversations/{target['id']}", json={"assigned_to": "ana"}, headers=agent
    )
    assert assigned.status_code == 200
    assert assigned.json()["assigned_to"] == "ana"
    anas = _tickets(sample_client, sample, assigned_to="ana")
    assert target["id"] in {t["id"] for t in anas["data"]}
    assert {t["assigned_to"] for t in anas["data"]} == {"ana"}
    nobody = _tickets(sample_client, sample, assigned_to="")
    assert target["id"] not in {t["id"] for t in nobody["data"]}
    assert nobody["count"] == everything["count"] - anas["count"]
    unassigned = sample_client.patch(
        f"/conversations/{target['id']}", json={"assigned_to": None}, headers=agent
    )
    assert unassigned.json()["assigned_to"] is None


def test_a_ticket_is_replied_to_closed_and_reopened(
    sample: SampleStore, sample_client: TestClient
) -> None:
    agent = sample.as_role("agent")
    ticket = _tickets(sample_client, sample, status="open")["data"][0]
    url = f"/conversations/{ticket['id']}"
    answer = "We are sorry: your refund is on its way."
    replied = sample_client.post(f"{url}/messages", json={"text": answer}, headers=agent)
    assert replied.status_code == 201
    last = replied.json()["thread"][-1]
    assert (last["role"], last["text"]) == ("agent", answer)
    closed = sample_client.post(f"{url}/close", json={"summary": "refunded"}, headers=agent)
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["summary"]) == ("closed", "refunded")
    assert closed.json()["closed_at"] is not None
    late = sample_client.post(f"{url}/messages", json={"text": "one more"}, headers=agent)
    assert late.status_code == 409
    assert sample_client.post(f"{url}/close", headers=agent).status_code == 409
    reopened = sample_client.patch(url, json={"status": "open"}, headers=agent).json()
    assert (reopened["status"], reopened["closed_at"]) == ("open", None)
    again = sample_client.post(f"{url}/messages", json={"text": "one more"}, headers=agent)
    assert again.status_code == 201
    assert again.json()["messages"] == replied.json()["messages"] + 1


def test_bad_changes_are_refused(sample: SampleStore, sample_client: TestClient) -> None:
    agent = sample.as_role("agent")
    ticket = _tickets(sample_client, sample)["data"][0]
    url = f"/conversations/{ticket['id']}"
    for body in ({"status": "lost"}, {"priority": "whenever"}, {"customer_id": 3}):
        assert sample_client.patch(url, json=body, headers=agent).status_code == 422
    assert (
        sample_client.post(f"{url}/messages", json={"text": ""}, headers=agent).status_code == 422
    )
    missing = sample_client.post("/conversations/999999/close", headers=agent)
    assert missing.status_code == 404


def test_reading_a_ticket_is_audited_with_its_customer(
    sample: SampleStore, sample_client: TestClient
) -> None:
    ticket = _alert_ticket(sample_client, sample)
    sample_client.get(f"/conversations/{ticket['id']}", headers=sample.as_role("agent"))
    rows, _ = search(sample.engine, AuditQuery(resource="conversations", customer_id=2))
    assert str(ticket["id"]) in {row["resource_id"] for row in rows}


def test_roles_without_tickets_are_refused(sample: SampleStore, sample_client: TestClient) -> None:
    for role in ("marketer", "analyst", "viewer"):
        headers = sample.as_role(role)
        assert sample_client.get("/conversations", headers=headers).status_code == 403
        reply = sample_client.post("/conversations/1/messages", json={"text": "x"}, headers=headers)
        assert reply.status_code == 403
