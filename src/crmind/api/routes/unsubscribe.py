"""The unsubscribe link of campaign e-mail: public (the signed token is the credential).

``GET`` shows a page with one button, so mail scanners that open links unsubscribe nobody;
``POST`` (the button, or a mail client's RFC 8058 one-click request) withdraws the customer's
marketing e-mail consent. Pages for people, so not part of the OpenAPI description.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from crmind.api.deps import EngineDep, SettingsDep
from crmind.services.campaign_unsubscribe import (
    InvalidUnsubscribeTokenError,
    read_token,
    unsubscribe,
    unsubscribe_key,
)

router = APIRouter(prefix="/unsubscribe", tags=["unsubscribe"])

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem">
<h1>{title}</h1>{body}</body></html>"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status_code=status)


@router.get("/{token}", response_class=HTMLResponse, include_in_schema=False)
def confirm(settings: SettingsDep, token: str) -> HTMLResponse:
    """A page asking to confirm. Example: `GET /unsubscribe/12.3.abc`"""
    try:
        read_token(unsubscribe_key(settings), token)
    except InvalidUnsubscribeTokenError as error:
        return _page("Unsubscribe", f"<p>{escape(str(error))}.</p>", 400)
    return _page(
        "Unsubscribe",
        f'<form method="post" action="/unsubscribe/{escape(token)}">'
        "<p>Stop marketing e-mail from us? / 不再接收我们的营销邮件？</p>"
        '<button type="submit">Unsubscribe / 退订</button></form>',
    )


@router.post("/{token}", response_class=HTMLResponse, include_in_schema=False)
def confirmed(engine: EngineDep, settings: SettingsDep, token: str) -> HTMLResponse:
    """Withdraw the marketing e-mail consent. Example: `POST /unsubscribe/12.3.abc`"""
    try:
        unsubscribe(engine, settings, token)
    except InvalidUnsubscribeTokenError as error:
        return _page("Unsubscribe", f"<p>{escape(str(error))}.</p>", 400)
    return _page(
        "Unsubscribed / 已退订",
        "<p>You will receive no more marketing e-mail from us. / 您将不再收到我们的营销邮件。</p>",
    )
