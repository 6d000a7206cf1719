"""The feedback page in Chromium: its charts drawn with data, topics and aspects, alerts that
lead an agent to the ticket, and the phone layout."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.e2e.conftest import PHONE, chart_points, screenshot
from tests.e2e.demo_store import DemoStore
from tests.e2e.signed_in import signed_in


def test_the_feedback_page_draws_sentiment_topics_aspects_and_lists_alerts(
    browser: Browser, base_url: str, demo: DemoStore
) -> None:
    with signed_in(browser, base_url, demo, "agent", then="/ui/feedback") as page:
        for name in ("sentiment_trend", "mean_score", "topics", "aspects"):
            assert chart_points(page, name) > 0, name
        assert page.locator("[data-row=topic] [data-keyword]").count() > 0
        assert page.locator("[data-row=aspect]").count() > 0
        alerts = page.locator("[data-row=feedback][data-alert='1']")
        assert alerts.count() > 0
        screenshot(page, "feedback")
        alerts.locator("[data-ticket-link]").first.click()
        page.wait_for_url("**/ui/inbox/*")
        assert page.locator("[data-section=transcript]").is_visible()


def test_choosing_a_topic_narrows_the_list(
    browser: Browser, base_url: str, demo: DemoStore
) -> None:
    with signed_in(browser, base_url, demo, "marketer", then="/ui/feedback?show=all") as page:
        everything = int(page.locator("[data-count]").get_attribute("data-count") or 0)
        page.locator("select[name=topic]").select_option(index=1)
        page.locator(f"#list [data-count]:not([data-count='{everything}'])").wait_for()
        assert "topic=" in page.url
        assert page.locator("[data-row=feedback] [data-pseudonym]").count() > 0


def test_the_feedback_page_fits_a_phone(browser: Browser, base_url: str, demo: DemoStore) -> None:
    with signed_in(
        browser, base_url, demo, "agent", then="/ui/feedback?lang=zh", phone=True
    ) as page:
        assert page.locator("h1").inner_text() == "客户反馈"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
        assert chart_points(page, "aspects") > 0
        screenshot(page, "phone-feedback-zh")
