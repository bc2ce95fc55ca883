"""Who may call what: an API key (`Authorization: Bearer KEY`, or the console's session cookie) and its role.

Roles: `agent` drafts and gives feedback; `knowledge_owner` edits knowledge and announcements; `qa` reads history,
analytics and eval runs; `admin` may do everything. With `DRAFTDESK_AUTH=off` nothing is checked (local only).
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError
from api.limits import retry_after
from drafting.keys import ApiKey, KeyRole
from drafting.wiring import Components

SESSION_COOKIE = "draftdesk_key"
AGENT: tuple[KeyRole, ...] = ("agent",)
KNOWLEDGE: tuple[KeyRole, ...] = ("knowledge_owner",)
QA: tuple[KeyRole, ...] = ("qa",)


def presented_key(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.cookies.get(SESSION_COOKIE) or None


async def identify(request: Request) -> ApiKey | None:
    """The caller's active key, or None; no key is needed (or checked) when auth is off."""
    components: Components = request.app.state.components
    token = presented_key(request)
    if token is None:
        return None
    return await run_in_threadpool(components.keys.verify, token)


def allow(*roles: KeyRole) -> Any:
    """A route dependency: 401 without a valid key, 403 when the key's role is not among `roles` (or admin)."""

    async def check(request: Request) -> ApiKey | None:
        components: Components = request.app.state.components
        if components.settings.auth == "off":
            return None
        key = await identify(request)
        if key is None:
            reason = "unknown or revoked API key" if presented_key(request) else "no API key"
            raise ApiError(401, "unauthorized", f"{reason}: send `Authorization: Bearer KEY` "
                           "(an admin creates keys with `draftdesk keys create --role ROLE`)")
        request.state.api_key = key  # known from here on, refused or not (the audit log names it)
        wait = request.app.state.rate_limiter.take(key.id)
        if wait is not None:
            raise ApiError(429, "rate_limited", f"key {key.id} is over {components.settings.rate_limit_per_minute} "
                           "requests a minute", headers={"Retry-After": retry_after(wait)})
        if key.role != "admin" and key.role not in roles:
            raise ApiError(403, "forbidden", f"this needs the role {' or '.join(roles)} (or admin); "
                           f"the key {key.id} has the role {key.role}")
        return key

    return Depends(check)
