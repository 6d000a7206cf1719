"""The customer pages: search by contact details, filters, the 360° page, pseudonyms for
analysts, audited reads, and the admins' privacy actions."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from crmind.store.schema_access import AuditEntry
from tests.api.sample_store import SampleStore, email
from tests.web.conftest import sign_in


def _audited_reads(store: SampleStore, actor: str, customer_id: int) -> int:
    with store.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).where(
                    AuditEntry.actor == actor,
                    AuditEntry.action == "read",
                    AuditEntry.customer_id == customer_id,
                )
            ).scalar_one()
        )


def test_an_agent_finds_a_customer_by_email_and_the_read_is_audited(
    web: TestClient, web_sample: SampleStore
) -> None:
    sign_in(web, "agent")
    before = _audited_reads(web_sample, "user:agent", 3)
    page = web.get("/ui/customers", params={"q": email(3)})
    assert 'data-count="1"' in page.text
    assert "Customer 3" in page.text
    assert _audited_reads(web_sample, "user:agent", 3) == before + 1


def test_a_name_search_matches_whole_words(web: TestClient) -> None:
    sign_in(web, "agent")
    assert "Customer 12<" in web.get("/ui/customers", params={"q": "customer 12"}).text
    assert 'data-count="0"' in web.get("/ui/customers", params={"q": "Custo"}).text


def count(html: str) -> int:
    return int(html.split('data-count="')[1].split('"')[0])


def test_filters_narrow_the_list(web: TestClient) -> None:
    sign_in(web, "admin")
    everyone = web.get("/ui/customers").text
    high = web.get("/ui/customers", params={"value": "high"}).text
    assert 0 < count(high) < count(everyone)
    assert 'data-count="0"' not in high


def test_an_analyst_sees_pseudonyms_only_and_cannot_search_contacts(web: TestClient) -> None:
    sign_in(web, "analyst")
    page = web.get("/ui/customers", params={"q": email(3)}).text
    assert 'data-pseudonymised="1"' in page
    assert "Customer 3" not in page
    assert "@example.com" not in page
    assert 'name="q"' not in page
    assert web.get("/ui/customers/3").status_code == 403


def test_the_360_page_shows_profile_scores_and_timeline(web: TestClient) -> None:
    sign_in(web, "agent")
    page = web.get("/ui/customers/2").text
    assert "Customer 2" in page
    assert email(2) in page
    for section in ("profile", "churn", "recommendations", "timeline", "consents"):
        assert f'data-section="{section}"' in page
    assert 'data-kind="order"' in page
    assert 'data-kind="feedback"' in page
    assert 'data-section="privacy"' not in page  # agents have no privacy actions


def test_an_unknown_customer_is_a_404_page(web: TestClient) -> None:
    sign_in(web, "admin")
    answer = web.get("/ui/customers/999999")
    assert answer.status_code == 404
    assert 'data-status="404"' in answer.text


def test_an_admin_exports_a_customer_as_json(web: TestClient) -> None:
    sign_in(web, "admin")
    answer = web.get("/ui/customers/5/export.json")
    assert answer.status_code == 200
    assert "attachment" in answer.headers["content-disposition"]
    assert email(5) in json.dumps(json.loads(answer.text))
    sign_in(web, "agent")
    assert web.get("/ui/customers/5/export.json").status_code == 403


def test_erasure_needs_the_token_and_the_confirmation(web: TestClient) -> None:
    csrf = sign_in(web, "admin")
    assert web.post("/ui/customers/40/erase", data={"confirm": "yes"}).status_code == 403
    web.post("/ui/customers/40/erase", data={"csrf": csrf}, follow_redirects=False)
    assert "Customer 40" in web.get("/ui/customers/40").text  # not ticked: nothing erased
    answer = web.post(
        "/ui/customers/40/erase", data={"csrf": csrf, "confirm": "yes"}, follow_redirects=False
    )
    assert answer.status_code == 303
    page = web.get(answer.headers["location"]).text
    assert "data-erased" in page
    assert "Customer 40" not in page
