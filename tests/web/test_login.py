"""Signing in and out: CSRF on every form, wrong passwords refused and audited, sessions that
end with the user."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from crmind.store.schema_access import AuditEntry, User
from tests.api.sample_store import SampleStore
from tests.web.conftest import form_token, sign_in


def _audited_actions(store: SampleStore, actor: str) -> list[str]:
    with store.engine.connect() as conn:
        found = conn.execute(select(AuditEntry.action).where(AuditEntry.actor == actor))
        return list(found.scalars())


def test_pages_send_a_signed_out_browser_to_the_login_page(web: TestClient) -> None:
    answer = web.get("/ui/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/login?next=/ui/"


def test_the_root_leads_to_the_dashboard_and_the_api_stays(web: TestClient) -> None:
    assert web.get("/", follow_redirects=False).headers["location"] == "/ui/"
    assert web.get("/health").json()["status"] == "ok"
    assert not any(path.startswith("/ui") for path in web.get("/openapi.json").json()["paths"])


def test_a_right_password_opens_a_session(web: TestClient) -> None:
    sign_in(web, "admin")
    page = web.get("/ui/")
    assert page.status_code == 200
    assert 'data-role="admin"' in page.text
    assert "no-store" in page.headers["cache-control"]


def test_a_login_without_the_forms_token_is_refused(web: TestClient) -> None:
    web.get("/ui/login")
    answer = web.post(
        "/ui/login",
        data={"username": "admin", "password": "admin-password", "csrf": "forged"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "crmind_session" not in answer.cookies


def test_a_wrong_password_is_refused_and_audited(web: TestClient, web_sample: SampleStore) -> None:
    token = form_token(web.get("/ui/login").text)
    answer = web.post("/ui/login", data={"username": "agent", "password": "guess", "csrf": token})
    assert answer.status_code == 401
    assert "crmind_session" not in answer.cookies
    actions = _audited_actions(web_sample, "user:agent")
    assert "login_failed" in actions


def test_after_sign_in_the_browser_goes_where_it_was_headed_but_never_off_site(
    web: TestClient,
) -> None:
    for wanted, expected in (("/ui/models", "/ui/models"), ("https://evil.example/", "/ui/")):
        web.cookies.clear()
        token = form_token(web.get("/ui/login").text)
        answer = web.post(
            "/ui/login",
            data={
                "username": "viewer",
                "password": "viewer-password",
                "csrf": token,
                "next": wanted,
            },
            follow_redirects=False,
        )
        assert answer.headers["location"] == expected


def test_logout_needs_the_sessions_token_and_ends_the_session(web: TestClient) -> None:
    csrf = sign_in(web, "viewer")
    assert web.post("/ui/logout", data={"csrf": "wrong"}).status_code == 403
    answer = web.post("/ui/logout", data={"csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    assert web.get("/ui/", follow_redirects=False).status_code == 303


def test_after_logout_a_copy_of_the_cookie_opens_nothing(
    web: TestClient, web_sample: SampleStore
) -> None:
    csrf = sign_in(web, "viewer")
    copied = web.cookies["crmind_session"]
    web.post("/ui/logout", data={"csrf": csrf})
    web.cookies.set("crmind_session", copied)
    assert web.get("/ui/", follow_redirects=False).status_code == 303
    actions = _audited_actions(web_sample, "user:viewer")
    assert "logout" in actions
    sign_in(web, "viewer")  # a new sign-in is a new session
    assert web.get("/ui/").status_code == 200


def test_a_disabled_user_loses_the_session(web: TestClient, web_sample: SampleStore) -> None:
    from crmind.services.access import add_user

    add_user(web_sample.engine, "temp", "viewer", password="temp-password")
    sign_in(web, "temp", "temp-password")
    assert web.get("/ui/").status_code == 200
    with web_sample.engine.begin() as conn:
        conn.execute(
            update(User).where(User.username == "temp").values(disabled_at=User.created_at)
        )
    web.app.state.crmind_web.forget_users()  # type: ignore[attr-defined]
    assert web.get("/ui/", follow_redirects=False).status_code == 303


def test_the_language_follows_the_query_then_the_cookie(web: TestClient) -> None:
    sign_in(web, "viewer")
    chinese = web.get("/ui/?lang=zh")
    assert chinese.cookies.get("crmind_lang") == "zh"
    assert '<html lang="zh-Hans">' in chinese.text
    assert '<html lang="zh-Hans">' in web.get("/ui/").text
    assert '<html lang="en">' in web.get("/ui/?lang=en").text
