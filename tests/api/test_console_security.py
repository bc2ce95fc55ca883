"""The console's session and writes on the real app (auth on): the cookie holds a session id, never the key;
a cookie write needs our Origin and the page's CSRF token; every response carries the security headers."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.auth import SESSION_COOKIE
from composition.settings import Settings
from tests.api.conftest import ROWS, assert_error, configure
from tests.fakes import HashingEmbedder

OURS = "http://testserver"


@pytest.fixture
def app_client(fake_settings: Settings, fake_embedder: HashingEmbedder) -> Iterator[TestClient]:
    with TestClient(create_app(configure(fake_settings, auth="on", trust_proxy=True), embedder=fake_embedder)) as c:
        yield c


def sign_in(client: TestClient, role: str = "knowledge_owner") -> tuple[str, str]:
    """The plain key and the CSRF token of the page the signed-in console shows."""
    key = client.app.state.components.keys.create(role)[1]  # type: ignore[attr-defined]
    assert client.post("/console/session", json={"key": key}).status_code == 204
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get("/knowledge").text)
    assert token is not None
    return key, token[1]


def test_the_cookie_holds_a_session_not_the_key(app_client: TestClient) -> None:
    key, _ = sign_in(app_client)
    session = app_client.cookies[SESSION_COOKIE]

    assert key not in session and key.split("_", 2)[2] not in session
    assert app_client.get("/v1/knowledge").status_code == 200
    app_client.cookies.clear()
    app_client.cookies.set(SESSION_COOKIE, key)  # the raw key in the cookie is no session
    assert_error(app_client.get("/v1/knowledge"), 401, "unauthorized")


def test_revoking_the_key_ends_its_sessions(app_client: TestClient) -> None:
    key, _ = sign_in(app_client)
    assert app_client.get("/v1/knowledge").status_code == 200

    app_client.app.state.components.keys.revoke(key.split("_")[1])  # type: ignore[attr-defined]

    assert_error(app_client.get("/v1/knowledge"), 401, "unauthorized")
    assert 'id="signin-form"' in app_client.get("/knowledge").text


def test_signing_out_ends_the_session_on_the_server(app_client: TestClient) -> None:
    sign_in(app_client)
    session = app_client.cookies[SESSION_COOKIE]
    app_client.delete("/console/session")

    app_client.cookies.clear()
    app_client.cookies.set(SESSION_COOKIE, session)  # a copy of the cookie kept by someone
    assert_error(app_client.get("/v1/knowledge"), 401, "unauthorized")


def test_the_cookie_is_secure_over_tls_only(app_client: TestClient) -> None:
    key = app_client.app.state.components.keys.create("qa")[1]  # type: ignore[attr-defined]
    plain = app_client.post("/console/session", json={"key": key}).headers["set-cookie"].lower()
    proxied = app_client.post("/console/session", json={"key": key},
                              headers={"X-Forwarded-Proto": "https"}).headers["set-cookie"].lower()
    with TestClient(app_client.app, base_url="https://testserver") as tls:
        direct = tls.post("/console/session", json={"key": key}).headers["set-cookie"].lower()

    assert "secure" not in plain
    for cookie in (proxied, direct):
        assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_an_untrusted_proxy_header_does_not_make_the_cookie_secure(
    fake_settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    with TestClient(create_app(configure(fake_settings, auth="on"), embedder=fake_embedder)) as client:
        key = client.app.state.components.keys.create("qa")[1]  # type: ignore[attr-defined]
        cookie = client.post("/console/session", json={"key": key}, headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in cookie.headers["set-cookie"].lower()


def test_a_cookie_write_needs_our_origin_and_the_token(app_client: TestClient) -> None:
    _, token = sign_in(app_client)
    upload = {"entries": ROWS}
    refused = [
        {},  # neither
        {"Origin": OURS},  # no token
        {"X-CSRF-Token": token},  # no origin
        {"Origin": OURS, "X-CSRF-Token": "forged"},
        {"Origin": "http://testserver:8001", "X-CSRF-Token": token},  # same site, another port
        {"Origin": "http://evil.testserver", "X-CSRF-Token": token},  # a sibling subdomain
        {"Referer": "http://testserver.evil.example/x", "X-CSRF-Token": token},
    ]
    for headers in refused:
        assert_error(app_client.post("/v1/knowledge", json=upload, headers=headers), 403, "csrf_failed")
        assert_error(app_client.post("/v1/knowledge/versions/1/rollback", headers=headers), 403, "csrf_failed")
    assert app_client.get("/v1/knowledge").json()["total"] == 0

    assert app_client.post("/v1/knowledge", json=upload, headers={"Origin": OURS, "X-CSRF-Token": token}).is_success
    assert app_client.post("/v1/knowledge", json=upload,
                           headers={"Referer": f"{OURS}/knowledge", "X-CSRF-Token": token}).is_success
    assert app_client.get("/v1/knowledge").json()["total"] > 0  # reads need no token


def test_bearer_keys_need_no_token(app_client: TestClient) -> None:
    key = app_client.app.state.components.keys.create("knowledge_owner")[1]  # type: ignore[attr-defined]
    response = app_client.post("/v1/knowledge", json={"entries": ROWS},
                               headers={"Authorization": f"Bearer {key}", "Origin": "chrome-extension://abc"})
    assert response.is_success


def test_another_origin_may_not_sign_a_browser_in(app_client: TestClient) -> None:
    key = app_client.app.state.components.keys.create("agent")[1]  # type: ignore[attr-defined]
    refused = app_client.post("/console/session", json={"key": key}, headers={"Origin": "http://testserver:9000"})
    assert_error(refused, 403, "csrf_failed")
    assert SESSION_COOKIE not in app_client.cookies


def test_without_keys_a_write_from_another_origin_is_refused(
    fake_settings: Settings, fake_embedder: HashingEmbedder
) -> None:
    with TestClient(create_app(fake_settings, embedder=fake_embedder)) as client:  # DRAFTDESK_AUTH=off
        assert_error(client.post("/v1/knowledge", json={"entries": ROWS}, headers={"Origin": "http://evil.example"}),
                     403, "csrf_failed")
        assert client.post("/v1/knowledge", json={"entries": ROWS}, headers={"Origin": OURS}).is_success
        extension = client.post("/v1/drafts", json={"message": "在吗", "platform": "taobao"},
                                headers={"Origin": "chrome-extension://abcdefghijklmnop"})
        assert extension.status_code == 200  # the browser extension, with no key to send


@pytest.mark.parametrize("path", ["/", "/knowledge", "/v1/knowledge", "/static/common.js", "/healthz", "/nope"])
def test_every_response_carries_the_security_headers(app_client: TestClient, path: str) -> None:
    headers = app_client.get(path).headers

    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp


def test_the_api_docs_may_load_swagger_ui(app_client: TestClient) -> None:
    csp = app_client.get("/docs").headers["content-security-policy"]
    assert "https://cdn.jsdelivr.net" in csp and "frame-ancestors 'none'" in csp


def test_the_static_folder_logs_no_error(app_client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        assert app_client.get("/static/").status_code == 404
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    metrics = app_client.get("/metrics").text
    assert 'method="GET",route="unmatched",status="404"' in metrics  # counted, like any 404
