"""Use cases of the dashboard's service inbox: the tickets an agent works on, in views (open,
mine, unassigned, the assistant's hand-offs, with the assistant, closed), each with its
customer's name and the last thing the customer said; one ticket with its transcript; and who
a ticket can be assigned to.

Changes (assign, reply, close) are :mod:`crmind.services.tickets`'s; this module only reads.
A ticket is a conversation with status ``open``; ``pending`` ones are still the assistant's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from sqlalchemy import Engine, and_, case, func, select

from crmind.access.roles import Permission, allows
from crmind.privacy.binding import cipher_of
from crmind.services.access import list_users
from crmind.services.assistant import ORIGIN as ASSISTANT
from crmind.services.tickets import UNASSIGNED, TicketQuery, search_tickets, ticket_detail
from crmind.store.schema import Conversation, Customer, Message

InboxView = Literal["open", "mine", "unassigned", "handoffs", "pending", "closed"]
VIEWS: tuple[str, ...] = get_args(InboxView)
PREVIEW_CHARS = 160


@dataclass(frozen=True)
class InboxPage:
    rows: list[dict[str, Any]]  # search_tickets' fields + customer_name, last_message
    count: int
    counts: dict[str, int] = field(default_factory=dict)  # view -> tickets


def ticket_query(view: str, username: str, limit: int = 50, offset: int = 0) -> TicketQuery:
    """The ticket search behind an inbox view (``username``'s for ``mine``)."""
    match view:
        case "mine":
            return TicketQuery(status="open", assigned_to=username, limit=limit, offset=offset)
        case "unassigned":
            return TicketQuery(status="open", assigned_to=UNASSIGNED, limit=limit, offset=offset)
        case "handoffs":
            return TicketQuery(status="open", origin=ASSISTANT, limit=limit, offset=offset)
        case "pending" | "closed":
            return TicketQuery(status=view, limit=limit, offset=offset)
        case _:
            return TicketQuery(status="open", limit=limit, offset=offset)


def view_counts(engine: Engine, username: str) -> dict[str, int]:
    """How many tickets each view holds (one grouped read)."""
    is_open = Conversation.status == "open"

    def counted(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    with engine.connect() as conn:
        row = conn.execute(
            select(
                counted(is_open),
                counted(and_(is_open, Conversation.assigned_to == username)),
                counted(and_(is_open, Conversation.assigned_to.is_(None))),
                counted(and_(is_open, Conversation.origin == ASSISTANT)),
                counted(Conversation.status == "pending"),
                counted(Conversation.status == "closed"),
            )
        ).one()
    return {view: int(n or 0) for view, n in zip(VIEWS, row, strict=True)}


def customer_names(engine: Engine, customer_ids: set[int]) -> dict[int, str | None]:
    """Customers' names (decrypted), by id."""
    if not customer_ids:
        return {}
    cipher = cipher_of(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids))
        ).all()
    return {
        int(i): None if name is None else str(cipher.decrypt(name, "customers.name"))
        for i, name in rows
    }


def _last_customer_messages(engine: Engine, ticket_ids: list[int]) -> dict[int, str]:
    if not ticket_ids:
        return {}
    newest = (
        select(func.max(Message.id))
        .where(Message.conversation_id.in_(ticket_ids), Message.role == "customer")
        .group_by(Message.conversation_id)
        .scalar_subquery()
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(Message.conversation_id, Message.text).where(Message.id.in_(newest))
        ).all()
    return {int(c): str(text)[:PREVIEW_CHARS] for c, text in rows}


def inbox_page(
    engine: Engine, view: str, username: str, limit: int = 50, offset: int = 0
) -> InboxPage:
    """One page of an inbox view, newest change first, with every view's count."""
    rows, count = search_tickets(engine, ticket_query(view, username, limit, offset))
    names = customer_names(engine, {r["customer_id"] for r in rows if r["customer_id"]})
    said = _last_customer_messages(engine, [r["id"] for r in rows])
    for row in rows:
        row["customer_name"] = names.get(row["customer_id"]) if row["customer_id"] else None
        row["last_message"] = said.get(row["id"])
    return InboxPage(rows, count, view_counts(engine, username))


def assignees(engine: Engine) -> list[str]:
    """Enabled users whose role may work on tickets, by name."""
    return sorted(
        u.username
        for u in list_users(engine)
        if not u.disabled and allows(u.role, Permission.TICKETS_WRITE)
    )


def ticket_page(engine: Engine, ticket_id: int) -> dict[str, Any]:
    """A ticket with its transcript, its customer's name and who it can go to;
    NotFoundError for an unknown ticket."""
    detail = ticket_detail(engine, ticket_id)
    customer = detail["customer_id"]
    detail["customer_name"] = customer_names(engine, {customer}).get(customer) if customer else None
    return {"ticket": detail, "assignees": assignees(engine)}
