"""Use cases: find feedback with what text analysis read in it (sentiment label and score,
language, main topic of the newest text run), and the topics of the newest text run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crmind.errors import NotFoundError
from crmind.services.analysis_store import latest_run
from crmind.services.feedback_text import RUN_KIND, TopicSummary, topic_summaries
from crmind.services.orders_query import finite
from crmind.store.schema import Feedback, FeedbackAnalysis, FeedbackTopic, FeedbackTopicMember
from crmind.store.sorting import sort_clauses

FeedbackSort = Literal["occurred_at", "-occurred_at", "score", "-score", "id", "-id"]


@dataclass(frozen=True)
class FeedbackQuery:
    feedback_id: int | None = None
    label: str | None = None  # positive | neutral | negative
    language: str | None = None
    topic_id: int | None = None
    customer_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    alerts_only: bool = False
    sort: FeedbackSort = "-occurred_at"
    limit: int = 50
    offset: int = 0


def search_feedback(engine: Engine, query: FeedbackQuery) -> tuple[list[dict[str, Any]], int]:
    """Feedback matching ``query`` with its latest analysis and topic, and the count."""
    text_run = latest_run(engine, RUN_KIND)
    newest = (
        select(func.max(FeedbackAnalysis.id).label("id"))
        .group_by(FeedbackAnalysis.feedback_id)
        .subquery()
    )
    analysis = (
        select(FeedbackAnalysis).where(FeedbackAnalysis.id.in_(select(newest.c.id))).subquery()
    )
    topic = (
        select(
            FeedbackTopicMember.feedback_id,
            FeedbackTopic.id.label("topic_id"),
            FeedbackTopic.label.label("topic"),
        )
        .join(FeedbackTopic, FeedbackTopic.id == FeedbackTopicMember.topic_id)
        .where(FeedbackTopic.model_run_id == (text_run.id if text_run else -1))
        .subquery()
    )
    language = func.coalesce(analysis.c.language, Feedback.language)
    conditions: list[Any] = []
    if query.feedback_id is not None:
        conditions.append(Feedback.id == query.feedback_id)
    if query.label is not None:
        conditions.append(analysis.c.label == query.label)
    if query.language is not None:
        conditions.append(language == query.language)
    if query.topic_id is not None:
        conditions.append(topic.c.topic_id == query.topic_id)
    if query.customer_id is not None:
        conditions.append(Feedback.customer_id == query.customer_id)
    if query.since is not None:
        conditions.append(Feedback.occurred_at >= query.since)
    if query.until is not None:
        conditions.append(Feedback.occurred_at < query.until)
    if query.alerts_only:
        conditions.append(analysis.c.alert.is_not(None))
    columns = {"occurred_at": Feedback.occurred_at, "score": analysis.c.score, "id": Feedback.id}
    order, tie = sort_clauses(query.sort, columns, Feedback.id, nulls_last=True)
    base = (
        select(
            Feedback,
            language.label("language"),
            analysis.c.label,
            analysis.c.score,
            analysis.c.alert,
            topic.c.topic_id,
            topic.c.topic,
        )
        .outerjoin(analysis, analysis.c.feedback_id == Feedback.id)
        .outerjoin(topic, topic.c.feedback_id == Feedback.id)
        .where(*conditions)
    )
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(base.subquery()))
        rows = session.execute(
            base.order_by(order, tie).limit(query.limit).offset(query.offset)
        ).all()
        return [_fields(*row) for row in rows], int(count or 0)


def _fields(
    feedback: Feedback,
    language: str | None,
    label: str | None,
    score: float | None,
    alert: str | None,
    topic_id: int | None,
    topic: str | None,
) -> dict[str, Any]:
    return {
        "id": feedback.id,
        "source": feedback.source,
        "customer_id": feedback.customer_id,
        "product_id": feedback.product_id,
        "order_id": feedback.order_id,
        "text": feedback.text,
        "rating": finite(feedback.rating),
        "channel": feedback.channel,
        "occurred_at": feedback.occurred_at,
        "language": language,
        "label": label,
        "score": finite(score),
        "alert": alert,
        "topic_id": topic_id,
        "topic": topic,
    }


def newest_topics(engine: Engine) -> tuple[int | None, list[TopicSummary]]:
    """The newest completed text run's id and its topics (None and [] before the first run)."""
    run = latest_run(engine, RUN_KIND)
    if run is None:
        return None, []
    return run.id, topic_summaries(engine, run.id)


def feedback_item(engine: Engine, feedback_id: int) -> dict[str, Any]:
    """One feedback item with its latest analysis and topic; NotFoundError if unknown."""
    rows, _ = search_feedback(engine, FeedbackQuery(feedback_id=feedback_id, limit=1))
    if not rows:
        raise NotFoundError(f"no feedback with id {feedback_id}")
    return rows[0]
