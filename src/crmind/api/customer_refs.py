"""How answers name customers to each role: by id for roles that may read personal data
(``customers:read``), by keyed pseudonym for roles limited to pseudonymised data
(``customers:pseudonymised``), not at all for the others."""

from __future__ import annotations

from dataclasses import dataclass

from crmind.access.roles import Permission, allows
from crmind.config import Settings
from crmind.privacy.keys import derived_key, secret_key
from crmind.privacy.pseudonyms import PSEUDONYM_PURPOSE, pseudonym
from crmind.services.access import Principal


@dataclass(frozen=True)
class CustomerRef:
    customer_id: int | None
    pseudonym: str | None


class CustomerRefs:
    """Names customers for one caller: ``refs(17)`` -> CustomerRef."""

    def __init__(self, settings: Settings, principal: Principal) -> None:
        self.ids = allows(principal.role, Permission.CUSTOMERS_READ)
        self.pseudonymised = not self.ids and allows(
            principal.role, Permission.CUSTOMERS_PSEUDONYMISED
        )
        self._key = (
            derived_key(secret_key(settings), PSEUDONYM_PURPOSE) if self.pseudonymised else b""
        )

    @property
    def any(self) -> bool:
        """Whether the caller may see customers named in any way."""
        return self.ids or self.pseudonymised

    def __call__(self, customer_id: int | None) -> CustomerRef:
        if customer_id is None:
            return CustomerRef(None, None)
        if self.ids:
            return CustomerRef(customer_id, None)
        if self.pseudonymised:
            return CustomerRef(None, pseudonym(self._key, customer_id))
        return CustomerRef(None, None)
