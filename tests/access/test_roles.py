from __future__ import annotations

import pytest

from crmind.access.roles import PERMISSIONS, Permission, UnknownRoleError, allows, check_role
from crmind.store.schema_access import ROLES


def test_every_role_has_a_row_and_admin_may_do_everything() -> None:
    assert set(PERMISSIONS) == set(ROLES)
    assert all(allows("admin", permission) for permission in Permission)


def test_only_admin_and_agent_read_personal_data() -> None:
    readers = {role for role in ROLES if allows(role, Permission.CUSTOMERS_READ)}
    assert readers == {"admin", "agent"}


def test_analyst_sees_pseudonymised_data_only() -> None:
    assert allows("analyst", Permission.CUSTOMERS_PSEUDONYMISED)
    personal = {
        Permission.CUSTOMERS_READ,
        Permission.CUSTOMERS_WRITE,
        Permission.TICKETS_READ,
        Permission.CHAT,
        Permission.PRIVACY_EXPORT,
    }
    assert not any(allows("analyst", p) for p in personal)


def test_privacy_requests_users_and_audit_are_admin_only() -> None:
    for permission in (
        Permission.PRIVACY_ERASE,
        Permission.PRIVACY_EXPORT,
        Permission.ACCESS_ADMIN,
        Permission.AUDIT_READ,
    ):
        assert {role for role in ROLES if allows(role, permission)} == {"admin"}


def test_an_unknown_role_is_refused_with_the_known_ones_named() -> None:
    with pytest.raises(UnknownRoleError, match="expected one of: admin, agent"):
        check_role("superuser")
    assert not allows("superuser", Permission.PRODUCTS_READ)
