"""Campaign routes and the public unsubscribe link, on a copy of the campaign test store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crmind.api import create_app
from crmind.privacy.consent import MARKETING_EMAIL
from crmind.services.access import create_key
from crmind.services.campaign_runner import run_campaigns
from crmind.services.campaign_unsubscribe import make_token, unsubscribe_key
from crmind.services.consents import current_consents
from tests.api.conftest import auth
from tests.campaign_store import CONSENTING, CampaignStore, copy_campaign_store
from tests.campaigns.smtp_server import SmtpServer

SPEC = {
    "name": "welcome",
    "audience": {"stages": ["active", "reactivated"]},
    "content": {"subject": {"en": "Welcome {{ first_name }}"}, "text": {"en": "Hello"}},
    "experiment": {"holdout": 0.2},
}


@pytest.fixture
def store(campaign_template: CampaignStore, tmp_path: Path) -> CampaignStore:
    return copy_campaign_store(campaign_template, tmp_path / "store")


@pytest.fixture
def client(store: CampaignStore) -> Iterator[TestClient]:
    with TestClient(create_app(store.settings, store.engine)) as test_client:
        yield test_client


def _key(store: CampaignStore, role: str) -> dict[str, str]:
    return auth(create_key(store.engine, f"{role} key", role=role).secret)


def test_a_marketer_creates_previews_and_reads_the_report(
    store: CampaignStore, client: TestClient
) -> None:
    marketer = _key(store, "marketer")
    created = client.post("/campaigns", json=SPEC, headers=marketer)
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]

    preview = client.get(f"/campaigns/{campaign_id}/preview", headers=marketer).json()
    assert preview["steps"][0] == {"rule": "all customers", "remaining": 40}
    assert preview["treated"] + preview["holdout"] == preview["consenting"]
    assert "sample" not in preview  # no names for a pseudonymised role

    with SmtpServer() as smtp:
        settings = store.settings.model_copy(update={"smtp_port": smtp.port})
        run_campaigns(store.engine, settings)
    report = client.get(f"/campaigns/{campaign_id}/report", headers=_key(store, "analyst"))
    body = report.json()
    assert body["messages"] == {"sent": preview["treated"]}
    assert {group["group"] for group in body["groups"]} == {"holdout", "main"}
    assert body["conversion_uplift"] is not None

    listed = client.get("/campaigns", headers=marketer).json()
    assert listed["data"][0]["messages"] == {"sent": preview["treated"]}


def test_a_bad_template_is_refused_with_its_place(store: CampaignStore, client: TestClient) -> None:
    bad = SPEC | {"content": {"subject": {"en": "Hi {{ first_name"}, "text": {"en": "x"}}}
    answer = client.post("/campaigns", json=bad, headers=_key(store, "marketer"))
    assert answer.status_code == 422
    assert "content.subject.en" in answer.text


def test_a_taken_name_is_refused(store: CampaignStore, client: TestClient) -> None:
    marketer = _key(store, "marketer")
    assert client.post("/campaigns", json=SPEC, headers=marketer).status_code == 201
    again = client.post("/campaigns", json=SPEC, headers=marketer)
    assert again.status_code == 422
    assert "exists already" in again.text


def test_an_agent_may_not_see_campaigns(store: CampaignStore, client: TestClient) -> None:
    assert client.get("/campaigns", headers=_key(store, "agent")).status_code == 403


def test_the_unsubscribe_link_asks_then_withdraws_consent(
    store: CampaignStore, client: TestClient
) -> None:
    customer = store.ids[sorted(CONSENTING)[0]]
    token = make_token(unsubscribe_key(store.settings), customer, 1)

    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200
    assert 'method="post"' in page.text
    assert current_consents(store.engine, customer)[MARKETING_EMAIL].granted  # GET changes nothing

    done = client.post(f"/unsubscribe/{token}")
    assert done.status_code == 200
    assert "已退订" in done.text
    assert not current_consents(store.engine, customer)[MARKETING_EMAIL].granted


def test_a_forged_unsubscribe_link_changes_nothing(
    store: CampaignStore, client: TestClient
) -> None:
    customer = store.ids[sorted(CONSENTING)[0]]
    token = make_token(b"not the key" * 3, customer, 1)
    assert client.post(f"/unsubscribe/{token}").status_code == 400
    assert client.get("/unsubscribe/12.x").status_code == 400
    assert current_consents(store.engine, customer)[MARKETING_EMAIL].granted
