"""Any OpenAI-compatible chat API (OpenAI, DeepSeek, Qwen, vLLM, Ollama) through langchain-openai."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

from drafting.llm.base import OnDelta, UpstreamError


class OpenAICompatibleChatModel:
    """Timeouts, 429 and 5xx are retried by the OpenAI client with bounded exponential backoff."""

    def __init__(
        self, *, provider: str, model: str, base_url: str, api_key: str,
        timeout_s: float, max_retries: int, temperature: float,
    ) -> None:
        from langchain_openai import ChatOpenAI

        self._name = f"{provider}:{model}"
        self._chat: Any = ChatOpenAI(
            model=model, base_url=base_url, api_key=api_key,  # type: ignore[arg-type]
            timeout=timeout_s, max_retries=max_retries, temperature=temperature,
        )

    @property
    def name(self) -> str:
        return self._name

    def complete(self, system: str, user: str, on_delta: OnDelta | None = None) -> str:
        messages = [SystemMessage(system), HumanMessage(user)]
        try:
            if on_delta is None:
                reply = self._chat.invoke(messages)
                content = reply.content if isinstance(reply.content, str) else ""
            else:
                content = "".join(_pass_on(chunk.content, on_delta) for chunk in self._chat.stream(messages))
        except Exception as exc:  # openai.APIError, httpx errors, or a malformed body the client choked on
            raise UpstreamError(f"{self._name} failed: {type(exc).__name__}: {exc}") from exc
        if not content.strip():
            raise UpstreamError(f"{self._name} returned an empty reply")
        return content.strip()


def _pass_on(content: Any, on_delta: OnDelta) -> str:
    text = content if isinstance(content, str) else ""
    if text:
        on_delta(text)
    return text
