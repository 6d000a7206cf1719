"""The shared sample store of the route tests (built once per session) and its client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from crmind.api import create_app
from tests.api.sample_store import SampleStore, build_sample_store


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SampleStore]:
    store = build_sample_store(tmp_path_factory.mktemp("sample"))
    yield store
    store.engine.dispose()


@pytest.fixture(scope="session")
def sample_client(sample: SampleStore) -> Iterator[TestClient]:
    """A client of the app on the sample store; tests send a role's key per request."""
    with TestClient(create_app(sample.settings, sample.engine)) as client:
        yield client
