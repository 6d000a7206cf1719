"""Use case: read every new feedback text — language, sentiment, aspects, alerts — and find the
topics of the whole body of feedback.

One run (``model_runs`` kind ``feedback_text``) scores the feedback no earlier run has scored
(every row with ``reanalyse``) with the sentiment model — the shipped default, or one trained on
the business's own labels — and stores, per text, its language, label, score, drivers, aspect
scores and alert in ``feedback_analyses``. Topics are refitted on all feedback at every run, one
model per language with enough texts, and stored in ``feedback_topics`` with each text's main
topic in ``feedback_topic_members``. Every alert on feedback from a known customer opens a ticket
(a conversation with status ``open``, origin ``feedback_alert``, the feedback text as its first
message); ``conversations.feedback_id`` is unique, so a feedback item opens one ticket however
often it is analysed.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crmind.errors import ConfigurationError, ModelDataError
from crmind.services.analysis_store import finish_model_run, start_model_run
from crmind.store.frames import read_sql
from crmind.store.schema import (
    Conversation,
    FeedbackAnalysis,
    FeedbackTopic,
    FeedbackTopicMember,
    Message,
    table_of,
)
from crmind.text.alerts import STRONGLY_NEGATIVE, alert_reason
from crmind.text.aspects import DEFAULT_ASPECTS, AspectMatcher
from crmind.text.language import detect_language
from crmind.text.sentiment import SentimentModel
from crmind.text.topics import TopicModel

logger = logging.getLogger(__name__)

RUN_KIND = "feedback_text"
MIN_TOPIC_TEXTS = 30
_WRITE_CHUNK = 5_000


@dataclass(frozen=True)
class TextOptions:
    """How feedback is read: which sentiment model, how many topics, which aspects."""

    model_path: Path | None = None  # None: the shipped default model
    embeddings: bool = False  # the shipped model's E5 reader too (slower, transfers better)
    reanalyse: bool = False
    topics: int = 8
    aspects: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_ASPECTS))
    alert_threshold: float = STRONGLY_NEGATIVE
    random_state: int = 0


@dataclass(frozen=True)
class TopicSummary:
    language: str
    topic: int
    label: str
    keywords: list[str]
    size: int
    mean_score: float | None
    negative_share: float | None
    by_month: list[dict[str, Any]]  # month, texts, mean_score


@dataclass(frozen=True)
class TextResult:
    run_id: int
    analysed: int
    labels: dict[str, int]
    languages: dict[str, int]
    alerts: int
    tickets_opened: int
    topics: list[TopicSummary]


def analyse_feedback(engine: Engine, options: TextOptions) -> TextResult:
    """Score new feedback, refit topics, open tickets; see the module docstring."""
    model = load_sentiment_model(options.model_path, embeddings=options.embeddings)
    matcher = AspectMatcher(options.aspects)
    feedback = _feedback(engine)
    if feedback.is_empty():
        raise ModelDataError("the store has no feedback to analyse: import some first")
    fresh = feedback if options.reanalyse else feedback.filter(~pl.col("analysed"))
    run_id = start_model_run(engine, RUN_KIND, _params(options))
    try:
        texts = fresh["text"].to_list()
        guesses = [detect_language(text) for text in texts]
        sentiments = model.predict(texts, n_jobs=-1)
        aspects = matcher.score(texts, partial(model.score, n_jobs=-1))
        alerts = [
            alert_reason(text, score, options.alert_threshold)
            for text, score in zip(texts, sentiments.scores.tolist(), strict=True)
        ]
        rows = [
            {
                "model_run_id": run_id,
                "feedback_id": feedback_id,
                "language": guess.language,
                "mixed_language": guess.mixed,
                "label": label,
                "score": round(score, 4),
                "drivers": [[words, weight] for words, weight in drivers],
                "aspects": aspect_scores,
                "alert": alert,
            }
            for feedback_id, guess, label, score, drivers, aspect_scores, alert in zip(
                fresh["id"].to_list(),
                guesses,
                sentiments.labels,
                sentiments.scores.tolist(),
                sentiments.drivers,
                aspects,
                alerts,
                strict=True,
            )
        ]
        label_counts = dict(Counter(sentiments.labels))
        language_counts: dict[str, int] = dict(Counter(guess.language for guess in guesses))
        alert_count = sum(alert is not None for alert in alerts)
        languages = _all_languages(feedback, fresh, guesses)
        topic_rows, members = _fit_topics(feedback, languages, options)
        with engine.begin() as conn:
            for start in range(0, len(rows), _WRITE_CHUNK):
                conn.execute(insert(table_of(FeedbackAnalysis)), rows[start : start + _WRITE_CHUNK])
            _write_topics(conn, run_id, topic_rows, members)
            opened = _open_tickets(conn, fresh, alerts)
            metrics = {
                "analysed": len(rows),
                "labels": label_counts,
                "languages": language_counts,
                "alerts": alert_count,
                "tickets_opened": opened,
                "topics": len(topic_rows),
                "model": _model_name(options),
            }
            finish_model_run(
                conn,
                run_id,
                "completed",
                metrics=metrics,
                data_window=(feedback["occurred_at"].min(), feedback["occurred_at"].max()),
            )
    except BaseException as exc:
        with engine.begin() as conn:
            finish_model_run(conn, run_id, "failed", error=repr(exc))
        raise
    return TextResult(
        run_id=run_id,
        analysed=len(rows),
        labels=label_counts,
        languages=language_counts,
        alerts=alert_count,
        tickets_opened=opened,
        topics=topic_summaries(engine, run_id),
    )


def load_sentiment_model(path: Path | None, *, embeddings: bool = False) -> SentimentModel:
    """The model at ``path``, or the shipped default (with ``embeddings``, its E5 reader
    too)."""
    if path is not None:
        if embeddings:
            raise ConfigurationError(
                "--embeddings picks the shipped model's E5 reader; a trained model (--model) "
                "reads what it was trained to read"
            )
        return SentimentModel.load(path)
    from crmind.text.default_model import default_sentiment_model

    return default_sentiment_model(embeddings)


def _model_name(options: TextOptions) -> str:
    if options.model_path is not None:
        return str(options.model_path)
    return "default + E5" if options.embeddings else "default"


def topic_summaries(engine: Engine, run_id: int) -> list[TopicSummary]:
    """The topics of a run with their size, sentiment (each text's latest analysis) and months."""
    topics = read_sql(
        engine,
        f"SELECT id, language, topic, label, keywords, size FROM feedback_topics "
        f"WHERE model_run_id = {int(run_id)} ORDER BY language, size DESC",
    )
    if topics.is_empty():
        return []
    members = read_sql(
        engine,
        f"""
        SELECT m.topic_id, f.occurred_at, a.score, a.label
        FROM feedback_topic_members m
        JOIN feedback_topics t ON t.id = m.topic_id
        JOIN feedback f ON f.id = m.feedback_id
        LEFT JOIN feedback_analyses a ON a.feedback_id = m.feedback_id AND a.id = (
            SELECT MAX(b.id) FROM feedback_analyses b WHERE b.feedback_id = m.feedback_id)
        WHERE t.model_run_id = {int(run_id)}
        """,
        {"score": pl.Float64(), "occurred_at": pl.Datetime("us")},
    )
    summaries = []
    for topic in topics.iter_rows(named=True):
        mine = members.filter(pl.col("topic_id") == topic["id"])
        scored = mine.filter(pl.col("score").is_not_null())
        months = (
            scored.filter(pl.col("occurred_at").is_not_null())
            .group_by(pl.col("occurred_at").dt.strftime("%Y-%m").alias("month"))
            .agg(pl.len().alias("texts"), pl.col("score").mean().round(3).alias("mean_score"))
            .sort("month")
        )
        keywords = topic["keywords"]
        summaries.append(
            TopicSummary(
                language=topic["language"],
                topic=int(topic["topic"]),
                label=topic["label"],
                keywords=json.loads(keywords) if isinstance(keywords, str) else list(keywords),
                size=int(topic["size"]),
                mean_score=_rounded(scored["score"].mean()) if scored.height else None,
                negative_share=_rounded((scored["label"] == "negative").mean())
                if scored.height
                else None,
                by_month=months.to_dicts(),
            )
        )
    return summaries


def customer_feedback(engine: Engine, customer_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """A customer's latest feedback, each with its latest analysis (label, score, drivers,
    aspects, alert; None where not analysed yet)."""
    frame = read_sql(
        engine,
        f"""
        SELECT f.id, f.occurred_at, f.rating, f.text, a.language, a.label, a.score, a.drivers,
               a.aspects, a.alert
        FROM feedback f
        LEFT JOIN feedback_analyses a ON a.feedback_id = f.id AND a.id = (
            SELECT MAX(b.id) FROM feedback_analyses b WHERE b.feedback_id = f.id)
        WHERE f.customer_id = {int(customer_id)}
        ORDER BY f.occurred_at DESC, f.id DESC
        LIMIT {int(limit)}
        """,
        {"score": pl.Float64(), "rating": pl.Float64(), "occurred_at": pl.Datetime("us")},
    )
    rows = frame.to_dicts()
    for row in rows:
        for key in ("drivers", "aspects"):
            if isinstance(row[key], str):
                row[key] = json.loads(row[key])
    return rows


def _feedback(engine: Engine) -> pl.DataFrame:
    return read_sql(
        engine,
        """
        SELECT f.id, f.customer_id, f.text, f.occurred_at,
               (SELECT a.language FROM feedback_analyses a WHERE a.feedback_id = f.id
                ORDER BY a.id DESC LIMIT 1) AS language
        FROM feedback f ORDER BY f.id
        """,
        {"language": pl.String(), "occurred_at": pl.Datetime("us"), "customer_id": pl.Int64()},
    ).with_columns(pl.col("language").is_not_null().alias("analysed"))


def _all_languages(
    feedback: pl.DataFrame, fresh: pl.DataFrame, guesses: list[Any]
) -> dict[int, str]:
    """The language of every feedback row: detected now for ``fresh``, as stored for the rest."""
    known = dict(zip(feedback["id"].to_list(), feedback["language"].to_list(), strict=True))
    known.update(zip(fresh["id"].to_list(), (g.language for g in guesses), strict=True))
    return known


def _fit_topics(
    feedback: pl.DataFrame, languages: dict[int, str], options: TextOptions
) -> tuple[list[dict[str, Any]], list[tuple[int, int, float]]]:
    """Topic rows (language, topic, label, keywords, size) and members (row index in the topic
    rows, feedback id, weight), one model per language with ``MIN_TOPIC_TEXTS`` texts."""
    topic_rows: list[dict[str, Any]] = []
    members: list[tuple[int, int, float]] = []
    ids = feedback["id"].to_list()
    texts = feedback["text"].to_list()
    for language in ("en", "zh"):
        chosen = [i for i, feedback_id in enumerate(ids) if languages[feedback_id] == language]
        if len(chosen) < MIN_TOPIC_TEXTS:
            continue
        corpus = [texts[i] for i in chosen]
        try:
            model = TopicModel(n_topics=options.topics, random_state=options.random_state)
            model.fit(corpus)
        except ModelDataError as exc:
            logger.warning("no %s topics: %s", language, exc)
            continue
        offset = len(topic_rows)
        for topic, (label, keywords, size) in enumerate(
            zip(model.labels_, model.keywords_, model.sizes_, strict=True)
        ):
            topic_rows.append(
                {"language": language, "topic": topic, "label": label, "keywords": keywords,
                 "size": size}
            )  # fmt: skip
        assigned, share = model.transform(corpus)
        for i, topic, weight in zip(chosen, assigned.tolist(), share.tolist(), strict=True):
            if topic >= 0:
                members.append((offset + topic, ids[i], round(weight, 4)))
    return topic_rows, members


def _write_topics(
    conn: Connection,
    run_id: int,
    topic_rows: list[dict[str, Any]],
    members: list[tuple[int, int, float]],
) -> None:
    add_topic = insert(FeedbackTopic).returning(FeedbackTopic.id)
    topic_ids = [
        int(conn.execute(add_topic, {**row, "model_run_id": run_id}).scalar_one())
        for row in topic_rows
    ]
    rows = [
        {"topic_id": topic_ids[index], "feedback_id": feedback_id, "weight": weight}
        for index, feedback_id, weight in members
    ]
    for start in range(0, len(rows), _WRITE_CHUNK):
        conn.execute(insert(table_of(FeedbackTopicMember)), rows[start : start + _WRITE_CHUNK])


def _open_tickets(conn: Connection, fresh: pl.DataFrame, alerts: list[str | None]) -> int:
    """One open ticket per alerted feedback item of a known customer; returns how many opened."""
    opened = 0
    chooser = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    for feedback_id, customer_id, text, alert in zip(
        fresh["id"].to_list(),
        fresh["customer_id"].to_list(),
        fresh["text"].to_list(),
        alerts,
        strict=True,
    ):
        if alert is None or customer_id is None:
            continue
        statement = (
            chooser(Conversation)
            .values(
                customer_id=customer_id,
                channel="feedback",
                status="open",
                origin="feedback_alert",
                subject=f"Feedback alert: {alert}",
                priority="high" if ("legal" in alert or "strongly" in alert) else "normal",
                summary=f"Feedback {feedback_id} raised an alert: {alert}.",
                feedback_id=feedback_id,
            )
            .on_conflict_do_nothing(index_elements=["feedback_id"])
            .returning(Conversation.id)
        )
        conversation_id = conn.execute(statement).scalar_one_or_none()
        if conversation_id is None:
            continue
        conn.execute(
            insert(Message), {"conversation_id": conversation_id, "role": "customer", "text": text}
        )
        opened += 1
    return opened


def _rounded(value: object) -> float | None:
    return None if value is None else round(float(value), 3)  # type: ignore[arg-type]


def _params(options: TextOptions) -> dict[str, Any]:
    return {
        "model": _model_name(options),
        "reanalyse": options.reanalyse,
        "topics": options.topics,
        "aspects": sorted(options.aspects),
        "alert_threshold": options.alert_threshold,
    }
