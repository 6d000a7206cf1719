"""Views kept in the serving process while the store's data is unchanged.

``await cached(request, name, version, compute)`` returns the value computed for ``version``
last time, or runs ``compute`` (in a worker thread: it may read much of the store) now. A page
passes a cheap version of what its view reads (e.g.
:func:`crmind.services.dashboard_overview.data_version`), so a new import or run shows at once.
Only aggregates belong here, never one person's data.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from anyio.to_thread import run_sync
from fastapi import Request

from crmind.web.auth import web_state

_T = TypeVar("_T")


async def cached(request: Request, name: str, version: Hashable, compute: Callable[[], _T]) -> _T:
    state = web_state(request)
    with state.lock:
        found = state.views.get(name)
    if found is not None and found[0] == version:
        return found[1]  # type: ignore[return-value]
    value = await run_sync(compute)
    with state.lock:
        state.views[name] = (version, value)
    return value
