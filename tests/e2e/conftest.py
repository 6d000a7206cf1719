"""Browser tests: a real uvicorn server on loopback serving the dashboard on the demo store, and
Debian's Chromium driven by Playwright (never a downloaded browser).

Fixtures: ``demo`` (the store, built once per session), ``base_url`` (the running server),
``browser`` (headless /usr/bin/chromium), ``page`` (a fresh 1280x800 tab). Helpers:
:func:`login`, :func:`screenshot` (writes docs/screenshots/<name>.png only when
CRMIND_SCREENSHOTS=1, so test runs leave the tree clean), :func:`chart_points`.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright._impl._api_structures import SetCookieParam
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from crmind.api import create_app
from crmind.web.session import SESSION_COOKIE
from tests.conftest import IN_CI, ROOT
from tests.e2e.demo_store import DemoStore, build_demo_store, password_of

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "screenshots"
DESKTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=390, height=844)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStore]:
    store = build_demo_store(tmp_path_factory.mktemp("demo"), every=8)
    yield store
    store.engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def base_url(demo: DemoStore) -> Iterator[str]:
    """The dashboard's address on a uvicorn server in a thread of this process."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(demo.settings, demo.engine),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the dashboard server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = (
            f"{CHROMIUM} is missing (apt-get install chromium, see scripts/system_packages.sh)"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab (own cookies) at 1280x800."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


_SESSIONS: dict[tuple[str, str], list[SetCookieParam]] = {}
"""The session cookie of each role's first sign-in through the form, reused by later tests: the
form allows 10 attempts a minute per address, and every browser test comes from 127.0.0.1."""


def login(page: Page, base_url: str, role: str, then: str = "/ui/") -> None:
    """Sign in as the demo user named ``role`` (through the login form the first time in the
    session, then with that session's cookie while it is valid) and open ``then``."""
    known = _SESSIONS.get((base_url, role))
    if known is not None:
        page.context.add_cookies(known)
        page.goto(f"{base_url}{then}")
        page.wait_for_load_state("networkidle")
        if "/ui/login" not in page.url:
            return
        # a test signed this user out, which voids every session of theirs: sign in again
        page.context.clear_cookies()
    page.goto(f"{base_url}/ui/login?next={then}")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", password_of(role))
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}{then}*")
    page.wait_for_load_state("networkidle")
    _SESSIONS[(base_url, role)] = [
        {"name": c["name"], "value": c["value"], "url": base_url}
        for c in page.context.cookies(base_url)
        if c["name"] == SESSION_COOKIE
    ]


def chart_points(page: Page, name: str) -> int:
    """How many data points the chart ``name`` was drawn with (0 until it is drawn); waits
    for its SVG."""
    chart = page.locator(f'.chart[data-chart-name="{name}"][data-drawn="1"]')
    chart.wait_for()
    if chart.locator("svg path").count() == 0:
        return 0
    return int(chart.get_attribute("data-points") or 0)


def screenshot(page: Page, name: str) -> Path | None:
    """docs/screenshots/<name>.png of the whole page, when CRMIND_SCREENSHOTS=1."""
    if os.environ.get("CRMIND_SCREENSHOTS") != "1":
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path), full_page=True)
    return path
