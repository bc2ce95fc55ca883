"""The OpenAI-compatible chat model, mocked only at its HTTP edge with respx; and the provider registry."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from composition.llm import PRESETS, build_chat_model
from composition.settings import Settings
from core.errors import ConfigError
from drafting.llm import UpstreamError
from drafting.llm.base import ChatModel

BASE_URL = "https://llm.test/v1"
COMPLETIONS = f"{BASE_URL}/chat/completions"
FAST_RETRY = {"retry-after-ms": "1"}  # the OpenAI client honours it instead of its ~0.5 s backoff


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "llm": "openai", "llm_base_url": BASE_URL, "llm_api_key": "k", "llm_model": "m",
        "llm_max_retries": 2, "llm_timeout_s": 5.0, **overrides,
    }
    return Settings(**values)


def model(**overrides: Any) -> ChatModel:
    chat = build_chat_model(settings(**overrides))
    assert chat is not None
    return chat


def completion(content: str | None) -> dict[str, Any]:
    """An OpenAI `chat.completion` body."""
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1_767_225_600, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20},
    }


def ok(content: str | None) -> httpx.Response:
    return httpx.Response(200, json=completion(content))


def failure(status: int) -> httpx.Response:
    return httpx.Response(status, headers=FAST_RETRY, json={"error": {"message": "try later", "type": "server_error"}})


# --- talking to the endpoint -----------------------------------------------------------------------------


@pytest.mark.respx(assert_all_called=True)
def test_success_returns_the_reply_and_sends_both_prompts(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(COMPLETIONS).mock(return_value=ok("  亲，已为您查询 [ship-001]  "))
    chat = model(llm_temperature=0.1)

    assert chat.complete("SYSTEM 规则", "USER 买家消息") == "亲，已为您查询 [ship-001]"

    assert chat.name == "openai:m"
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.headers["authorization"] == "Bearer k"
    body = json.loads(request.content)
    assert body["model"] == "m"
    assert body["temperature"] == 0.1
    assert body["messages"] == [
        {"role": "system", "content": "SYSTEM 规则"}, {"role": "user", "content": "USER 买家消息"},
    ]


@pytest.mark.respx(assert_all_called=True)
def test_timeout_429_and_500_are_retried_until_success(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(COMPLETIONS).mock(side_effect=[
        httpx.TimeoutException("read timed out"), failure(429), failure(500), ok("recovered"),
    ])
    started = time.monotonic()

    assert model(llm_max_retries=3).complete("s", "u") == "recovered"

    assert route.call_count == 4
    assert time.monotonic() - started < 5  # bounded backoff, not the request timeout times four


@pytest.mark.respx(assert_all_called=True)
def test_retries_are_bounded_by_max_retries(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(COMPLETIONS).mock(side_effect=[failure(500), failure(502), ok("too late")])

    with pytest.raises(UpstreamError, match=r"openai:m failed: .*Error code: 502"):
        model(llm_max_retries=1).complete("s", "u")

    assert route.call_count == 2


@pytest.mark.respx(assert_all_called=True)
@pytest.mark.parametrize("max_retries", [0, 2])
def test_persistent_503_raises_upstream_error_after_every_retry(
    respx_mock: respx.MockRouter, max_retries: int
) -> None:
    route = respx_mock.post(COMPLETIONS).mock(return_value=failure(503))

    with pytest.raises(UpstreamError, match="openai:m failed"):
        model(llm_max_retries=max_retries).complete("s", "u")

    assert route.call_count == max_retries + 1


@pytest.mark.respx(assert_all_called=True)
def test_client_errors_are_not_retried(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(COMPLETIONS).mock(
        return_value=httpx.Response(401, json={"error": {"message": "bad key", "type": "invalid_request_error"}})
    )

    with pytest.raises(UpstreamError, match="AuthenticationError"):
        model().complete("s", "u")

    assert route.call_count == 1


@pytest.mark.respx(assert_all_called=True)
def test_timeouts_every_time_raise_upstream_error(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(COMPLETIONS).mock(side_effect=httpx.TimeoutException("read timed out"))

    with pytest.raises(UpstreamError, match="Timeout"):
        model(llm_max_retries=1).complete("s", "u")

    assert route.call_count == 2


@pytest.mark.respx(assert_all_called=True)
@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>gateway says hi</html>"),
        httpx.Response(200, content=b"{not json", headers={"content-type": "application/json"}),
        httpx.Response(200, json={"id": "chatcmpl-1", "object": "chat.completion"}),
        httpx.Response(200, json={**completion("x"), "choices": []}),
    ],
    ids=["html", "broken-json", "no-choices", "empty-choices"],
)
def test_a_malformed_200_body_raises_upstream_error(respx_mock: respx.MockRouter, response: httpx.Response) -> None:
    route = respx_mock.post(COMPLETIONS).mock(return_value=response)

    with pytest.raises(UpstreamError, match="openai:m failed"):
        model().complete("s", "u")

    assert route.call_count == 1


@pytest.mark.respx(assert_all_called=True)
@pytest.mark.parametrize("content", ["", "   \n", None])
def test_an_empty_reply_raises_upstream_error(respx_mock: respx.MockRouter, content: str | None) -> None:
    respx_mock.post(COMPLETIONS).mock(return_value=ok(content))

    with pytest.raises(UpstreamError, match="empty reply"):
        model().complete("s", "u")


# --- the registry ----------------------------------------------------------------------------------------


def test_template_needs_no_model() -> None:
    assert build_chat_model(Settings(llm="template")) is None
    assert build_chat_model(Settings(llm=" Template ")) is None


def test_unknown_provider_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown DRAFTDESK_LLM 'gpt-5'") as info:
        build_chat_model(Settings(llm="gpt-5"))
    assert info.value.code == "config_error"


@pytest.mark.parametrize("name", ["openai", "deepseek", "qwen"])
def test_hosted_providers_need_an_api_key(name: str) -> None:
    with pytest.raises(ConfigError, match="DRAFTDESK_LLM_API_KEY"):
        build_chat_model(Settings(llm=name, llm_api_key=None))


def test_vllm_needs_a_base_url_and_model() -> None:
    with pytest.raises(ConfigError, match="DRAFTDESK_LLM_BASE_URL"):
        build_chat_model(Settings(llm="vllm"))


@pytest.mark.respx(assert_all_called=True)
def test_deepseek_preset_fills_base_url_and_model(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post("https://api.deepseek.com/v1/chat/completions").mock(return_value=ok("好的"))
    chat = build_chat_model(Settings(llm="DeepSeek", llm_api_key=SecretStr("sk-test")))

    assert chat is not None
    assert chat.name == "deepseek:deepseek-chat"
    assert chat.complete("s", "u") == "好的"
    assert json.loads(route.calls.last.request.content)["model"] == "deepseek-chat"
    assert PRESETS["deepseek"][:2] == ("https://api.deepseek.com/v1", "deepseek-chat")


@pytest.mark.respx(assert_all_called=True)
def test_explicit_base_url_and_model_override_the_preset(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post("https://proxy.test/v1/chat/completions").mock(return_value=ok("hi"))
    chat = build_chat_model(
        Settings(llm="qwen", llm_api_key=SecretStr("k"), llm_base_url="https://proxy.test/v1", llm_model="qwen-max")
    )

    assert chat is not None and chat.name == "qwen:qwen-max"
    assert chat.complete("s", "u") == "hi"
    assert json.loads(route.calls.last.request.content)["model"] == "qwen-max"


@pytest.mark.respx(assert_all_called=True)
def test_local_ollama_needs_no_key(respx_mock: respx.MockRouter) -> None:
    respx_mock.post("http://127.0.0.1:11434/v1/chat/completions").mock(return_value=ok("local reply"))
    chat = build_chat_model(Settings(llm="ollama"))

    assert chat is not None and chat.name == "ollama:qwen2.5:7b-instruct"
    assert chat.complete("s", "u") == "local reply"


# --- streaming -----------------------------------------------------------------------------------------------


def stream_body(*pieces: str) -> httpx.Response:
    """An OpenAI streaming reply: one server-sent event per piece, then [DONE]."""
    events = []
    for piece in pieces:
        chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "test-model",
                 "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
        events.append(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n")
    events.append("data: [DONE]\n\n")
    return httpx.Response(200, content="".join(events).encode(), headers={"content-type": "text/event-stream"})


@pytest.mark.respx(assert_all_called=True)
def test_with_on_delta_the_reply_streams_piece_by_piece(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(COMPLETIONS).mock(return_value=stream_body("亲，", "已为您查询", " [ship-001]"))
    pieces: list[str] = []

    reply = model().complete("system", "user", pieces.append)

    assert pieces == ["亲，", "已为您查询", " [ship-001]"]
    assert reply == "亲，已为您查询 [ship-001]"
    assert json.loads(route.calls.last.request.content)["stream"] is True


@pytest.mark.respx(assert_all_called=True)
def test_a_stream_that_fails_raises_upstream_error(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(COMPLETIONS).mock(return_value=failure(400))

    with pytest.raises(UpstreamError):
        model().complete("system", "user", lambda piece: None)
