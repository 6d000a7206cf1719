"""Use case: open the store named by the settings and bring its schema up to date."""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from crmind.config import Settings
from crmind.errors import StoreError
from crmind.store.db import make_engine
from crmind.store.migrate import current_revision, head_revision, upgrade

logger = logging.getLogger(__name__)


def open_store(settings: Settings) -> Engine:
    """An engine on the settings' database (the data directory is created if needed)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.resolved_database_url)


def init_store(settings: Settings) -> tuple[Engine, str | None]:
    """Open the store and migrate it to the newest schema; returns the engine and revision."""
    engine = open_store(settings)
    try:
        revision = upgrade(engine)
    except OperationalError as exc:
        raise StoreError(
            f"cannot open the store at {engine.url.render_as_string(hide_password=True)}: "
            f"{exc.orig}"
        ) from exc
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
