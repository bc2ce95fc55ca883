"""With API keys on (the default), the console asks for a key, signs in, and then drafts with it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from api import create_app
from composition.settings import Settings
from tests.api.conftest import ROWS
from tests.browser.conftest import serve_app
from tests.conftest import MODEL_CACHE
from tests.fakes import HashingEmbedder


@pytest.fixture(scope="module")
def secured_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("secured"), model_cache_dir=MODEL_CACHE, llm="template",
                        threshold_zh=0.3, threshold_en=0.3, auth="on")
    app = create_app(settings, embedder=HashingEmbedder())
    with serve_app(app) as url:
        keys = app.state.components.keys
        admin, agent = keys.create("admin")[1], keys.create("agent")[1]
        seeded = httpx.post(f"{url}/v1/knowledge", json={"entries": ROWS}, headers={"Authorization": f"Bearer {admin}"})
        assert seeded.status_code == 200, seeded.text
        yield url, agent


def test_sign_in_with_a_key_then_draft(page: Page, secured_server: tuple[str, str]) -> None:
    """The draft is a cookie write: it carries the page's CSRF token, and the CSP lets every page part load."""
    url, agent_key = secured_server
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text
            else None)
    page.goto(f"{url}/?lang=en")
    expect(page.locator("#signin-form")).to_be_visible()

    page.locator("#signin-key").fill("dd_wrong_key")
    page.locator("#signin-form button").click()
    expect(page.locator("#signin-error")).to_contain_text("unknown or revoked API key")

    page.locator("#signin-key").fill(agent_key)
    page.locator("#signin-form button").click()
    expect(page.locator("#message")).to_be_visible()
    page.locator("#message").fill("我的快递怎么还没到")
    page.locator("#message").press("Control+Enter")
    expect(page.locator("#citations")).to_contain_text("ship-001")
    assert blocked == []
