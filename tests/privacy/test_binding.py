from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from crmind.errors import ConfigurationError
from crmind.privacy.binding import attach_cipher, cipher_of, has_cipher
from crmind.privacy.crypto import FieldCipher

CIPHER = FieldCipher.from_secret(b"a test secret of enough length")


def test_an_engine_without_a_cipher_is_refused_with_a_hint() -> None:
    engine = create_engine("sqlite://")
    assert not has_cipher(engine)
    with pytest.raises(ConfigurationError, match="attach_cipher"):
        cipher_of(engine)


def test_the_attached_cipher_is_found_from_the_engine_its_copies_and_connections() -> None:
    engine = attach_cipher(create_engine("sqlite://"), CIPHER)
    assert cipher_of(engine) is CIPHER
    assert cipher_of(engine.execution_options(isolation_level="AUTOCOMMIT")) is CIPHER
    with engine.connect() as conn:
        assert cipher_of(conn) is CIPHER


def test_ciphers_of_two_engines_stay_apart() -> None:
    other = FieldCipher.from_secret(b"another secret, another installation")
    one = attach_cipher(create_engine("sqlite://"), CIPHER)
    two = attach_cipher(create_engine("sqlite://"), other)
    assert cipher_of(one) is CIPHER
    assert cipher_of(two) is other
