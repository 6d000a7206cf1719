from __future__ import annotations

from fastapi.testclient import TestClient


def test_the_audit_log_pages_newest_first_and_filters(admin: TestClient) -> None:
    for name in ("a", "b", "c"):
        admin.post("/keys", json={"name": name, "role": "viewer"})
    page = admin.get("/audit", params={"limit": 2}).json()
    assert page["count"] == 3
    prefixes = [e["detail"]["key_prefix"] for e in page["data"]]
    assert len(prefixes) == 2
    assert admin.get("/audit", params={"action": "delete"}).json()["count"] == 0
    assert admin.get("/audit", params={"since": "2999-01-01T00:00:00"}).json()["count"] == 0
    assert admin.get("/audit", params={"customer_id": 0}).status_code == 422
