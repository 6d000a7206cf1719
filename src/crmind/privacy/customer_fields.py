"""How customers' personal fields are stored: encrypted, with keyed hashes to search them.

- ``name``, ``first_name``, ``last_name``, ``email``, ``phone`` and ``address`` are encrypted
  (:data:`ENCRYPTED_FIELDS`); country, city, postcode and birth date stay readable, as analytics
  group by them.
- ``email_hash`` and ``phone_hash`` are the keyed hashes of the normalised address and number
  (the same hashes are the ``value`` of the customer's ``email`` / ``phone`` identities).
- Every word of the three name fields, lower-cased, is hashed into ``customer_search_tokens``
  (:func:`search_tokens`), so a search for "jane" or "DOE" finds "Jane Doe". Only whole words
  match: a part of a word is not findable without storing far more about it.

:func:`protect` turns a frame of plain fields into what is stored; :func:`reveal` does the
reverse; :func:`query_tokens` hashes the words of a search the same way the names were.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl
from sqlalchemy import Connection, delete

from crmind.privacy.crypto import FieldCipher
from crmind.store.bulk import insert_ignore
from crmind.store.schema import CustomerSearchToken, table_of

ENCRYPTED_FIELDS = ("name", "first_name", "last_name", "email", "phone", "address")
"""Columns of ``customers`` stored encrypted."""
NAME_FIELDS = ("name", "first_name", "last_name")
"""Columns whose words are searchable."""
HASHED_FIELDS = {"email": "email_hash", "phone": "phone_hash"}
"""Columns searched by exact value, and the column of their keyed hash."""
WORD = r"\w+"


def protect(frame: pl.DataFrame, cipher: FieldCipher) -> pl.DataFrame:
    """``frame`` as stored: its personal fields encrypted, with ``email_hash`` / ``phone_hash``
    added beside an ``email`` / ``phone`` column (kept when the frame has them already)."""
    hashes = [
        cipher.search_hash_series(frame.get_column(plain)).alias(hashed)
        for plain, hashed in HASHED_FIELDS.items()
        if plain in frame.columns and hashed not in frame.columns
    ]
    encrypted = [
        cipher.encrypt_series(frame.get_column(name))
        for name in ENCRYPTED_FIELDS
        if name in frame.columns
    ]
    return frame.with_columns(*hashes, *encrypted)


def reveal(frame: pl.DataFrame, cipher: FieldCipher) -> pl.DataFrame:
    """``frame`` (read from ``customers``) with its encrypted fields decrypted."""
    return cipher.decrypt_columns(frame, ENCRYPTED_FIELDS)


def words(texts: pl.Series) -> pl.Series:
    """The distinct lower-cased words of each text, as a list per text."""
    return texts.cast(pl.String).str.to_lowercase().str.extract_all(WORD).list.unique()


def search_tokens(
    frame: pl.DataFrame, cipher: FieldCipher, id_column: str = "customer_id"
) -> pl.DataFrame:
    """``customer_id`` and ``token_hash`` of every word of the name fields of ``frame``
    (plain text), one row per customer and word."""
    names = [n for n in NAME_FIELDS if n in frame.columns]
    schema = {"customer_id": pl.Int64, "token_hash": pl.String}
    if not names or frame.height == 0:
        return pl.DataFrame(schema=schema)
    tokens = (
        pl.concat(
            [
                frame.select(
                    pl.col(id_column).cast(pl.Int64).alias("customer_id"),
                    words(frame.get_column(name)).alias("word"),
                )
                for name in names
            ]
        )
        .explode("word")
        .drop_nulls("word")
        .unique(maintain_order=True)
    )
    if tokens.height == 0:
        return pl.DataFrame(schema=schema)
    hashed = cipher.search_hash_series(tokens.get_column("word")).alias("token_hash")
    return tokens.select("customer_id").with_columns(hashed).unique(maintain_order=True)


def query_tokens(text: str, cipher: FieldCipher) -> list[str]:
    """The token hashes of the words of a search text (every one must match)."""
    found = words(pl.Series([text])).explode().drop_nulls()
    return [h for h in cipher.search_hash_series(found).to_list() if h is not None]


def replace_search_tokens(
    conn: Connection, tokens: pl.DataFrame, customer_ids: Iterable[int] = ()
) -> None:
    """Drop the tokens of ``customer_ids``, then store ``tokens`` (customer_id, token_hash)."""
    table = table_of(CustomerSearchToken)
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), 5_000):
        chunk = ids[start : start + 5_000]
        conn.execute(delete(table).where(table.c.customer_id.in_(chunk)))
    insert_ignore(conn, table, tokens)
