"""Every page against every role: allowed roles see it, the others get the 403 page; and every
page route declares its permission."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from crmind.access.roles import Permission
from crmind.store.schema_access import ROLES
from crmind.web.auth import WebUser
from crmind.web.pages import MISSING, page_routes
from tests.web.conftest import sign_in

CASES = [(m, p, perm) for m, p, perm in page_routes() if m == "GET"]


def test_every_page_route_declares_its_permission() -> None:
    assert [f"{m} {p}" for m, p, perm in page_routes() if perm is MISSING] == []


def _allowed(role: str, permission: object) -> bool:
    user = WebUser(id=0, username="x", display_name=None, role=role, csrf="")
    assert permission is None or isinstance(permission, Permission | tuple)
    return user.can(permission)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_the_pages_its_permissions_allow(web: TestClient, role: str) -> None:
    sign_in(web, role)
    for _, path, permission in CASES:
        answer = web.get(re.sub(r"\{[^}]+\}", "1", path), follow_redirects=False)
        if _allowed(role, permission):
            assert answer.status_code == 200, (role, path, answer.text[:300])
        else:
            assert answer.status_code == 403, (role, path, answer.status_code)
            assert 'data-status="403"' in answer.text


@pytest.mark.parametrize("role", ROLES)
def test_the_navigation_shows_only_allowed_pages(web: TestClient, role: str) -> None:
    sign_in(web, role)
    html = web.get("/ui/").text
    shown = set(re.findall(r'data-nav="(\w+)"', html))
    from crmind.web.pages import nav_entries

    expected = {e.key for e in nav_entries() if _allowed(role, e.permission)}
    assert shown == expected
