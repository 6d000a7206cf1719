"""Keyed pseudonyms of customer ids."""

from __future__ import annotations

import hashlib

import polars as pl

from crmind.privacy.keys import derived_key
from crmind.privacy.pseudonyms import PSEUDONYM_PURPOSE, pseudonym, pseudonymise

KEY = derived_key(b"a secret of the installation", PSEUDONYM_PURPOSE)


def test_a_pseudonym_is_stable_and_distinct_per_customer() -> None:
    assert pseudonym(KEY, 17) == pseudonym(KEY, 17)
    assert len({pseudonym(KEY, i) for i in range(10_000)}) == 10_000
    assert len(pseudonym(KEY, 17)) == 32


def test_a_pseudonym_needs_the_key_and_is_no_plain_hash_of_the_id() -> None:
    other = derived_key(b"another installation's secret", PSEUDONYM_PURPOSE)
    assert pseudonym(KEY, 17) != pseudonym(other, 17)
    assert pseudonym(KEY, 17) != hashlib.sha256(b"17").hexdigest()[:32]


def test_pseudonymise_replaces_the_id_column_with_pseudonyms_first() -> None:
    frame = pl.DataFrame({"customer_id": [3, 1], "clv": [10.0, 2.0]})
    result = pseudonymise(frame, KEY)
    assert result.columns == ["pseudonym", "clv"]
    assert result["pseudonym"].to_list() == [pseudonym(KEY, 3), pseudonym(KEY, 1)]
