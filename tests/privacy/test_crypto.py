from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from pydantic import SecretStr

from crmind.config import Settings
from crmind.errors import CrmindError
from crmind.privacy.crypto import (
    PREFIX,
    FieldCipher,
    FieldDecryptionError,
    field_cipher,
    is_encrypted,
)

CIPHER = FieldCipher.from_secret(b"a test secret of enough length")
OTHER = FieldCipher.from_secret(b"another secret, another installation")


def test_a_value_round_trips_and_is_marked_as_encrypted() -> None:
    encrypted = CIPHER.encrypt("Jane Doe <jane@example.com>")
    assert encrypted is not None
    assert encrypted.startswith(PREFIX)
    assert is_encrypted(encrypted)
    assert "jane" not in encrypted.lower()
    assert CIPHER.decrypt(encrypted) == "Jane Doe <jane@example.com>"


def test_non_ascii_and_empty_values_round_trip() -> None:
    for value in ("", "Zoë Ångström", "王小明", "+442071838750"):
        assert CIPHER.decrypt(CIPHER.encrypt(value)) == value


def test_none_stays_none() -> None:
    assert CIPHER.encrypt(None) is None
    assert CIPHER.decrypt(None) is None
    assert CIPHER.search_hash(None) is None


def test_the_same_value_encrypts_differently_each_time() -> None:
    values = {CIPHER.encrypt("jane@example.com") for _ in range(50)}
    assert len(values) == 50


def test_another_key_cannot_decrypt_and_the_error_names_the_column() -> None:
    encrypted = CIPHER.encrypt("jane@example.com")
    with pytest.raises(FieldDecryptionError, match=r"customers\.email") as caught:
        OTHER.decrypt(encrypted, "customers.email")
    assert isinstance(caught.value, CrmindError)


def test_a_changed_byte_is_detected() -> None:
    encrypted = CIPHER.encrypt("jane@example.com")
    assert encrypted is not None
    body = bytearray(encrypted.encode())
    body[-5] = ord("A") if body[-5] != ord("A") else ord("B")
    with pytest.raises(FieldDecryptionError, match="email"):
        CIPHER.decrypt(body.decode(), "email")


def test_a_plain_value_is_refused_rather_than_returned() -> None:
    with pytest.raises(FieldDecryptionError, match="not encrypted"):
        CIPHER.decrypt("jane@example.com", "email")
    assert not is_encrypted("jane@example.com")
    assert not is_encrypted(None)


def test_search_hash_is_stable_keyed_and_short() -> None:
    first = CIPHER.search_hash("jane@example.com")
    assert first == CIPHER.search_hash("jane@example.com")
    assert first == FieldCipher.from_secret(b"a test secret of enough length").search_hash(
        "jane@example.com"
    )
    assert first != OTHER.search_hash("jane@example.com")
    assert first != CIPHER.search_hash("jane@example.org")
    assert first is not None
    assert len(first) == 32
    assert int(first, 16) >= 0


def test_search_hash_is_not_the_encryption_key_at_work() -> None:
    """The two keys are derived separately: one cipher's keys never equal each other."""
    one = FieldCipher.from_secret(b"a test secret of enough length")
    assert one.search_hash("x") != FieldCipher(b"\0" * 32, b"\0" * 32).search_hash("x")


def test_columns_round_trip_with_nulls_in_place() -> None:
    column = pl.Series("email", ["a@example.com", None, "b@example.com", None])
    encrypted = CIPHER.encrypt_series(column)
    assert encrypted.name == "email"
    assert encrypted.is_null().to_list() == [False, True, False, True]
    assert encrypted.drop_nulls().str.starts_with(PREFIX).all()
    assert CIPHER.decrypt_series(encrypted).to_list() == column.to_list()


def test_column_helpers_agree_with_the_single_value_ones() -> None:
    column = pl.Series("phone", ["+441234567890", None, "+33612345678"])
    hashes = CIPHER.search_hash_series(column).to_list()
    assert hashes == [CIPHER.search_hash(v) for v in column.to_list()]
    encrypted = CIPHER.encrypt_series(column).to_list()
    assert [CIPHER.decrypt(v) for v in encrypted] == column.to_list()


def test_empty_and_all_null_columns_pass_through() -> None:
    for column in (pl.Series("x", [], dtype=pl.String), pl.Series("x", [None, None])):
        assert CIPHER.encrypt_series(column).is_null().all()
        assert CIPHER.decrypt_series(column).is_null().all()
        assert CIPHER.search_hash_series(column).is_null().all()


def test_a_column_from_another_key_fails_naming_the_column() -> None:
    encrypted = OTHER.encrypt_series(pl.Series("last_name", ["Doe", "Roe"]))
    with pytest.raises(FieldDecryptionError, match="last_name"):
        CIPHER.decrypt_series(encrypted)
    with pytest.raises(FieldDecryptionError, match=r"last_name.*not encrypted"):
        CIPHER.decrypt_series(pl.Series("last_name", ["Doe"]))


def test_decrypt_columns_decrypts_only_the_named_columns_present() -> None:
    frame = pl.DataFrame(
        {
            "id": [1, 2],
            "email": CIPHER.encrypt_series(pl.Series(["a@x.org", None])),
            "city": ["Leeds", "York"],
        }
    )
    plain = CIPHER.decrypt_columns(frame, ["email", "phone"])
    assert plain.to_dict(as_series=False) == {
        "id": [1, 2],
        "email": ["a@x.org", None],
        "city": ["Leeds", "York"],
    }


def test_field_cipher_follows_the_settings_secret(tmp_path: Path) -> None:
    secret = SecretStr("a configured secret key")
    configured = Settings(data_dir=tmp_path, secret_key=secret)
    again = Settings(data_dir=tmp_path / "elsewhere", secret_key=secret)
    assert field_cipher(configured).search_hash("v") == field_cipher(again).search_hash("v")
    development = Settings(data_dir=tmp_path)  # a key file is made and then reused
    first = field_cipher(development).encrypt("v")
    assert field_cipher(Settings(data_dir=tmp_path)).decrypt(first) == "v"
    assert field_cipher(development).search_hash("v") != field_cipher(configured).search_hash("v")
