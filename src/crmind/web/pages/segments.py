"""The segments page (being built)."""

from __future__ import annotations

from fastapi import APIRouter

from crmind.access.roles import Permission
from crmind.web.nav import UI_PREFIX, NavEntry

router = APIRouter(prefix=UI_PREFIX, include_in_schema=False)
NAV = NavEntry("segments", f"{UI_PREFIX}/segments", "nav.segments", Permission.SEGMENTS_READ)
_ = Permission
