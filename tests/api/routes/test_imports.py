"""Imports over the API: upload, options, the run and its rejected rows, roles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crmind.api import create_app
from crmind.config import Settings
from tests.api.sample_store import empty_store

CUSTOMERS = b"Customer ID,E-mail,First Name\nK1,a@x.com,Ann\nK2,not-an-email,Bob\nK1,c@x.com,Cy\n"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, dict[str, str]]]:
    settings, engine, keys = empty_store(tmp_path_factory.mktemp("imports"))
    yield settings, keys
    engine.dispose()


@pytest.fixture(scope="module")
def client(store: tuple[Settings, dict[str, str]]) -> Iterator[TestClient]:
    settings, keys = store
    with TestClient(create_app(settings)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {keys['admin']}"
        yield test_client


def _upload(client: TestClient, name: str, content: bytes, **fields: object) -> dict[str, Any]:
    response = client.post("/imports", files={"file": (name, content)}, data=fields)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_an_upload_is_imported_with_its_rejects_kept_and_paged(client: TestClient) -> None:
    result = _upload(client, "crm.csv", CUSTOMERS, kind="customers", source="crm")
    run = result["run"]
    assert (run["kind"], run["source"], run["status"]) == ("customers", "crm", "completed")
    assert (run["rows_read"], run["rows_new"], run["rows_rejected"]) == (3, 1, 2)
    assert result["outcome"] == "completed"
    assert run["file_name"].endswith("-crm.csv")
    assert client.get(f"/imports/{run['id']}").json() == run
    first = client.get(f"/imports/{run['id']}/rejects", params={"limit": 1}).json()
    assert first["count"] == 2
    assert first["data"][0]["row"] == 3
    assert "not-an-email" in first["data"][0]["reason"]
    assert "not-an-email" in first["data"][0]["raw"]
    second = client.get(f"/imports/{run['id']}/rejects", params={"offset": 1}).json()
    assert [r["row"] for r in second["data"]] == [4]
    assert "duplicate customer_id" in second["data"][0]["reason"]


def test_the_same_file_again_writes_nothing(client: TestClient) -> None:
    first = _upload(client, "again.csv", CUSTOMERS, kind="customers", source="again")
    second = _upload(client, "again.csv", CUSTOMERS, kind="customers", source="again")
    assert second["outcome"] == "already imported"
    assert second["run"]["id"] == first["run"]["id"]


def test_a_column_mapping_is_applied(client: TestClient) -> None:
    content = b"ref,mail\nP1,p1@x.com\nP2,p2@x.com\n"
    result = _upload(
        client,
        "mapped.csv",
        content,
        kind="customers",
        source="mapped",
        map=["ref=customer_id", "mail=email"],
    )
    assert (result["run"]["rows_new"], result["run"]["rows_rejected"]) == (2, 0)


def test_unreadable_uploads_are_refused_as_problems(client: TestClient) -> None:
    for fields, content in (
        ({"kind": "orders", "preset": "no-such-preset"}, CUSTOMERS),
        ({"kind": "customers", "map": ["no equals sign"]}, CUSTOMERS),
        ({"kind": "customers"}, b""),
        ({"kind": "planets"}, CUSTOMERS),
    ):
        response = client.post("/imports", files={"file": ("x.csv", content)}, data=fields)
        assert response.status_code == 422, (fields, response.text)
        assert response.headers["content-type"] == "application/problem+json"


def test_uploads_are_kept_under_the_data_directory_whatever_their_name(
    store: tuple[Settings, dict[str, str]], client: TestClient
) -> None:
    settings, _ = store
    _upload(client, "../../escape.csv", b"id,email\nE1,e1@x.com\n", kind="customers")
    uploads = settings.data_dir / "uploads"
    kept = [p for p in uploads.iterdir() if p.name.endswith("escape.csv")]
    assert len(kept) == 1
    assert kept[0].parent == uploads
    assert not (settings.data_dir.parent / "escape.csv").exists()
    assert not Path("escape.csv").exists()


def test_runs_are_listed_newest_first_and_filter_by_kind(client: TestClient) -> None:
    _upload(client, "p.csv", b"sku,name\nS1,Spoon\n", kind="products")
    runs = client.get("/imports").json()
    ids = [r["id"] for r in runs["data"]]
    assert ids == sorted(ids, reverse=True)
    products = client.get("/imports", params={"kind": "products"}).json()
    assert products["count"] >= 1
    assert {r["kind"] for r in products["data"]} == {"products"}
    assert client.get("/imports/999999").status_code == 404
    assert client.get("/imports/999999/rejects").status_code == 404


def test_only_admins_import(store: tuple[Settings, dict[str, str]], client: TestClient) -> None:
    _, keys = store
    for role in ("agent", "marketer", "analyst", "viewer"):
        headers = {"Authorization": f"Bearer {keys[role]}"}
        upload = client.post(
            "/imports",
            files={"file": ("x.csv", CUSTOMERS)},
            data={"kind": "customers"},
            headers=headers,
        )
        assert upload.status_code == 403
        assert client.get("/imports", headers=headers).status_code == 403
