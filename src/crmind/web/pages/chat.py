"""Chat widget (``/ui/chat``): the customer-facing chat with the assistant, as a web shop would
embed it, for trying the assistant out and for agents talking on a customer's behalf.

The form posts a message with htmx (``POST /ui/chat/messages``); the answer is the
conversation's transcript, swapped in, and the conversation's id for the next message. A
request for a person (or a refund) hands the conversation over: the assistant opens a ticket,
which shows in the inbox. Without htmx the form posts and redirects back to the page. A turn in
a conversation that belongs to a customer is an audited read of that customer's data, as in
the API's ``POST /chat``.
"""

from __future__ import annotations

from typing import Annotated, Any

from anyio.to_thread import run_sync
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crmind.access.roles import Permission
from crmind.api.deps import audit_read, run_read
from crmind.errors import NotFoundError
from crmind.services.assistant import MAX_MESSAGE_CHARS, ORIGIN, ChatError, chat_turn
from crmind.services.tickets import ticket_detail
from crmind.web.auth import FormUser, WebUser, api_state, page_permission
from crmind.web.nav import UI_PREFIX, NavEntry
from crmind.web.render import render

router = APIRouter(prefix=UI_PREFIX, include_in_schema=False)
NAV = NavEntry("chat", f"{UI_PREFIX}/chat", "nav.chat", Permission.CHAT)
Chatter = page_permission(Permission.CHAT)


def _thread(engine: Any, conversation_id: int | None) -> dict[str, Any] | None:
    """The assistant's conversation with its messages; None for none, unknown or another
    origin's (the widget shows only assistant conversations)."""
    if conversation_id is None:
        return None
    try:
        found = ticket_detail(engine, conversation_id)
    except NotFoundError:
        return None
    return found if found["origin"] == ORIGIN else None


def _values(conversation: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    return {
        "conversation": conversation,
        "conversation_id": conversation["id"] if conversation else "",
        "max_chars": MAX_MESSAGE_CHARS,
        **extra,
    }


@router.get("/chat", response_class=HTMLResponse)
async def chat_page(
    request: Request,
    user: Annotated[WebUser, Depends(Chatter)],
    conversation: int | None = None,
) -> HTMLResponse:
    state = api_state(request)
    found = await run_read(state, _thread, state.engine, conversation)
    if found and found["customer_id"] is not None:
        audit_read(request, "conversations", found["id"], found["customer_id"])
    return render(
        request,
        "chat/page.html",
        _values(found, can_tickets=user.can(Permission.TICKETS_READ)),
        user=user,
        active="chat",
    )


@router.post("/chat/messages")
async def post_message(
    request: Request,
    user: Annotated[WebUser, Depends(Chatter)],
    form_user: FormUser,
    text: Annotated[str, Form(max_length=MAX_MESSAGE_CHARS + 100)] = "",
    conversation_id: Annotated[str, Form(max_length=20)] = "",
    customer_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """One turn: the customer's message in, the transcript with the assistant's reply out."""
    state = api_state(request)
    conversation = int(conversation_id) if conversation_id.isdigit() else None
    customer = int(customer_id) if customer_id.strip().isdigit() else None
    error: str | None = None
    handed_off, ticket = False, None
    try:
        answer = await run_sync(
            lambda: chat_turn(
                state.engine,
                conversation,
                text,
                customer_id=customer,
                channel="web_chat",
                settings=state.settings,
            )
        )
        conversation = answer.conversation_id
        handed_off, ticket = answer.handed_off, answer.ticket_id
        if answer.customer_id is not None:
            audit_read(request, "conversations", conversation, answer.customer_id)
    except (ChatError, NotFoundError) as exc:
        error = str(exc)
    if request.headers.get("hx-request") != "true":
        target = f"{UI_PREFIX}/chat" + (f"?conversation={conversation}" if conversation else "")
        return RedirectResponse(target, status_code=303)
    found = await run_read(state, _thread, state.engine, conversation)
    return render(
        request,
        "chat/thread.html",
        _values(
            found,
            error=error,
            handed_off=handed_off,
            ticket_id=ticket,
            can_tickets=user.can(Permission.TICKETS_READ),
        ),
        user=user,
    )
