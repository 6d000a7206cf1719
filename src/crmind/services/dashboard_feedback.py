"""Use cases of the dashboard's feedback page: what customers say, in aggregate, and the
negative alerts an agent should look at.

:func:`feedback_summary` reads each feedback item's newest analysis (an incremental text run
scores only new feedback, so "the newest run" alone would miss the older texts): counts per
sentiment label, the trend by month, the mean score, aspect sentiment (``feedback_analyses.
aspects``: aspect -> score in [-1, 1] for texts that mention it), and the topics of the newest
text run that some text is mainly about. It holds no personal data, so the page may keep it
while :func:`data_version` is unchanged. :func:`alert_tickets` finds the ticket each alert opened.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from crmind.services.analysis_store import latest_run
from crmind.services.feedback_query import newest_topics
from crmind.services.feedback_text import RUN_KIND, TopicSummary
from crmind.store.schema import (
    Conversation,
    Feedback,
    FeedbackAnalysis,
    FeedbackTopic,
    ModelRun,
)

LABELS = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class AspectSentiment:
    """How the texts that mention one aspect (delivery, price, ...) feel about it."""

    aspect: str
    mentions: int
    mean_score: float
    negative_share: float  # of mentions scored below zero


@dataclass(frozen=True)
class TopicLine:
    """A topic of the newest text run with its row id (what the feedback list filters by)."""

    id: int
    summary: TopicSummary


@dataclass(frozen=True)
class FeedbackSummary:
    feedback: int  # items in the store
    analysed: int  # items with an analysis
    labels: dict[str, int]
    mean_score: float | None
    alerts: int
    by_month: list[tuple[str, dict[str, int]]]  # ("2011-03", {label: count}), dated items only
    mean_by_month: list[tuple[str, float]]
    aspects: list[AspectSentiment]  # most mentioned first
    topics: list[TopicLine] = field(default_factory=list)
    text_run: int | None = None
    text_run_finished: datetime | None = None


def data_version(engine: Engine) -> tuple[Any, ...]:
    """Changes whenever the summary could: newest feedback, analysis and run (index reads)."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(select(func.max(column))).scalar()
            for column in (Feedback.id, FeedbackAnalysis.id, ModelRun.id)
        )


def _month(conn: Connection, column: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _aspect_scores(value: Any) -> dict[str, float]:
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        return {}
    found = {}
    for name, score in value.items():
        if isinstance(score, int | float) and math.isfinite(score):
            found[str(name)] = float(score)
    return found


def aspect_sentiment(rows: list[Any]) -> list[AspectSentiment]:
    """Per aspect: mentions, mean score and share of negative mentions, most mentioned first.
    ``rows`` hold each text's aspect scores (a dict, or its JSON)."""
    scores: dict[str, list[float]] = {}
    for value in rows:
        for name, score in _aspect_scores(value).items():
            scores.setdefault(name, []).append(score)
    found = [
        AspectSentiment(
            aspect=name,
            mentions=len(values),
            mean_score=round(sum(values) / len(values), 3),
            negative_share=round(sum(v < 0 for v in values) / len(values), 3),
        )
        for name, values in scores.items()
    ]
    return sorted(found, key=lambda a: (-a.mentions, a.aspect))


def feedback_summary(engine: Engine) -> FeedbackSummary:
    """The feedback page's aggregates; empty parts (not errors) before feedback or a text run."""
    newest = (
        select(func.max(FeedbackAnalysis.id).label("id"))
        .group_by(FeedbackAnalysis.feedback_id)
        .scalar_subquery()
    )
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(Feedback)).scalar_one()
        month = _month(conn, Feedback.occurred_at)
        monthly = conn.execute(
            select(
                month,
                FeedbackAnalysis.label,
                func.count(),
                func.sum(FeedbackAnalysis.score),
            )
            .join(Feedback, Feedback.id == FeedbackAnalysis.feedback_id)
            .where(FeedbackAnalysis.id.in_(newest))
            .group_by(month, FeedbackAnalysis.label)
            .order_by(month)
        ).all()
        alerts = conn.execute(
            select(func.count())
            .select_from(FeedbackAnalysis)
            .where(FeedbackAnalysis.id.in_(newest), FeedbackAnalysis.alert.is_not(None))
        ).scalar_one()
        aspects = conn.execute(
            select(FeedbackAnalysis.aspects).where(
                FeedbackAnalysis.id.in_(newest), FeedbackAnalysis.aspects.is_not(None)
            )
        ).scalars()
        aspect_rows = list(aspects)
    labels: dict[str, int] = {}
    trend: dict[str, dict[str, int]] = {}
    sums: dict[str, tuple[float, int]] = {}
    score_sum, scored = 0.0, 0
    for m, label, n, total_score in monthly:
        labels[str(label)] = labels.get(str(label), 0) + int(n)
        score_sum += float(total_score or 0.0)
        scored += int(n)
        if m is None:
            continue
        trend.setdefault(str(m), {})[str(label)] = int(n)
        s, k = sums.get(str(m), (0.0, 0))
        sums[str(m)] = (s + float(total_score or 0.0), k + int(n))
    run = latest_run(engine, RUN_KIND)
    run_id, topics = newest_topics(engine)
    ids: dict[tuple[str, int], int] = {}
    if run_id is not None:
        with engine.connect() as conn:
            for row_id, language, number in conn.execute(
                select(FeedbackTopic.id, FeedbackTopic.language, FeedbackTopic.topic).where(
                    FeedbackTopic.model_run_id == run_id
                )
            ):
                ids[(str(language), int(number))] = int(row_id)
    return FeedbackSummary(
        feedback=int(total),
        analysed=scored,
        labels=labels,
        mean_score=round(score_sum / scored, 3) if scored else None,
        alerts=int(alerts),
        by_month=sorted(trend.items()),
        mean_by_month=sorted((m, round(s / k, 3)) for m, (s, k) in sums.items() if k),
        aspects=aspect_sentiment(aspect_rows),
        topics=[
            TopicLine(ids[(t.language, t.topic)], t)
            for t in topics
            if (t.language, t.topic) in ids
            and t.size > 0  # a topic no text is mainly about says nothing
        ],
        text_run=run.id if run else None,
        text_run_finished=run.finished_at if run else None,
    )


def alert_tickets(engine: Engine, feedback_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The ticket (conversation) each of ``feedback_ids`` opened, if any: id and status."""
    if not feedback_ids:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(Conversation.feedback_id, Conversation.id, Conversation.status).where(
                Conversation.feedback_id.in_(feedback_ids)
            )
        ).all()
    return {int(f): {"id": int(i), "status": str(s)} for f, i, s in rows if f is not None}
