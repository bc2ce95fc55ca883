"""Request and response bodies of the API that are not already drafting or knowledge models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from knowledge.models import Entry

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
