"""Response classes of the API beyond FastAPI's own."""

from __future__ import annotations

from starlette.responses import Response


class JSONBytes(Response):
    """A JSON body the route has already serialised (``pydantic_core.to_json``)."""

    media_type = "application/json"
