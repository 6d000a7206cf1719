"""The feedback page: aggregates of the sample store's reviews, alerts linked to their tickets
for agents, pseudonyms for marketers, audited reads, and the aspect read model."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from crmind.services.dashboard_feedback import aspect_sentiment, feedback_summary
from crmind.store.schema_access import AuditEntry
from tests.api.sample_store import SampleStore
from tests.web.conftest import sign_in


def _feedback_reads(store: SampleStore, actor: str) -> int:
    with store.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).where(
                    AuditEntry.actor == actor,
                    AuditEntry.action == "read",
                    AuditEntry.resource == "feedback",
                )
            ).scalar_one()
        )


def test_the_summary_counts_every_analysed_review_once(web_sample: SampleStore) -> None:
    view = feedback_summary(web_sample.engine)
    assert view.feedback == 97  # 60 English, 36 Chinese and the alert
    assert view.analysed == sum(view.labels.values()) == 97
    assert sum(sum(c.values()) for _, c in view.by_month) <= 97
    assert view.alerts >= 2
    assert {a.aspect for a in view.aspects} >= {"delivery"}
    assert all(-1 <= a.mean_score <= 1 for a in view.aspects)
    assert view.topics
    assert all(line.summary.keywords for line in view.topics)


def test_aspect_sentiment_averages_mentions_and_reads_json() -> None:
    found = aspect_sentiment(['{"delivery": -0.5, "price": 0.4}', {"delivery": 0.1}, None, "{}"])
    assert [(a.aspect, a.mentions) for a in found] == [("delivery", 2), ("price", 1)]
    assert found[0].mean_score == -0.2
    assert found[0].negative_share == 0.5


def test_an_agent_sees_alerts_with_links_to_tickets_and_customers_and_reads_are_audited(
    web: TestClient, web_sample: SampleStore
) -> None:
    sign_in(web, "agent")
    before = _feedback_reads(web_sample, "user:agent")
    page = web.get("/ui/feedback")
    assert page.status_code == 200
    rows = re.findall(r'data-row="feedback"', page.text)
    assert rows
    assert len(rows) == page.text.count('data-alert="1"')
    assert "data-ticket-link=" in page.text
    assert "data-customer-link=" in page.text
    assert 'data-chart-name="sentiment_trend"' in page.text
    assert 'data-chart-name="aspects"' in page.text
    assert _feedback_reads(web_sample, "user:agent") > before


def test_a_marketer_sees_pseudonyms_and_no_ticket_links(web: TestClient) -> None:
    sign_in(web, "marketer")
    page = web.get("/ui/feedback", params={"show": "all"})
    assert page.status_code == 200
    assert "data-pseudonym" in page.text
    assert "data-customer-link=" not in page.text
    assert "data-ticket-link=" not in page.text


def test_a_topic_filters_the_list_and_unknown_choices_fall_back(web: TestClient) -> None:
    sign_in(web, "admin")
    everything = web.get("/ui/feedback", params={"show": "all"}).text
    total = int(re.search(r'data-count="(\d+)"', everything).group(1))  # type: ignore[union-attr]
    topic = re.search(r'data-topic-link="(\d+)"', everything).group(1)  # type: ignore[union-attr]
    narrowed = web.get("/ui/feedback", params={"show": "all", "topic": topic}).text
    assert 0 < int(re.search(r'data-count="(\d+)"', narrowed).group(1)) < total  # type: ignore[union-attr]
    odd = web.get("/ui/feedback", params={"show": "nonsense", "topic": 999999})
    assert odd.status_code == 200
    assert 'data-alert="1"' in odd.text


def test_the_page_speaks_chinese(web: TestClient) -> None:
    sign_in(web, "agent")
    assert "<h1>客户反馈</h1>" in web.get("/ui/feedback", params={"lang": "zh"}).text
