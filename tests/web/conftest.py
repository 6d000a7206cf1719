"""Fixtures of the dashboard's route tests: the API tests' sample store (built once per
session) with one user per role, each with a password, and one campaign not run yet; and a
helper that signs a client in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from crmind.api import create_app
from crmind.campaigns.spec import CampaignSpec
from crmind.services.access import add_user
from crmind.services.campaigns import create_campaign
from crmind.store.schema_access import ROLES
from tests.api.sample_store import SampleStore, build_sample_store


def password_of(role: str) -> str:
    return f"{role}-password"


@pytest.fixture(scope="session")
def web_sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SampleStore]:
    store = build_sample_store(tmp_path_factory.mktemp("web-sample"))
    for role in ROLES:
        add_user(store.engine, role, role, password=password_of(role))
    spec = {"name": "welcome", "content": {"subject": {"en": "Hi"}, "text": {"en": "Hello"}}}
    create_campaign(store.engine, CampaignSpec.model_validate(spec))  # campaign 1, not run
    yield store
    store.engine.dispose()


@pytest.fixture
def web(web_sample: SampleStore) -> Iterator[TestClient]:
    """A client of the app on the sample store, with its own cookies."""
    with TestClient(create_app(web_sample.settings, web_sample.engine)) as client:
        yield client


def form_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, role: str, password: str | None = None) -> str:
    """Sign ``client`` in as the user named ``role`` (out of any earlier session); returns the
    session's CSRF token."""
    client.cookies.clear()
    token = form_token(client.get("/ui/login").text)
    answer = client.post(
        "/ui/login",
        data={"username": role, "password": password or password_of(role), "csrf": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return form_token(client.get("/ui/").text)
