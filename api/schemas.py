"""Request and response bodies of the API that are not already drafting or knowledge models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from knowledge.announcements import Announcement
from knowledge.models import Entry, Locale, Platform, Scope, aware

MAX_ROWS = 5000


class IndexRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_ROWS)
    source: str = Field(default="api", min_length=1, max_length=200)
    prune: bool = Field(default=False, description="Delete entries of this source that are not in `entries`.")


class IndexSummary(BaseModel):
    added: int
    updated: int
    unchanged: int
    deleted: int
    embedded: int
    sources: list[str]


class EntryList(BaseModel):
    items: list[Entry]
    total: int
    limit: int
    offset: int


class EntryVariants(BaseModel):
    id: str
    entries: list[Entry]


class Deleted(BaseModel):
    id: str
    deleted: int


AwareDatetime = Annotated[datetime, AfterValidator(aware)]


class AnnouncementRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1)
    body: str = Field(min_length=1)
    locale: Locale
    valid_until: AwareDatetime = Field(description="ISO-8601 with a timezone, e.g. 2026-11-12T00:00:00+08:00.")
    valid_from: AwareDatetime | None = Field(default=None, description="ISO-8601 with a timezone; default now.")
    platform: Platform = "any"
    scope: Scope = Field(default_factory=Scope, description="Which orders it concerns; an empty list: all.")
    priority: int = Field(default=0, ge=0, le=100, description="Higher leads among notices that apply.")
    id: str | None = Field(default=None, description="Publish under this id (replaces that announcement); "
                                                     "default `ann-<date>-<8 hex digits>`.")


class AnnouncementList(BaseModel):
    items: list[Announcement]
    total: int


class AnnouncementVariants(BaseModel):
    id: str
    items: list[Announcement]
