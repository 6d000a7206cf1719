"""The data page in Chromium: an admin uploads a small CSV with exactly one bad row, watches
the import finish, finds the row rejected with its reason and downloads the rejects."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page

from tests.e2e.conftest import PHONE, screenshot
from tests.e2e.demo_store import DemoStore
from tests.e2e.signed_in import signed_in

ONE_BAD_ROW = (
    "customer_id,name,email\n"
    "e2e-1,Erin Example,erin@example.com\n"
    "e2e-2,Owen Example,owen@example.com\n"
    "e2e-3,Bad Example,this is not an e-mail\n"
    "e2e-4,Nia Example,nia@example.com\n"
)


def test_an_import_with_one_bad_row_shows_the_rejection_and_its_download(
    browser: Browser, base_url: str, demo: DemoStore, tmp_path: Path
) -> None:
    with signed_in(browser, base_url, demo, "admin", then="/ui/data") as page:
        _import_one_bad_row(page, tmp_path)


def _import_one_bad_row(page: Page, tmp_path: Path) -> None:
    upload = tmp_path / "new-customers.csv"
    upload.write_text(ONE_BAD_ROW)
    page.select_option("select[name=kind]", "customers")
    page.fill("input[name=source]", "e2e-upload")
    page.set_input_files("input[name=file]", str(upload))
    screenshot(page, "data")
    page.click("[data-action=upload]")
    page.wait_for_url("**/ui/data?job=*")
    page.locator("#import-progress[data-phase=done]").wait_for()  # htmx polled it to the end
    assert page.locator("[data-kpi=rejected] .value").inner_text() == "1"
    assert page.locator("[data-kpi=new] .value").inner_text() == "3"
    run = page.locator("[data-run-link]").get_attribute("data-run-link")
    page.locator(f"#history [data-run-id='{run}']").wait_for()  # the history reloaded itself
    screenshot(page, "data-progress")
    page.click("[data-run-link]")
    page.wait_for_url(f"**/ui/data/runs/{run}")
    rejects = page.locator("[data-row=reject]")
    assert rejects.count() == 1
    assert rejects.get_attribute("data-reject-row") == "4"
    assert rejects.locator("[data-field]").inner_text() == "email"
    assert "invalid e-mail address" in rejects.locator("[data-reason]").inner_text()
    screenshot(page, "data-rejects")
    with page.expect_download() as download:
        page.click("[data-action=download-rejects]")
    saved = tmp_path / "rejects.csv"
    download.value.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0] == "row,field,reason,raw"
    assert len(lines) == 2
    assert lines[1].startswith("4,email,")


def test_the_data_page_fits_a_phone_in_chinese(
    browser: Browser, base_url: str, demo: DemoStore
) -> None:
    with signed_in(browser, base_url, demo, "admin", then="/ui/data?lang=zh", phone=True) as page:
        assert page.locator("h1").inner_text() == "数据导入"
        assert page.locator("[data-row=run]").count() > 0
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
        screenshot(page, "phone-data-zh")
