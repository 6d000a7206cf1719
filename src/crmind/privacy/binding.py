"""Which :class:`~crmind.privacy.crypto.FieldCipher` a store's engine uses.

Encrypted values and the key that reads them belong together, so the cipher travels with the
store's engine: :func:`crmind.services.setup.open_store` attaches the installation's cipher to
the engine it opens, and every service that reads or writes personal fields asks
:func:`cipher_of` for it. Services therefore keep taking just an ``engine``, and no path can
write personal data without a key: an engine with no cipher attached is refused with a clear
error instead of storing plain text. Code that makes engines itself (tests, scripts) attaches
one with :func:`attach_cipher`.
"""

from __future__ import annotations

import weakref

from sqlalchemy import Connection, Engine

from crmind.errors import ConfigurationError
from crmind.privacy.crypto import FieldCipher

_CIPHERS: weakref.WeakKeyDictionary[Engine, FieldCipher] = weakref.WeakKeyDictionary()


def attach_cipher(engine: Engine, cipher: FieldCipher) -> Engine:
    """Make ``cipher`` the one the store on ``engine`` encrypts with; returns the engine."""
    _CIPHERS[_base(engine)] = cipher
    return engine


def has_cipher(engine: Engine) -> bool:
    """Whether a cipher is attached to ``engine``."""
    return _base(engine) in _CIPHERS


def cipher_of(bind: Engine | Connection) -> FieldCipher:
    """The cipher attached to ``bind``'s engine; ConfigurationError when there is none."""
    engine = bind.engine if isinstance(bind, Connection) else bind
    cipher = _CIPHERS.get(_base(engine))
    if cipher is None:
        raise ConfigurationError(
            f"the store at {engine.url.render_as_string(hide_password=True)} has no field "
            "cipher: open it with crmind.services.setup.open_store(settings), or attach one "
            "with crmind.privacy.binding.attach_cipher(engine, field_cipher(settings))"
        )
    return cipher


def _base(engine: Engine) -> Engine:
    """The engine an ``execution_options`` copy was made from (it shares the pool and store)."""
    proxied = getattr(engine, "_proxied", None)
    return proxied if isinstance(proxied, Engine) else engine
