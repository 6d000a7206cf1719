"""Segments and models pages: the RFM grid and clusters, members by role, the pseudonymised
export, and runs with their baselines."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.api.sample_store import SampleStore
from tests.web.conftest import sign_in


def test_the_segments_page_shows_clusters_and_the_rfm_grid(web: TestClient) -> None:
    sign_in(web, "viewer")
    page = web.get("/ui/segments").text
    assert 'data-chart-name="rfm_grid"' in page
    assert 'data-kind="learned"' in page
    assert 'data-kind="rfm"' in page


def _first_segment(web: TestClient) -> str:
    found = re.search(r'href="/ui/segments/(\d+)"', web.get("/ui/segments").text)
    assert found
    return found.group(1)


def test_a_viewer_sees_sizes_but_not_members(web: TestClient) -> None:
    sign_in(web, "viewer")
    segment = _first_segment(web)
    assert 'data-row="member"' not in web.get(f"/ui/segments/{segment}").text
    assert web.get(f"/ui/segments/{segment}/members.csv").status_code == 403


def test_an_analyst_exports_a_segment_pseudonymised(web: TestClient) -> None:
    sign_in(web, "analyst")
    segment = _first_segment(web)
    csv_text = web.get(f"/ui/segments/{segment}/members.csv").text
    head, *rows = csv_text.strip().splitlines()
    assert head.startswith("pseudonym,")
    assert rows
    assert all(re.match(r"^[0-9a-f]{32},", row) for row in rows)
    assert "@" not in csv_text


def test_an_admin_exports_a_segment_with_contacts_and_it_is_audited(
    web: TestClient, web_sample: SampleStore
) -> None:
    sign_in(web, "admin")
    segment = _first_segment(web)
    csv_text = web.get(f"/ui/segments/{segment}/members.csv").text
    assert csv_text.startswith("customer_id,name,email")
    assert "@example.com" in csv_text
    from sqlalchemy import select

    from crmind.store.schema_access import AuditEntry

    with web_sample.engine.connect() as conn:
        actions = (
            conn.execute(select(AuditEntry.action).where(AuditEntry.actor == "user:admin"))
            .scalars()
            .all()
        )
    assert "export" in actions


def test_runs_are_listed_and_a_run_shows_its_window(
    web: TestClient, web_sample: SampleStore
) -> None:
    sign_in(web, "marketer")
    listing = web.get("/ui/models").text
    assert listing.count('data-row="run"') >= 2
    page = web.get(f"/ui/models/{web_sample.analysis_run}").text
    assert 'data-kpi="window"' in page
    assert web.get("/ui/models/999999").status_code == 404
