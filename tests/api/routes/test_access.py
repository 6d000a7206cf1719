from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import auth


def test_a_new_key_secret_is_in_the_creation_answer_only(admin: TestClient) -> None:
    created = admin.post("/keys", json={"name": "shop", "role": "agent"})
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("crm_")
    listing = admin.get("/keys")
    assert secret not in listing.text
    assert "key_hash" not in listing.text
    assert created.json()["prefix"] in listing.text
    assert admin.get("/customers", headers=auth(secret)).status_code == 200


def test_a_revoked_key_stops_working_at_once(admin: TestClient) -> None:
    created = admin.post("/keys", json={"name": "temp", "role": "viewer"}).json()
    assert admin.get("/products", headers=auth(created["secret"])).status_code != 401
    revoked = admin.delete(f"/keys/{created['prefix']}")
    assert revoked.json()["revoked"] is True
    assert admin.get("/products", headers=auth(created["secret"])).status_code == 401


def test_users_are_added_with_a_known_role_and_no_password_shown(admin: TestClient) -> None:
    made = admin.post(
        "/users", json={"username": "ana", "role": "agent", "password": "long-enough-pw"}
    )
    assert made.status_code == 201
    assert "password" not in made.text
    assert admin.post("/users", json={"username": "ana", "role": "agent"}).status_code == 422
    assert admin.post("/users", json={"username": "bo", "role": "root"}).status_code == 422
    key = admin.post("/keys", json={"name": "ana's", "username": "ana"}).json()
    assert key["role"] == "agent"
    assert [u["username"] for u in admin.get("/users").json()["data"]] == ["ana"]


def test_a_user_key_is_audited_under_the_user_name(admin: TestClient) -> None:
    admin.post("/users", json={"username": "ana", "role": "admin"})
    secret = admin.post("/keys", json={"name": "ana's", "username": "ana"}).json()["secret"]
    admin.post("/users", json={"username": "bo", "role": "viewer"}, headers=auth(secret))
    entries = admin.get("/audit", params={"actor": "user:ana"}).json()["data"]
    assert [(e["action"], e["resource"], e["status_code"]) for e in entries] == [
        ("post", "/users", 201)
    ]
