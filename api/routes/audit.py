"""GET /v1/audit: who changed what, and who was refused (admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from api.auth import allow
from api.deps import ComponentsDep, ShopDep
from api.schemas import AuditItem, AuditList
from core.shop_ids import DEFAULT_SHOP
from records.keys import ApiKey

router = APIRouter(tags=["audit"])


@router.get("/v1/audit", response_model=AuditList, dependencies=[allow()], summary="The audit log, newest first")
async def audit(request: Request, components: ComponentsDep, shop: ShopDep,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> AuditList:
    """Changes to knowledge and announcements, console sign-ins, keys created or revoked (from the CLI), and
    refused requests: who (key id, role, shop), what, when, the status and the request id. An admin sees its own
    shop's events; a server admin (an admin of the `default` shop) also sees the refusals of requests that named
    no valid key, one row per source address and window with a `count`."""
    key: ApiKey | None = getattr(request.state, "api_key", None)
    server_admin = key is None or key.shop == DEFAULT_SHOP  # keys off: the one local user
    await run_in_threadpool(request.app.state.refusals.flush)
    events = await run_in_threadpool(components.audit.recent, limit, shop=shop.name, unattributed=server_admin)
    return AuditList(items=[AuditItem(**vars(e)) for e in events])
