"""Any OpenAI-compatible chat API (OpenAI, DeepSeek, Qwen, vLLM, Ollama) through langchain-openai."""

from __future__ import annotations

import queue
import threading
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import SecretStr

from drafting.llm.base import OnDelta, UpstreamError


class OpenAICompatibleChatModel:
    """Timeouts, 429 and 5xx are retried by the OpenAI client with bounded exponential backoff; `deadline_s` bounds
    a whole completion, retries and streaming included (a stream that stalls or trickles is abandoned)."""

    def __init__(
        self, *, provider: str, model: str, base_url: str, api_key: str,
        timeout_s: float, max_retries: int, temperature: float, deadline_s: float = 30.0,
    ) -> None:
        import httpx
        from langchain_openai import ChatOpenAI

        self._name = f"{provider}:{model}"
        self._deadline_s = deadline_s
        self._passed = threading.local()  # the deadline flag of the completion running on this thread
        self._chat: Any = ChatOpenAI(
            model=model, base_url=base_url, api_key=SecretStr(api_key),
            timeout=timeout_s, max_retries=max_retries, temperature=temperature,
            http_client=httpx.Client(event_hooks={"request": [self._refuse_after_deadline]}),
        )

    @property
    def name(self) -> str:
        return self._name

    def complete(self, system: str, user: str, on_delta: OnDelta | None = None) -> str:
        messages = [SystemMessage(system), HumanMessage(user)]
        outcome: queue.Queue[tuple[str, Exception | None]] = queue.Queue(maxsize=1)
        stop = threading.Event()

        def call() -> None:
            self._passed.flag = stop
            try:
                if on_delta is None:
                    reply = self._chat.invoke(messages)
                    text = reply.content if isinstance(reply.content, str) else ""
                else:
                    pieces: list[str] = []
                    for chunk in self._chat.stream(messages):
                        if stop.is_set():  # past the deadline: stop reading, which closes the stream
                            break
                        pieces.append(_pass_on(chunk.content, on_delta))
                    text = "".join(pieces)
                outcome.put((text, None))
            except Exception as exc:  # openai.APIError, httpx errors, or a malformed body the client choked on
                outcome.put(("", exc))

        # a worker thread, so that a read blocked on a hung connection cannot hold the draft past the deadline
        threading.Thread(target=call, name=f"llm-{self._name}", daemon=True).start()
        try:
            content, error = outcome.get(timeout=self._deadline_s)
        except queue.Empty:
            stop.set()
            raise UpstreamError(f"{self._name} gave no complete reply within {self._deadline_s:g} s") from None
        if error is not None:
            raise UpstreamError(f"{self._name} failed: {type(error).__name__}: {error}") from error
        if not content.strip():
            raise UpstreamError(f"{self._name} returned an empty reply")
        return content.strip()


    def _refuse_after_deadline(self, request: Any) -> None:
        """An abandoned completion sends no more retries upstream."""
        flag = getattr(self._passed, "flag", None)
        if flag is not None and flag.is_set():
            raise UpstreamError(f"{self._name}: deadline passed, not retrying")


def _pass_on(content: Any, on_delta: OnDelta) -> str:
    text = content if isinstance(content, str) else ""
    if text:
        on_delta(text)
    return text
