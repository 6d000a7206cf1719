"""The campaigns pages in Chromium: a campaign run on the demo store as of November 2011
(consent from some of its customers, the messages taken by a real SMTP server), its row in the
list, and its report, whose conversions are the customers' real orders of the next two weeks."""

from __future__ import annotations

from datetime import datetime

from playwright.sync_api import Page
from sqlalchemy import select

from crmind.campaigns.spec import CampaignSpec
from crmind.privacy.consent import MARKETING_EMAIL
from crmind.services.campaign_runner import run_campaigns
from crmind.services.campaigns import create_campaign
from crmind.services.consents import record_consent
from crmind.store.schema import Customer
from tests.campaigns.smtp_server import SmtpServer
from tests.e2e.conftest import chart_points, login, screenshot
from tests.e2e.demo_store import DemoStore

CONSENTING = 80
SENT_AT = datetime(2011, 11, 14, 9, 0)
"""The campaign is run as of this moment (``run_campaigns(now=...)``), inside the Online Retail
orders, so its report counts the real purchases of the next 14 days."""


def _run_a_campaign(demo: DemoStore) -> int:
    with demo.engine.connect() as conn:
        ids = conn.execute(
            select(Customer.id)
            .where(Customer.email_hash.is_not(None), Customer.id != demo.customer_id)
            .order_by(Customer.id)
            .limit(CONSENTING)
        ).scalars()
        chosen = list(ids)
    for customer in chosen:
        record_consent(demo.engine, customer, MARKETING_EMAIL, "grant", source="e2e", actor="e2e")
    spec = {
        "name": "winter note",
        "content": {"subject": {"en": "Hello {{ first_name }}"}, "text": {"en": "New mugs"}},
        "experiment": {"holdout": 0.25},
    }
    campaign = create_campaign(demo.engine, CampaignSpec.model_validate(spec))
    with SmtpServer() as smtp:
        settings = demo.settings.model_copy(update={"smtp_port": smtp.port})
        run_campaigns(demo.engine, settings, now=SENT_AT)
    return campaign.id


def test_a_marketer_opens_a_campaigns_report(page: Page, base_url: str, demo: DemoStore) -> None:
    campaign_id = _run_a_campaign(demo)
    login(page, base_url, "marketer", then="/ui/campaigns")
    assert page.locator("[data-nav=campaigns]").count() == 1
    screenshot(page, "campaigns")
    page.click(f"a[href='/ui/campaigns/{campaign_id}']")
    page.wait_for_url(f"**/ui/campaigns/{campaign_id}")
    assert page.locator("h1").inner_text() == "winter note"
    assert page.locator("[data-row=group]").count() == 2  # the holdout and the treated group
    customers = page.locator("[data-row=group] td.num").all_inner_texts()[::4]
    assert sum(int(n.replace(",", "")) for n in customers) == CONSENTING
    converted = page.locator("[data-row=group] td.num").all_inner_texts()[1::4]
    assert all(int(n) > 0 for n in converted)  # real orders in both groups (4 and 12)
    assert page.locator("[data-notice=window-open]").count() == 0  # closed in 2011
    assert chart_points(page, "rates") == 2
    assert page.locator("[data-row=conversion-uplift]").is_visible()
    screenshot(page, "campaign-report")
