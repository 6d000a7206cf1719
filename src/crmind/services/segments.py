"""Use cases: the segments of the newest analysis run, and one segment's members.

Segments are versioned by the run that made them; these answers read the newest completed
``analysis`` run, so a new run replaces what callers see in one step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crmind.errors import NotFoundError
from crmind.services.analysis_store import latest_run
from crmind.services.orders_query import finite
from crmind.store.schema import Segment, SegmentMember

SEGMENT_KINDS = ("rfm", "learned", "value_tier", "lifecycle")


@dataclass(frozen=True)
class SegmentQuery:
    kind: str | None = None
    limit: int = 100
    offset: int = 0


def _fields(segment: Segment) -> dict[str, Any]:
    return {
        "id": segment.id,
        "model_run_id": segment.model_run_id,
        "kind": segment.kind,
        "key": segment.key,
        "name": segment.name,
        "description": segment.description,
        "size": segment.size,
        "value_share": finite(segment.value_share),
        "definition": segment.definition,
    }


def newest_segments(engine: Engine, query: SegmentQuery) -> tuple[list[dict[str, Any]], int]:
    """Segments of the newest analysis run (none before the first run), by kind then size."""
    run = latest_run(engine)
    if run is None:
        return [], 0
    conditions: list[Any] = [Segment.model_run_id == run.id]
    if query.kind is not None:
        conditions.append(Segment.kind == query.kind)
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(Segment).where(*conditions))
        rows = session.scalars(
            select(Segment)
            .where(*conditions)
            .order_by(Segment.kind, Segment.size.desc(), Segment.id)
            .limit(query.limit)
            .offset(query.offset)
        )
        return [_fields(s) for s in rows], int(count or 0)


def get_segment(engine: Engine, segment_id: int) -> dict[str, Any]:
    """One segment (of any run); NotFoundError if unknown."""
    with Session(engine) as session:
        segment = session.get(Segment, segment_id)
        if segment is None:
            raise NotFoundError(f"no segment with id {segment_id}")
        return _fields(segment)


def segment_member_ids(
    engine: Engine, segment_id: int, limit: int = 100, offset: int = 0
) -> tuple[list[int], int]:
    """Customer ids of a segment's members, ascending, and how many there are."""
    get_segment(engine, segment_id)
    with Session(engine) as session:
        count = session.scalar(
            select(func.count())
            .select_from(SegmentMember)
            .where(SegmentMember.segment_id == segment_id)
        )
        ids = session.scalars(
            select(SegmentMember.customer_id)
            .where(SegmentMember.segment_id == segment_id)
            .order_by(SegmentMember.customer_id)
            .limit(limit)
            .offset(offset)
        )
        return [int(i) for i in ids], int(count or 0)
