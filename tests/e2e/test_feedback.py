"""The feedback page in Chromium: its charts drawn with data, topics and aspects, alerts that
lead an agent to the ticket, and the phone layout."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.e2e.conftest import PHONE, chart_points, login, screenshot


def test_the_feedback_page_draws_sentiment_topics_aspects_and_lists_alerts(
    page: Page, base_url: str
) -> None:
    login(page, base_url, "agent", then="/ui/feedback")
    for name in ("sentiment_trend", "mean_score", "topics", "aspects"):
        assert chart_points(page, name) > 0, name
    assert page.locator("[data-row=topic] [data-keyword]").count() > 0
    assert page.locator("[data-row=aspect]").count() > 0
    alerts = page.locator("[data-row=feedback][data-alert='1']")
    assert alerts.count() > 0
    screenshot(page, "feedback")
    alerts.locator("[data-ticket-link]").first.click()
    page.wait_for_url("**/ui/inbox/*")


def test_choosing_a_topic_narrows_the_list(page: Page, base_url: str) -> None:
    login(page, base_url, "marketer", then="/ui/feedback?show=all")
    everything = int(page.locator("[data-count]").get_attribute("data-count") or 0)
    page.locator("select[name=topic]").select_option(index=1)
    page.locator(f"#list [data-count]:not([data-count='{everything}'])").wait_for()
    assert "topic=" in page.url
    assert page.locator("[data-row=feedback] [data-pseudonym]").count() > 0


def test_the_feedback_page_fits_a_phone(browser: Browser, base_url: str) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        login(page, base_url, "agent", then="/ui/feedback?lang=zh")
        assert page.locator("h1").inner_text() == "客户反馈"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
        assert chart_points(page, "aspects") > 0
        screenshot(page, "phone-feedback-zh")
    finally:
        context.close()
