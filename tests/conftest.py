"""Shared fixtures: real SQLite files, a real PostgreSQL schema per test, the public data sets.

PostgreSQL tests use the server at CRMIND_TEST_POSTGRES_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test), each in a schema of its own that is dropped
afterwards. Without a server they skip with the reason, except under CI (CI=true), where a
missing server or data set is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from crmind.privacy.binding import attach_cipher
from crmind.store.db import make_engine
from crmind.store.migrate import upgrade
from tests.assistant.llm_server import LlamaServer, missing_reason, smollm2_gguf, start_server
from tests.campaign_store import CampaignStore, build_campaign_store
from tests.store_cipher import TEST_CIPHER

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
POSTGRES_URL = os.environ.get(
    "CRMIND_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


def shared_data(relative: str) -> Path:
    """A file of ../shared/data; skips the test when it is missing (fails under CI)."""
    path = SHARED_DATA / relative
    if not path.exists():
        message = f"public data set {path} is not present (it sits beside the checkout)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'crmind.db'}"


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = attach_cipher(make_engine(sqlite_url), TEST_CIPHER)
    upgrade(engine)
    yield engine
    engine.dispose()


def _postgres_available() -> str | None:
    try:
        probe = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with probe.connect():
            pass
        probe.dispose()
    except Exception as exc:  # any failure to connect means: no server here
        return f"no PostgreSQL server answers at {POSTGRES_URL}: {type(exc).__name__}"
    return None


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    problem = _postgres_available()
    if problem:
        if IN_CI:
            pytest.fail(f"{problem} (PostgreSQL tests are required under CI)")
        pytest.skip(problem)
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A URL whose connections live in a fresh schema, dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_admin_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in postgres_admin_url else "?"
    yield f"{postgres_admin_url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = attach_cipher(make_engine(postgres_url), TEST_CIPHER)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The store on each database: a SQLite file and a PostgreSQL schema."""
    name = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    result: Engine = request.getfixturevalue(name)
    return result


@pytest.fixture(scope="session")
def llm_server() -> Iterator[LlamaServer]:
    """A real llama.cpp server with SmolLM2-135M on loopback, for the tests marked ``llm``;
    skipped with the reason when llama-cpp-python is missing, except under CI."""
    reason = missing_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason} (the LLM tests are required under CI)")
        pytest.skip(reason)
    model = smollm2_gguf()
    assert model is not None
    server = start_server(model)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def campaign_template(tmp_path_factory: pytest.TempPathFactory) -> CampaignStore:
    """The campaign test store (tests/campaign_store.py), built once; tests work on copies
    (copy_campaign_store)."""
    store = build_campaign_store(Path(tmp_path_factory.mktemp("campaign-template")))
    with store.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.engine.dispose()
    return store
