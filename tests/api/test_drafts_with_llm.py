"""POST /v1/drafts with an OpenAI-compatible provider, mocked at its HTTP edge with respx."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from api import create_app
from composition.settings import Settings
from tests.api.conftest import ASK, COMPLETIONS, ROWS, configure
from tests.fakes import HashingEmbedder


def completion(content: str) -> httpx.Response:
    return httpx.Response(200, json={
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1_767_225_600, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
    })


@pytest.fixture
def template_draft(fake_settings: Settings, fake_embedder: HashingEmbedder) -> str:
    """What the offline template provider drafts for ASK over the same entries."""
    offline = configure(fake_settings, data_dir=fake_settings.data_dir / "offline")
    with TestClient(create_app(offline, embedder=fake_embedder)) as client:
        client.post("/v1/knowledge", json={"entries": ROWS})
        return str(client.post("/v1/drafts", json=ASK).json()["draft"])


@pytest.mark.respx(assert_all_called=True)
def test_llm_reply_is_the_draft_with_markers_turned_into_citations(
    llm_client: TestClient, respx_mock: respx.MockRouter
) -> None:
    reply = completion("亲，让您久等了，物流可能延迟约一天更新 [ship-001]。")
    route = respx_mock.post(COMPLETIONS).mock(return_value=reply)

    response = llm_client.post("/v1/drafts", json=ASK)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["draft"] == "亲，让您久等了，物流可能延迟约一天更新。"
    assert [c["id"] for c in body["citations"]] == ["ship-001"]
    assert (body["provider"], body["degraded"], body["reasons"]) == ("openai:m", False, [])
    sent = json.loads(route.calls.last.request.content)["messages"]
    assert "我的快递怎么还没到" in sent[1]["content"] and "- id: TB-9" in sent[1]["content"]
    assert llm_client.get("/readyz").json()["provider"] == "openai:m"


@pytest.mark.respx(assert_all_called=True)
def test_llm_failing_after_retries_degrades_to_the_template_draft(
    llm_client: TestClient, respx_mock: respx.MockRouter, template_draft: str
) -> None:
    route = respx_mock.post(COMPLETIONS).mock(
        return_value=httpx.Response(500, headers={"retry-after-ms": "1"}, json={"error": {"message": "boom"}})
    )

    response = llm_client.post("/v1/drafts", json=ASK)

    assert response.status_code == 200, response.text
    body = response.json()
    assert route.call_count == 3  # the first try and two retries
    assert body["degraded"] is True
    assert body["provider"] == "template"
    assert [r["code"] for r in body["reasons"]] == ["llm_unavailable"]
    assert body["draft"] == template_draft
    assert "TB-9" in body["draft"]
    assert [c["id"] for c in body["citations"]] == ["ship-001"]
    assert body["needs_human"] is False


@pytest.mark.respx(assert_all_called=True)
def test_llm_timeouts_degrade_too(llm_client: TestClient, respx_mock: respx.MockRouter) -> None:
    respx_mock.post(COMPLETIONS).mock(side_effect=httpx.ConnectTimeout("connect timed out"))

    body = llm_client.post("/v1/drafts", json=ASK).json()

    assert body["degraded"] is True
    assert "Timeout" in body["reasons"][0]["message"]


@pytest.mark.respx(assert_all_called=False)
def test_low_confidence_does_not_call_the_llm(llm_client: TestClient, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(COMPLETIONS).mock(return_value=completion("should not be used"))

    body = llm_client.post("/v1/drafts", json={"message": "ok thanks bye", "platform": "taobao"}).json()

    assert route.call_count == 0
    assert body["needs_human"] is True
    assert body["provider"] == "template"
