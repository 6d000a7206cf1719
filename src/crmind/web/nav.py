"""The navigation bar: one entry per page, shown to the roles whose permission allows it.

A page module declares its entry as ``NAV = NavEntry(...)``; :mod:`crmind.web.pages` collects
them in the order of :data:`crmind.web.pages.PAGES`.
"""

from __future__ import annotations

from dataclasses import dataclass

from crmind.access.roles import Permission

UI_PREFIX = "/ui"
STATIC_PREFIX = f"{UI_PREFIX}/static"


@dataclass(frozen=True)
class NavEntry:
    key: str  # the page's name, e.g. "customers"; the active entry is highlighted
    path: str  # e.g. "/ui/customers"
    label: str  # translation key, e.g. "nav.customers"
    permission: Permission | tuple[Permission, ...] | None  # any of them; None: everyone
    icon: str = ""  # one character shown before the label on narrow screens
