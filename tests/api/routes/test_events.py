"""POST /events through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from crmind.api import create_app
from crmind.config import Settings
from crmind.services.access import create_key
from crmind.store.schema import Customer, CustomerIdentity, Event, Order
from tests.api.conftest import auth

WHEN = "2025-03-01T10:15:00+01:00"


@pytest.fixture
def events_client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    """A client with an admin key, on the store of each database."""
    settings = Settings(data_dir=tmp_path, database_url=engine.url.render_as_string(False))
    with TestClient(create_app(settings, engine)) as client:
        client.headers.update(auth(create_key(engine, "events", role="admin").secret))
        yield client


def event(key: str, **fields: Any) -> dict[str, Any]:
    return {"event_id": key, "type": "page_view", "occurred_at": WHEN, **fields}


def count(engine: Engine, model: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_single_event_is_stored_with_its_time_in_utc(
    events_client: TestClient, engine: Engine
) -> None:
    answer = events_client.post("/events", json=event("e1", channel="web", sku="SKU-1"))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "received": 1,
        "stored": 1,
        "duplicates": [],
        "customers_created": 0,
        "orders_created": 0,
        "live_states_updated": 0,
    }
    with engine.connect() as conn:
        stored = conn.execute(select(Event)).one()
    assert (stored.source, stored.event_key, stored.event_type) == ("api", "e1", "page_view")
    assert stored.occurred_at.isoformat() == "2025-03-01T09:15:00"
    assert stored.product_id is not None


def test_a_batch_takes_its_source_and_stores_every_event(
    events_client: TestClient, engine: Engine
) -> None:
    batch = {"source": "shop", "events": [event(f"e{i}", customer_key="C1") for i in range(50)]}
    answer = events_client.post("/events", json=batch)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["received"], body["stored"], body["customers_created"]) == (50, 50, 1)
    assert body["live_states_updated"] == 1
    with engine.connect() as conn:
        sources = conn.execute(select(Event.source).distinct()).scalars().all()
    assert sources == ["shop"]


def test_sending_events_again_stores_nothing_and_names_the_duplicates(
    events_client: TestClient, engine: Engine
) -> None:
    first = {"events": [event("a"), event("b")]}
    assert events_client.post("/events", json=first).json()["stored"] == 2
    again = {"events": [event("b"), event("c"), event("c")]}
    body = events_client.post("/events", json=again).json()
    assert body["stored"] == 1
    assert body["duplicates"] == [{"index": 0, "event_id": "b"}, {"index": 2, "event_id": "c"}]
    assert count(engine, Event) == 3


def test_the_same_event_id_in_another_source_is_another_event(
    events_client: TestClient, engine: Engine
) -> None:
    events_client.post("/events", json=event("x", source="web"))
    body = events_client.post("/events", json=event("x", source="app")).json()
    assert body["stored"] == 1
    assert count(engine, Event) == 2


def test_a_bad_event_names_its_index_and_field_and_nothing_is_stored(
    events_client: TestClient, engine: Engine
) -> None:
    batch = {
        "events": [
            event("ok"),
            event("no-offset", occurred_at="2025-03-01T10:15:00"),
            event("buy", type="purchase"),
        ]
    }
    answer = events_client.post("/events", json=batch)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 422
    assert "nothing was stored" in problem["detail"]
    assert [(e["index"], e["field"]) for e in problem["errors"]] == [
        (1, "occurred_at"),
        (2, "amount"),
    ]
    assert "required for a purchase" in problem["errors"][1]["reason"]
    assert count(engine, Event) == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"type": "page view!"}, "type"),
        ({"event_id": ""}, "event_id"),
        ({"properties": {"blob": "x" * 9000}}, "properties"),
        ({"amount": 5, "currency": "eur"}, "currency"),
        ({"occurred_at": "3025-01-01T00:00:00Z"}, "occurred_at"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_single_bad_event_is_refused_naming_the_field(
    events_client: TestClient, fields: dict[str, Any], field: str
) -> None:
    answer = events_client.post("/events", json=event("e1", **fields))
    assert answer.status_code == 422
    assert [(e["index"], e["field"]) for e in answer.json()["errors"]] == [(0, field)]


def test_an_unknown_customer_id_or_an_implausible_email_refuses_the_batch(
    events_client: TestClient, engine: Engine
) -> None:
    batch = {"events": [event("a", customer_id=999), event("b", email="not-an-address")]}
    answer = events_client.post("/events", json=batch)
    assert answer.status_code == 422
    assert [(e["index"], e["field"]) for e in answer.json()["errors"]] == [(1, "email")]
    answer = events_client.post("/events", json={"events": [event("a", customer_id=999)]})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "customer_id"
    assert count(engine, Event) == count(engine, Customer) == 0


def test_too_many_events_are_refused(events_client: TestClient) -> None:
    batch = {"events": [event(f"e{i}") for i in range(1001)]}
    answer = events_client.post("/events", json=batch)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "events"


def test_the_customer_is_found_by_email_whatever_its_case(
    events_client: TestClient, engine: Engine
) -> None:
    first = events_client.post("/events", json=event("a", email="Jane.Doe@Example.com")).json()
    second = events_client.post("/events", json=event("b", email="jane.doe@example.com")).json()
    assert (first["customers_created"], second["customers_created"]) == (1, 0)
    with engine.connect() as conn:
        owners = conn.execute(select(Event.customer_id).distinct()).scalars().all()
        emails = (
            conn.execute(select(CustomerIdentity.value).where(CustomerIdentity.kind == "email"))
            .scalars()
            .all()
        )
    assert len(owners) == 1
    assert owners[0] is not None
    assert len(emails) == 1
    assert "jane" not in emails[0]


def test_a_purchase_is_also_an_order_and_shows_in_the_customer_view(
    events_client: TestClient, engine: Engine
) -> None:
    buy = event("p1", type="purchase", amount=42.5, currency="EUR", customer_key="C9")
    body = events_client.post("/events", json={"source": "shop", "events": [buy]}).json()
    assert body["orders_created"] == 1
    with engine.connect() as conn:
        order = conn.execute(select(Order)).one()
        customer = conn.execute(select(Customer.id)).scalar_one()
    assert (order.order_number, order.currency, order.customer_id) == ("p1", "EUR", customer)
    view = events_client.get(f"/customers/{customer}").json()
    assert view["live"]["purchases"] == 1
    assert view["live"]["revenue"] == 42.5
    assert view["live"]["lifecycle_stage"] == "new"
    assert view["live"]["event_counts"] == {"purchase": 1}


def test_without_a_key_401_and_without_the_permission_403(
    events_client: TestClient, engine: Engine
) -> None:
    no_key = events_client.post("/events", json=event("e1"), headers={"Authorization": ""})
    assert no_key.status_code == 401
    agent = create_key(engine, "agent", role="agent").secret
    refused = events_client.post("/events", json=event("e1"), headers=auth(agent))
    assert refused.status_code == 403
    assert count(engine, Event) == 0
