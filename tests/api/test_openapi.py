"""The OpenAPI document: served, valid, complete about responses, free of internal columns."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.core.result import Ok

from crmind.api import create_app
from tests.api.sample_store import empty_store

METHODS = {"get", "post", "put", "patch", "delete"}
INTERNAL = re.compile(r"(^|_)hash(ed)?$")


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    settings, engine, _ = empty_store(tmp_path_factory.mktemp("openapi"))
    with TestClient(create_app(settings, engine)) as client:
        response = client.get("/openapi.json")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        yield dict(response.json())
    engine.dispose()


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def test_the_document_is_served_and_loads_in_schemathesis(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.")
    schema = schemathesis.openapi.from_dict(document)
    operations = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in operations)  # every operation resolves
    assert len(operations) == sum(1 for _ in _operations(document))
    assert len(operations) >= 30


def test_every_operation_declares_its_success_and_its_problems(
    document: dict[str, Any],
) -> None:
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        success = [code for code in responses if code.startswith("2")]
        assert len(success) == 1, (method, path, responses.keys())
        assert "application/json" in responses[success[0]]["content"], (method, path)
        assert operation.get("summary"), (method, path)
        assert operation.get("description"), (method, path)
        if path == "/health":
            continue
        for code in ("401", "403", "422", "429"):
            assert "application/problem+json" in responses[code]["content"], (method, path, code)
        if "{" in path:
            assert "404" in responses, (method, path)


def test_every_route_documents_an_example(document: dict[str, Any]) -> None:
    missing = [
        f"{method} {path}"
        for method, path, operation in _operations(document)
        if "Example" not in operation.get("description", "")
    ]
    assert missing == []


def _property_names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                yield from value
            yield from _property_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _property_names(value)


def test_no_schema_exposes_an_internal_column(document: dict[str, Any]) -> None:
    names = set(_property_names(document))
    assert "id" in names  # the walk does see properties
    assert [name for name in names if INTERNAL.search(name)] == []
    for name, component in document["components"]["schemas"].items():
        if not name.endswith("Create"):  # a password is sent, never answered
            assert "password" not in set(_property_names(component)), name
    text = json.dumps(document)
    for column in ("key_hash", "password_hash", "secret_hash", "email_hash", "search_hash"):
        assert column not in text
