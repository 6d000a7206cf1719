"""The signed session cookie: round trip, forgery, expiry."""

from __future__ import annotations

from crmind.web.session import decode_session, encode_session, new_session, same_token

KEY = b"k" * 32


def test_a_session_survives_its_own_cookie() -> None:
    session = new_session(7, "ann", now=1000.0)
    assert decode_session(encode_session(session, KEY), KEY, now=1001.0) == session


def test_a_cookie_signed_with_another_key_is_refused() -> None:
    value = encode_session(new_session(7, "ann", now=1000.0), b"x" * 32)
    assert decode_session(value, KEY, now=1001.0) is None


def test_a_changed_payload_is_refused() -> None:
    value = encode_session(new_session(7, "ann", now=1000.0), KEY)
    other = encode_session(new_session(1, "admin", now=1000.0), KEY)
    forged = other.split(".")[0] + "." + value.split(".")[1]
    assert decode_session(forged, KEY, now=1001.0) is None


def test_an_old_session_expires() -> None:
    value = encode_session(new_session(7, "ann", now=1000.0), KEY)
    assert decode_session(value, KEY, now=1000.0 + 13 * 3600) is None


def test_garbage_is_no_session() -> None:
    for value in (None, "", "abc", "a.b.c", "." * 5000):
        assert decode_session(value, KEY) is None


def test_csrf_tokens_must_match_exactly() -> None:
    assert same_token("abc", "abc")
    assert not same_token("abd", "abc")
    assert not same_token(None, "abc")
    assert not same_token("", "")
