"""Engines and sessions: SQLite in WAL mode by default, PostgreSQL by URL."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from crmind.errors import ConfigurationError

logger = logging.getLogger(__name__)

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # Deleted and overwritten content is zeroed on disk, not left in free space, so erased
    # personal data is gone from the file once the WAL is checkpointed (on by default in some
    # SQLite builds only, e.g. Debian's; not in SQLite's own default build).
    "PRAGMA secure_delete=ON",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
    "PRAGMA cache_size=-65536",
    "PRAGMA temp_store=MEMORY",
)


POOL_SIZE = 20
POOL_OVERFLOW = 30


def _set_sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for another database or an in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; creates the folder of a SQLite file and sets its pragmas.

    Raises ConfigurationError when the URL is malformed or names a driver that is not installed.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(
            f"database URL {url!r} is not valid; expected e.g. sqlite:///path/crmind.db or "
            "postgresql+psycopg://user@host:5432/db"
        ) from exc
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    if path is not None or parsed.get_backend_name() == "postgresql":
        # The API serves from up to 40 worker threads: a pool that small that connections are
        # opened and closed under load (each SQLite open runs the pragmas) costs more than
        # idle connections do.
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", POOL_OVERFLOW)
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise ConfigurationError(
            f"database URL {parsed.render_as_string(hide_password=True)!r} needs a driver that "
            f"is not installed ({exc}); for PostgreSQL install crmind[postgres]"
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine`` that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back when it raises."""
    with session_factory(engine)() as session, session.begin():
        yield session
