"""The browser extension against a fake seller console: the buyer's message in, a cited draft out, the draft in
the page's reply box. Chromium loads extension/ unpacked; the panel page opens in a tab (headless Chromium
cannot open a side panel) and talks to the seller's tab through the service worker."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import EXTENSION_DIR, ExtensionBrowser, extension_id, serve_directory

FAKE_SELLER = Path(__file__).parent / "fake_seller"
Shoot = Callable[[Page, str], None]


@pytest.fixture(scope="module")
def seller_url() -> Iterator[str]:
    with serve_directory(FAKE_SELLER) as base:
        yield f"{base}/index.html"


@pytest.fixture
def seller(extension: ExtensionBrowser, seller_url: str) -> Page:
    page = extension.web_page()
    page.goto(seller_url)
    return page


def configure(extension: ExtensionBrowser, **settings: str) -> None:
    """Writes settings the way the options page stores them."""
    page = extension.open("options.html")
    page.evaluate("(s) => chrome.storage.sync.set(s)", settings)
    page.close()


def open_panel(extension: ExtensionBrowser) -> Page:
    return extension.open("panel.html")


def select_text(page: Page, selector: str) -> None:
    page.evaluate("""(selector) => {
        const range = document.createRange();
        range.selectNodeContents(document.querySelector(selector));
        getSelection().removeAllRanges();
        getSelection().addRange(range);
    }""", selector)


def test_the_manifest_key_fixes_the_extension_id(extension: ExtensionBrowser) -> None:
    manifest = json.loads((EXTENSION_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["manifest_version"] == 3
    assert extension.extension_id == extension_id()


def test_options_page_saves_the_settings(extension: ExtensionBrowser, live_server: str, screenshot: Shoot) -> None:
    options = extension.open("options.html", width=760, height=520)
    expect(options.locator("#serverUrl")).to_have_value("http://127.0.0.1:8000")
    options.fill("#serverUrl", live_server + "/")
    options.fill("#apiKey", "sk-test-key")
    options.select_option("#platform", "jd")
    options.select_option("#role", "l2")
    options.fill("#replySelector", "#reply")
    options.click("#save")
    expect(options.locator("#status")).to_have_text("Saved")
    options.click("#test")
    expect(options.locator("#status")).to_have_text("Connected")
    expect(options.locator("#serverUrl")).to_have_value(live_server)  # the trailing slash is dropped
    screenshot(options, "extension-options")

    stored = options.evaluate("Promise.all([chrome.storage.sync.get(null), chrome.storage.local.get('apiKey')])")
    assert stored[0]["serverUrl"] == live_server
    assert (stored[0]["platform"], stored[0]["role"], stored[0]["replySelector"]) == ("jd", "l2", "#reply")
    assert stored[1] == {"apiKey": "sk-test-key"}  # the key is not synced
    options.reload()
    options.wait_for_selector("body[data-ready]")
    expect(options.locator("#serverUrl")).to_have_value(live_server)
    expect(options.locator("#role")).to_have_value("l2")


def test_a_draft_lands_in_the_seller_reply_box(
    extension: ExtensionBrowser, seller: Page, live_server: str, screenshot: Shoot
) -> None:
    configure(extension, serverUrl=live_server, platform="taobao")
    select_text(seller, "#latest")
    panel = open_panel(extension)

    panel.click("#fromPage")
    expect(panel.locator("#message")).to_have_value("我的快递怎么还没到")
    panel.click("#draft")
    expect(panel.locator("#result")).to_be_visible()
    expect(panel.locator("#citations")).to_contain_text("ship-001")
    expect(panel.locator("#citations")).to_contain_text("我的快递怎么还没到？")
    expect(panel.locator("#meta")).to_contain_text("logistics")
    expect(panel.locator("#compliance")).to_have_class("compliance passed")
    draft = panel.input_value("#reply")
    assert "48小时" in draft

    panel.click("#insert")
    expect(panel.locator("#actionStatus")).to_have_text("Inserted into the reply box")
    expect(seller.locator("#reply")).to_have_value(draft)
    assert seller.evaluate("window.typed") == draft  # the page's own input listener saw it
    expect(seller.locator("#count")).to_have_text(str(len(draft)))

    panel.click("#lang")  # the Chinese UI, for the screenshot
    expect(panel.locator("#insert")).to_have_text("插入回复框")
    expect(panel.locator("#actionStatus")).to_have_text("已插入回复框")
    screenshot(panel, "extension-panel")


def test_an_english_message_gets_an_english_draft(extension: ExtensionBrowser, seller: Page, live_server: str) -> None:
    configure(extension, serverUrl=live_server)
    seller.fill("#reply", "")
    panel = open_panel(extension)
    panel.fill("#message", "Where is my parcel? It still has not arrived.")
    panel.select_option("#platform", "amazon")
    panel.click("#draft")
    expect(panel.locator("#citations")).to_contain_text("ship-001")
    draft = panel.input_value("#reply")
    assert "48 hours" in draft

    panel.fill("#reply", draft + " Thanks!")  # the agent edits before inserting
    panel.click("#insert")
    expect(seller.locator("#reply")).to_have_value(draft + " Thanks!")


def test_a_configured_message_selector_reads_the_latest_buyer_message(
    extension: ExtensionBrowser, seller: Page, live_server: str
) -> None:
    configure(extension, serverUrl=live_server, messageSelector=".msg.buyer .text")
    panel = open_panel(extension)  # reads the page on open
    expect(panel.locator("#message")).to_have_value("我的快递怎么还没到")


def test_a_server_error_is_shown_in_the_panel(extension: ExtensionBrowser, seller: Page, live_server: str) -> None:
    configure(extension, serverUrl=live_server)
    panel = open_panel(extension)
    panel.fill("#message", "")
    panel.click("#draft")
    error = panel.locator("#error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("422")
    expect(error).to_contain_text("invalid_request")
    expect(error).to_contain_text("at least 1 character")
    expect(panel.locator("#result")).to_be_hidden()


def test_an_unreachable_server_is_shown_in_the_panel(extension: ExtensionBrowser, seller: Page) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    configure(extension, serverUrl=dead)
    panel = open_panel(extension)
    panel.fill("#message", "我的快递怎么还没到")
    panel.click("#draft")
    expect(panel.locator("#error")).to_contain_text(f"Cannot reach the draftdesk server at {dead}")


def test_inserting_without_a_reply_box_says_so(extension: ExtensionBrowser, seller: Page, live_server: str) -> None:
    configure(extension, serverUrl=live_server, replySelector="#no-such-box")
    panel = open_panel(extension)
    panel.fill("#message", "我的快递怎么还没到")
    panel.click("#draft")
    expect(panel.locator("#result")).to_be_visible()
    panel.click("#insert")
    expect(panel.locator("#error")).to_contain_text("No reply box found")
    expect(seller.locator("#reply")).to_have_value("")


def test_a_draft_that_needs_a_human_says_why(extension: ExtensionBrowser, seller: Page, live_server: str) -> None:
    configure(extension, serverUrl=live_server)
    panel = open_panel(extension)
    panel.fill("#message", "ok thanks bye")
    panel.select_option("#platform", "amazon")
    panel.click("#draft")
    expect(panel.locator("#human")).to_be_visible()
    expect(panel.locator("#human")).to_contain_text("Needs a human")
    expect(panel.locator("#reasons li[title=low_confidence]")).to_have_count(1)
    expect(panel.locator("#citations")).to_have_text("No citations")


def test_a_draft_goes_into_a_contenteditable_reply_box(
    extension: ExtensionBrowser, seller: Page, seller_url: str, live_server: str
) -> None:
    configure(extension, serverUrl=live_server)
    seller.goto(seller_url.replace("index.html", "rich.html"))
    seller.click("#editor")  # the box the agent last clicked in
    panel = open_panel(extension)
    panel.fill("#message", "Where is my parcel?")
    panel.click("#draft")
    expect(panel.locator("#result")).to_be_visible()
    panel.click("#insert")
    expect(panel.locator("#actionStatus")).to_have_text("Inserted into the reply box")
    assert seller.inner_text("#editor").strip() == panel.input_value("#reply")  # line breaks kept
    assert seller.evaluate("window.inputs") >= 1


class _RecordingApi(BaseHTTPRequestHandler):
    """A stand-in draftdesk that records each request and answers a fixed draft."""

    requests: ClassVar[list[tuple[dict[str, str], dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append((dict(self.headers), body))
        answer = json.dumps({"draft": "recorded", "language": "en", "citations": [], "confidence": 0.5,
                             "needs_human": False, "reasons": [], "provider": "template", "degraded": False,
                             "latency_ms": 1.0}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_the_request_carries_the_api_key_and_the_chosen_fields(extension: ExtensionBrowser, seller: Page) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        configure(extension, serverUrl=f"http://127.0.0.1:{server.server_address[1]}", role="supervisor")
        extension.open("options.html").evaluate("chrome.storage.local.set({apiKey: 'sk-team'})")
        panel = open_panel(extension)
        panel.fill("#message", "  Where is my parcel?  ")
        panel.select_option("#platform", "jd")
        panel.select_option("#locale", "en")
        panel.click("#draft")
        expect(panel.locator("#reply")).to_have_value("recorded")
    finally:
        server.shutdown()
        server.server_close()
    headers, body = _RecordingApi.requests[-1]
    assert headers["Authorization"] == "Bearer sk-team"
    assert body == {"message": "  Where is my parcel?  ", "platform": "jd", "role": "supervisor", "locale": "en"}
