"""The assistant chat: a customer's message in, the assistant's reply out.

The reply may show the customer's own order (after the identity check of
:mod:`crmind.assistant.actions`), so a turn in a conversation that belongs to a customer is
audited as a read of that customer's data; the POST itself is audited as every change is.
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Request

from crmind.access.roles import Permission
from crmind.api.deps import EngineDep, SettingsDep, audit_read, require
from crmind.api.schemas.chat import ChatCreate, ChatReplyPublic
from crmind.services.assistant import chat_turn

router = APIRouter(prefix="/chat", tags=["assistant"])


@router.post("", dependencies=[Depends(require(Permission.CHAT))])
def post_chat(
    request: Request, engine: EngineDep, settings: SettingsDep, body: ChatCreate
) -> ChatReplyPublic:
    """One turn of a conversation with the assistant.
    Example: `POST /chat {"text": "Where is my order #536365?"}`, then
    `POST /chat {"conversation_id": 12, "text": "ann@example.com"}`"""
    reply = chat_turn(
        engine,
        body.conversation_id,
        body.text,
        customer_id=body.customer_id,
        channel=body.channel,
        settings=settings,
    )
    if reply.customer_id is not None:
        audit_read(request, "conversations", reply.conversation_id, reply.customer_id)
    return ChatReplyPublic.model_validate(asdict(reply))
