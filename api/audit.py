"""Audit middleware: every change to knowledge or announcements, every console sign-in, and every refused key is
written to the audit log (`GET /v1/audit`, admin)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import request_id

_CHANGES = ("/v1/knowledge", "/v1/announcements", "/console/session")
_READS = ("GET", "HEAD", "OPTIONS")


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        status = 0

        async def noted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self._app(scope, receive, noted)
        method, path = scope["method"], scope["path"]
        changed = method not in _READS and path.startswith(_CHANGES)
        refused = status in (401, 403) and path.startswith(("/v1/", "/qa/"))
        if changed or refused:
            await run_in_threadpool(_record, scope, f"{method} {path}", status)


def _record(scope: Scope, action: str, status: int) -> None:
    state: dict[str, Any] = scope.get("state") or {}
    key = state.get("api_key")
    components = scope["app"].state.components
    components.audit.record(action, actor=key.id if key else "-", role=key.role if key else "-",
                            shop=key.shop if key else "-", status=status, request_id=request_id.get() or "")
