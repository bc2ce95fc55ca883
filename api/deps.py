"""Dependencies: the objects built in the lifespan, as `Annotated` aliases for route signatures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, cast

from fastapi import Depends, Request

from api.metrics import Metrics
from drafting.calendar import ShopCalendar
from drafting.history import DraftLog
from drafting.keys import ApiKey
from drafting.macros import Macros
from drafting.service import DraftService
from drafting.settings import Settings
from drafting.shop_ids import DEFAULT_SHOP
from drafting.shops import Shop
from drafting.wiring import Components
from knowledge.announcements import Announcements
from knowledge.service import KnowledgeBase


def get_components(request: Request) -> Components:
    return cast(Components, request.app.state.components)


def get_shop(request: Request) -> Shop:
    """The caller's shop: its key's (`allow` checked the key first), the default shop when auth is off."""
    key: ApiKey | None = getattr(request.state, "api_key", None)
    return get_components(request).shops.get(key.shop if key else DEFAULT_SHOP)


def get_drafts(request: Request) -> DraftService:
    return get_shop(request).drafts


def get_knowledge(request: Request) -> KnowledgeBase:
    return get_shop(request).knowledge


def get_announcements(request: Request) -> Announcements:
    return get_shop(request).announcements


def get_clock(request: Request) -> Callable[[], datetime]:
    return get_components(request).clock


def get_calendar(request: Request) -> ShopCalendar:
    return get_components(request).calendar


def get_macros(request: Request) -> Macros:
    return get_components(request).macros


def get_history(request: Request) -> DraftLog:
    return get_components(request).history


def get_settings(request: Request) -> Settings:
    return get_components(request).settings


def get_metrics(request: Request) -> Metrics:
    return cast(Metrics, request.app.state.metrics)


ComponentsDep = Annotated[Components, Depends(get_components)]
ShopDep = Annotated[Shop, Depends(get_shop)]
DraftsDep = Annotated[DraftService, Depends(get_drafts)]
KnowledgeDep = Annotated[KnowledgeBase, Depends(get_knowledge)]
AnnouncementsDep = Annotated[Announcements, Depends(get_announcements)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
CalendarDep = Annotated[ShopCalendar, Depends(get_calendar)]
MacrosDep = Annotated[Macros, Depends(get_macros)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
HistoryDep = Annotated[DraftLog, Depends(get_history)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
