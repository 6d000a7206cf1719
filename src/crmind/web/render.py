"""Rendering a page: the Jinja2 environment, the language of the request, and the context every
template gets (user, translations, navigation, CSRF token, chart helper).

Templates are autoescaped. A page handler calls :func:`render` with its template and its own
values; ``?lang=zh`` (or ``en``) switches the language and keeps it in a cookie.
"""

from __future__ import annotations

import functools
import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from crmind import __version__
from crmind.web.auth import WebUser
from crmind.web.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_COOKIE,
    LANGUAGE_NAMES,
    LANGUAGES,
    Translator,
    language_from_header,
    normalise_language,
)
from crmind.web.nav import STATIC_PREFIX, UI_PREFIX, NavEntry

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600


def language_of(request: Request) -> str:
    """``?lang=``, else the language cookie, else the browser's Accept-Language, else English."""
    return (
        normalise_language(request.query_params.get("lang"))
        or normalise_language(request.cookies.get(LANGUAGE_COOKIE))
        or language_from_header(request.headers.get("accept-language"))
        or DEFAULT_LANGUAGE
    )


def number(value: Any, digits: int = 0) -> str:
    """``1,234`` / ``1,234.50``; a dash for None and not-a-number."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:,.{digits}f}"


def percent(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{100 * value:.{digits}f}%"


def when(value: Any, with_time: bool = False) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    return "—" if value is None else str(value)


def chart(option: dict[str, Any], name: str, height: int = 260) -> Markup:
    """A chart's element: ECharts reads ``option`` from ``data-chart`` (static/js/app.js).
    ``name`` identifies it in tests (``[data-chart-name=...]``)."""
    payload = json.dumps(option, ensure_ascii=False, default=str, allow_nan=False)
    return Markup(
        '<div class="chart" role="img" data-chart-name="{}" style="height:{}px" data-chart="{}">'
        "</div>"
    ).format(name, int(height), payload)


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=number, percent=percent, when=when)
    env.globals.update(
        chart=chart,
        ui=UI_PREFIX,
        static=STATIC_PREFIX,
        version=__version__,
        languages=LANGUAGE_NAMES,
    )
    return env


def _with_language(request: Request, language: str) -> str:
    params = dict(request.query_params)
    params["lang"] = language
    return f"{request.url.path}?{urlencode(params)}"


def render(
    request: Request,
    template: str,
    values: dict[str, Any] | None = None,
    *,
    user: WebUser | None = None,
    active: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The page ``template`` with ``values`` and the shared context, as an HTML response."""
    from crmind.web.pages import nav_entries  # the page list imports the pages, which import this

    language = language_of(request)
    nav: list[NavEntry] = [e for e in nav_entries() if user is not None and user.can(e.permission)]
    context: dict[str, Any] = {
        "request": request,
        "t": Translator(language),
        "lang": language,
        "user": user,
        "csrf": user.csrf if user else "",
        "nav": nav,
        "active": active,
        "language_links": {code: _with_language(request, code) for code in LANGUAGES},
        "htmx": request.headers.get("hx-request") == "true",
        **(values or {}),
    }
    html = environment().get_template(template).render(context)
    response = HTMLResponse(html, status_code=status_code)
    chosen = normalise_language(request.query_params.get("lang"))
    if chosen and chosen != request.cookies.get(LANGUAGE_COOKIE):
        response.set_cookie(
            LANGUAGE_COOKIE, chosen, max_age=LANGUAGE_COOKIE_MAX_AGE, samesite="lax", path="/"
        )
    response.headers["Cache-Control"] = "no-store"  # pages hold personal data
    return response
