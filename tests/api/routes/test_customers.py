from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from crmind.api.routes.customers import view_payload
from crmind.api.schemas.customers import Customer360Public
from crmind.services.audit import AuditQuery, search
from crmind.services.customers import customer_view
from tests.api.conftest import auth
from tests.privacy_store import build_full_store, customer_id_of


def test_search_finds_a_customer_by_email_phone_name_or_id(
    admin: TestClient, customers_store: dict[str, int]
) -> None:
    ann = customers_store["C1"]
    for q in ("ANN.LEE@example.com", "07911 123456", "lee", str(ann)):
        page = admin.get("/customers", params={"q": q}).json()
        assert [c["id"] for c in page["data"]] == [ann], q
        assert page["count"] == 1
    assert admin.get("/customers", params={"q": "nobody"}).json() == {"data": [], "count": 0}


def test_the_list_pages_and_sorts(admin: TestClient, customers_store: dict[str, int]) -> None:
    page = admin.get("/customers", params={"limit": 2, "sort": "-id"}).json()
    assert page["count"] == 3
    assert [c["id"] for c in page["data"]] == sorted(customers_store.values(), reverse=True)[:2]
    assert admin.get("/customers", params={"limit": 0}).status_code == 422


def test_the_360_view_shows_contact_and_identities(
    admin: TestClient, customers_store: dict[str, int]
) -> None:
    view = admin.get(f"/customers/{customers_store['C2']}").json()
    assert view["contact"]["name"] == "Bo Chen"
    assert view["contact"]["phone"] == "+447400123456"
    assert {"kind": "source_key", "source": "shop", "value": "C2"} in view["identities"]
    assert view["order_count"] == 0
    assert admin.get("/customers/999999").status_code == 404


def test_the_360_view_is_exactly_what_its_schema_gives(
    admin: TestClient, sqlite_engine: Engine, tmp_path: Path
) -> None:
    """The route serialises the view itself (no model per request): the JSON must be the one
    Customer360Public would give, on a customer with every part of the view filled."""
    build_full_store(sqlite_engine, tmp_path)
    person = customer_id_of(sqlite_engine)
    answer = admin.get(f"/customers/{person}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    served = answer.json()
    for part in ("orders", "scores", "recommendations", "feedback", "profile", "segments"):
        assert served[part], part
    assert served["orders"][0]["occurred_at"].count("T") == 1
    payload = view_payload(customer_view(sqlite_engine, person))
    assert served == Customer360Public(**payload).model_dump(mode="json")


def test_a_contact_change_is_normalised_and_a_bad_one_named(
    admin: TestClient, customers_store: dict[str, int]
) -> None:
    cy = customers_store["C3"]
    changed = admin.patch(f"/customers/{cy}", json={"email": " CY@Example.NET ", "city": None})
    assert changed.status_code == 200
    assert (changed.json()["email"], changed.json()["city"]) == ("cy@example.net", None)
    assert changed.json()["name"] == "Cy Dorn"  # fields not sent are kept
    bad = admin.patch(f"/customers/{cy}", json={"email": "not-an-address"})
    assert bad.status_code == 422
    assert "email" in bad.json()["detail"]
    unknown = admin.patch(f"/customers/{cy}", json={"merged_into": 1})
    assert unknown.status_code == 422


def test_every_read_of_a_customer_is_audited_with_who_and_whom(
    client: TestClient,
    role_keys: dict[str, str],
    customers_store: dict[str, int],
    sqlite_engine: Engine,
) -> None:
    ann = customers_store["C1"]
    client.get(f"/customers/{ann}", headers=auth(role_keys["agent"]))
    client.get("/customers", params={"q": "bo@example.org"}, headers=auth(role_keys["agent"]))
    client.get(f"/customers/{ann}", headers=auth(role_keys["analyst"]))  # refused: not a read
    rows, count = search(sqlite_engine, AuditQuery(customer_id=ann))
    assert count == 1
    assert (rows[0]["action"], rows[0]["role"], rows[0]["status_code"]) == ("read", "agent", 200)
    assert rows[0]["actor"].startswith("key:")
    _, count = search(sqlite_engine, AuditQuery(customer_id=customers_store["C2"]))
    assert count == 1


def test_a_change_is_audited_with_its_status(
    admin: TestClient, customers_store: dict[str, int], sqlite_engine: Engine
) -> None:
    cy = customers_store["C3"]
    admin.patch(f"/customers/{cy}", json={"city": "Lyon"})
    rows, _ = search(sqlite_engine, AuditQuery(action="patch"))
    assert (rows[0]["resource"], rows[0]["status_code"]) == (f"/customers/{cy}", 200)
