"""Use case: open the store named by the settings and bring its schema up to date.

The engine :func:`open_store` returns carries the installation's field cipher
(:mod:`crmind.privacy.binding`): services that read or write personal fields take it from there.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from crmind.config import Settings
from crmind.errors import StoreError
from crmind.privacy.binding import attach_cipher, has_cipher
from crmind.privacy.crypto import field_cipher
from crmind.services.field_encryption import encrypt_existing
from crmind.store.db import make_engine
from crmind.store.migrate import current_revision, head_revision, upgrade

logger = logging.getLogger(__name__)


def open_store(settings: Settings) -> Engine:
    """An engine on the settings' database, with the installation's field cipher attached
    (the data directory is created if needed)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return attach_cipher(make_engine(settings.resolved_database_url), field_cipher(settings))


def ensure_cipher(engine: Engine, settings: Settings) -> Engine:
    """``engine`` with the settings' field cipher attached, unless it carries one already."""
    return engine if has_cipher(engine) else attach_cipher(engine, field_cipher(settings))


def init_store(settings: Settings) -> tuple[Engine, str | None]:
    """Open the store, migrate it to the newest schema and encrypt any personal field still
    stored in plain text (a store written before field encryption); returns the engine and
    revision."""
    engine = open_store(settings)
    try:
        revision = upgrade(engine)
    except OperationalError as exc:
        raise StoreError(
            f"cannot open the store at {engine.url.render_as_string(hide_password=True)}: "
            f"{exc.orig}"
        ) from exc
    encrypt_existing(engine)
    logger.info("store at %s is at revision %s", engine.url, revision)
    return engine, revision


def require_current_schema(engine: Engine) -> None:
    """Raise StoreError unless the store's schema is the newest this version knows."""
    try:
        current = current_revision(engine)
    except OperationalError as exc:
        raise StoreError(f"cannot open the store: {exc.orig}") from exc
    head = head_revision()
    if current != head:
        raise StoreError(
            f"the store's schema is at revision {current or 'none'}, this crmind needs {head}: "
            "run `crmind db upgrade` (or `crmind init`)"
        )
