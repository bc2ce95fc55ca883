"""The chat-model boundary: a system prompt and a user prompt in, the reply text out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from core.errors import DraftdeskError

OnDelta = Callable[[str], None]  # receives the reply's text as it arrives, piece by piece


class UpstreamError(DraftdeskError):
    """The model's API failed (after retries) or answered something unusable; the caller falls back."""

    code = "upstream_error"


class ChatModel(Protocol):
    @property
    def name(self) -> str:
        """Shown as the draft's provider, e.g. `openai:gpt-4o-mini`."""
        ...

    def complete(self, system: str, user: str, on_delta: OnDelta | None = None) -> str:
        """The whole reply; with `on_delta`, the reply is streamed and each piece is passed on as it arrives."""
        ...
