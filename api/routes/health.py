"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ComponentsDep
from api.errors import error_body
from knowledge.errors import KnowledgeError

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The embedder and the store answer")
def readyz(components: ComponentsDep) -> JSONResponse:
    try:
        components.embedder.embed_queries(["ping"])
        entries = components.store.count()
    except KnowledgeError as exc:
        return JSONResponse(error_body("not_ready", exc.message), status_code=503)
    return JSONResponse({
        "status": "ready", "entries": entries, "embedder": components.embedder.model_id,
        "provider": components.drafts.provider,
    })
