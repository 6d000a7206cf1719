from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from crmind.api import create_app
from crmind.config import Settings
from crmind.errors import ConfigurationError, StoreError
from crmind.services.access import create_key
from crmind.store.db import make_engine
from tests.api.conftest import auth


def test_production_refuses_to_start_without_an_explicit_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="CRMIND_SECRET_KEY"):
        create_app(Settings(data_dir=tmp_path, environment="production"))
    create_app(
        Settings(data_dir=tmp_path, environment="production", secret_key=SecretStr("x" * 32))
    )


def test_a_store_with_an_old_schema_stops_the_start(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    app = create_app(Settings(data_dir=tmp_path), engine)
    with pytest.raises(StoreError, match="crmind db upgrade"), TestClient(app):
        pass


def test_health_needs_no_key(client: TestClient) -> None:
    answer = client.get("/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"


def test_errors_are_problem_documents(client: TestClient) -> None:
    answer = client.get("/no-such-route")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == 404


def test_no_key_or_a_wrong_key_is_401_with_a_challenge(client: TestClient) -> None:
    for headers in ({}, auth("crm_00000000_wrong"), {"Authorization": "Basic abc"}):
        answer = client.get("/customers", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "API key" in answer.json()["detail"]


def test_the_key_may_come_in_x_api_key(client: TestClient, role_keys: dict[str, str]) -> None:
    assert client.get("/customers", headers={"X-API-Key": role_keys["agent"]}).status_code == 200


def test_over_the_rate_limit_answers_429_with_retry_after(
    client: TestClient, sqlite_engine: Engine
) -> None:
    key = create_key(sqlite_engine, "slow", role="admin", rate_limit_per_minute=3).secret
    statuses = [client.get("/customers", headers=auth(key)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    answer = client.get("/customers", headers=auth(key))
    assert int(answer.headers["retry-after"]) >= 1
    assert "3 requests per minute" in answer.json()["detail"]


def test_the_openapi_document_lists_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/customers", "/customers/{customer_id}", "/keys", "/users", "/audit"} <= set(paths)
