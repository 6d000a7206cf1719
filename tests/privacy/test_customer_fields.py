from __future__ import annotations

import polars as pl

from crmind.privacy.crypto import is_encrypted
from crmind.privacy.customer_fields import protect, query_tokens, reveal, search_tokens
from tests.store_cipher import TEST_CIPHER, hashed


def test_protect_encrypts_personal_fields_adds_hashes_and_leaves_the_rest() -> None:
    frame = pl.DataFrame(
        {
            "name": ["Ann Lee", None],
            "email": ["ann@example.com", None],
            "phone": [None, "+441234567890"],
            "city": ["Leeds", "York"],
        }
    )
    stored = protect(frame, TEST_CIPHER)
    assert stored["city"].to_list() == ["Leeds", "York"]
    assert is_encrypted(stored["name"][0])
    assert stored["name"][1] is None
    assert stored["email_hash"].to_list() == [hashed("ann@example.com"), None]
    assert stored["phone_hash"].to_list() == [None, hashed("+441234567890")]
    assert reveal(stored, TEST_CIPHER).select(frame.columns).equals(frame)


def test_name_tokens_are_the_lower_cased_words_of_every_name_field() -> None:
    frame = pl.DataFrame(
        {
            "id": [7, 8],
            "name": ["Anne-Marie O'Neil", None],
            "first_name": ["ANNE-MARIE", "Li"],
            "last_name": [None, "王小明"],
        }
    )
    tokens = search_tokens(frame, TEST_CIPHER, id_column="id")
    expected = {(7, hashed(word)) for word in ("anne", "marie", "o", "neil")} | {
        (8, hashed("li")),
        (8, hashed("王小明")),
    }
    assert set(tokens.iter_rows()) == expected
    assert tokens.height == len(expected)  # one row per customer and word


def test_a_search_is_hashed_like_the_names() -> None:
    assert query_tokens("  Marie   ANNE ", TEST_CIPHER) == [hashed("marie"), hashed("anne")]
    assert query_tokens("@@ --", TEST_CIPHER) == []


def test_frames_without_names_give_no_tokens() -> None:
    assert search_tokens(
        pl.DataFrame({"customer_id": [1], "city": ["Leeds"]}), TEST_CIPHER
    ).is_empty()
    empty = pl.DataFrame({"customer_id": [1], "name": [None]}, schema_overrides={"name": pl.String})
    assert search_tokens(empty, TEST_CIPHER).is_empty()
