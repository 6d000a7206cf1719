"""The dashboard's pages: each module has a ``router`` and its navigation entry ``NAV``.

To add a page, write ``pages/<name>.py`` (``pages/models.py`` is a small example), its strings
in ``texts/<name>.py`` and its templates in ``templates/<name>/``, and list it in
:data:`PAGES`, in the order the navigation shows.
"""

from __future__ import annotations

from types import ModuleType

from fastapi import APIRouter

from crmind.web.nav import NavEntry
from crmind.web.pages import (
    campaigns,
    chat,
    customers,
    feedback,
    imports,
    inbox,
    models,
    overview,
    segments,
)

PAGES: tuple[ModuleType, ...] = (
    overview,
    customers,
    segments,
    campaigns,
    models,
    feedback,
    inbox,
    chat,
    imports,
)


def page_routers() -> list[APIRouter]:
    return [page.router for page in PAGES]


def nav_entries() -> list[NavEntry]:
    return [page.NAV for page in PAGES if getattr(page, "NAV", None) is not None]


def page_routes() -> list[tuple[str, str, object]]:
    """(method, path, permission) of every page route; the permission is what its
    ``page_permission`` dependency carries (``MISSING`` when a route has none)."""
    from fastapi.routing import APIRoute

    found: list[tuple[str, str, object]] = []
    for router in page_routers():
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            marks = [
                getattr(dep.call, "permission")  # noqa: B009
                for dep in route.dependant.dependencies
                if hasattr(dep.call, "permission")
            ]
            for method in sorted(route.methods or ()):
                found.append((method, route.path, marks[0] if marks else MISSING))
    return found


MISSING = object()
"""The permission of a page route that declares none (a test fails on it)."""
