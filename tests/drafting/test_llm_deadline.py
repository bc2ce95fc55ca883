"""The total deadline of one completion: a stream that stalls, or a reply that never comes, is abandoned in time."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import respx

from drafting.llm import UpstreamError
from tests.drafting.test_llm import COMPLETIONS, model, ok


def chunk(text: str) -> bytes:
    body = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n".encode()


class StallingStream(httpx.SyncByteStream):
    """Sends `pieces` as SSE chunks, then hangs (as a stuck upstream does) until the test releases it."""

    def __init__(self, *pieces: str) -> None:
        self.pieces = pieces
        self.release = threading.Event()
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        for piece in self.pieces:
            yield chunk(piece)
        self.release.wait(10)
        yield chunk("too late")
        yield b"data: [DONE]\n\n"

    def close(self) -> None:
        self.closed.set()


@pytest.fixture
def stalling() -> Iterator[StallingStream]:
    stream = StallingStream("亲，", "正在为您查询")
    yield stream
    stream.release.set()  # let the abandoned reader finish


@pytest.mark.respx(assert_all_called=True)
def test_a_stalled_stream_is_abandoned_at_the_deadline(respx_mock: respx.MockRouter, stalling: StallingStream) -> None:
    respx_mock.post(COMPLETIONS).mock(return_value=httpx.Response(
        200, stream=stalling, headers={"content-type": "text/event-stream"}))
    deltas: list[str] = []
    chat = model(llm_deadline_s=1.0)
    started = time.monotonic()

    with pytest.raises(UpstreamError, match=r"openai:m gave no complete reply within 1 s"):
        chat.complete("s", "u", deltas.append)

    assert 1.0 <= time.monotonic() - started < 3
    assert deltas == ["亲，", "正在为您查询"]  # what arrived before the stall was passed on
    stalling.release.set()
    assert stalling.closed.wait(5)  # the reader stopped reading and closed the response
    assert deltas == ["亲，", "正在为您查询"]  # nothing after the deadline


@pytest.mark.respx(assert_all_called=False)  # respx records a call only once its side effect returns
def test_a_reply_that_never_comes_is_abandoned_at_the_deadline(respx_mock: respx.MockRouter) -> None:
    release, asked = threading.Event(), threading.Event()

    def hang(request: httpx.Request) -> httpx.Response:
        asked.set()
        release.wait(10)
        return ok("too late")

    respx_mock.post(COMPLETIONS).mock(side_effect=hang)
    chat = model(llm_deadline_s=1.0)
    started = time.monotonic()
    try:
        with pytest.raises(UpstreamError, match="no complete reply within 1 s"):
            chat.complete("s", "u")
    finally:
        release.set()
    assert time.monotonic() - started < 3
    assert asked.is_set()


@pytest.mark.respx(assert_all_called=True)
def test_the_deadline_bounds_retries_too(respx_mock: respx.MockRouter) -> None:
    """Five 503s with a 0.5 s backoff overrun a 1 s deadline; no retry is sent after it."""
    route = respx_mock.post(COMPLETIONS).mock(return_value=httpx.Response(
        503, headers={"retry-after-ms": "500"}, json={"error": {"message": "busy"}}))

    with pytest.raises(UpstreamError, match="no complete reply"):
        model(llm_max_retries=5, llm_deadline_s=1.0).complete("s", "u")

    calls = route.call_count
    time.sleep(0.6)
    assert calls == route.call_count < 6


@pytest.mark.respx(assert_all_called=True)
def test_a_stream_that_finishes_in_time_is_the_reply(respx_mock: respx.MockRouter) -> None:
    body = chunk("亲，") + chunk("已为您查询") + b"data: [DONE]\n\n"
    respx_mock.post(COMPLETIONS).mock(return_value=httpx.Response(
        200, content=body, headers={"content-type": "text/event-stream"}))
    deltas: list[str] = []

    assert model(llm_deadline_s=5).complete("s", "u", deltas.append) == "亲，已为您查询"
    assert deltas == ["亲，", "已为您查询"]
