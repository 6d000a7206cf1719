"""Every route against every role: allowed roles get through, the others get 403.

The route's permission is read from its ``require(...)`` dependency, so a new route is
covered the moment it is added (and a route without a permission fails the first test).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from crmind.access.roles import Permission, allows
from crmind.api.routes import ROUTERS
from crmind.store.schema_access import ROLES
from tests.api.conftest import auth

PUBLIC = {"/health", "/unsubscribe/{token}"}


def _permission_of(route: APIRoute) -> Permission | None:
    found = [getattr(dep.call, "permission", None) for dep in route.dependant.dependencies]
    permissions = [p for p in found if isinstance(p, Permission)]
    return permissions[0] if permissions else None


def _api_routes() -> Iterator[APIRoute]:
    for router in ROUTERS:  # what create_app includes, as declared
        for route in router.routes:
            if isinstance(route, APIRoute) and route.path not in PUBLIC:
                yield route


ROUTE_CASES = [
    (method, route.path, _permission_of(route))
    for route in _api_routes()
    for method in sorted(route.methods or ())
]


def test_every_route_but_health_needs_a_permission() -> None:
    missing = [f"{m} {p}" for m, p, permission in ROUTE_CASES if permission is None]
    assert missing == []


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize(
    ("method", "path", "permission"), ROUTE_CASES, ids=[f"{m} {p}" for m, p, _ in ROUTE_CASES]
)
def test_each_role_gets_through_exactly_when_its_permission_allows(
    client: TestClient,
    role_keys: dict[str, str],
    method: str,
    path: str,
    permission: Permission,
) -> None:
    for role in ROLES:
        answer = client.request(method, _concrete(path), headers=auth(role_keys[role]), json={})
        if allows(role, permission):
            assert answer.status_code not in (401, 403), (role, answer.text)
            assert answer.status_code < 500, (role, answer.text)
        else:
            assert answer.status_code == 403, (role, answer.status_code)
            assert permission.value in answer.json()["detail"]
