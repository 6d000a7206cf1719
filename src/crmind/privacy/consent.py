"""Consent per purpose: the purposes crmind knows, and which decision is in force.

A person grants or withdraws consent for one purpose at a time; every decision is kept (the
``consents`` table), and the newest one per purpose is in force. A purpose with no decision is
"not recorded": crmind then follows the installation's lawful basis (for profiling, legitimate
interest until the person objects), so only an explicit withdrawal excludes a customer.

Pure functions: the store is read and written by :mod:`crmind.services.consents`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from crmind.errors import CrmindError

MARKETING_EMAIL = "marketing_email"
PROFILING = "profiling"

PURPOSES: dict[str, str] = {
    MARKETING_EMAIL: "marketing e-mail (newsletters, offers, campaigns)",
    PROFILING: "profiling: profiles, segments, scores and recommendations made from the "
    "person's data",
}
"""Every purpose consent is recorded for, with what it covers. Add a purpose here only."""

Decision = Literal["grant", "withdraw"]
DECISIONS: tuple[Decision, ...] = ("grant", "withdraw")


class UnknownPurposeError(CrmindError):
    """A consent purpose that is not one of :data:`PURPOSES`."""

    def __init__(self, purpose: str) -> None:
        super().__init__(
            f"unknown consent purpose {purpose!r}; expected one of: {', '.join(PURPOSES)}"
        )


class UnknownDecisionError(CrmindError):
    """A consent decision that is neither ``grant`` nor ``withdraw``."""

    def __init__(self, decision: str) -> None:
        super().__init__(f"unknown consent decision {decision!r}; expected grant or withdraw")


def check_purpose(purpose: str) -> str:
    """``purpose`` if crmind knows it; UnknownPurposeError otherwise."""
    if purpose not in PURPOSES:
        raise UnknownPurposeError(purpose)
    return purpose


def granted_of(decision: str) -> bool:
    """True for ``grant``, False for ``withdraw``; UnknownDecisionError otherwise."""
    if decision not in DECISIONS:
        raise UnknownDecisionError(decision)
    return decision == "grant"


@dataclass(frozen=True)
class ConsentRecord:
    """One decision as stored: for which purpose, granted or not, from where, by whom, when."""

    purpose: str
    granted: bool
    source: str
    recorded_by: str | None
    recorded_at: datetime
    id: int = 0

    @property
    def decision(self) -> Decision:
        return "grant" if self.granted else "withdraw"


def in_force(records: Iterable[ConsentRecord]) -> dict[str, ConsentRecord]:
    """The decision in force per purpose: the newest (by time, then by id for ties)."""
    newest: dict[str, ConsentRecord] = {}
    for item in records:
        current = newest.get(item.purpose)
        if current is None or (item.recorded_at, item.id) > (current.recorded_at, current.id):
            newest[item.purpose] = item
    return newest
