"""Consent purposes and which decision is in force."""

from __future__ import annotations

from datetime import datetime

import pytest

from crmind.privacy.consent import (
    MARKETING_EMAIL,
    PROFILING,
    PURPOSES,
    ConsentRecord,
    UnknownDecisionError,
    UnknownPurposeError,
    check_purpose,
    granted_of,
    in_force,
)


def _decision(purpose: str, granted: bool, minute: int, id_: int) -> ConsentRecord:
    return ConsentRecord(purpose, granted, "web", "cli:test", datetime(2024, 1, 1, 0, minute), id_)


def test_the_purposes_are_marketing_email_and_profiling() -> None:
    assert set(PURPOSES) == {MARKETING_EMAIL, PROFILING}
    assert check_purpose(PROFILING) == PROFILING


def test_an_unknown_purpose_is_refused_by_name() -> None:
    with pytest.raises(UnknownPurposeError, match=r"'newsletter'.*marketing_email, profiling"):
        check_purpose("newsletter")


def test_decisions_are_grant_or_withdraw() -> None:
    assert granted_of("grant") is True
    assert granted_of("withdraw") is False
    with pytest.raises(UnknownDecisionError, match="'yes'"):
        granted_of("yes")


def test_the_newest_decision_per_purpose_is_in_force() -> None:
    history = [
        _decision(PROFILING, True, 1, 1),
        _decision(MARKETING_EMAIL, True, 2, 2),
        _decision(PROFILING, False, 3, 3),
    ]
    current = in_force(reversed(history))
    assert current[PROFILING].decision == "withdraw"
    assert current[MARKETING_EMAIL].decision == "grant"


def test_decisions_recorded_at_the_same_time_are_ordered_by_id() -> None:
    current = in_force([_decision(PROFILING, False, 1, 8), _decision(PROFILING, True, 1, 7)])
    assert current[PROFILING].granted is False
