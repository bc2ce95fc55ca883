"""POST /v1/drafts/stream: server-sent events, with the template provider and a streaming LLM mocked with respx."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from tests.api.conftest import ASK, COMPLETIONS, assert_error


def events(response: httpx.Response) -> list[tuple[str, Any]]:
    """(event, data) pairs in order."""
    found = []
    for block in response.text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        found.append((fields["event"], json.loads(fields["data"])))
    return found


def sse(*pieces: str) -> httpx.Response:
    lines = [
        "data: " + json.dumps({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                               "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]},
                              ensure_ascii=False) + "\n\n" for p in pieces
    ]
    return httpx.Response(200, content=("".join(lines) + "data: [DONE]\n\n").encode(),
                          headers={"content-type": "text/event-stream"})


def test_the_template_provider_sends_one_draft_event(seeded: TestClient) -> None:
    response = seeded.post("/v1/drafts/stream", json=ASK)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    [(name, draft)] = events(response)
    assert name == "draft"
    assert draft["provider"] == "template" and "48小时内发出" in draft["draft"]
    assert draft["id"] and seeded.get(f"/v1/drafts/{draft['id']}").status_code == 200  # logged like any draft


@pytest.mark.respx(assert_all_called=True)
def test_an_llm_reply_streams_then_the_checked_draft_follows(
    llm_client: TestClient, respx_mock: respx.MockRouter
) -> None:
    reply = sse("亲，非常抱歉", "让您久等了，", "包裹会尽快发出 [ship-001]。")
    route = respx_mock.post(COMPLETIONS).mock(return_value=reply)

    found = events(llm_client.post("/v1/drafts/stream", json=ASK))

    assert [name for name, _ in found] == ["delta", "delta", "delta", "draft"]
    assert "".join(d["text"] for _, d in found[:3]) == "亲，非常抱歉让您久等了，包裹会尽快发出 [ship-001]。"
    draft = found[-1][1]
    assert draft["draft"] == "亲，非常抱歉让您久等了，包裹会尽快发出。"  # markers become citations
    assert [c["id"] for c in draft["citations"]] == ["ship-001"]
    assert draft["provider"] == "openai:m" and draft["degraded"] is False
    assert json.loads(route.calls.last.request.content)["stream"] is True


@pytest.mark.respx(assert_all_called=True)
def test_a_failing_llm_still_ends_with_the_template_draft(
    llm_client: TestClient, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(COMPLETIONS).mock(return_value=httpx.Response(503, json={"error": {"message": "busy"}}))

    found = events(llm_client.post("/v1/drafts/stream", json=ASK))

    assert found[-1][0] == "draft"
    assert found[-1][1]["degraded"] is True and found[-1][1]["provider"] == "template"


def test_bad_input_is_a_422_before_any_stream(seeded: TestClient) -> None:
    assert_error(seeded.post("/v1/drafts/stream", json={"message": "", "platform": "taobao"}), 422, "invalid_request")
