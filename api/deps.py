"""Dependencies: the objects built in the lifespan, as `Annotated` aliases for route signatures.

They are coroutines: FastAPI runs a plain function dependency in its thread pool, a hop per dependency per request
that costs more than the attribute read it does. The one that may block (a shop's first use builds it) hands that
build to the pool."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, cast

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from api.logs import request_id
from api.metrics import Metrics
from catalog.service import Catalog
from composition.settings import Settings
from composition.shops import Shop
from composition.wiring import Components
from core.shop_ids import DEFAULT_SHOP
from drafting.calendar import ShopCalendar
from drafting.macros import Macros
from drafting.service import DraftService
from knowledge.announcements import Announcements
from knowledge.journal import Origin, acting
from knowledge.service import KnowledgeBase
from records.history import DraftLog
from records.keys import ApiKey
from records.learning import Learner


def _components(request: Request) -> Components:
    return cast(Components, request.app.state.components)


async def get_components(request: Request) -> Components:
    return _components(request)


async def get_shop(request: Request) -> Shop:
    """The caller's shop: its key's (`allow` checked the key first), the default shop when auth is off."""
    key: ApiKey | None = getattr(request.state, "api_key", None)
    name = key.shop if key else DEFAULT_SHOP
    # a change this request makes is journalled and audited as theirs (a coroutine: set in the request's context)
    acting.set(Origin(key.id, key.role, request_id.get() or "") if key else Origin(request_id=request_id.get() or ""))
    shops = _components(request).shops
    shop = shops.built(name)
    return shop if shop is not None else await run_in_threadpool(shops.get, name)


async def get_drafts(shop: ShopDep) -> DraftService:
    return shop.drafts


async def get_knowledge(shop: ShopDep) -> KnowledgeBase:
    return shop.knowledge


async def get_announcements(shop: ShopDep) -> Announcements:
    return shop.announcements


async def get_catalog(shop: ShopDep) -> Catalog:
    return shop.catalog


async def get_clock(request: Request) -> Callable[[], datetime]:
    return _components(request).clock


async def get_calendar(request: Request) -> ShopCalendar:
    return _components(request).calendar


async def get_macros(request: Request) -> Macros:
    return _components(request).macros


async def get_history(request: Request) -> DraftLog:
    return _components(request).history


async def get_learner(request: Request) -> Learner:
    return cast(Learner, request.app.state.learner)


async def get_settings(request: Request) -> Settings:
    return _components(request).settings


async def get_metrics(request: Request) -> Metrics:
    return cast(Metrics, request.app.state.metrics)


ComponentsDep = Annotated[Components, Depends(get_components)]
ShopDep = Annotated[Shop, Depends(get_shop)]
DraftsDep = Annotated[DraftService, Depends(get_drafts)]
KnowledgeDep = Annotated[KnowledgeBase, Depends(get_knowledge)]
AnnouncementsDep = Annotated[Announcements, Depends(get_announcements)]
CatalogDep = Annotated[Catalog, Depends(get_catalog)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
CalendarDep = Annotated[ShopCalendar, Depends(get_calendar)]
MacrosDep = Annotated[Macros, Depends(get_macros)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
HistoryDep = Annotated[DraftLog, Depends(get_history)]
LearnerDep = Annotated[Learner, Depends(get_learner)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
