"""Keyed pseudonyms of customers, for data handed to analysts.

A pseudonym is HMAC-SHA256 of the customer id under a key derived from the installation's secret
(``derived_key(secret, "pseudonym")``), cut to 128 bits and written in hex. The same customer
gets the same pseudonym in every export of one installation, so analysts can join exports over
time; without the key, a pseudonym cannot be turned back into an id, nor can ids be tried one by
one (which a plain hash of small integers would allow).

Pure functions: no store, no settings.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

import polars as pl

from crmind import columns as c

PSEUDONYM_PURPOSE = "pseudonym"
"""The purpose name the pseudonym key is derived under."""

PSEUDONYM_COLUMN = "pseudonym"
PSEUDONYM_HEX_CHARS = 32  # 128 bits: collisions are not a concern below 10^15 customers


def pseudonym(key: bytes, customer_id: int) -> str:
    """The pseudonym of ``customer_id`` under ``key``."""
    digest = hmac.new(key, str(int(customer_id)).encode(), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_HEX_CHARS]


def pseudonyms(key: bytes, customer_ids: Iterable[int]) -> list[str]:
    """The pseudonyms of several customers, in order."""
    return [pseudonym(key, customer_id) for customer_id in customer_ids]


def pseudonymise(frame: pl.DataFrame, key: bytes, id_column: str = c.CUSTOMER_ID) -> pl.DataFrame:
    """``frame`` with ``id_column`` replaced by a ``pseudonym`` column in first place."""
    values = pl.Series(
        PSEUDONYM_COLUMN, pseudonyms(key, frame.get_column(id_column).to_list()), pl.String
    )
    return frame.drop(id_column).insert_column(0, values)
