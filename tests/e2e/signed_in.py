"""Browser tabs of a signed-in role without the login form: the tab gets a session cookie
signed with the demo store's key, as the login form would set it.

The login form allows 10 attempts a minute per address (a token bucket) and every browser
test comes from 127.0.0.1, so a suite that signed in through the form for every test would be
throttled; signing in itself is tested in test_dashboard_basics.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, Page

from crmind.privacy.keys import derived_key, secret_key
from crmind.services.access import find_user
from crmind.web.session import SESSION_COOKIE, SESSION_PURPOSE, encode_session, new_session
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.demo_store import DemoStore


@contextmanager
def signed_in(
    browser: Browser,
    base_url: str,
    demo: DemoStore,
    role: str,
    then: str = "/ui/",
    *,
    phone: bool = False,
) -> Iterator[Page]:
    """A new tab (own context; 1280x800, or a touch phone's 390x844) signed in as the demo
    user ``role``, showing ``then``."""
    user = find_user(demo.engine, role)
    key = derived_key(secret_key(demo.settings), SESSION_PURPOSE)
    cookie = encode_session(new_session(user.id, user.username), key)
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP, is_mobile=phone, has_touch=phone, locale="en-GB"
    )
    context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": base_url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{base_url}{then}")
        page.wait_for_load_state("networkidle")
        assert "/ui/login" not in page.url, "the minted session was refused"
        yield page
    finally:
        context.close()
