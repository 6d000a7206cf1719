"""Use cases of customer service: find conversations (tickets), read one with its messages,
assign it, reply to it, close it.

A ticket is a conversation that is not closed. Replying to a closed conversation, or closing it
again, is refused with TicketStateError: a closed ticket is reopened by changing its status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crmind.errors import CrmindError, NotFoundError
from crmind.services.orders_query import finite
from crmind.store.db import unit_of_work
from crmind.store.schema import Conversation, Message
from crmind.store.sorting import sort_clauses

TicketSort = Literal["created_at", "-created_at", "updated_at", "-updated_at", "id", "-id"]
STATUSES = ("open", "pending", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
UNASSIGNED = ""  # ``assigned_to=""`` in a query: tickets nobody has


class TicketStateError(CrmindError):
    """The change does not fit the ticket's status (e.g. replying to a closed ticket)."""


@dataclass(frozen=True)
class TicketQuery:
    status: str | None = None
    assigned_to: str | None = None  # UNASSIGNED for tickets nobody has
    customer_id: int | None = None
    origin: str | None = None
    priority: str | None = None
    sort: TicketSort = "-updated_at"
    limit: int = 50
    offset: int = 0


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _fields(conversation: Conversation, messages: int) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "customer_id": conversation.customer_id,
        "channel": conversation.channel,
        "status": conversation.status,
        "origin": conversation.origin,
        "subject": conversation.subject,
        "priority": conversation.priority,
        "summary": conversation.summary,
        "assigned_to": conversation.assigned_to,
        "feedback_id": conversation.feedback_id,
        "order_id": conversation.order_id,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "closed_at": conversation.closed_at,
        "messages": messages,
    }


def _message_fields(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "role": message.role,
        "text": message.text,
        "intent": message.intent,
        "confidence": finite(message.confidence),
        "created_at": message.created_at,
    }


def search_tickets(engine: Engine, query: TicketQuery) -> tuple[list[dict[str, Any]], int]:
    """Conversations matching ``query`` with their message counts, and the count."""
    conditions: list[Any] = []
    if query.status is not None:
        conditions.append(Conversation.status == query.status)
    if query.assigned_to == UNASSIGNED:
        conditions.append(Conversation.assigned_to.is_(None))
    elif query.assigned_to is not None:
        conditions.append(Conversation.assigned_to == query.assigned_to)
    if query.customer_id is not None:
        conditions.append(Conversation.customer_id == query.customer_id)
    if query.origin is not None:
        conditions.append(Conversation.origin == query.origin)
    if query.priority is not None:
        conditions.append(Conversation.priority == query.priority)
    columns = {
        "created_at": Conversation.created_at,
        "updated_at": Conversation.updated_at,
        "id": Conversation.id,
    }
    order, tie = sort_clauses(query.sort, columns, Conversation.id)
    counts = (
        select(Message.conversation_id, func.count(Message.id).label("messages"))
        .group_by(Message.conversation_id)
        .subquery()
    )
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(Conversation).where(*conditions))
        rows = session.execute(
            select(Conversation, counts.c.messages)
            .outerjoin(counts, counts.c.conversation_id == Conversation.id)
            .where(*conditions)
            .order_by(order, tie)
            .limit(query.limit)
            .offset(query.offset)
        ).all()
        return [_fields(c, int(n or 0)) for c, n in rows], int(count or 0)


def ticket_detail(engine: Engine, ticket_id: int) -> dict[str, Any]:
    """One conversation with its messages, oldest first; NotFoundError if unknown."""
    with Session(engine) as session:
        return _detail(session, ticket_id)


def _detail(session: Session, ticket_id: int) -> dict[str, Any]:
    conversation = _conversation(session, ticket_id)
    messages = list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == ticket_id)
            .order_by(Message.created_at, Message.id)
        )
    )
    detail = _fields(conversation, len(messages))
    detail["thread"] = [_message_fields(m) for m in messages]
    return detail


def _conversation(session: Session, ticket_id: int) -> Conversation:
    conversation = session.get(Conversation, ticket_id)
    if conversation is None:
        raise NotFoundError(f"no conversation with id {ticket_id}")
    return conversation


def update_ticket(engine: Engine, ticket_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Assign (``assigned_to``; None unassigns), set ``priority`` or ``status``; a ticket set to
    closed gets its closing time, one set open again loses it."""
    unknown = set(changes) - {"assigned_to", "priority", "status", "subject"}
    if unknown:
        raise TicketStateError(f"fields that cannot be changed: {', '.join(sorted(unknown))}")
    status = changes.get("status")
    if "status" in changes and status not in STATUSES:
        raise TicketStateError(f"status {status!r} is not one of: {', '.join(STATUSES)}")
    priority = changes.get("priority")
    if "priority" in changes and priority not in PRIORITIES:
        raise TicketStateError(f"priority {priority!r} is not one of: {', '.join(PRIORITIES)}")
    with unit_of_work(engine) as session:
        conversation = _conversation(session, ticket_id)
        for name, value in changes.items():
            setattr(conversation, name, value)
        if status is not None:
            conversation.closed_at = _now() if status == "closed" else None
        conversation.updated_at = _now()
        session.flush()
        return _detail(session, ticket_id)


def reply(engine: Engine, ticket_id: int, text: str, role: str = "agent") -> dict[str, Any]:
    """Add a message to an open or pending ticket; TicketStateError when it is closed."""
    with unit_of_work(engine) as session:
        conversation = _conversation(session, ticket_id)
        if conversation.status == "closed":
            raise TicketStateError(
                f"conversation {ticket_id} is closed; reopen it (status open) to reply"
            )
        now = _now()
        session.add(Message(conversation_id=ticket_id, role=role, text=text, created_at=now))
        conversation.updated_at = now
        session.flush()
        return _detail(session, ticket_id)


def close_ticket(engine: Engine, ticket_id: int, summary: str | None = None) -> dict[str, Any]:
    """Close a ticket, with an optional summary; TicketStateError when it is closed already."""
    with unit_of_work(engine) as session:
        conversation = _conversation(session, ticket_id)
        if conversation.status == "closed":
            raise TicketStateError(f"conversation {ticket_id} is closed already")
        now = _now()
        conversation.status = "closed"
        conversation.closed_at = now
        conversation.updated_at = now
        if summary is not None:
            conversation.summary = summary
        session.flush()
        return _detail(session, ticket_id)
