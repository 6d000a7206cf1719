"""Events in real time: ``POST /events`` with one event or ``{"events": [...]}``.

A batch is all or nothing: when any event is refused, the answer is 422 with a problem document
whose ``errors`` name each refused event by ``index`` (its place in the batch; 0 for a single
event), ``field`` and ``reason``, and nothing is stored. Resending the corrected batch is safe:
events are idempotent by (source, event id), so those stored before count as duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from crmind.access.roles import Permission
from crmind.api.deps import EngineDep, SettingsDep, require
from crmind.api.problems import PROBLEM_JSON, problem
from crmind.api.schemas.events import (
    DuplicatePublic,
    EventErrorPublic,
    EventsAccepted,
    EventsBody,
    incoming_events,
)
from crmind.services.events import RejectedEventsError, event_options, record_events

_TAGS = ("event", "batch")


def _error(error: dict[str, Any]) -> EventErrorPublic:
    """A pydantic error of the body as (index, field, reason)."""
    loc = [part for part in error.get("loc", ()) if part != "body"]
    if loc and loc[0] in _TAGS:
        kind, loc = loc[0], loc[1:]
    else:
        kind = "event"
    index: int | None = 0 if kind == "event" else None
    if kind == "batch" and len(loc) >= 2 and loc[0] == "events" and isinstance(loc[1], int):
        index, loc = loc[1], loc[2:]
    field = ".".join(str(part) for part in loc) or "body"
    location = ".".join(str(part) for part in ("body", *error.get("loc", ())[1:]))
    return EventErrorPublic(
        index=index, field=field, reason=str(error.get("msg", "invalid")), location=location
    )


def _refused(request: Request, errors: list[EventErrorPublic]) -> Response:
    first = errors[0]
    where = "the body" if first.index is None else f"event {first.index}"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return problem(
        422,
        f"{where}, {first.field}: {first.reason}{more}; nothing was stored",
        title="Invalid events",
        instance=request.url.path,
        errors=[e.model_dump() for e in errors],
    )


class EventsRoute(APIRoute):
    """Refused events answer with their index, field and reason (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return _refused(request, [_error(dict(e)) for e in exc.errors()])
            except RejectedEventsError as exc:
                return _refused(
                    request,
                    [
                        EventErrorPublic(
                            index=p.index,
                            field=p.field,
                            reason=p.reason,
                            location=f"body.events.{p.index}.{p.field}",
                        )
                        for p in exc.problems
                    ],
                )

        return handle


router = APIRouter(prefix="/events", tags=["events"], route_class=EventsRoute)

_REFUSED = {
    "description": "Refused events, each by index, field and reason; nothing was stored.",
    "content": {PROBLEM_JSON: {}},
}


@router.post(
    "",
    dependencies=[Depends(require(Permission.EVENTS_WRITE))],
    responses={422: _REFUSED},
)
def post_events(engine: EngineDep, settings: SettingsDep, body: EventsBody) -> EventsAccepted:
    """Record one event or a batch of up to 1,000, and update the customers' live state.

    Example: `POST /events {"source": "shop", "events": [{"event_id": "e1", "type": "page_view",
    "occurred_at": "2025-03-01T10:15:00+01:00", "email": "jane@example.com"}]}`
    """
    result = record_events(engine, incoming_events(body), event_options(settings))
    return EventsAccepted(
        received=result.received,
        stored=result.stored,
        duplicates=[DuplicatePublic(index=d.index, event_id=d.event_id) for d in result.duplicates],
        customers_created=result.customers_created,
        orders_created=result.orders_created,
        live_states_updated=result.live_states_updated,
    )
