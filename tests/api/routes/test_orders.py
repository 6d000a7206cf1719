"""Orders: listing by customer and date range, sorting, one order with its lines, roles."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient

from crmind.services.audit import AuditQuery, search
from tests.api.sample_store import SampleStore


def test_orders_of_a_customer_in_a_date_range_are_the_only_ones_listed(
    sample: SampleStore, sample_client: TestClient
) -> None:
    everything = sample_client.get(
        "/orders", params={"customer_id": 5, "limit": 500}, headers=sample.as_role("admin")
    ).json()
    assert everything["count"] == len(everything["data"]) > 2
    assert {o["customer_id"] for o in everything["data"]} == {5}
    times = sorted(datetime.fromisoformat(o["occurred_at"]) for o in everything["data"])
    since, until = times[1], times[-1]
    window = sample_client.get(
        "/orders",
        params={"customer_id": 5, "since": since.isoformat(), "until": until.isoformat()},
        headers=sample.as_role("admin"),
    ).json()
    got = [datetime.fromisoformat(o["occurred_at"]) for o in window["data"]]
    assert window["count"] == len([t for t in times if since <= t < until]) == len(got)
    assert all(since <= t < until for t in got)


def test_orders_are_sorted_as_asked_and_paged(
    sample: SampleStore, sample_client: TestClient
) -> None:
    newest = sample_client.get("/orders", params={"limit": 20}, headers=sample.as_role("admin"))
    times = [o["occurred_at"] for o in newest.json()["data"]]
    assert times == sorted(times, reverse=True)
    cheapest = sample_client.get(
        "/orders", params={"sort": "amount", "limit": 20}, headers=sample.as_role("admin")
    ).json()
    amounts = [o["amount"] for o in cheapest["data"]]
    assert amounts == sorted(amounts)
    assert amounts[0] < 0
    second = sample_client.get(
        "/orders", params={"sort": "amount", "limit": 10, "offset": 10},
        headers=sample.as_role("admin"),
    ).json()  # fmt: skip
    assert [o["id"] for o in second["data"]] == [o["id"] for o in cheapest["data"][10:]]
    assert second["count"] == cheapest["count"]


def test_returns_can_be_listed_apart(sample: SampleStore, sample_client: TestClient) -> None:
    returns = sample_client.get(
        "/orders", params={"is_return": "true"}, headers=sample.as_role("admin")
    ).json()
    assert [o["order_number"] for o in returns["data"]] == ["R1"]


def test_one_order_holds_its_lines_with_products_and_they_add_up(
    sample: SampleStore, sample_client: TestClient
) -> None:
    listed = sample_client.get(
        "/orders", params={"sort": "-amount", "limit": 1}, headers=sample.as_role("admin")
    ).json()["data"][0]
    order = sample_client.get(f"/orders/{listed['id']}", headers=sample.as_role("admin")).json()
    assert order["order_number"] == listed["order_number"]
    assert len(order["items"]) == order["lines"] == listed["lines"]
    assert sum(line["amount"] for line in order["items"]) == order["amount"] == listed["amount"]
    assert all(line["sku"] and line["product_name"] for line in order["items"])
    assert [line["line_number"] for line in order["items"]] == sorted(
        line["line_number"] for line in order["items"]
    )


def test_an_unknown_order_is_a_404_problem(sample: SampleStore, sample_client: TestClient) -> None:
    response = sample_client.get("/orders/999999", headers=sample.as_role("agent"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "999999" in response.json()["detail"]


def test_analysts_read_orders_without_any_contact_detail(
    sample: SampleStore, sample_client: TestClient
) -> None:
    response = sample_client.get(
        "/orders", params={"limit": 500}, headers=sample.as_role("analyst")
    )
    assert response.status_code == 200
    assert "@example.com" not in response.text
    assert "Customer " not in response.text
    detail = sample_client.get("/orders/1", headers=sample.as_role("analyst"))
    assert detail.status_code == 200
    assert "@" not in detail.text


def test_roles_without_orders_are_refused(sample: SampleStore, sample_client: TestClient) -> None:
    for role in ("marketer", "viewer"):
        assert sample_client.get("/orders", headers=sample.as_role(role)).status_code == 403
        assert sample_client.get("/orders/1", headers=sample.as_role(role)).status_code == 403


def test_reading_a_customers_orders_is_audited(
    sample: SampleStore, sample_client: TestClient
) -> None:
    sample_client.get("/orders", params={"customer_id": 11}, headers=sample.as_role("agent"))
    rows, count = search(
        sample.engine, AuditQuery(customer_id=11, resource="orders", action="read")
    )
    assert count >= 1
    assert rows[0]["role"] == "agent"
