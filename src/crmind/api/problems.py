"""Errors as RFC 9457 problem details (``application/problem+json``).

Library errors are translated here and only here: NotFoundError -> 404, an input the library
refuses -> 422, a conflict -> 409; anything unexpected -> 500 without internals.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from crmind.errors import CrmindError, NotFoundError

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class ConflictError(CrmindError):
    """The request conflicts with the state of a record (e.g. closing a closed ticket)."""


def problem(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem-details response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(
        jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def status_of(error: CrmindError) -> int:
    """The HTTP status of a library error."""
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ConflictError):
        return 409
    return 422


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error the app returns a problem document."""

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(
            exc.status_code,
            str(exc.detail) if exc.detail else None,
            instance=request.url.path,
            headers=dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "location": ".".join(str(part) for part in error.get("loc", ())),
                "message": error.get("msg", ""),
            }
            for error in exc.errors()
        ]
        first = errors[0] if errors else {"location": "request", "message": "invalid"}
        return problem(
            422,
            f"{first['location']}: {first['message']}",
            title="Invalid request",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(CrmindError)
    async def _library(request: Request, exc: CrmindError) -> JSONResponse:
        return problem(status_of(exc), str(exc), instance=request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(
            500, "an unexpected error occurred; it was logged", instance=request.url.path
        )
