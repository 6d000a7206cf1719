"""Roles and the permission table: the one place that says which role may do what.

Every API route names the permission it needs; tests walk every route against every role.

- **admin**: everything, users and keys, privacy requests, the audit log.
- **agent** (customer service): customers with their personal data, orders, tickets, the
  assistant, feedback; records consents.
- **marketer**: segments, models, feedback, products and pseudonymised customer analytics;
  starts analysis runs; records consents; creates and runs campaigns.
- **analyst**: pseudonymised data only (customer analytics without names, segments, models,
  orders without contacts, products, campaign reports).
- **viewer**: aggregates: products, segments, model runs.
"""

from __future__ import annotations

from enum import StrEnum

from crmind.errors import CrmindError
from crmind.store.schema_access import ROLES


class Permission(StrEnum):
    CUSTOMERS_READ = "customers:read"  # personal data
    CUSTOMERS_WRITE = "customers:write"
    CUSTOMERS_PSEUDONYMISED = "customers:pseudonymised"
    ORDERS_READ = "orders:read"
    PRODUCTS_READ = "products:read"
    PRODUCTS_WRITE = "products:write"
    SEGMENTS_READ = "segments:read"
    FEEDBACK_READ = "feedback:read"
    TICKETS_READ = "tickets:read"
    TICKETS_WRITE = "tickets:write"
    CHAT = "chat"
    EVENTS_WRITE = "events:write"
    IMPORTS_READ = "imports:read"
    IMPORTS_WRITE = "imports:write"
    ANALYSIS_RUN = "analysis:run"
    CAMPAIGNS_READ = "campaigns:read"  # campaigns and their aggregate reports
    CAMPAIGNS_WRITE = "campaigns:write"  # create, pause, resume
    MODELS_READ = "models:read"
    CONSENTS_WRITE = "consents:write"
    PRIVACY_EXPORT = "privacy:export"
    PRIVACY_ERASE = "privacy:erase"
    AUDIT_READ = "audit:read"
    ACCESS_ADMIN = "access:admin"


_P = Permission

PERMISSIONS: dict[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "agent": frozenset(
        {
            _P.CUSTOMERS_READ,
            _P.CUSTOMERS_WRITE,
            _P.ORDERS_READ,
            _P.PRODUCTS_READ,
            _P.FEEDBACK_READ,
            _P.TICKETS_READ,
            _P.TICKETS_WRITE,
            _P.CHAT,
            _P.CONSENTS_WRITE,
        }
    ),
    "marketer": frozenset(
        {
            _P.CUSTOMERS_PSEUDONYMISED,
            _P.PRODUCTS_READ,
            _P.SEGMENTS_READ,
            _P.FEEDBACK_READ,
            _P.MODELS_READ,
            _P.ANALYSIS_RUN,
            _P.CONSENTS_WRITE,
            _P.CAMPAIGNS_READ,
            _P.CAMPAIGNS_WRITE,
        }
    ),
    "analyst": frozenset(
        {
            _P.CUSTOMERS_PSEUDONYMISED,
            _P.ORDERS_READ,
            _P.PRODUCTS_READ,
            _P.SEGMENTS_READ,
            _P.MODELS_READ,
            _P.CAMPAIGNS_READ,
        }
    ),
    "viewer": frozenset({_P.PRODUCTS_READ, _P.SEGMENTS_READ, _P.MODELS_READ}),
}
"""Role -> what it may do. A service key (``events:write`` for a web shop) is an admin-made
key of the role that carries the permission; ``events:write`` is admin-only by default."""

assert set(PERMISSIONS) == set(ROLES), "every role has a row in the permission table"


class UnknownRoleError(CrmindError):
    """A role name that is not one of :data:`ROLES`."""

    def __init__(self, role: str) -> None:
        super().__init__(f"unknown role {role!r}; expected one of: {', '.join(ROLES)}")


def check_role(role: str) -> str:
    """``role`` if it is a known role; UnknownRoleError otherwise."""
    if role not in PERMISSIONS:
        raise UnknownRoleError(role)
    return role


def allows(role: str, permission: Permission) -> bool:
    """Whether ``role`` may do ``permission``."""
    return permission in PERMISSIONS.get(role, frozenset())
