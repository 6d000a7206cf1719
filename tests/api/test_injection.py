"""SQL-injection and script payloads through every text field of the write endpoints and every
text query parameter: stored inertly, returned unchanged as JSON (escaped by JSON, never as
HTML), and the tables are all still there."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select

from crmind.api import create_app
from crmind.store.schema import TABLES_IN_ORDER, Customer, Message, Product
from tests.api.sample_store import CUSTOMERS, SampleStore, build_sample_store
from tests.store_probe import count

PAYLOADS = (
    "'; DROP TABLE customers; --",
    '" OR 1=1 --',
    "<script>alert(1)</script>",
)
JSON_TYPES = ("application/json", "application/problem+json")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SampleStore]:
    sample = build_sample_store(tmp_path_factory.mktemp("injection"))
    yield sample
    sample.engine.dispose()


@pytest.fixture(scope="module")
def client(store: SampleStore) -> Iterator[TestClient]:
    with TestClient(create_app(store.settings, store.engine)) as test_client:
        test_client.headers.update(store.as_role("admin"))
        yield test_client


class Response(Protocol):
    """What the tests read of a test client's answer (starlette's client is httpx's or
    httpx2's, by version)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    def json(self) -> Any: ...


def _json(response: Response) -> Any:
    """The answer's JSON, after checking it is JSON and not a server error."""
    assert response.status_code < 500, response.text
    assert response.headers["content-type"].split(";")[0] in JSON_TYPES
    assert "text/html" not in response.headers["content-type"]
    return response.json()


def _stored(response: Response, field: str, payload: str) -> None:
    """The write succeeded and answers the payload unchanged, or refused it for its length."""
    body = _json(response)
    if response.status_code == 422:
        assert "at most" in body["detail"], body
        return
    assert response.status_code in (200, 201), body
    assert body[field] == payload


@pytest.mark.parametrize("payload", PAYLOADS)
def test_product_text_fields_are_stored_inertly(
    store: SampleStore, client: TestClient, payload: str
) -> None:
    created = client.post(
        "/products",
        json={
            "sku": payload,
            "source": payload,
            "name": payload,
            "description": payload,
            "category": payload,
            "brand": payload,
            "attributes": {"note": payload},
        },
    )
    for field in ("sku", "source", "name", "description", "category", "brand"):
        _stored(created, field, payload)
    product = _json(created)
    assert product["attributes"] == {"note": payload}
    with store.engine.connect() as conn:
        stored = conn.execute(select(Product).where(Product.sku == payload)).one()
    assert (stored.name, stored.source, stored.brand) == (payload, payload, payload)
    for field in ("name", "description", "category", "brand"):
        changed = client.patch(f"/products/{product['id']}", json={field: payload + "!"})
        _stored(changed, field, payload + "!")
    found = _json(client.get("/products", params={"q": payload}))
    assert payload in {p["sku"] for p in found["data"]}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_ticket_text_fields_are_stored_inertly(
    store: SampleStore, client: TestClient, payload: str
) -> None:
    ticket = _json(client.get("/conversations", params={"status": "open"}))["data"][0]
    url = f"/conversations/{ticket['id']}"
    for field in ("assigned_to", "subject"):
        _stored(client.patch(url, json={field: payload}), field, payload)
    replied = _json(client.post(f"{url}/messages", json={"text": payload}))
    assert replied["thread"][-1]["text"] == payload
    with store.engine.connect() as conn:
        texts = set(conn.execute(select(Message.text)).scalars())
    assert payload in texts
    assigned = _json(client.get("/conversations", params={"assigned_to": payload}))
    assert ticket["id"] in {t["id"] for t in assigned["data"]}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_customer_contact_fields_are_stored_inertly(client: TestClient, payload: str) -> None:
    for field in ("name", "first_name", "last_name", "city", "address", "postcode", "gender"):
        _stored(client.patch("/customers/3", json={field: payload}), field, payload)
    view = _json(client.get("/customers/3"))
    assert view["contact"]["name"] == payload
    _json(client.get("/customers", params={"q": payload}))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_user_and_key_names_are_stored_inertly(client: TestClient, payload: str) -> None:
    user = client.post(
        "/users",
        json={"username": f"u{PAYLOADS.index(payload)}", "role": "viewer", "display_name": payload},
    )
    _stored(user, "display_name", payload)
    key = client.post("/keys", json={"name": payload, "role": "viewer"})
    _stored(key, "name", payload)
    assert payload in {k["name"] for k in _json(client.get("/keys"))["data"]}


def test_an_uploaded_file_with_payloads_is_imported_inertly(
    store: SampleStore, client: TestClient
) -> None:
    rows = "\n".join(f'"X{i}","{p.replace(chr(34), chr(34) * 2)}"' for i, p in enumerate(PAYLOADS))
    content = f"sku,name\n{rows}\n".encode()
    result = client.post(
        "/imports",
        files={"file": ("<script>alert(1)</script>.csv", content)},
        data={"kind": "products", "source": PAYLOADS[0]},
    )
    body = _json(result)
    assert result.status_code == 201, body
    assert body["run"]["source"] == PAYLOADS[0]
    assert body["run"]["rows_new"] == len(PAYLOADS)
    names = {
        p["name"]
        for p in _json(client.get("/products", params={"source": PAYLOADS[0], "limit": 50}))["data"]
    }
    assert set(PAYLOADS) <= names


def _free_text(parameter: dict[str, Any]) -> bool:
    """A query parameter that takes any text (no enum, no date or number format)."""
    schema = parameter.get("schema", {})
    alternatives = schema.get("anyOf", [schema])
    return (
        parameter["in"] == "query"
        and any(s.get("type") == "string" for s in alternatives)
        and not any("enum" in s or "format" in s for s in alternatives)
    )


def _text_query_parameters(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for path, item in document["paths"].items():
        operation = item.get("get")
        if operation is not None and "{" not in path:
            for parameter in operation.get("parameters", []):
                if _free_text(parameter):
                    yield path, parameter["name"]


def test_every_text_query_parameter_takes_payloads_inertly(
    store: SampleStore, client: TestClient
) -> None:
    cases = list(_text_query_parameters(_json(client.get("/openapi.json"))))
    assert ("/customers", "q") in cases
    assert ("/products", "q") in cases
    assert len(cases) >= 15
    for path, name in cases:
        for payload in PAYLOADS:
            response = client.get(path, params={name: payload})
            body = _json(response)
            assert response.status_code in (200, 422), (path, name, response.status_code, body)
            if response.status_code == 200:
                assert "<script>" not in str(body.get("detail", ""))


def test_the_tables_and_their_rows_are_all_still_there(store: SampleStore) -> None:
    names = set(inspect(store.engine).get_table_names())
    assert set(TABLES_IN_ORDER) <= names
    assert count(store.engine, Customer) == CUSTOMERS
