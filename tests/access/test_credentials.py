from __future__ import annotations

from crmind.access.credentials import (
    generate_key,
    hash_key,
    hash_password,
    looks_like_key,
    verify_password,
)


def test_a_key_carries_its_prefix_and_is_stored_only_as_its_hash() -> None:
    key = generate_key()
    assert key.secret.startswith(f"crm_{key.prefix}_")
    assert key.key_hash == hash_key(key.secret)
    assert key.secret not in key.key_hash
    assert looks_like_key(key.secret)


def test_two_keys_differ() -> None:
    first, second = generate_key(), generate_key()
    assert first.secret != second.secret
    assert first.prefix != second.prefix


def test_strings_without_a_key_shape_are_not_looked_up() -> None:
    for value in ("", "Bearer", "crm_short_x", "' OR 1=1 --", "crm_12345678"):
        assert not looks_like_key(value)


def test_a_password_verifies_and_a_wrong_one_does_not() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$")
    assert "correct horse" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("correct horsE", stored)
    assert not verify_password("correct horse", "garbage")


def test_the_same_password_hashes_differently_each_time() -> None:
    assert hash_password("p4ssword") != hash_password("p4ssword")
