"""Request limits: the body size of any request, and a per-key rate (a token bucket: bursts up to a minute's worth,
refilled evenly). Over the limit: 413, or 429 with `Retry-After`."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = per_minute / 60.0
        self._capacity = float(per_minute)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # identity -> (tokens, when)
        self._lock = threading.Lock()

    def take(self, identity: str) -> float | None:
        """None when the request may go ahead; else the seconds until it may."""
        if self._capacity <= 0:
            return None
        now = self._clock()
        with self._lock:
            tokens, when = self._buckets.get(identity, (self._capacity, now))
            tokens = min(self._capacity, tokens + (now - when) * self._rate)
            if tokens >= 1.0:
                self._buckets[identity] = (tokens - 1.0, now)
                return None
            self._buckets[identity] = (tokens, now)
            return (1.0 - tokens) / self._rate


class BodyLimitMiddleware:
    """413 for a declared Content-Length over `max_bytes`, and for a body that grows past it unannounced (chunked):
    the app is told the client left, and whatever it answers to that is replaced by the 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self._app = app
        self._max = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._max:
            await _too_large(send, self._max)
            return
        seen, over, started = 0, False, False

        async def counted() -> Message:
            nonlocal seen, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self._max:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def answered(message: Message) -> None:
            nonlocal started
            if over and not started:  # the app's answer to a "disconnect" (400, 500...) becomes the 413
                started = True
                await _too_large(send, self._max)
            elif not over:
                started = started or message["type"] == "http.response.start"
                await send(message)

        try:
            await self._app(scope, counted, answered)
        except Exception:
            if not over:
                raise
        if over and not started:
            await _too_large(send, self._max)


async def _too_large(send: Send, max_bytes: int) -> None:
    body = json.dumps(error_body("payload_too_large", f"request bodies are limited to {max_bytes} bytes")).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
