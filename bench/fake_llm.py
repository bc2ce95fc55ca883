"""A tiny OpenAI-compatible chat server that answers after a fixed delay: the mocked LLM both apps call.

Run: `python -m uvicorn --factory bench.fake_llm:create_app`; `BENCH_LLM_DELAY_MS` sets the delay (default 300).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from fastapi import FastAPI

REPLIES = {
    "zh": "亲，非常理解您的心情，这边已经帮您查到相关说明，请您按照订单页面的提示操作，有其他问题随时联系我们哦～",
    "en": "Thank you for reaching out. Please follow the steps on your order page; let us know if anything is unclear.",
}


def create_app() -> FastAPI:
    delay = float(os.environ.get("BENCH_LLM_DELAY_MS", "300")) / 1000
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/chat/completions")
    async def complete(body: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(delay)
        last = str((body.get("messages") or [{}])[-1].get("content", ""))
        locale = "zh" if any("\u4e00" <= c <= "\u9fff" for c in last) else "en"
        return {
            "id": "chatcmpl-bench", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": REPLIES[locale]}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    return app
