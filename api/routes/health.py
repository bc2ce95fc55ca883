"""Liveness and readiness."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from api.deps import ComponentsDep, MetricsDep
from api.errors import error_body
from knowledge.errors import KnowledgeError

router = APIRouter(tags=["health"])
log = logging.getLogger("draftdesk.api")


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The embedder and the store answer")
def readyz(components: ComponentsDep) -> JSONResponse:
    """503 `not_ready` with the reason when the embedder or the store fails; a load balancer stops sending drafts."""
    try:
        components.embedder.embed_queries(["ping"])
    except Exception as exc:  # whatever it is, readiness answers 503 with the reason, never a 500
        return _not_ready("embedder", exc)
    try:
        entries = components.shops.get().store.count()
    except Exception as exc:
        return _not_ready("store", exc)
    return JSONResponse({
        "status": "ready", "entries": entries, "embedder": components.embedder.model_id,
        "provider": components.shops.get().drafts.provider,
    })


def _not_ready(part: str, exc: Exception) -> JSONResponse:
    reason = exc.message if isinstance(exc, KnowledgeError) else f"{type(exc).__name__}: {exc}"
    log.warning("not ready: %s: %s", part, reason)
    return JSONResponse(error_body("not_ready", f"{part}: {reason}"), status_code=503)


@router.get(
    "/metrics", summary="Prometheus metrics", response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "The Prometheus text exposition format."}},
)
def metrics(metrics: MetricsDep) -> Response:
    """Requests and latency by route, drafts by provider, fallbacks, reasons and retrieval confidence."""
    return metrics.exposition()

