"""The FastAPI application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from threadpoolctl import threadpool_limits

from api.audit import AuditMiddleware, RefusalCounter
from api.auth import AuthMiddleware
from api.errors import install_error_handlers
from api.limits import BodyLimitMiddleware, RateLimiter
from api.logs import install_request_id
from api.metrics import Metrics, ObservabilityMiddleware
from api.routes import (
    analytics,
    announcements,
    audit,
    calendar,
    catalog,
    console,
    drafts,
    feedback,
    health,
    knowledge,
    macros,
    versions,
    written,
)
from api.security import SecurityHeadersMiddleware, is_loopback
from composition.settings import Settings
from composition.wiring import build_components
from core.errors import ConfigError
from knowledge.embedders import Embedder
from records.learning import Learner

# Seconds an idle HTTP connection stays open: longer than a proxy's or client's idle timeout (nginx 60-75 s, cloud
# load balancers 60 s, httpx 5 s). At uvicorn's 5 s a busy server closes a connection just as the client reuses it,
# and that request fails. `draftdesk serve` and the benchmark's servers use it.
KEEP_ALIVE_S = 75


def create_app(
    settings: Settings | None = None, *, embedder: Embedder | None = None, clock: Callable[[], datetime] | None = None
) -> FastAPI:
    """Heavy objects (embedding model, store) are built once in the lifespan, not at import. `clock` replaces the
    wall clock (tests of what expires when)."""
    settings = settings or Settings()
    if settings.auth == "off" and not is_loopback(settings.host):
        # Here, not in `draftdesk serve` alone: `uvicorn api.app:create_app --factory` builds the app this way too.
        raise ConfigError(f"DRAFTDESK_AUTH=off is for local experiments: refusing to serve on {settings.host} "
                          "(DRAFTDESK_HOST); use 127.0.0.1, or turn keys on and create them with "
                          "`draftdesk keys create`")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.components = build_components(settings, embedder=embedder, clock=clock, warm=True)
        app.state.learner = Learner(app.state.components.history)
        app.state.refusals = RefusalCounter(app.state.components.audit, settings.audit_refusal_window_s)
        # Every object the process holds now (the model's, chroma's, the libraries') leaves the collector's sight
        # until shutdown: a full collection would otherwise walk them all, 131-176 ms with the GIL held at 8
        # clients, a stall every draft in flight waits out (docs/benchmarks-log.md). Freezing costs nothing; cyclic
        # garbage already there is kept, and it is made once, at start-up.
        gc.freeze()
        # BLAS on one thread: its only large use here is the exact search's product (knowledge/exact.py), which
        # concurrent drafts already share, and OpenBLAS's second thread would spin between calls on the cores the
        # embedding model needs.
        try:
            with threadpool_limits(1, user_api="blas"):
                yield
        finally:
            gc.unfreeze()
            app.state.refusals.flush()
            app.state.components.close()

    app = FastAPI(
        title="draftdesk",
        version="0.1.0",
        description="Drafts soothing, policy-compliant, cited replies for e-commerce customer-service agents.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    install_request_id()
    app.state.metrics = Metrics()  # per app, not the global registry: a process (or a test run) may hold several
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute)
    # Added innermost first: headers on every answer, then the body limit, request ids, the audit log (which sees
    # the refusals), and auth, which refuses before any route reads the body.
    app.add_middleware(AuthMiddleware, settings=settings, limiter=app.state.rate_limiter)
    app.add_middleware(AuditMiddleware, refusals=lambda: app.state.refusals, trust_proxy=settings.trust_proxy)
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    for module in (drafts, written, feedback, analytics, audit, versions, knowledge, announcements, catalog, calendar,
                   macros, health):
        app.include_router(module.router)
    app.include_router(console.router)  # the web console: /, /knowledge, /qa
    app.mount("/static", StaticFiles(directory=console.WEB_DIR / "static"), name="static")
    return app
