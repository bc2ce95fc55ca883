"""Chat models behind one small protocol; `composition.llm.build_chat_model` picks one from settings."""

from drafting.llm.base import ChatModel, UpstreamError
from drafting.llm.breaker import CircuitBreaker

__all__ = ["ChatModel", "CircuitBreaker", "UpstreamError"]
