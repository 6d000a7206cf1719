"""Segments of the newest analysis and their members: ids or pseudonyms by role."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from crmind.privacy.keys import derived_key, secret_key
from crmind.privacy.pseudonyms import PSEUDONYM_PURPOSE, pseudonym
from tests.api.sample_store import CUSTOMERS, SampleStore


def test_segments_come_from_the_newest_analysis_and_cover_every_customer_per_kind(
    sample: SampleStore, sample_client: TestClient
) -> None:
    page = sample_client.get(
        "/segments", params={"limit": 500}, headers=sample.as_role("viewer")
    ).json()
    assert page["count"] == len(page["data"])
    assert {s["model_run_id"] for s in page["data"]} == {sample.analysis_run}
    sizes: dict[str, int] = {}
    for segment in page["data"]:
        sizes[segment["kind"]] = sizes.get(segment["kind"], 0) + segment["size"]
    assert sizes == dict.fromkeys(("rfm", "learned", "value_tier", "lifecycle"), CUSTOMERS)
    shares = [s["value_share"] for s in page["data"] if s["kind"] == "value_tier"]
    assert abs(sum(shares) - 1.0) < 1e-6


def test_segments_filter_by_kind(sample: SampleStore, sample_client: TestClient) -> None:
    learned = sample_client.get(
        "/segments", params={"kind": "learned"}, headers=sample.as_role("marketer")
    ).json()
    assert learned["count"] == 3
    assert {s["kind"] for s in learned["data"]} == {"learned"}
    assert all(s["name"] and s["description"] for s in learned["data"])
    one = sample_client.get(
        f"/segments/{learned['data'][0]['id']}", headers=sample.as_role("marketer")
    )
    assert one.json() == learned["data"][0]


def _largest(sample: SampleStore, client: TestClient) -> dict[str, object]:
    page = client.get("/segments", params={"kind": "rfm"}, headers=sample.as_role("admin"))
    return dict(max(page.json()["data"], key=lambda s: s["size"]))


def test_members_are_customer_ids_for_roles_that_read_personal_data(
    sample: SampleStore, sample_client: TestClient
) -> None:
    segment = _largest(sample, sample_client)
    members = sample_client.get(
        f"/segments/{segment['id']}/members", headers=sample.as_role("admin")
    ).json()
    assert members["count"] == segment["size"] == len(members["data"])
    ids = [m["customer_id"] for m in members["data"]]
    assert ids == sorted(ids)
    assert all(1 <= i <= CUSTOMERS for i in ids)
    assert all(m["pseudonym"] is None for m in members["data"])


def test_members_are_keyed_pseudonyms_for_pseudonymised_roles(
    sample: SampleStore, sample_client: TestClient
) -> None:
    segment = _largest(sample, sample_client)
    url = f"/segments/{segment['id']}/members"
    ids = [
        m["customer_id"]
        for m in sample_client.get(url, headers=sample.as_role("admin")).json()["data"]
    ]
    key = derived_key(secret_key(sample.settings), PSEUDONYM_PURPOSE)
    for role in ("analyst", "marketer"):
        response = sample_client.get(url, headers=sample.as_role(role))
        members = response.json()["data"]
        assert all(m["customer_id"] is None for m in members)
        assert [m["pseudonym"] for m in members] == [pseudonym(key, i) for i in ids]
        assert all(re.fullmatch(r"[0-9a-f]{32}", m["pseudonym"]) for m in members)
        assert not re.search(r'"customer_id":\s*\d', response.text)


def test_members_are_refused_to_roles_that_may_see_no_customer(
    sample: SampleStore, sample_client: TestClient
) -> None:
    segment = _largest(sample, sample_client)
    viewer = sample.as_role("viewer")
    assert sample_client.get(f"/segments/{segment['id']}", headers=viewer).status_code == 200
    assert (
        sample_client.get(f"/segments/{segment['id']}/members", headers=viewer).status_code == 403
    )
    assert sample_client.get("/segments", headers=sample.as_role("agent")).status_code == 403


def test_an_unknown_segment_is_a_404(sample: SampleStore, sample_client: TestClient) -> None:
    admin = sample.as_role("admin")
    assert sample_client.get("/segments/999999", headers=admin).status_code == 404
    assert sample_client.get("/segments/999999/members", headers=admin).status_code == 404
