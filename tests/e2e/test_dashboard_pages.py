"""The customer, segment and model pages in Chromium: search, the 360 page, roles, the phone
layout, and a screenshot of every page (CRMIND_SCREENSHOTS=1)."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.e2e.conftest import PHONE, chart_points, login, screenshot
from tests.e2e.demo_store import DemoStore, password_of


def test_an_agent_searches_a_customer_and_opens_the_360_page(
    page: Page, base_url: str, demo: DemoStore
) -> None:
    login(page, base_url, "agent", then="/ui/customers")
    screenshot(page, "customers")
    page.fill("input[name=q]", demo.customer_email)
    page.locator("#results [data-count='1']").wait_for()  # htmx swapped the results in
    page.click(f"[data-customer-link='{demo.customer_id}']")
    page.wait_for_url(f"**/ui/customers/{demo.customer_id}")
    assert demo.customer_name in page.locator("h1").inner_text()
    assert chart_points(page, "customer_spend") > 0
    for kind in ("order", "event", "feedback", "conversation"):
        assert page.locator(f".timeline [data-kind={kind}]").count() > 0, kind
    assert page.locator("[data-row=driver]").count() > 0
    assert page.locator("[data-row=recommendation]").count() > 0
    assert page.locator("[data-clv-interval]").count() == 1
    assert page.locator("[data-section=privacy]").count() == 0
    screenshot(page, "customer-360")


def test_filters_and_sorting_change_the_list(page: Page, base_url: str) -> None:
    login(page, base_url, "admin", then="/ui/customers")
    everyone = int(page.locator("[data-count]").get_attribute("data-count") or 0)
    page.select_option("select[name=risk]", "high")
    page.locator(f"#results [data-count]:not([data-count='{everyone}'])").wait_for()
    risky = int(page.locator("[data-count]").get_attribute("data-count") or 0)
    assert 0 < risky < everyone
    assert "risk=high" in page.url  # the filter is in the address, so it can be shared


def test_an_analyst_sees_pseudonymised_customers_and_cannot_open_one(
    page: Page, base_url: str, demo: DemoStore
) -> None:
    login(page, base_url, "analyst", then="/ui/customers")
    assert page.locator("[data-pseudonymised]").is_visible()
    assert page.locator("[data-pseudonym]").count() > 0
    assert page.locator("input[name=q]").count() == 0
    assert "@example.com" not in page.content()
    page.goto(f"{base_url}/ui/customers/{demo.customer_id}")
    assert page.locator("[data-status='403']").is_visible()


def test_a_viewer_cannot_open_customers(page: Page, base_url: str, demo: DemoStore) -> None:
    login(page, base_url, "viewer")
    assert page.locator("[data-nav=customers]").count() == 0
    page.goto(f"{base_url}/ui/customers/{demo.customer_id}")
    assert page.locator("[data-status='403']").is_visible()
    screenshot(page, "forbidden")


def test_the_segments_page_draws_the_rfm_grid_and_lists_members(page: Page, base_url: str) -> None:
    login(page, base_url, "marketer", then="/ui/segments")
    assert chart_points(page, "rfm_grid") > 5
    assert chart_points(page, "learned_size") > 1
    screenshot(page, "segments")
    page.locator("[data-kind=learned] a").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-row=member] [data-pseudonym]").count() > 0
    with page.expect_download() as download:
        page.click("[data-action=export-segment]")
    assert download.value.suggested_filename.endswith(".csv")
    screenshot(page, "segment-members")


def test_the_models_page_shows_a_run_beside_its_baselines(page: Page, base_url: str) -> None:
    login(page, base_url, "analyst", then="/ui/models")
    screenshot(page, "models")
    page.locator("[data-row=run] a", has_text="Churn").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-section=comparison] [data-row=metric]").count() >= 3
    assert chart_points(page, "drivers") > 3
    assert page.locator("[data-gate]").count() == 1
    screenshot(page, "model-run")


def test_an_admin_sees_the_privacy_actions(page: Page, base_url: str, demo: DemoStore) -> None:
    login(page, base_url, "admin", then=f"/ui/customers/{demo.customer_id}")
    assert page.locator("[data-action=export]").is_visible()
    assert page.locator("[data-action=erase]").is_visible()


def test_the_dashboard_fits_a_phone(browser: Browser, base_url: str, demo: DemoStore) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        login(page, base_url, "agent", then=f"/ui/customers/{demo.customer_id}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, width  # nothing wider than the screen
        assert not page.locator(".nav").is_visible()  # the menu folds away
        page.click(".menu-button")
        assert page.locator("[data-nav=customers]").is_visible()
        screenshot(page, "phone-customer-360")
    finally:
        context.close()


def test_the_chinese_interface_on_the_360_page(page: Page, base_url: str, demo: DemoStore) -> None:
    login(page, base_url, "agent", then=f"/ui/customers/{demo.customer_id}?lang=zh")
    assert page.locator("[data-section=timeline] h2").inner_text() == "时间线"
    assert password_of("agent") not in page.content()
    screenshot(page, "customer-360-zh")
