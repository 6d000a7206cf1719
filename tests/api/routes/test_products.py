"""Products: search, one product, admins add and change products, roles."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.sample_store import PRODUCTS, SampleStore


def test_search_finds_a_product_by_part_of_its_name_or_its_sku(
    sample: SampleStore, sample_client: TestClient
) -> None:
    by_name = sample_client.get(
        "/products", params={"q": "MUG"}, headers=sample.as_role("viewer")
    ).json()
    assert [p["sku"] for p in by_name["data"]] == ["MUG"]
    by_sku = sample_client.get(
        "/products", params={"q": "LAMP"}, headers=sample.as_role("viewer")
    ).json()
    assert [p["name"] for p in by_sku["data"]] == ["Desk lamp"]


def test_products_filter_by_category_and_sort_by_price(
    sample: SampleStore, sample_client: TestClient
) -> None:
    kitchen = sample_client.get(
        "/products",
        params={"category": "kitchen", "sort": "-price", "source": "shop"},
        headers=sample.as_role("analyst"),
    ).json()
    expected = sorted((p for p in PRODUCTS if p[2] == "kitchen"), key=lambda p: -p[3])
    assert [p["sku"] for p in kitchen["data"]] == [p[0] for p in expected]
    assert kitchen["count"] == len(expected)


def test_an_admin_adds_a_product_once_and_reads_it_back(
    sample: SampleStore, sample_client: TestClient
) -> None:
    body = {"sku": "NEW-1", "name": "Teapot", "price": 19.5, "attributes": {"colour": "red"}}
    created = sample_client.post("/products", json=body, headers=sample.as_role("admin"))
    assert created.status_code == 201
    product = created.json()
    assert (product["source"], product["sku"], product["price"]) == ("api", "NEW-1", 19.5)
    again = sample_client.get(f"/products/{product['id']}", headers=sample.as_role("viewer"))
    assert again.json() == product
    duplicate = sample_client.post("/products", json=body, headers=sample.as_role("admin"))
    assert duplicate.status_code == 409
    assert "NEW-1" in duplicate.json()["detail"]


def test_a_change_sets_the_fields_sent_and_keeps_the_others(
    sample: SampleStore, sample_client: TestClient
) -> None:
    body = {"sku": "NEW-2", "name": "Kettle", "brand": "Acme", "price": 30.0}
    product = sample_client.post("/products", json=body, headers=sample.as_role("admin")).json()
    changed = sample_client.patch(
        f"/products/{product['id']}",
        json={"price": 27.5, "brand": None},
        headers=sample.as_role("admin"),
    ).json()
    assert (changed["name"], changed["brand"], changed["price"]) == ("Kettle", None, 27.5)


def test_bad_product_values_are_refused(sample: SampleStore, sample_client: TestClient) -> None:
    admin = sample.as_role("admin")
    for body in (
        {"sku": "X", "price": -1},
        {"sku": ""},
        {"sku": "X", "unknown": 1},
        {"name": "no sku"},
    ):
        response = sample_client.post("/products", json=body, headers=admin)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
    assert sample_client.patch("/products/999999", json={}, headers=admin).status_code == 404


def test_only_admins_change_the_catalogue(sample: SampleStore, sample_client: TestClient) -> None:
    for role in ("agent", "marketer", "analyst", "viewer"):
        headers = sample.as_role(role)
        assert sample_client.get("/products", headers=headers).status_code == 200
        post = sample_client.post("/products", json={"sku": f"R-{role}"}, headers=headers)
        assert post.status_code == 403
        assert sample_client.patch("/products/1", json={}, headers=headers).status_code == 403
