"""Signing in, the overview's charts, the language switch and signing out, in Chromium."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.e2e.conftest import chart_points, login, screenshot


def test_a_signed_out_visitor_is_sent_to_the_login_page(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/ui/")
    assert "/ui/login" in page.url
    screenshot(page, "login")


def test_a_wrong_password_is_refused(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/ui/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert page.locator("[data-message='login.failed']").is_visible()


def test_the_overview_draws_its_charts_with_data(page: Page, base_url: str) -> None:
    login(page, base_url, "admin")
    assert int(page.locator("[data-kpi=customers] .value").inner_text().replace(",", "")) > 100
    for name in ("revenue", "segment_sizes", "value_share", "clv", "churn", "sentiment"):
        assert chart_points(page, name) > 2, name
    screenshot(page, "overview")


def test_the_language_switches_to_chinese_and_stays(page: Page, base_url: str) -> None:
    login(page, base_url, "marketer")
    page.click("[data-lang-link=zh]")
    assert page.locator("h1").inner_text() == "概览"
    page.goto(f"{base_url}/ui/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator("[data-nav=overview]").inner_text() == "概览"
    screenshot(page, "overview-zh")
    page.click("[data-lang-link=en]")
    assert page.locator("h1").inner_text() == "Overview"


def test_signing_out_ends_the_session(page: Page, base_url: str) -> None:
    login(page, base_url, "viewer")
    page.click("[data-action=logout]")
    page.wait_for_url("**/ui/login?out=1")
    page.goto(f"{base_url}/ui/")
    assert "/ui/login" in page.url
