"""Faults: the store or the embedder failing (readiness red, requests 503 fast), the chat model failing (the circuit
breaker, a stalled stream), each ending in a clear error or the template draft, never a hang or a 500."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from api import create_app
from composition.settings import Settings
from knowledge.errors import EmbedderError, StoreUnavailableError
from tests.api.conftest import ASK, COMPLETIONS, ROWS, assert_error, configure
from tests.api.test_drafts_stream import events
from tests.drafting.test_llm_deadline import StallingStream
from tests.fakes import HashingEmbedder

QUICK = 2.0  # seconds: "fails fast" means well within any client's timeout


class DeadCollection:
    """A Chroma collection whose server went away: every call is refused, as the HTTP client reports it."""

    metadata: ClassVar[dict[str, str]] = {}

    def __getattr__(self, name: str) -> Any:
        def refused(*args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("[Errno 111] Connection refused")
        return refused


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed(call: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


# --- the store and the embedder --------------------------------------------------------------------------


def test_a_store_that_goes_away_turns_readiness_red_and_drafts_fail_fast(seeded: TestClient) -> None:
    assert seeded.get("/readyz").status_code == 200
    seeded.app.state.components.shops.get().store.chroma.col = DeadCollection()  # type: ignore[attr-defined]

    response, took = timed(lambda: seeded.get("/readyz"))
    message = assert_error(response, 503, "not_ready")
    assert "Connection refused" in message and took < QUICK

    response, took = timed(lambda: seeded.post("/v1/drafts", json=ASK))
    assert "Connection refused" in assert_error(response, 503, "store_unavailable")
    assert took < QUICK
    assert_error(seeded.get("/v1/knowledge"), 503, "store_unavailable")
    assert seeded.get("/healthz").status_code == 200  # alive, not ready


def test_a_store_that_goes_away_ends_a_streamed_draft_with_an_error_event(seeded: TestClient) -> None:
    seeded.app.state.components.shops.get().store.chroma.col = DeadCollection()  # type: ignore[attr-defined]

    [(name, body)] = events(seeded.post("/v1/drafts/stream", json=ASK))

    assert name == "error" and body["error"]["code"] == "store_unavailable"


def test_a_chroma_server_that_is_not_there_fails_at_startup_fast(fake_settings: Settings) -> None:
    settings = configure(fake_settings, chroma_host="127.0.0.1", chroma_port=free_port())
    started = time.monotonic()

    with pytest.raises(StoreUnavailableError, match="Could not connect"), \
            TestClient(create_app(settings, embedder=HashingEmbedder())):
        pass
    assert time.monotonic() - started < 10


class FailingEmbedder(HashingEmbedder):
    error: Exception | None = None

    def _embed(self, texts: Any) -> Any:
        if self.error:
            raise self.error
        return super()._embed(texts)


def test_an_embedder_that_fails_turns_readiness_red_and_drafts_fail_fast(fake_settings: Settings) -> None:
    embedder = FailingEmbedder()
    with TestClient(create_app(fake_settings, embedder=embedder)) as client:
        client.post("/v1/knowledge", json={"entries": ROWS})
        embedder.error = EmbedderError("embedding failed: CUDA error: device-side assert")

        assert "device-side assert" in assert_error(client.get("/readyz"), 503, "not_ready")
        response, took = timed(lambda: client.post("/v1/drafts", json=ASK))
        assert "device-side assert" in assert_error(response, 503, "embedder_error")
        assert took < QUICK


def test_readiness_is_red_not_500_on_an_error_no_adapter_wrapped(fake_settings: Settings) -> None:
    embedder = FailingEmbedder()
    with TestClient(create_app(fake_settings, embedder=embedder)) as client:
        embedder.error = RuntimeError("out of memory")

        assert assert_error(client.get("/readyz"), 503, "not_ready") == "embedder: RuntimeError: out of memory"


# --- the chat model --------------------------------------------------------------------------------------


@pytest.fixture
def breaker_client(fake_settings: Settings, fake_embedder: HashingEmbedder) -> Iterator[TestClient]:
    settings = configure(
        fake_settings, llm="openai", llm_base_url="https://llm.test/v1", llm_api_key="k", llm_model="m",
        llm_max_retries=0, llm_breaker_failures=2, llm_breaker_reset_s=60, llm_deadline_s=1.0,
    )
    with TestClient(create_app(settings, embedder=fake_embedder)) as client:
        assert client.post("/v1/knowledge", json={"entries": ROWS}).status_code == 200
        yield client


@pytest.mark.respx(assert_all_called=True)
def test_the_circuit_opens_after_repeated_failures_and_drafts_skip_the_model(
    breaker_client: TestClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(COMPLETIONS).mock(return_value=httpx.Response(503, json={"error": {"message": "x"}}))

    for _ in range(2):
        body = breaker_client.post("/v1/drafts", json=ASK).json()
        assert body["degraded"] is True and "503" in body["reasons"][0]["message"]
    assert route.call_count == 2

    response, took = timed(lambda: breaker_client.post("/v1/drafts", json=ASK))
    body = response.json()
    assert route.call_count == 2  # the open circuit did not call the model
    assert body["provider"] == "template" and body["degraded"] is True
    assert [r["code"] for r in body["reasons"]] == ["llm_unavailable"]
    assert "circuit open for openai:m" in body["reasons"][0]["message"]
    assert took < QUICK


@pytest.fixture
def stalling() -> Iterator[StallingStream]:
    stream = StallingStream("亲，", "正在为您查询")
    yield stream
    stream.release.set()


@pytest.mark.respx(assert_all_called=True)
def test_a_stalled_stream_ends_in_the_template_draft_at_the_deadline(
    breaker_client: TestClient, respx_mock: respx.MockRouter, stalling: StallingStream
) -> None:
    respx_mock.post(COMPLETIONS).mock(return_value=httpx.Response(
        200, stream=stalling, headers={"content-type": "text/event-stream"}))

    response, took = timed(lambda: breaker_client.post("/v1/drafts/stream", json=ASK))

    found = events(response)
    assert [name for name, _ in found] == ["delta", "delta", "draft"]
    draft = found[-1][1]
    assert draft["provider"] == "template" and draft["degraded"] is True
    assert "no complete reply within 1 s" in draft["reasons"][0]["message"]
    assert "48小时内发出" in draft["draft"]  # the template draft replaces the partial stream
    assert 1.0 <= took < 1.0 + QUICK
    assert threading.active_count() < 50  # abandoned readers do not pile up
