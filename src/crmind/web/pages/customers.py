"""The customers page (being built)."""

from __future__ import annotations

from fastapi import APIRouter

from crmind.access.roles import Permission
from crmind.web.nav import UI_PREFIX, NavEntry

router = APIRouter(prefix=UI_PREFIX, include_in_schema=False)
NAV = NavEntry("customers", f"{UI_PREFIX}/customers", "nav.customers", None)
_ = Permission
