"""The chat widget and the service inbox in Chromium: a customer chats with the assistant and
asks for a person; an agent finds the hand-off in the inbox, takes it, replies and closes it."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.e2e.conftest import PHONE, screenshot
from tests.e2e.demo_store import DemoStore
from tests.e2e.signed_in import signed_in


def _say(page: Page, text: str, customers: int) -> None:
    page.fill("#chat-form input[name=text]", text)
    page.click("[data-action=send]")
    page.locator("#chat-thread [data-message-role=customer]").nth(customers - 1).wait_for()


def test_a_chat_hand_off_is_answered_and_closed_in_the_inbox(
    browser: Browser, base_url: str, demo: DemoStore
) -> None:
    with signed_in(browser, base_url, demo, "agent", then="/ui/chat") as page:
        _hand_off_answer_and_close(page, base_url)


def _hand_off_answer_and_close(page: Page, base_url: str) -> None:
    _say(page, "Where is my parcel?", 1)
    assert page.locator("#chat-thread [data-message-role=assistant]").count() == 1
    _say(page, "I want to talk to a person", 2)
    handoff = page.locator("[data-handoff]")
    handoff.wait_for()
    ticket = handoff.get_attribute("data-handoff")
    assert page.locator("#conversation-id").input_value() == ticket
    screenshot(page, "chat")

    page.goto(f"{base_url}/ui/inbox?view=handoffs")
    row = page.locator(f"[data-row=ticket][data-ticket-id='{ticket}']")
    assert "Where is my parcel?" not in row.inner_text()  # the preview is the newest message
    assert "talk to a person" in row.inner_text()
    screenshot(page, "inbox")
    row.locator("[data-ticket-link]").click()
    page.wait_for_url(f"**/ui/inbox/{ticket}")
    assert page.locator("[data-section=transcript] [data-message-role=customer]").count() == 2
    assert page.locator("[data-summary]").is_visible()
    page.click("[data-action=assign-me]")
    page.wait_for_url("**done=assigned")
    assert page.locator("[data-assigned-to]").inner_text() == "agent"
    page.fill("[data-form=reply] textarea", "Hello, I am Ana from the service team.")
    page.click("[data-action=reply]")
    page.wait_for_url("**done=replied")
    assert (
        page.locator("[data-message-role=agent]")
        .inner_text()
        .endswith("Hello, I am Ana from the service team.")
    )
    screenshot(page, "inbox-ticket")
    page.fill("textarea[name=summary]", "Parcel question, tracking sent")
    page.click("[data-action=close]")
    page.wait_for_url("**done=closed")
    assert page.locator("[data-status-value]").get_attribute("data-status-value") == "closed"

    page.goto(f"{base_url}/ui/chat?conversation={ticket}")  # the customer sees the reply
    assert page.locator("#chat-thread [data-message-role=agent]").count() == 1
    assert page.locator("[data-closed]").is_visible()


def test_the_demo_customers_hand_off_is_in_the_inbox_in_chinese(
    browser: Browser, base_url: str, demo: DemoStore
) -> None:
    with signed_in(browser, base_url, demo, "admin", then="/ui/inbox?lang=zh", phone=True) as page:
        assert page.locator("h1").inner_text() == "客服工单"
        assert page.locator("[data-row=ticket][data-origin=assistant]").count() > 0
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
        screenshot(page, "phone-inbox-zh")
