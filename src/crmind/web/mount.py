"""Put the dashboard into the API's app: ``install_dashboard(app)`` (called by ``create_app``).

Pages live under ``/ui``, static files under ``/ui/static``; ``/`` sends a browser to the
overview. None of it is in the OpenAPI description, and the API's paths are untouched.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from crmind.web.auth import LoginRequiredError, PageError
from crmind.web.login import router as login_router
from crmind.web.nav import STATIC_PREFIX, UI_PREFIX
from crmind.web.pages import page_routers
from crmind.web.render import render

STATIC_DIR = __file__.rsplit("/", 1)[0] + "/static"


async def _page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    if isinstance(exc, LoginRequiredError):
        target = f"{UI_PREFIX}/login?next={quote(request.url.path, safe='/')}"
        if request.headers.get("hx-request") == "true":  # htmx follows HX-Redirect, not 303s
            return Response(status_code=200, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    return render(
        request,
        "error.html",
        {"message_key": exc.key, "params": exc.params, "status": exc.status_code},
        user=getattr(request.state, "web_user", None),
        status_code=exc.status_code,
    )


def install_dashboard(app: FastAPI) -> None:
    """Add the dashboard's routes, static files and error pages to ``app``."""
    app.add_exception_handler(PageError, _page_error)
    app.include_router(login_router)
    for router in page_routers():
        app.include_router(router)
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="ui-static")

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse(f"{UI_PREFIX}/", status_code=307)
