"""Property-based fuzzing of every operation of the served OpenAPI document (schemathesis 4,
in process over ASGI) with an admin key, on the small sample store: no input may make the
server fail (``not_a_server_error``). ``FUZZ_EXAMPLES`` examples per operation keep the run
under two minutes on two cores; it is part of every test run (select it alone with
``-m fuzz``)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from crmind.api import create_app
from crmind.config import Settings
from tests.api.sample_store import SampleStore, build_sample_store

FUZZ_EXAMPLES = 25

pytestmark = pytest.mark.fuzz


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SampleStore]:
    store = build_sample_store(tmp_path_factory.mktemp("fuzz"))
    yield store
    store.engine.dispose()


@pytest.fixture(scope="module")
def fuzz_app(fuzz_store: SampleStore) -> FastAPI:
    return create_app(fuzz_store.settings, fuzz_store.engine)


def _document() -> dict[str, Any]:
    """The OpenAPI document, from an app that is built but never started (no store needed)."""
    unused = Path(tempfile.gettempdir()) / "crmind-openapi-unused"
    return create_app(Settings(data_dir=unused)).openapi()


schema = schemathesis.openapi.from_dict(_document())


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_input_makes_the_server_fail(
    case: schemathesis.Case[Any], fuzz_store: SampleStore, fuzz_app: FastAPI
) -> None:
    case.call_and_validate(
        app=fuzz_app, headers=fuzz_store.as_role("admin"), checks=[not_a_server_error]
    )
