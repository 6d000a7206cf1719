"""Field encryption of personal data, and keyed hashes to find it again.

A :class:`FieldCipher` holds two keys derived from the installation's secret
(:mod:`crmind.privacy.keys`): one encrypts, one makes search hashes.

- :meth:`FieldCipher.encrypt` turns a text into ``enc1:<base64 of nonce + ciphertext + tag>``
  by AES-256-GCM with a random 96-bit nonce, so the same value encrypts differently each time
  and a changed byte is detected. The ``enc1:`` prefix makes encrypted values recognisable and
  names the scheme, so a later key (``enc2:``) can be rolled out next to this one.
- :meth:`FieldCipher.search_hash` is HMAC-SHA256 under the second key, 32 hex digits (128 bits):
  equal inputs give equal hashes, so a column of hashes finds exact matches (an e-mail, a phone
  number, a word of a name) without the plain value being stored. Without the key the hash
  cannot be recomputed from a guessed address. Callers normalise first (crmind stores e-mails in
  lower case and phone numbers in E.164).

The ``*_series`` methods do the same to a whole polars column (imports and identity resolution
work on frames). A value that cannot be decrypted (another key, a damaged or plain value) raises
:class:`FieldDecryptionError` naming the column.
"""

from __future__ import annotations

import base64
import hmac
import os
from collections.abc import Iterable
from hashlib import sha256

import polars as pl
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crmind.config import Settings
from crmind.errors import CrmindError
from crmind.privacy.keys import derived_key, secret_key

PREFIX = "enc1:"
"""What every value encrypted by this version starts with."""
NONCE_BYTES = 12
HASH_CHARS = 32
ENCRYPTION_PURPOSE = "field-encryption"
SEARCH_PURPOSE = "search-index"


class FieldDecryptionError(CrmindError):
    """A stored value cannot be decrypted: another key, or a damaged or unencrypted value."""


def is_encrypted(value: object) -> bool:
    """Whether ``value`` is a value encrypted by :class:`FieldCipher` (by its prefix); values
    that are not text (a birth date, a number) never are."""
    return isinstance(value, str) and value.startswith(PREFIX)


class FieldCipher:
    """Encrypts and decrypts personal fields, and makes their search hashes.

    Build one from the settings with :func:`field_cipher`, or from a secret with
    :meth:`from_secret`. Instances are immutable and safe to share between threads.
    """

    def __init__(self, encryption_key: bytes, search_key: bytes) -> None:
        if len(encryption_key) != 32:
            raise ValueError(f"the encryption key has {len(encryption_key)} bytes, not 32")
        self._aead = AESGCM(encryption_key)
        self._search_mac = hmac.new(search_key, digestmod=sha256)

    @classmethod
    def from_secret(cls, secret: bytes) -> FieldCipher:
        """The cipher of an installation secret (its two keys derived by HKDF)."""
        return cls(derived_key(secret, ENCRYPTION_PURPOSE), derived_key(secret, SEARCH_PURPOSE))

    # --- one value ---------------------------------------------------------------------------

    def encrypt(self, value: str | None) -> str | None:
        """``enc1:`` + base64 of a fresh nonce and the AES-GCM ciphertext; None stays None."""
        if value is None:
            return None
        return self._encrypt_many([value], os.urandom(NONCE_BYTES))[0]

    def decrypt(self, value: str | None, column: str = "value") -> str | None:
        """The plain text of an encrypted value; None stays None.

        FieldDecryptionError (naming ``column``) when the value is not one this key made.
        """
        if value is None:
            return None
        return self._decrypt_one(value, column)

    def reveal(self, value: str | None, column: str = "value") -> str | None:
        """:meth:`decrypt` for a column that may also hold plain text: a value stored before
        it was encrypted, or a marker such as the erasure's ``[erased]``, comes back as it is."""
        return self.decrypt(value, column) if is_encrypted(value) else value

    def search_hash(self, value: str | None) -> str | None:
        """The keyed hash of ``value`` (32 hex digits) for exact-match search; None stays None."""
        if value is None:
            return None
        return self._hash(value)

    # --- whole columns -----------------------------------------------------------------------

    def encrypt_series(self, series: pl.Series) -> pl.Series:
        """Every value of a text column encrypted (nulls stay null), under the same name."""
        values = series.cast(pl.String)
        present = values.drop_nulls().to_list()
        if not present:
            return values
        nonces = os.urandom(NONCE_BYTES * len(present))
        encrypted = self._encrypt_many(present, nonces)
        return _scatter(values, encrypted)

    def decrypt_series(self, series: pl.Series) -> pl.Series:
        """Every value of an encrypted column decrypted (nulls stay null), under the same name.

        FieldDecryptionError names the series as the column.
        """
        values = series.cast(pl.String)
        present = values.drop_nulls()
        if present.is_empty():
            return values
        if not present.str.starts_with(PREFIX).all():
            raise _not_encrypted(series.name)
        try:
            raw = present.str.slice(len(PREFIX)).str.decode("base64").to_list()
        except pl.exceptions.ComputeError as exc:
            raise _undecryptable(series.name) from exc
        opened = self._aead.decrypt
        try:
            plain = [opened(r[:NONCE_BYTES], r[NONCE_BYTES:], None).decode() for r in raw]
        except (InvalidTag, ValueError) as exc:
            raise _undecryptable(series.name) from exc
        return _scatter(values, plain)

    def search_hash_series(self, series: pl.Series) -> pl.Series:
        """The keyed hash of every value of a text column (nulls stay null), same name."""
        values = series.cast(pl.String)
        present = values.drop_nulls().to_list()
        if not present:
            return values
        return _scatter(values, [self._hash(v) for v in present])

    def decrypt_columns(self, frame: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
        """``frame`` with each of ``columns`` that it has decrypted."""
        return frame.with_columns(
            self.decrypt_series(frame.get_column(name)) for name in columns if name in frame.columns
        )

    # --- internals ---------------------------------------------------------------------------

    def _encrypt_many(self, values: list[str], nonces: bytes) -> list[str]:
        seal = self._aead.encrypt
        starts = range(0, len(nonces), NONCE_BYTES)
        nonce_list = [nonces[i : i + NONCE_BYTES] for i in starts]
        sealed = [n + seal(n, v.encode(), None) for n, v in zip(nonce_list, values, strict=True)]
        encoded = pl.Series(sealed, dtype=pl.Binary).bin.encode("base64")
        return (PREFIX + encoded).to_list()

    def _hash(self, value: str) -> str:
        mac = self._search_mac.copy()  # the keyed state, without re-deriving it per value
        mac.update(value.encode())
        return mac.hexdigest()[:HASH_CHARS]

    def _decrypt_one(self, value: str, column: str) -> str:
        if not value.startswith(PREFIX):
            raise _not_encrypted(column)
        try:
            raw = base64.b64decode(value[len(PREFIX) :], validate=True)
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None)
        except (InvalidTag, ValueError) as exc:
            raise _undecryptable(column) from exc
        return plain.decode()


def _not_encrypted(column: str) -> FieldDecryptionError:
    return FieldDecryptionError(
        f"{column}: a stored value is not encrypted (no {PREFIX!r} prefix); run `crmind init` "
        "to encrypt the values written before field encryption"
    )


def _undecryptable(column: str) -> FieldDecryptionError:
    return FieldDecryptionError(
        f"{column}: a stored value cannot be decrypted with this installation's key "
        "(was CRMIND_SECRET_KEY or data_dir/secret.key changed, or the value damaged?)"
    )


def _scatter(values: pl.Series, present: list[str]) -> pl.Series:
    """A column like ``values`` with its non-null values replaced, in order, by ``present``."""
    replaced = pl.Series(values.name, present, dtype=pl.String)
    if values.null_count() == 0:
        return replaced
    out = pl.Series(values.name, [None] * len(values), dtype=pl.String)
    return out.scatter(values.is_not_null().arg_true(), replaced)


def field_cipher(settings: Settings) -> FieldCipher:
    """The cipher of this installation: its keys derived from the configured secret."""
    return FieldCipher.from_secret(secret_key(settings))
