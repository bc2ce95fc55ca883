"""Browser fixtures: Debian's Chromium driven by Playwright (no browser download), a live draftdesk server, and
Chromium with the extension loaded. Shared by every test under tests/browser (extension and web console).

- `live_server`: the base URL of the real app (uvicorn on 127.0.0.1, hashing embedder, a few zh/en FAQs).
- `browser`: headless Chromium; `page`: a fresh page in a fresh context, closed after the test.
- `extension`: Chromium with extension/ loaded in a fresh profile (`ExtensionBrowser`).
- `screenshot(page, name)`: writes docs/<name>.png under `make screenshots` (`--screenshots DIR`), else nothing.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from api import create_app
from composition.settings import Settings
from tests.api.conftest import ROWS
from tests.conftest import MODEL_CACHE, ROOT
from tests.fakes import HashingEmbedder

try:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
except ImportError:  # the dev extras are not installed: chromium_path skips or fails below
    sync_playwright = None  # type: ignore[assignment]

# Read at import: the autouse `_offline` fixture removes DRAFTDESK_* variables while each test runs.
CHROMIUM = Path(os.environ.get("DRAFTDESK_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = bool(os.environ.get("DRAFTDESK_REQUIRE_BROWSER"))

EXTENSION_DIR = ROOT / "extension"
# Without the host resolver rule Chromium keeps resolving Google hosts; both EXCLUDEs keep loopback working.
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--screenshots", metavar="DIR", default=None,
                     help="write the browser tests' screenshots (docs/*.png) into DIR")


def extension_id(manifest_dir: Path = EXTENSION_DIR) -> str:
    """Chrome derives an unpacked extension's id from the manifest's public key: a-p over sha256's first 16 bytes."""
    key = json.loads((manifest_dir / "manifest.json").read_text(encoding="utf-8"))["key"]
    digest = hashlib.sha256(base64.b64decode(key)).hexdigest()[:32]
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)


# --- servers -------------------------------------------------------------------------------------------------


@contextmanager
def serve_app(app: FastAPI) -> Iterator[str]:
    """Runs the app under uvicorn in a thread on a free loopback port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the draftdesk test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serves static files (fake pages) from a ThreadingHTTPServer on a free loopback port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app with the hashing embedder and a real Chroma in a temp dir, seeded with the API tests' FAQs."""
    with pytest.MonkeyPatch.context() as env:  # no DRAFTDESK_* setting leaks in from the shell or the Makefile
        for name in [n for n in os.environ if n.startswith("DRAFTDESK_")]:
            env.delenv(name)
        settings = Settings(data_dir=tmp_path_factory.mktemp("live-server"), model_cache_dir=MODEL_CACHE,
                            llm="template", threshold_zh=0.3, threshold_en=0.3, auth="off")
    with serve_app(create_app(settings, embedder=HashingEmbedder())) as url:
        response = httpx.post(f"{url}/v1/knowledge", json={"entries": ROWS}, timeout=30)
        assert response.status_code == 200, response.text
        yield url


# --- browsers ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's /usr/bin/chromium. Skipped when missing, unless DRAFTDESK_REQUIRE_BROWSER is set (.ci/run sets it)."""
    problem = None
    if sync_playwright is None:
        problem = "playwright is not installed (pip install -e '.[dev]')"
    elif not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (apt-get install -y chromium fonts-noto-cjk, or run .ci/run)"
    if problem is None:
        return str(CHROMIUM)
    if REQUIRE_BROWSER:
        pytest.fail(f"browser tests required (DRAFTDESK_REQUIRE_BROWSER is set) but {problem}")
    pytest.skip(f"browser tests skipped: {problem}")


@pytest.fixture(scope="session")
def playwright(chromium_path: str) -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium_path: str) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_FLAGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    yield context.new_page()
    context.close()


@dataclass
class ExtensionBrowser:
    """Chromium with the extension loaded in its own profile."""

    context: BrowserContext
    extension_id: str

    def url(self, path: str) -> str:
        return f"chrome-extension://{self.extension_id}/{path}"

    def open(self, path: str, *, width: int = 400, height: int = 760) -> Page:
        """An extension page in a new tab (the side panel cannot be opened headless); waits for its script."""
        page = self.context.new_page()
        page.set_viewport_size({"width": width, "height": height})
        page.goto(self.url(path))
        page.wait_for_selector("body[data-ready]")
        return page

    def web_page(self) -> Page:
        """The profile's first tab, for the seller's page: it must be the most recently used tab before a panel."""
        return self.context.pages[0] if self.context.pages else self.context.new_page()


def launch_with_extension(playwright: Playwright, chromium_path: str, profile: Path, *,
                          extension: Path = EXTENSION_DIR, locale: str = "en-US") -> ExtensionBrowser:
    # --load-extension alone fails: Playwright adds --disable-extensions, which the "except" flag overrides.
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=chromium_path, headless=True, locale=locale,
        viewport={"width": 1280, "height": 800},
        args=[*CHROMIUM_FLAGS, f"--disable-extensions-except={extension}", f"--load-extension={extension}"],
    )
    workers = context.service_workers or [context.wait_for_event("serviceworker", timeout=15000)]
    ext_id = workers[0].url.split("/")[2]
    return ExtensionBrowser(context, ext_id)


@pytest.fixture
def extension(playwright: Playwright, chromium_path: str, tmp_path: Path) -> Iterator[ExtensionBrowser]:
    loaded = launch_with_extension(playwright, chromium_path, tmp_path / "profile")
    yield loaded
    loaded.context.close()


# --- screenshots ---------------------------------------------------------------------------------------------


def _shrink_png(path: Path) -> None:
    """A 128-colour palette keeps UI screenshots to a few tens of KB."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page, str], None]:
    """`screenshot(page, "extension-panel")` writes DIR/extension-panel.png when pytest runs with --screenshots DIR."""
    out = request.config.getoption("screenshots", default=None)

    def take(target: Page, name: str) -> None:
        if out is None:
            return
        path = Path(out) / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        target.screenshot(path=str(path), full_page=True, animations="disabled")
        _shrink_png(path)

    return take
