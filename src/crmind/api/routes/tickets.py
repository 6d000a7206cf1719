"""Conversations and tickets: find them, read one with its messages, assign, reply, close.

A ticket's messages may hold personal data: reading one is audited with its customer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from crmind.access.roles import Permission
from crmind.api.deps import EngineDep, audit_read, require
from crmind.api.problems import ConflictError
from crmind.api.schemas.common import Limit, Offset, RecordId
from crmind.api.schemas.products import NO_NUL
from crmind.api.schemas.tickets import (
    ReplyCreate,
    TicketClose,
    TicketDetailPublic,
    TicketPriority,
    TicketPublic,
    TicketsPublic,
    TicketStatus,
    TicketUpdate,
)
from crmind.services.tickets import (
    TicketQuery,
    TicketSort,
    TicketStateError,
    close_ticket,
    reply,
    search_tickets,
    ticket_detail,
    update_ticket,
)

router = APIRouter(prefix="/conversations", tags=["tickets"])

Reader = Depends(require(Permission.TICKETS_READ))
Writer = Depends(require(Permission.TICKETS_WRITE))


def _detail(request: Request, detail: dict[str, object]) -> TicketDetailPublic:
    customer_id = detail["customer_id"]
    audit_read(
        request,
        "conversations",
        detail["id"],
        customer_id if isinstance(customer_id, int) else None,
    )
    return TicketDetailPublic.model_validate(detail)


@router.get("", dependencies=[Reader])
def list_tickets(
    engine: EngineDep,
    status: TicketStatus | None = None,
    assigned_to: Annotated[
        str | None,
        Query(max_length=200, pattern=NO_NUL, description="A name; empty: nobody's tickets."),
    ] = None,
    customer_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    origin: Annotated[str | None, Query(max_length=50, pattern=NO_NUL)] = None,
    priority: TicketPriority | None = None,
    sort: TicketSort = "-updated_at",
    limit: Limit = 50,
    offset: Offset = 0,
) -> TicketsPublic:
    """Conversations, last changed first. Example: `GET /conversations?status=open&assigned_to=`"""
    rows, count = search_tickets(
        engine,
        TicketQuery(
            status=status,
            assigned_to=assigned_to,
            customer_id=customer_id,
            origin=origin,
            priority=priority,
            sort=sort,
            limit=limit,
            offset=offset,
        ),
    )
    return TicketsPublic(data=[TicketPublic(**row) for row in rows], count=count)


@router.get("/{ticket_id}", dependencies=[Reader])
def get_ticket(request: Request, engine: EngineDep, ticket_id: RecordId) -> TicketDetailPublic:
    """One conversation with its messages, oldest first. Example: `GET /conversations/5`"""
    return _detail(request, ticket_detail(engine, ticket_id))


@router.patch("/{ticket_id}", dependencies=[Writer])
def patch_ticket(
    request: Request, engine: EngineDep, ticket_id: RecordId, changes: TicketUpdate
) -> TicketDetailPublic:
    """Assign, reprioritise or reopen. Example: `PATCH /conversations/5 {"assigned_to": "ana"}`"""
    values = changes.model_dump(exclude_unset=True)
    for name in ("priority", "status"):
        if name in values and values[name] is None:
            del values[name]  # these cannot be cleared
    try:
        return _detail(request, update_ticket(engine, ticket_id, values))
    except TicketStateError as exc:
        raise ConflictError(str(exc)) from exc


@router.post("/{ticket_id}/messages", status_code=201, dependencies=[Writer])
def post_reply(
    request: Request, engine: EngineDep, ticket_id: RecordId, body: ReplyCreate
) -> TicketDetailPublic:
    """Reply as an agent; 409 on a closed ticket.
    Example: `POST /conversations/5/messages {"text": "Your refund is on its way."}`"""
    try:
        return _detail(request, reply(engine, ticket_id, body.text))
    except TicketStateError as exc:
        raise ConflictError(str(exc)) from exc


@router.post("/{ticket_id}/close", dependencies=[Writer])
def post_close(
    request: Request, engine: EngineDep, ticket_id: RecordId, body: TicketClose | None = None
) -> TicketDetailPublic:
    """Close a ticket, with an optional summary; 409 when it is closed already.
    Example: `POST /conversations/5/close {"summary": "refunded"}`"""
    try:
        return _detail(request, close_ticket(engine, ticket_id, body.summary if body else None))
    except TicketStateError as exc:
        raise ConflictError(str(exc)) from exc
