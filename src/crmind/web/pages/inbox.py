"""Service inbox (``/ui/inbox``): open tickets and the assistant's hand-offs, and one ticket
(``/ui/inbox/{id}``) with its transcript and summary, to assign, answer and close.

Roles that read tickets see them; roles that write tickets assign (to themselves or another
user who may work on tickets), reply (stored as an ``agent`` message) and close. Each ticket
shown with its customer is an audited read of that customer's data, as in the API. Forms are
post/redirect/get, so a reload never sends a reply twice.
"""

from __future__ import annotations

from typing import Annotated, Any

from anyio.to_thread import run_sync
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crmind.access.roles import Permission
from crmind.api.customer_refs import CustomerRefs
from crmind.api.deps import audit_read, run_read
from crmind.errors import NotFoundError
from crmind.services.dashboard_inbox import VIEWS, assignees, inbox_page, ticket_page
from crmind.services.tickets import TicketStateError, close_ticket, reply, update_ticket
from crmind.web.auth import (
    FormUser,
    PageError,
    PageNotFoundError,
    WebUser,
    api_state,
    page_permission,
)
from crmind.web.nav import UI_PREFIX, NavEntry
from crmind.web.render import render

router = APIRouter(prefix=UI_PREFIX, include_in_schema=False)
NAV = NavEntry("inbox", f"{UI_PREFIX}/inbox", "nav.inbox", Permission.TICKETS_READ)
Reader = page_permission(Permission.TICKETS_READ)
Writer = page_permission(Permission.TICKETS_WRITE)
PAGE_SIZE = 30
MAX_REPLY_CHARS = 4000
MAX_SUMMARY_CHARS = 2000


class TicketConflictError(PageError):
    """The change does not fit the ticket's state (e.g. replying to a closed ticket)."""

    status_code = 409


def _not_found(ticket_id: int, exc: Exception) -> PageNotFoundError:
    return PageNotFoundError(str(exc), "error.404", what=f"ticket #{ticket_id}")


@router.get("/inbox", response_class=HTMLResponse)
async def inbox(
    request: Request,
    user: Annotated[WebUser, Depends(Reader)],
    view: str = "open",
    page: int = 1,
) -> HTMLResponse:
    state = api_state(request)
    view = view if view in VIEWS else "open"
    page = max(1, min(page, 10_000))
    found = await run_read(
        state, inbox_page, state.engine, view, user.username, PAGE_SIZE, (page - 1) * PAGE_SIZE
    )
    refs = CustomerRefs(state.settings, user.principal)
    rows = []
    for row in found.rows:
        ref = refs(row["customer_id"])
        if ref.customer_id is not None:
            audit_read(request, "conversations", row["id"], ref.customer_id)
        rows.append({"row": row, "ref": ref})
    return render(
        request,
        "inbox/list.html",
        {
            "rows": rows,
            "count": found.count,
            "counts": found.counts,
            "view": view,
            "views": VIEWS,
            "page": page,
            "pages": max(1, -(-found.count // PAGE_SIZE)),
            "first": (page - 1) * PAGE_SIZE + 1 if found.count else 0,
            "last": (page - 1) * PAGE_SIZE + len(rows),
        },
        user=user,
        active="inbox",
    )


@router.get("/inbox/{ticket_id}", response_class=HTMLResponse)
async def ticket(
    request: Request, user: Annotated[WebUser, Depends(Reader)], ticket_id: int
) -> HTMLResponse:
    state = api_state(request)
    try:
        found = await run_read(state, ticket_page, state.engine, ticket_id)
    except NotFoundError as exc:
        raise _not_found(ticket_id, exc) from exc
    detail = found["ticket"]
    ref = CustomerRefs(state.settings, user.principal)(detail["customer_id"])
    audit_read(request, "conversations", ticket_id, detail["customer_id"])
    return render(
        request,
        "inbox/detail.html",
        {
            "ticket": detail,
            "ref": ref,
            "assignees": found["assignees"],
            "can_write": user.can(Permission.TICKETS_WRITE),
            "can_customers": user.can(Permission.CUSTOMERS_READ),
            "done": request.query_params.get("done", ""),
        },
        user=user,
        active="inbox",
    )


def _back(ticket_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(f"{UI_PREFIX}/inbox/{ticket_id}?done={done}", status_code=303)


async def _change(ticket_id: int, change: Any) -> None:
    try:
        await run_sync(change)
    except NotFoundError as exc:
        raise _not_found(ticket_id, exc) from exc
    except TicketStateError as exc:
        raise TicketConflictError(str(exc), "inbox.conflict", id=ticket_id) from exc


@router.post("/inbox/{ticket_id}/assign")
async def assign(
    request: Request,
    user: Annotated[WebUser, Depends(Writer)],
    form_user: FormUser,
    ticket_id: int,
    to: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Give the ticket to ``to`` (a user who may work on tickets); empty: to nobody."""
    engine = api_state(request).engine
    if to and to not in await run_sync(assignees, engine):
        raise PageError(f"{to!r} may not work on tickets", "inbox.bad_assignee", name=to)
    await _change(ticket_id, lambda: update_ticket(engine, ticket_id, {"assigned_to": to or None}))
    return _back(ticket_id, "assigned")


@router.post("/inbox/{ticket_id}/reply")
async def answer(
    request: Request,
    user: Annotated[WebUser, Depends(Writer)],
    form_user: FormUser,
    ticket_id: int,
    text: Annotated[str, Form(max_length=MAX_REPLY_CHARS)] = "",
) -> Response:
    """Add the agent's reply to the ticket's conversation."""
    engine = api_state(request).engine
    if not text.strip():
        return _back(ticket_id, "empty")
    await _change(ticket_id, lambda: reply(engine, ticket_id, text.strip(), role="agent"))
    return _back(ticket_id, "replied")


@router.post("/inbox/{ticket_id}/close")
async def close(
    request: Request,
    user: Annotated[WebUser, Depends(Writer)],
    form_user: FormUser,
    ticket_id: int,
    summary: Annotated[str, Form(max_length=MAX_SUMMARY_CHARS)] = "",
) -> Response:
    """Close the ticket, with the agent's summary when given."""
    engine = api_state(request).engine
    await _change(ticket_id, lambda: close_ticket(engine, ticket_id, summary.strip() or None))
    return _back(ticket_id, "closed")
