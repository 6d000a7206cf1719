"""Alembic environment: runs on the engine that crmind.store.migrate passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from crmind.store.schema import Base

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):  # pragma: no cover - only reachable by running alembic by hand
    raise RuntimeError("run migrations through `crmind db upgrade`, which supplies the engine")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
