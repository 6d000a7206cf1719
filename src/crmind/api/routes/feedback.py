"""Feedback with its sentiment, language and topic, and the topics of the newest text run.

Customers are named by id for roles that read personal data, by keyed pseudonym for the others;
a read of feedback by a named customer is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from crmind.access.roles import Permission
from crmind.api.customer_refs import CustomerRefs
from crmind.api.deps import EngineDep, SettingsDep, audit_read, require
from crmind.api.schemas.common import Limit, Offset, RecordId
from crmind.api.schemas.feedback import FeedbackPublic, FeedbacksPublic, TopicPublic, TopicsPublic
from crmind.services.access import Principal
from crmind.services.feedback_query import (
    FeedbackQuery,
    FeedbackSort,
    feedback_item,
    newest_topics,
    search_feedback,
)

router = APIRouter(prefix="/feedback", tags=["feedback"])

Reader = require(Permission.FEEDBACK_READ)
ReaderDep = Annotated[Principal, Depends(Reader)]


def _public(request: Request, refs: CustomerRefs, row: dict[str, object]) -> FeedbackPublic:
    customer_id = row.pop("customer_id")
    ref = refs(customer_id if isinstance(customer_id, int) else None)
    if ref.customer_id is not None:
        audit_read(request, "feedback", row["id"], ref.customer_id)
    return FeedbackPublic(**row, customer_id=ref.customer_id, pseudonym=ref.pseudonym)


@router.get("")
def list_feedback(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    principal: ReaderDep,
    label: Literal["positive", "neutral", "negative"] | None = None,
    language: Annotated[str | None, Query(max_length=10, pattern=r"^[A-Za-z_-]+$")] = None,
    topic_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    customer_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    since: Annotated[datetime | None, Query(description="Occurred at or after.")] = None,
    until: Annotated[datetime | None, Query(description="Occurred before.")] = None,
    alerts_only: bool = False,
    sort: FeedbackSort = "-occurred_at",
    limit: Limit = 50,
    offset: Offset = 0,
) -> FeedbacksPublic:
    """Feedback with its latest analysis; ``customer_id`` only for roles that read personal
    data (a pseudonymised role could otherwise link pseudonyms to ids).
    Example: `GET /feedback?label=negative&language=en`"""
    refs = CustomerRefs(settings, principal)
    if customer_id is not None and not refs.ids:
        raise HTTPException(
            403, f"the role {principal.role!r} may not look feedback up by customer id"
        )
    rows, count = search_feedback(
        engine,
        FeedbackQuery(
            label=label,
            language=language,
            topic_id=topic_id,
            customer_id=customer_id,
            since=since,
            until=until,
            alerts_only=alerts_only,
            sort=sort,
            limit=limit,
            offset=offset,
        ),
    )
    return FeedbacksPublic(data=[_public(request, refs, row) for row in rows], count=count)


@router.get("/topics", dependencies=[Depends(Reader)])
def list_topics(engine: EngineDep) -> TopicsPublic:
    """The topics of the newest feedback-text run, per language, largest first, with their
    sentiment by month. Example: `GET /feedback/topics`"""
    run_id, topics = newest_topics(engine)
    data = [TopicPublic(**vars(topic)) for topic in topics]
    return TopicsPublic(model_run_id=run_id, data=data, count=len(data))


@router.get("/{feedback_id}")
def get_feedback(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    principal: ReaderDep,
    feedback_id: RecordId,
) -> FeedbackPublic:
    """One feedback item with its latest analysis. Example: `GET /feedback/12`"""
    refs = CustomerRefs(settings, principal)
    return _public(request, refs, feedback_item(engine, feedback_id))
