"""Audit middleware: every change to knowledge, announcements or the catalog, every console sign-in, and every
refused key is written to the audit log (`GET /v1/audit`, admin).

A refusal of a request that named no valid key costs no row of its own: per source (client address) the first in
a window writes one, the rest of the window add to its count. A flood of 401s is then one row a minute per source,
and cannot push real events out of the log."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import request_id
from api.security import client_source
from records.audit import AuditLog

_CHANGES = ("/v1/knowledge", "/v1/announcements", "/v1/catalog", "/console/session")
_READS = ("GET", "HEAD", "OPTIONS")
MAX_SOURCES = 10_000  # open windows kept in memory; beyond, refusals share one source "(many)"


@dataclass
class _Window:
    opened: float
    row_id: int
    count: int = 1
    written: int = 1


class RefusalCounter:
    """Refusals without a valid key, one audit row per source per `window_s`; counts are written when a window
    closes, when the log is read (`flush`) and when the app stops."""

    def __init__(self, audit: AuditLog, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._audit, self._window, self._clock = audit, window_s, clock
        self._open: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def note(self, source: str, action: str, status: int, request: str) -> None:
        with self._lock:
            now = self._clock()
            self._close_expired(now)
            if source not in self._open and len(self._open) >= MAX_SOURCES:
                source = "(many)"
            window = self._open.get(source)
            if window is not None:
                window.count += 1
                return
            row = self._audit.record(action, status=status, request_id=request, source=source)
            self._open[source] = _Window(now, row)

    def flush(self) -> None:
        with self._lock:
            for window in self._open.values():
                self._write(window)

    def _close_expired(self, now: float) -> None:
        for source, window in list(self._open.items()):
            if now - window.opened >= self._window:
                self._write(window)
                del self._open[source]

    def _write(self, window: _Window) -> None:
        if window.count > window.written:
            self._audit.add_count(window.row_id, window.count - window.written)
            window.written = window.count


class AuditMiddleware:
    def __init__(self, app: ASGIApp, refusals: Callable[[], RefusalCounter], trust_proxy: bool) -> None:
        self._app, self._refusals, self._trust = app, refusals, trust_proxy

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
        refused = status in (401, 403) and path.startswith(("/v1/", "/qa/", "/console/"))
        if not (changed or refused):
            return
        state: dict[str, Any] = scope.get("state") or {}
        key = state.get("api_key")
        if key is None and refused:
            await run_in_threadpool(self._refusals().note, client_source(scope, self._trust), f"{method} {path}",
                                    status, request_id.get() or "")
            return
        await run_in_threadpool(_record, scope, f"{method} {path}", status)


def _record(scope: Scope, action: str, status: int) -> None:
    state: dict[str, Any] = scope.get("state") or {}
    key = state.get("api_key")
    components = scope["app"].state.components
    components.audit.record(action, actor=key.id if key else "-", role=key.role if key else "-",
                            shop=key.shop if key else "-", status=status, request_id=request_id.get() or "")
