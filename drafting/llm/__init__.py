"""Chat models behind one small protocol; `build_chat_model` picks one from settings."""

from drafting.llm.base import ChatModel, UpstreamError
from drafting.llm.breaker import CircuitBreaker
from drafting.llm.registry import PRESETS, build_chat_model

__all__ = ["PRESETS", "ChatModel", "CircuitBreaker", "UpstreamError", "build_chat_model"]
