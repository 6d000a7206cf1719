"""Fixtures of the API tests: an app on a real SQLite file, and one API key per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from crmind.api import create_app
from crmind.config import Settings
from crmind.services.access import create_key
from crmind.store.schema_access import ROLES


def auth(secret: str) -> dict[str, str]:
    """Headers that present ``secret`` as a bearer key."""
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def api_settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return Settings(data_dir=tmp_path, database_url=sqlite_url)


@pytest.fixture
def role_keys(sqlite_engine: Engine) -> dict[str, str]:
    """A key per role on the test store: role -> secret."""
    return {role: create_key(sqlite_engine, f"{role} key", role=role).secret for role in ROLES}


@pytest.fixture
def client(api_settings: Settings, sqlite_engine: Engine) -> Iterator[TestClient]:
    """A client of the app on the test store (no key sent unless a test adds one)."""
    with TestClient(create_app(api_settings, sqlite_engine)) as test_client:
        yield test_client


@pytest.fixture
def admin(client: TestClient, role_keys: dict[str, str]) -> TestClient:
    """The client with the admin key sent on every request."""
    client.headers.update(auth(role_keys["admin"]))
    return client


CUSTOMERS_CSV = """customer_id,name,email,phone,country,city
C1,Ann Lee,ann.lee@example.com,+44 7911 123456,United Kingdom,Leeds
C2,Bo Chen,bo@example.org,+44 7400 123456,United Kingdom,York
C3,Cy Dorn,cy@example.net,,France,Paris
"""


@pytest.fixture
def customers_store(sqlite_engine: Engine, tmp_path: Path) -> dict[str, int]:
    """Three customers imported through the import pipeline: source key -> store id."""
    from sqlalchemy import select

    from crmind.ingest.fields import ImportKind
    from crmind.services.importing import ImportRequest, import_file
    from crmind.store.schema import CustomerIdentity

    path = tmp_path / "customers.csv"
    path.write_text(CUSTOMERS_CSV, encoding="utf-8")
    import_file(sqlite_engine, ImportRequest(kind=ImportKind.CUSTOMERS, path=path, source="shop"))
    with sqlite_engine.connect() as conn:
        rows = conn.execute(
            select(CustomerIdentity.value, CustomerIdentity.customer_id).where(
                CustomerIdentity.kind == "source_key"
            )
        ).all()
    return {str(value): int(customer) for value, customer in rows}
