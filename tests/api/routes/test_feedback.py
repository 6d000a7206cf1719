"""Feedback with sentiment, language and topic; filters; topics of the newest text run;
customers named by id or pseudonym by role."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from crmind.services.audit import AuditQuery, search
from tests.api.sample_store import ALERT_TEXT, SampleStore


def _all(
    client: TestClient, sample: SampleStore, role: str = "agent", **params: str | int
) -> dict[str, Any]:
    response = client.get(
        "/feedback", params={"limit": 500, **params}, headers=sample.as_role(role)
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_every_feedback_item_carries_its_analysis_and_topic(
    sample: SampleStore, sample_client: TestClient
) -> None:
    page = _all(sample_client, sample)
    assert page["count"] == len(page["data"]) == 97
    assert all(f["label"] in {"positive", "neutral", "negative"} for f in page["data"])
    assert all(-1 <= f["score"] <= 1 for f in page["data"])
    assert {f["language"] for f in page["data"]} == {"en", "zh"}
    assert sum(f["topic_id"] is not None for f in page["data"]) > 60


def test_feedback_filters_by_label_language_and_date(
    sample: SampleStore, sample_client: TestClient
) -> None:
    negative = _all(sample_client, sample, label="negative")
    assert negative["count"] > 20
    assert {f["label"] for f in negative["data"]} == {"negative"}
    chinese = _all(sample_client, sample, language="zh")
    assert chinese["count"] == 36
    february = _all(sample_client, sample, since="2023-02-01", until="2023-03-01")
    assert february["count"] > 0
    assert all(f["occurred_at"].startswith("2023-02") for f in february["data"])
    alerts = _all(sample_client, sample, alerts_only="true")
    assert ALERT_TEXT in {f["text"] for f in alerts["data"]}
    assert all(f["alert"] for f in alerts["data"])


def test_feedback_sorts_by_score(sample: SampleStore, sample_client: TestClient) -> None:
    scores = [f["score"] for f in _all(sample_client, sample, sort="score")["data"]]
    assert scores == sorted(scores)


def test_topics_are_the_newest_text_runs_per_language(
    sample: SampleStore, sample_client: TestClient
) -> None:
    topics = sample_client.get("/feedback/topics", headers=sample.as_role("marketer")).json()
    assert topics["model_run_id"] == sample.text_run
    assert topics["count"] == len(topics["data"]) > 0
    assert {t["language"] for t in topics["data"]} <= {"en", "zh"}
    english = [t for t in topics["data"] if t["language"] == "en"]
    assert any({"courier", "parcel"} & set(t["keywords"][:3]) for t in english)
    one = english[0]
    listed = _all(sample_client, sample, topic_id=_topic_id(sample_client, sample, one["label"]))
    assert listed["count"] == one["size"]


def _topic_id(client: TestClient, sample: SampleStore, label: str) -> int:
    items = _all(client, sample)["data"]
    return int(next(f["topic_id"] for f in items if f["topic"] == label))


def test_agents_see_customer_ids_and_marketers_pseudonyms(
    sample: SampleStore, sample_client: TestClient
) -> None:
    agent = {f["id"]: f for f in _all(sample_client, sample, "agent")["data"]}
    response = sample_client.get(
        "/feedback", params={"limit": 500}, headers=sample.as_role("marketer")
    )
    marketer = {f["id"]: f for f in response.json()["data"]}
    assert not re.search(r'"customer_id":\s*\d', response.text)
    for item_id, item in agent.items():
        seen = marketer[item_id]
        if item["customer_id"] is None:
            assert seen["pseudonym"] is None
        else:
            assert re.fullmatch(r"[0-9a-f]{32}", seen["pseudonym"])
    by_customer: dict[int, set[str]] = {}
    for item_id, item in agent.items():
        if item["customer_id"] is not None:
            by_customer.setdefault(item["customer_id"], set()).add(marketer[item_id]["pseudonym"])
    assert all(len(names) == 1 for names in by_customer.values())  # one pseudonym per person
    assert len({next(iter(n)) for n in by_customer.values()}) == len(by_customer)


def test_only_roles_that_read_personal_data_look_feedback_up_by_customer(
    sample: SampleStore, sample_client: TestClient
) -> None:
    mine = _all(sample_client, sample, customer_id=2)
    assert mine["count"] > 0
    assert {f["customer_id"] for f in mine["data"]} == {2}
    refused = sample_client.get(
        "/feedback", params={"customer_id": 2}, headers=sample.as_role("marketer")
    )
    assert refused.status_code == 403


def test_one_feedback_item_and_its_read_is_audited(
    sample: SampleStore, sample_client: TestClient
) -> None:
    first = _all(sample_client, sample, customer_id=3)["data"][0]
    one = sample_client.get(f"/feedback/{first['id']}", headers=sample.as_role("agent"))
    assert one.json() == first
    _, count = search(sample.engine, AuditQuery(customer_id=3, resource="feedback"))
    assert count >= 2
    missing = sample_client.get("/feedback/999999", headers=sample.as_role("agent"))
    assert missing.status_code == 404


def test_roles_without_feedback_are_refused(sample: SampleStore, sample_client: TestClient) -> None:
    for role in ("analyst", "viewer"):
        assert sample_client.get("/feedback", headers=sample.as_role(role)).status_code == 403
        topics = sample_client.get("/feedback/topics", headers=sample.as_role(role))
        assert topics.status_code == 403
