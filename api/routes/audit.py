"""GET /v1/audit: who changed what, and who was refused (admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import allow
from api.deps import ComponentsDep, ShopDep
from api.schemas import AuditItem, AuditList

router = APIRouter(tags=["audit"])


@router.get("/v1/audit", response_model=AuditList, dependencies=[allow()], summary="The audit log, newest first")
def audit(components: ComponentsDep, shop: ShopDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> AuditList:
    """Changes to knowledge and announcements, console sign-ins, keys created or revoked (from the CLI), and
    refused requests: who (key id, role, shop), what, when, the status and the request id. An admin sees its own
    shop's events, and refusals of requests that named no valid key."""
    return AuditList(items=[AuditItem(**vars(e)) for e in components.audit.recent(limit, shop=shop.name)])
