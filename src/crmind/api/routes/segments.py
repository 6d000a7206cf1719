"""Segments of the newest analysis (``segments:read``), and their members
(``customers:pseudonymised``: by customer id for roles that also read personal data, by keyed
pseudonym for the others)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from crmind.access.roles import Permission
from crmind.api.customer_refs import CustomerRefs
from crmind.api.deps import EngineDep, SettingsDep, audit_read, require
from crmind.api.schemas.common import Limit, Offset, RecordId
from crmind.api.schemas.segments import (
    SegmentMemberPublic,
    SegmentMembersPublic,
    SegmentPublic,
    SegmentsPublic,
)
from crmind.services.access import Principal
from crmind.services.segments import (
    SegmentQuery,
    get_segment,
    newest_segments,
    segment_member_ids,
)

router = APIRouter(prefix="/segments", tags=["segments"])

Reader = require(Permission.SEGMENTS_READ)
MemberReader = require(Permission.CUSTOMERS_PSEUDONYMISED)
"""Who is in a segment is customer data: at least pseudonymised access is needed."""


@router.get("", dependencies=[Depends(Reader)])
def list_segments(
    engine: EngineDep,
    kind: Annotated[Literal["rfm", "learned", "value_tier", "lifecycle"] | None, Query()] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> SegmentsPublic:
    """The newest analysis's segments, by kind then size. Example: `GET /segments?kind=rfm`"""
    rows, count = newest_segments(engine, SegmentQuery(kind=kind, limit=limit, offset=offset))
    return SegmentsPublic(data=[SegmentPublic(**row) for row in rows], count=count)


@router.get("/{segment_id}", dependencies=[Depends(Reader)])
def get_one_segment(engine: EngineDep, segment_id: RecordId) -> SegmentPublic:
    """One segment. Example: `GET /segments/3`"""
    return SegmentPublic(**get_segment(engine, segment_id))


@router.get("/{segment_id}/members")
def list_members(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(MemberReader)],
    segment_id: RecordId,
    limit: Limit = 100,
    offset: Offset = 0,
) -> SegmentMembersPublic:
    """A segment's members: customer ids for roles that read personal data, keyed pseudonyms
    for pseudonymised roles. Example: `GET /segments/3/members?limit=500`"""
    refs = CustomerRefs(settings, principal)
    ids, count = segment_member_ids(engine, segment_id, limit, offset)
    if refs.ids:
        audit_read(request, "segments", segment_id, None)
    members = [SegmentMemberPublic(**vars(refs(customer_id))) for customer_id in ids]
    return SegmentMembersPublic(data=members, count=count)
