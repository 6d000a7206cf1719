"""The campaigns pages on a campaign that has run (a real SMTP server took its messages): the
list, and the report with its groups, uplift and interval, in English and Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crmind.api import create_app
from crmind.campaigns.spec import CampaignSpec
from crmind.services.access import add_user
from crmind.services.campaign_report import campaign_report
from crmind.services.campaign_runner import run_campaigns
from crmind.services.campaigns import create_campaign
from tests.campaign_store import CampaignStore, copy_campaign_store
from tests.campaigns.smtp_server import SmtpServer
from tests.web.conftest import sign_in

SPEC = {
    "name": "welcome back",
    "description": "A note to active customers",
    "audience": {"stages": ["active", "reactivated"]},
    "content": {"subject": {"en": "Welcome {{ first_name }}"}, "text": {"en": "Hello"}},
    "experiment": {"holdout": 0.2},
}


@pytest.fixture
def store(campaign_template: CampaignStore, tmp_path: Path) -> CampaignStore:
    store = copy_campaign_store(campaign_template, tmp_path / "store")
    add_user(store.engine, "analyst", "analyst", password="analyst-password")
    create_campaign(store.engine, CampaignSpec.model_validate(SPEC))
    with SmtpServer() as smtp:
        run_campaigns(store.engine, store.settings.model_copy(update={"smtp_port": smtp.port}))
    return store


@pytest.fixture
def web(store: CampaignStore) -> Iterator[TestClient]:
    with TestClient(create_app(store.settings, store.engine)) as client:
        yield client


def test_the_list_shows_each_campaign_with_its_messages(
    web: TestClient, store: CampaignStore
) -> None:
    sign_in(web, "analyst")
    page = web.get("/ui/campaigns").text
    report = campaign_report(store.engine, "welcome back")
    assert len(re.findall(r'data-row="campaign"', page)) == 1
    assert 'href="/ui/campaigns/1">welcome back</a>' in page
    assert f"sent {report.messages['sent']}" in page


def test_the_report_shows_the_groups_and_the_uplift_with_its_interval(
    web: TestClient, store: CampaignStore
) -> None:
    sign_in(web, "analyst")
    page = web.get("/ui/campaigns/1").text
    report = campaign_report(store.engine, 1)
    rates = report.conversion_uplift
    assert rates is not None
    assert set(re.findall(r'data-group="(\w+)"', page)) == {"holdout", "main"}
    holdout = next(g for g in report.groups if g.group == "holdout")
    assert re.search(rf'data-group="holdout">.*?<td class="num">{holdout.customers}</td>', page)
    assert f"{100 * rates.uplift:+.1f} points" in page
    assert f"95% interval {100 * rates.low:+.1f} … {100 * rates.high:+.1f}" in page
    assert 'data-verdict="' in page
    assert 'data-notice="window-open"' in page  # the 14-day window has just opened
    assert "A note to active customers" in page


def test_the_report_reads_in_chinese_and_an_unknown_campaign_is_404(web: TestClient) -> None:
    sign_in(web, "analyst")
    page = web.get("/ui/campaigns/1?lang=zh").text
    assert "相对对照组的提升" in page
    assert "对照组" in page
    assert web.get("/ui/campaigns/99").status_code == 404
