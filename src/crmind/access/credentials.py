"""API keys and passwords: made at random, stored only as hashes.

A key reads ``crm_<prefix>_<secret>``: the prefix (8 characters) is stored in clear so lists can
name a key, the whole key only as its SHA-256 (a random 256-bit secret needs no slow hash).
Passwords are hashed with scrypt and a random salt.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_PREFIX = "crm"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True)
class GeneratedKey:
    """A new key: ``secret`` is shown once and never stored."""

    secret: str
    prefix: str
    key_hash: str


def generate_key() -> GeneratedKey:
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return GeneratedKey(secret=secret, prefix=prefix, key_hash=hash_key(secret))


def hash_key(secret: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_key(value: str) -> bool:
    """Whether ``value`` has a key's shape (a cheap check before a lookup)."""
    parts = value.split("_", 2)
    return len(parts) == 3 and parts[0] == KEY_PREFIX and len(parts[1]) == 8 and len(value) < 200


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (hex)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the stored hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), dklen=32, n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate.hex(), digest)
