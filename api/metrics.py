"""Prometheus metrics (one registry per app: tests build many apps) and the middleware that times every request,
gives it a request id and logs it."""

from __future__ import annotations

import logging
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import new_request_id, request_id
from drafting.models import Draft

log = logging.getLogger("draftdesk.api")
access_log = logging.getLogger("draftdesk.api.access")
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0)
FALLBACK_REASONS = ("llm_unavailable", "compliance_fallback")  # the model's reply was replaced by the template


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("draftdesk_http_requests", "HTTP requests by route template, method and status",
                                ["method", "route", "status"], registry=r)
        self.latency = Histogram("draftdesk_http_request_duration_seconds", "HTTP request latency until the "
                                 "last byte of the response", ["method", "route"], buckets=_LATENCY_BUCKETS,
                                 registry=r)
        self.drafts = Counter("draftdesk_drafts", "Drafts by provider, whether degraded and whether a human "
                              "must take over", ["provider", "degraded", "needs_human"], registry=r)
        self.reasons = Counter("draftdesk_draft_reasons", "Reasons attached to drafts (escalations, fallbacks)",
                               ["code"], registry=r)
        self.fallbacks = Counter("draftdesk_llm_fallbacks", "LLM replies replaced by the template draft",
                                 ["reason"], registry=r)
        self.confidence = Histogram("draftdesk_retrieval_confidence", "Retrieval confidence of each draft (0-1)",
                                    buckets=_CONFIDENCE_BUCKETS, registry=r)

    def observe_draft(self, draft: Draft) -> None:
        self.drafts.labels(provider=draft.provider, degraded=str(draft.degraded).lower(),
                           needs_human=str(draft.needs_human).lower()).inc()
        for reason in draft.reasons:
            self.reasons.labels(code=reason.code).inc()
            if reason.code in FALLBACK_REASONS:
                self.fallbacks.labels(reason=reason.code).inc()
        self.confidence.observe(draft.confidence)
        log.info("draft by %s", draft.provider, extra={
            "provider": draft.provider, "degraded": draft.degraded, "needs_human": draft.needs_human,
            "reasons": [r.code for r in draft.reasons], "confidence": draft.confidence, "intent": draft.intent,
            "latency_ms": draft.latency_ms})

    def exposition(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class ObservabilityMiddleware:
    """Pure ASGI (a streamed response is timed to its end): request id in, X-Request-ID out, one access log line,
    request count and latency by route template (never the raw path: ids in paths would explode the series)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        rid = new_request_id(headers.get(b"x-request-id", b"").decode("latin-1") or None)
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            self.metrics.requests.labels(method=scope["method"], route=route, status=str(status)).inc()
            self.metrics.latency.labels(method=scope["method"], route=route).observe(elapsed)
            access_log.info("%s %s %s", scope["method"], scope["path"], status, extra={
                "method": scope["method"], "route": route, "status": status, "duration_ms": round(elapsed * 1000, 1)})
            request_id.reset(token)


def _route_template(scope: Scope) -> str:
    """`/v1/knowledge/{entry_id}`, not `/v1/knowledge/ship-001`; `unmatched` for 404s."""
    route: Any = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return str(route.path)
    app: Any = scope.get("app")
    for candidate in getattr(getattr(app, "router", None), "routes", []):
        path = getattr(candidate, "path", None)  # FastAPI's included routers have none
        if isinstance(path, str) and candidate.matches(scope)[0] == Match.FULL:
            return path
    return "unmatched"

