from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from crmind.store.db import make_engine
from crmind.store.migrate import current_revision, head_revision, upgrade
from crmind.store.schema import TABLES_IN_ORDER, Base


def test_upgrade_creates_every_table_at_the_head_revision(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    assert set(TABLES_IN_ORDER) <= set(inspect(engine).get_table_names())


def test_migrations_match_the_schema_module(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrade_twice_is_harmless(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    assert upgrade(engine) == upgrade(engine) == head_revision()


def test_fresh_store_has_no_revision(sqlite_url: str) -> None:
    assert current_revision(make_engine(sqlite_url)) is None
