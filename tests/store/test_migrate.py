from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect
from sqlalchemy.exc import IntegrityError

from crmind.store.db import make_engine
from crmind.store.migrate import alembic_config, current_revision, head_revision, upgrade
from crmind.store.schema import TABLES_IN_ORDER, Base, Customer, IdentityExclusion


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


def test_a_store_at_0002_upgrades_to_identity_merges_and_back(engine: Engine) -> None:
    """Revision 0003 adds the merge audit and the exclusions to a store that holds data."""
    config = alembic_config(engine)
    command.downgrade(config, "0002")
    assert not {"identity_merges", "identity_exclusions"} & set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        ann, bob = (
            conn.execute(insert(Customer).returning(Customer.id), {"name": name}).scalar_one()
            for name in ("Ann", "Bob")
        )

    assert upgrade(engine) == head_revision()

    with engine.begin() as conn:
        conn.execute(insert(IdentityExclusion), {"customer_a": ann, "customer_b": bob})
    with pytest.raises(IntegrityError), engine.begin() as conn:  # stored as a < b only
        conn.execute(insert(IdentityExclusion), {"customer_a": bob, "customer_b": ann})
