"""Providers by name. `template` needs nothing; the others are OpenAI-compatible endpoints."""

from __future__ import annotations

from composition.settings import Settings
from core.errors import ConfigError
from drafting.llm.base import ChatModel
from drafting.llm.openai_compat import OpenAICompatibleChatModel

# name -> (default base URL, default model, needs an API key)
PRESETS: dict[str, tuple[str | None, str | None, bool]] = {
    "openai": ("https://api.openai.com/v1", "gpt-4o-mini", True),
    "deepseek": ("https://api.deepseek.com/v1", "deepseek-chat", True),
    "qwen": ("https://dashscope.aliyuncs.com/compatible-mode/v1", "qwen-plus", True),
    "vllm": (None, None, False),
    "ollama": ("http://127.0.0.1:11434/v1", "qwen2.5:7b-instruct", False),
}


def build_chat_model(settings: Settings) -> ChatModel | None:
    """None for the offline `template` provider."""
    name = settings.llm.strip().lower()
    if name == "template":
        return None
    if name not in PRESETS:
        raise ConfigError(f"unknown DRAFTDESK_LLM {settings.llm!r}; use template or one of {', '.join(PRESETS)}")
    default_url, default_model, needs_key = PRESETS[name]
    base_url = settings.llm_base_url or default_url
    model = settings.llm_model or default_model
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    if not base_url or not model:
        raise ConfigError(f"DRAFTDESK_LLM={name} needs DRAFTDESK_LLM_BASE_URL and DRAFTDESK_LLM_MODEL")
    if needs_key and not key:
        raise ConfigError(f"DRAFTDESK_LLM={name} needs DRAFTDESK_LLM_API_KEY")
    return OpenAICompatibleChatModel(
        provider=name, model=model, base_url=base_url, api_key=key or "not-needed",
        timeout_s=settings.llm_timeout_s, max_retries=settings.llm_max_retries,
        temperature=settings.llm_temperature, deadline_s=settings.llm_deadline_s,
    )
