"""Who may call what: an API key (`Authorization: Bearer KEY`, or the console's session cookie) and its role.

Roles: `agent` drafts and gives feedback; `knowledge_owner` edits knowledge and announcements; `qa` reads history,
analytics and eval runs; `admin` may do everything. With `DRAFTDESK_AUTH=off` nothing is checked (local only).

`AuthMiddleware` identifies the caller of `/v1/...` and `/qa/...` before the route reads the body: no key is a 401
whatever the body holds. A cookie (console) write must also come from our own origin with the session's CSRF
token. Each route's `allow(...)` then checks the role.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import ApiError, error_body
from api.limits import RateLimiter, retry_after
from api.security import arrived_on_network, cross_origin, same_origin
from composition.settings import Settings
from composition.wiring import Components
from core.vocab import KeyRole
from records.keys import ApiKey

SESSION_COOKIE = "draftdesk_session"
CSRF_HEADER = "x-csrf-token"
AGENT: tuple[KeyRole, ...] = ("agent",)
KNOWLEDGE: tuple[KeyRole, ...] = ("knowledge_owner",)
QA: tuple[KeyRole, ...] = ("qa",)
PROTECTED = ("/v1/", "/qa/")
_READS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Caller:
    key: ApiKey
    csrf_token: str  # the console session's; "" for a bearer key


def bearer(request: Request | Scope) -> str | None:
    headers = request.headers if isinstance(request, Request) else Request(request).headers
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def identify(request: Request) -> Caller | None:
    """The caller's active key, by bearer key or by console session; None when neither is valid."""
    components: Components = request.app.state.components
    token = bearer(request)
    if token is not None:
        key = await run_in_threadpool(components.keys.verify, token)
        return None if key is None else Caller(key, "")
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    session = await run_in_threadpool(components.sessions.find, session_id)
    return None if session is None else Caller(session.key, session.csrf_token)


class AuthMiddleware:
    """401 without a valid key, 403 for a console write without our origin and CSRF token, 429 over the key's
    rate: all before the route reads the body. With keys off, only loopback connections are served."""

    def __init__(self, app: ASGIApp, settings: Settings, limiter: RateLimiter) -> None:
        self._app, self._settings, self._limiter = app, settings, limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        refusal = await self._refusal(scope)
        if refusal is not None:
            status, code, message, headers = refusal
            await _answer(send, status, code, message, headers)
            return
        await self._app(scope, receive, send)

    async def _refusal(self, scope: Scope) -> tuple[int, str, str, dict[str, str]] | None:
        trust, write = self._settings.trust_proxy, scope["method"] not in _READS
        if self._settings.auth == "off":
            if arrived_on_network(scope):
                return 403, "forbidden", ("API keys are off (DRAFTDESK_AUTH=off): only loopback connections are "
                                          "served; turn keys on to serve a network"), {}
            if write and bearer(scope) is None and cross_origin(scope, trust):
                return 403, "csrf_failed", "a write from another origin", {}
            return None
        if not scope["path"].startswith(PROTECTED):
            return None
        request = Request(scope)
        caller = await identify(request)
        if caller is None:
            reason = "unknown or revoked API key" if bearer(scope) or request.cookies.get(SESSION_COOKIE) else \
                "no API key"
            return 401, "unauthorized", (f"{reason}: send `Authorization: Bearer KEY` (an admin creates keys with "
                                         "`draftdesk keys create --role ROLE`)"), {}
        scope.setdefault("state", {})["api_key"] = caller.key  # the audit log names it, refused or not
        if write and caller.csrf_token and not _console_write_ok(scope, caller.csrf_token, trust):
            return 403, "csrf_failed", ("a console write needs this server's Origin and the page's CSRF token "
                                        f"(the {CSRF_HEADER} header)"), {}
        wait = self._limiter.take(caller.key.id)
        if wait is not None:
            return 429, "rate_limited", (f"key {caller.key.id} is over {self._settings.rate_limit_per_minute} "
                                         "requests a minute"), {"Retry-After": retry_after(wait)}
        return None


def _console_write_ok(scope: Scope, token: str, trust_proxy: bool) -> bool:
    sent = Request(scope).headers.get(CSRF_HEADER, "")
    return same_origin(scope, trust_proxy) and hmac.compare_digest(sent.encode(), token.encode())


async def _answer(send: Send, status: int, code: str, message: str, headers: dict[str, str]) -> None:
    body = json.dumps(error_body(code, message)).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
           *((k.lower().encode(), v.encode()) for k, v in headers.items())]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def allow(*roles: KeyRole) -> Any:
    """A route dependency: 403 when the caller's role is not among `roles` (or admin). `AuthMiddleware` has
    already identified the caller, or refused it."""

    async def check(request: Request) -> ApiKey | None:
        components: Components = request.app.state.components
        if components.settings.auth == "off":
            return None
        key: ApiKey | None = getattr(request.state, "api_key", None)
        if key is None:  # a route outside the middleware's paths
            caller = await identify(request)
            if caller is None:
                raise ApiError(401, "unauthorized", "no valid API key")
            key = request.state.api_key = caller.key
        if key.role != "admin" and key.role not in roles:
            raise ApiError(403, "forbidden", f"this needs the role {' or '.join(roles)} (or admin); "
                           f"the key {key.id} has the role {key.role}")
        return key

    return Depends(check)
