"""Request and response bodies of the API that are not already drafting or knowledge models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from catalog.models import MAX_SKU_CHARS, SKU_ALPHABET, Product, Promotion
from core.vocab import EntryPlatform, Locale
from drafting.kblint import Finding
from drafting.order import quotable
from knowledge.announcements import Announcement
from knowledge.labels import NO_LABELS, Labels, LabelSource
from knowledge.limits import ID_ALPHABET, MAX_ANSWER_CHARS, MAX_ID_CHARS, MAX_QUESTION_CHARS
from knowledge.models import Entry, Scope, aware
from records.analytics import Acceptance, Count, Gap, HourPlan, ShiftPlan
from records.history import LoggedDraft

MAX_ROWS = 5000
MAX_FINAL_CHARS = 8000


class IndexRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_ROWS)
    source: str = Field(default="api", min_length=1, max_length=200)
    prune: bool = Field(default=False, description="Delete entries of this source that are not in `entries`.")


class IndexKeys(BaseModel):
    added: list[str] = Field(default_factory=list, description="`id@locale` keys new to the store.")
    updated: list[str] = Field(default_factory=list, description="Keys whose content changed.")
    deleted: list[str] = Field(default_factory=list, description="Keys pruned: gone from their source.")


class IndexSummary(BaseModel):
    added: int
    updated: int
    unchanged: int
    deleted: int
    embedded: int = Field(description="Texts embedded (a dry run: texts that would be).")
    sources: list[str]
    dry_run: bool = Field(default=False, description="True: nothing was written; the counts and keys are a preview.")
    keys: IndexKeys = Field(default_factory=IndexKeys, description="The keys behind each count but `unchanged`.")
    compliance: dict[str, list[Finding]] = Field(
        default_factory=dict, description="By rule id: the entries whose answer breaks that compliance rule on a "
        "platform they apply to. A draft drops the sentence that breaks it, or holds; fix the answer instead.")


class EntryLabels(BaseModel):
    intents: list[str] = Field(default_factory=list, description="The buyer intents the entry answers.")
    question_types: list[str] = Field(default_factory=list, description="Its finer question types.")
    source: LabelSource = Field(default="none", description="`declared` in the file, `inferred` when indexed, "
                                "or `none`.")


class EntryOut(Entry):
    """An entry as stored, with the labels worked out when it was indexed."""

    labels: EntryLabels = Field(default_factory=EntryLabels)

    @classmethod
    def of(cls, entry: Entry, labels: Labels | None) -> EntryOut:
        return cls.model_validate({**entry.model_dump(), "labels": (labels or NO_LABELS).as_dict()})


class EntryList(BaseModel):
    items: list[EntryOut]
    total: int
    limit: int
    offset: int


class EntryVariants(BaseModel):
    id: str
    entries: list[EntryOut]


class Deleted(BaseModel):
    id: str
    deleted: int


AwareDatetime = Annotated[datetime, AfterValidator(aware), AfterValidator(quotable)]


def _no_controls(value: str) -> str:
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in value):
        raise ValueError("an id holds no control characters")
    return value


# An id in a path: new ids keep to the alphabet; one stored under older rules must still be readable and deletable,
# so only what no id may hold is refused here.
EntryIdPath = Annotated[str, Path(min_length=1, max_length=MAX_ID_CHARS, description=f"Entry ids use {ID_ALPHABET}."),
                        AfterValidator(_no_controls)]


class AnnouncementRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    body: str = Field(min_length=1, max_length=MAX_ANSWER_CHARS)
    locale: Locale
    valid_until: AwareDatetime = Field(description="ISO-8601 with a timezone, e.g. 2026-11-12T00:00:00+08:00.")
    valid_from: AwareDatetime | None = Field(default=None, description="ISO-8601 with a timezone; default now.")
    platform: EntryPlatform = "any"
    scope: Scope = Field(default_factory=Scope, description="Which orders it concerns; an empty list: all.")
    priority: int = Field(default=0, ge=0, le=100, description="Higher leads among notices that apply.")
    id: str | None = Field(default=None, max_length=MAX_ID_CHARS, description=(
        f"Publish under this id (replaces that announcement); default `ann-<date>-<8 hex digits>`. Ids use "
        f"{ID_ALPHABET}."))


class AnnouncementList(BaseModel):
    items: list[Announcement]
    total: int


class AnnouncementVariants(BaseModel):
    id: str
    items: list[Announcement]


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["accepted", "edited", "rejected"] = Field(description="What the agent did with the draft.")
    final_text: str | None = Field(default=None, min_length=1, max_length=MAX_FINAL_CHARS,
                                   description="The text the agent sent; required when `edited`.")
    reason: str | None = Field(default=None, min_length=1, max_length=500,
                               description="Why; required when `rejected`.")


class LearnedExample(BaseModel):
    entry_id: str
    locale: Locale
    text: str = Field(description="The buyer message, now an example question of the entry.")


class FeedbackReceipt(BaseModel):
    draft_id: str
    action: str
    edit_distance: int | None = Field(description="Characters inserted, deleted or substituted (Levenshtein) from "
                                      "the draft to the final text; 0 when accepted, null when rejected.")
    created_at: datetime
    learned: LearnedExample | None = Field(
        default=None, description="The buyer message the answering entry learned as an example question (a draft "
        "from an entry, sent as is or lightly edited); null when nothing was learned.")


class DraftHistory(BaseModel):
    items: list[LoggedDraft] = Field(description="Newest first, each with its feedback, oldest first.")
    total: int
    limit: int
    offset: int


class VolumeReport(BaseModel):
    group: str
    since: datetime | None
    until: datetime | None
    total: int
    items: list[Count] = Field(description="Most first; by hour: the 24 hours of the day in the shop's timezone.")


class AcceptanceReport(BaseModel):
    by: str
    since: datetime | None
    until: datetime | None
    items: list[Acceptance] = Field(description="Shares of the latest action per draft among the `n` drafts with "
                                    "feedback; by entry, a draft counts for every entry it cited.")


class GapReport(BaseModel):
    similarity: float = Field(description="The cosine at which two questions share a group.")
    unanswered: int = Field(description="Drafts held for low confidence or rejected, in the period.")
    items: list[Gap] = Field(description="Groups of similar unanswered questions, largest first.")


class StaffingReport(BaseModel):
    capacity_per_hour: float
    target_reply_s: float
    service_level: float
    shift_hours: int
    hours: list[HourPlan] = Field(description="Per hour: the fewest agents meeting the target (Erlang C).")
    shifts: list[ShiftPlan] = Field(description="Per shift: the agents its busiest hour needs.")


class VersionOut(BaseModel):
    number: int
    created_at: datetime
    reason: str
    entries: int
    digest: str
    kb_version: str = Field(description="The short form drafts are logged with.")


class VersionList(BaseModel):
    items: list[VersionOut]


class Rollback(BaseModel):
    summary: IndexSummary
    version: VersionOut


class DuplicatePair(BaseModel):
    first: str = Field(description="id@locale")
    second: str
    score: float


class DuplicateList(BaseModel):
    threshold: float
    items: list[DuplicatePair]


class AuditItem(BaseModel):
    at: datetime
    actor: str = Field(description="The API key id; `cli` for the command line; `-` when none was valid.")
    role: str
    shop: str
    action: str
    status: int
    request_id: str
    source: str = Field(default="", description="The client address of a refusal without a valid key.")
    count: int = Field(default=1, description="How many refusals from `source` this row stands for.")


class AuditList(BaseModel):
    items: list[AuditItem]


# --- the catalog ------------------------------------------------------------------------------------------------

CatalogKeyPath = Annotated[str, Path(min_length=1, max_length=MAX_SKU_CHARS, description=f"Use {SKU_ALPHABET}."),
                           AfterValidator(_no_controls)]


class ProductList(BaseModel):
    items: list[Product]
    total: int = Field(description="Products that match the filters, before `limit` and `offset`.")
    limit: int
    offset: int


class PromotionList(BaseModel):
    items: list[Promotion]
    total: int
    limit: int
    offset: int


class ProductSaved(BaseModel):
    outcome: Literal["added", "updated", "unchanged"]
    product: Product


class PromotionSaved(BaseModel):
    outcome: Literal["added", "updated", "unchanged"]
    promotion: Promotion


class CatalogImportRequest(BaseModel):
    """Rows shaped as in a JSONL file; a kind left out is left alone."""

    model_config = ConfigDict(extra="forbid")

    products: list[dict[str, Any]] | None = None
    promotions: list[dict[str, Any]] | None = None
    prune: bool = Field(default=False, description="Delete the products (promotions) a given list no longer holds.")


class CatalogCounts(BaseModel):
    added: int
    updated: int
    unchanged: int
    deleted: int


class CatalogImport(BaseModel):
    """What an import changed, as `draftdesk catalog import --json` prints it."""

    products: CatalogCounts
    promotions: CatalogCounts
    embedded: int = Field(description="Products whose words were embedded: 0 when only facts (price, stock) changed.")
    revision: int = Field(description="The shop's catalog revision after the import.")
