"""The installation's secret key, and the keys derived from it for each purpose.

An explicit ``CRMIND_SECRET_KEY`` is used as is. Without one, crmind makes a random key on first
use and keeps it in ``<data dir>/secret.key`` (readable by its owner only), so that encrypted
fields stay readable from one process to the next; that file is for development, and the server
refuses to start in production without an explicit key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crmind.config import Settings
from crmind.errors import ConfigurationError

KEY_FILE_NAME = "secret.key"
MIN_SECRET_LENGTH = 16


def key_file(settings: Settings) -> Path:
    """Where the development key is kept."""
    return settings.data_dir / KEY_FILE_NAME


def has_explicit_secret(settings: Settings) -> bool:
    """Whether the secret key comes from the configuration rather than the development file."""
    return settings.secret_key is not None


def secret_key(settings: Settings) -> bytes:
    """The secret in force: the configured one, else the development file's (made if missing).

    Raises ConfigurationError for a configured key shorter than 16 characters.
    """
    if settings.secret_key is not None:
        value = settings.secret_key.get_secret_value()
        if len(value) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                f"CRMIND_SECRET_KEY has {len(value)} characters; it needs at least "
                f"{MIN_SECRET_LENGTH}; make one with: python -c "
                "'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value.encode()
    path = key_file(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    return path.read_text().strip().encode()


def derived_key(secret: bytes, purpose: str, length: int = 32) -> bytes:
    """A key for one purpose (``"field-encryption"``, ``"search-index"``, ...) by HKDF-SHA256."""
    return HKDF(
        algorithm=hashes.SHA256(), length=length, salt=b"crmind", info=purpose.encode()
    ).derive(secret)
