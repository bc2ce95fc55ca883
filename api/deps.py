"""Dependencies: the objects built in the lifespan, as `Annotated` aliases for route signatures."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from drafting.service import DraftService
from drafting.settings import Settings
from drafting.wiring import Components
from knowledge.service import KnowledgeBase


def get_components(request: Request) -> Components:
    return cast(Components, request.app.state.components)


def get_drafts(request: Request) -> DraftService:
    return get_components(request).drafts


def get_knowledge(request: Request) -> KnowledgeBase:
    return get_components(request).knowledge


def get_settings(request: Request) -> Settings:
    return get_components(request).settings


ComponentsDep = Annotated[Components, Depends(get_components)]
DraftsDep = Annotated[DraftService, Depends(get_drafts)]
KnowledgeDep = Annotated[KnowledgeBase, Depends(get_knowledge)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
