"""The dashboard's pages: each module has a ``router`` and its navigation entry ``NAV``.

To add a page, write ``pages/<name>.py`` (see /work/notes/web_contract.md) and list it in
:data:`PAGES`, in the order the navigation shows.
"""

from __future__ import annotations

from types import ModuleType

from fastapi import APIRouter

from crmind.web.nav import NavEntry
from crmind.web.pages import customers, models, overview, segments

PAGES: tuple[ModuleType, ...] = (overview, customers, segments, models)


def page_routers() -> list[APIRouter]:
    return [page.router for page in PAGES]


def nav_entries() -> list[NavEntry]:
    return [page.NAV for page in PAGES if getattr(page, "NAV", None) is not None]
