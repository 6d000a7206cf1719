"""The audit log (admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from crmind.access.roles import Permission
from crmind.api.deps import EngineDep, require
from crmind.api.schemas.common import Limit, Offset, Page
from crmind.services.audit import AuditQuery, search

router = APIRouter(tags=["audit"], dependencies=[Depends(require(Permission.AUDIT_READ))])


class AuditEntryPublic(BaseModel):
    id: int
    occurred_at: datetime
    actor: str
    role: str | None
    action: str
    resource: str
    resource_id: str | None
    customer_id: int | None
    remote_addr: str | None
    status_code: int | None
    detail: dict[str, Any] | None


@router.get("/audit")
def get_audit(
    engine: EngineDep,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=50)] = None,
    resource: Annotated[str | None, Query(max_length=200)] = None,
    customer_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[AuditEntryPublic]:
    """Who did what, newest first. Example: `GET /audit?customer_id=17`"""
    rows, count = search(
        engine,
        AuditQuery(
            actor=actor,
            action=action,
            resource=resource,
            customer_id=customer_id,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        ),
    )
    return Page[AuditEntryPublic](data=[AuditEntryPublic(**r) for r in rows], count=count)
