"""Consents, a person's export and erasure, and the customer analytics table over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from crmind.api.schemas.privacy import PurposeName
from crmind.privacy.consent import PURPOSES
from crmind.services.audit import AuditQuery, search
from tests.api.conftest import auth
from tests.privacy_store import CUSTOMERS, TARGET, build_store, customer_id_of


@pytest.fixture
def person(sqlite_engine: Engine, tmp_path: Path) -> int:
    """The small analysed store; the id of the person the tests ask about."""
    folder = tmp_path / "files"
    folder.mkdir()
    build_store(sqlite_engine, folder)
    return customer_id_of(sqlite_engine)


def test_the_api_purposes_are_the_purposes_of_the_library() -> None:
    assert set(PurposeName.__args__) == set(PURPOSES)  # type: ignore[attr-defined]


def test_an_agent_records_a_withdrawal_and_sees_it_in_force(
    client: TestClient, role_keys: dict[str, str], person: int, sqlite_engine: Engine
) -> None:
    agent = auth(role_keys["agent"])
    answer = client.post(
        f"/customers/{person}/consents",
        json={"purpose": "profiling", "decision": "withdraw", "source": "phone call"},
        headers=agent,
    )
    assert answer.status_code == 201
    assert answer.json()["deleted"]["customer_scores"] > 0
    shown = client.get(f"/customers/{person}/consents", headers=agent).json()
    assert shown["in_force"]["profiling"]["decision"] == "withdraw"
    assert shown["in_force"]["profiling"]["recorded_by"].startswith("key:")
    assert len(shown["history"]) == 1
    bad = client.post(
        f"/customers/{person}/consents",
        json={"purpose": "telemarketing", "decision": "grant"},
        headers=agent,
    )
    assert bad.status_code == 422
    missing = client.post(
        "/customers/999999/consents",
        json={"purpose": "profiling", "decision": "grant"},
        headers=agent,
    )
    assert missing.status_code == 404


def test_the_subject_export_is_for_admins_and_holds_the_persons_data(
    client: TestClient, role_keys: dict[str, str], person: int, sqlite_engine: Engine
) -> None:
    assert (
        client.get(f"/customers/{person}/export", headers=auth(role_keys["agent"])).status_code
        == 403
    )
    answer = client.get(f"/customers/{person}/export", headers=auth(role_keys["admin"]))
    assert answer.status_code == 200
    document = answer.json()
    assert document["customers"][0]["contact"]["email"] == TARGET.email
    assert "person1@example.com" not in answer.text
    entries, _ = search(sqlite_engine, AuditQuery(action="export", customer_id=person))
    assert entries[0]["actor"].startswith("key:")


def test_an_erasure_over_http_empties_the_record_and_is_audited(
    admin: TestClient, person: int, sqlite_engine: Engine
) -> None:
    answer = admin.post(f"/customers/{person}/erase", json={"reason": "ticket 31"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["customer_id"] == person
    assert body["rows"]["customers"] == 1
    assert admin.post(f"/customers/{person}/erase").json()["total"] == 0  # again: harmless
    view = admin.get(f"/customers/{person}").json()
    assert view["contact"] == {}
    assert view["identities"] == []
    assert admin.post("/customers/999999/erase").status_code == 404
    _, count = search(sqlite_engine, AuditQuery(action="erase", customer_id=person))
    assert count == 2


def test_analysts_get_pseudonymised_rows_only(
    client: TestClient, role_keys: dict[str, str], person: int
) -> None:
    analyst = auth(role_keys["analyst"])
    page = client.get("/exports/customers", params={"limit": 5}, headers=analyst).json()
    assert page["pseudonymised"] is True
    assert page["count"] == CUSTOMERS
    assert len(page["data"]) == 5
    assert page["columns"][0] == "pseudonym"
    assert not {"customer_id", "email", "name", "phone"} & set(page["data"][0])
    again = client.get("/exports/customers", params={"limit": 5}, headers=analyst).json()
    assert [r["pseudonym"] for r in again["data"]] == [r["pseudonym"] for r in page["data"]]
    refused = client.get("/exports/customers", params={"pseudonymise": "false"}, headers=analyst)
    assert refused.status_code == 403
    assert "privacy:export" in refused.json()["detail"]


def test_admins_may_export_with_ids_and_contacts(
    admin: TestClient, person: int, sqlite_engine: Engine
) -> None:
    page = admin.get("/exports/customers", params={"pseudonymise": "false", "limit": 500}).json()
    row = next(r for r in page["data"] if r["customer_id"] == person)
    assert row["email"] == TARGET.email
    entries, _ = search(sqlite_engine, AuditQuery(action="export", resource="exports/customers"))
    assert entries[0]["detail"]["pseudonymised"] is False


def test_the_analytics_table_needs_an_analysis_first(admin: TestClient) -> None:
    answer = admin.get("/exports/customers")
    assert answer.status_code == 404
    assert "crmind analyze" in answer.json()["detail"]
