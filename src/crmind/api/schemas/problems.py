"""The problem document (RFC 9457) every error answer is, and the error answers each route
declares in the OpenAPI document, so clients know them before they meet them."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute
from pydantic import BaseModel, Field


class ProblemPublic(BaseModel):
    type: str = Field(default="about:blank")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, str]] | None = Field(
        default=None, description="Every invalid field of a 422 answer: location, message."
    )


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": ProblemPublic.model_json_schema()}},
    }


KEYED_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: _problem("No API key, or one that is unknown, revoked or expired."),
    403: _problem("The key's role lacks the permission the route needs."),
    422: _problem("An invalid parameter or body, or a value the library refuses."),
    429: _problem("The key's rate limit is exceeded; see Retry-After."),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _problem("No record with this id.")}


def declare_problems(route: APIRoute) -> None:
    """Add the problem answers of a route that needs a key (404 when it names a record)."""
    extra = dict(KEYED_PROBLEMS)
    if "{" in route.path:
        extra.update(NOT_FOUND)
    route.responses = {**extra, **route.responses}
