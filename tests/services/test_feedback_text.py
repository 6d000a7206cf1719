"""Feedback text analysis on the store: every new text scored once, topics found, aspects and
alerts stored, one ticket per alerted feedback item of a known customer."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from crmind.errors import ModelDataError
from crmind.ingest.fields import ImportKind
from crmind.services.feedback_text import TextOptions, analyse_feedback
from crmind.services.importing import ImportRequest, import_file
from crmind.store.schema import (
    Conversation,
    Feedback,
    FeedbackAnalysis,
    FeedbackTopic,
    FeedbackTopicMember,
    Message,
    ModelRun,
)

DELIVERY = [
    "Delivery was late and the courier lost the parcel",
    "The parcel arrived late, slow courier",
]
BATTERY = ["Battery drains fast, the charger is weak", "Great battery, charging takes an hour"]
CHINESE = ["物流很快，包装很好，非常满意", "质量太差了，用了两天就坏了", "快递太慢了，等了一个星期"]


def feedback_file(tmp_path: Path) -> Path:
    rows = []
    for i in range(60):
        rows.append(
            {
                "review_id": f"r{i}",
                "email": f"c{i % 7}@example.com",
                "review": (DELIVERY + BATTERY)[i % 4],
                "date": f"2024-0{1 + i % 3}-10",
            }
        )
    for i in range(36):
        rows.append(
            {"review_id": f"z{i}", "email": "", "review": CHINESE[i % 3], "date": "2024-02-01"}
        )
    rows.append(
        {
            "review_id": "alert-1",
            "email": "angry@example.com",
            "review": "Terrible service, I want a refund or I will call my lawyer",
            "date": "2024-03-01",
        }
    )
    rows.append(
        {"review_id": "alert-2", "email": "", "review": "我要投诉，质量太差", "date": "2024-03-02"}
    )  # no customer: no ticket
    path = tmp_path / "reviews.csv"
    pl.DataFrame(rows).write_csv(path)
    return path  # fmt: skip


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    summary = import_file(
        engine, ImportRequest(kind=ImportKind.FEEDBACK, path=feedback_file(tmp_path), source="web")
    )
    assert summary.rows_rejected == 0
    return engine


def count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_every_text_is_scored_with_language_sentiment_and_aspects(store: Engine) -> None:
    result = analyse_feedback(store, TextOptions(topics=3))
    assert result.analysed == 98
    assert result.languages == {"en": 61, "zh": 37}
    with store.connect() as conn:
        rows = {
            text: (language, label, aspects)
            for text, language, label, aspects in conn.execute(
                select(
                    FeedbackAnalysis.feedback_id, FeedbackAnalysis.language,
                    FeedbackAnalysis.label, FeedbackAnalysis.aspects,
                )
            )
        }  # fmt: skip
    labels = [label for _, label, _ in rows.values()]
    assert labels.count("negative") > 20
    assert labels.count("positive") > 10
    aspects = [a for _, _, a in rows.values() if a]
    assert any(a.get("delivery", 0) < 0 for a in aspects)
    assert any(a.get("quality", 0) < 0 for a in aspects)
    with store.connect() as conn:
        metrics = conn.execute(
            select(ModelRun.metrics).where(ModelRun.id == result.run_id)
        ).scalar_one()
    assert metrics["analysed"] == 98
    assert metrics["tickets_opened"] == result.tickets_opened


def test_topics_are_found_per_language_with_sentiment(store: Engine) -> None:
    result = analyse_feedback(store, TextOptions(topics=3))
    english = [t for t in result.topics if t.language == "en"]
    assert any({"courier", "parcel"} & set(t.keywords[:3]) for t in english)
    assert any({"battery", "charger", "charging"} & set(t.keywords[:3]) for t in english)
    assert {t.language for t in result.topics} == {"en", "zh"}
    late = next(t for t in english if "courier" in t.keywords[:3])
    assert late.mean_score is not None
    assert late.mean_score < 0
    assert sum(m["texts"] for m in late.by_month) == late.size
    assert count(store, FeedbackTopicMember) > 90


def test_alerts_open_one_ticket_per_feedback_item(store: Engine) -> None:
    first = analyse_feedback(store, TextOptions(topics=3))
    with store.connect() as conn:
        alerted = conn.execute(
            select(Feedback.id, Feedback.customer_id, Feedback.text)
            .join(FeedbackAnalysis, FeedbackAnalysis.feedback_id == Feedback.id)
            .where(FeedbackAnalysis.alert.is_not(None))
        ).all()
        tickets = {row.feedback_id: row for row in conn.execute(select(Conversation))}
        messages = dict(conn.execute(select(Message.conversation_id, Message.text)).all())
    assert first.alerts == len(alerted)
    known = {feedback_id for feedback_id, customer_id, _ in alerted if customer_id is not None}
    assert len(known) < len(alerted)  # the Chinese complaint has no known customer
    assert set(tickets) == known
    assert first.tickets_opened == len(known)
    legal = next(t for t in tickets.values() if "legal" in t.subject)
    assert (legal.status, legal.origin, legal.priority) == ("open", "feedback_alert", "high")
    assert "refund" in legal.subject
    assert messages[legal.id] == "Terrible service, I want a refund or I will call my lawyer"

    again = analyse_feedback(store, TextOptions(topics=3))  # nothing new
    assert (again.analysed, again.tickets_opened) == (0, 0)
    redo = analyse_feedback(store, TextOptions(topics=3, reanalyse=True))
    assert (redo.analysed, redo.tickets_opened) == (98, 0)  # scored again, no second ticket
    assert count(store, Conversation) == len(known)
    assert count(store, FeedbackTopic) == 3 * 6  # topics refitted at every run


def test_a_store_without_feedback_is_refused(engine: Engine) -> None:
    with pytest.raises(ModelDataError, match="no feedback"):
        analyse_feedback(engine, TextOptions())
