"""Time-bounded announcements (war-room notices): publish, list by state, end early, find those an order meets.

An announcement is a knowledge entry of kind `announcement`: retrieval already keeps to the valid ones, and an
expired one stays stored (state `expired`) until someone deletes it.
"""

from __future__ import annotations

import builtins
import re
import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ValidationError

from core.vocab import EntryPlatform, Locale
from knowledge.errors import ConflictError, EntryNotFoundError, InvalidAnnouncementError
from knowledge.indexing import Indexer
from knowledge.models import Entry, Scope
from knowledge.store import EntryFilter, VectorStore
from knowledge.versions import KnowledgeVersions

State = Literal["active", "scheduled", "expired"]
StateFilter = Literal["active", "scheduled", "expired", "all"]
STATES: tuple[str, ...] = get_args(StateFilter)
SOURCE = "announcements"
_KINDS = ("announcement",)
_FIELD_NAMES = {"answer": "body"}  # entry fields as the announcement calls them, in error messages
# Province-level suffixes: a scope of `新疆维吾尔自治区` and one of `新疆` both cover an order in `新疆…`.
_REGION_SUFFIX = re.compile(r"(维吾尔自治区|壮族自治区|回族自治区|自治区|特别行政区|省|市)$")


def state_at(entry: Entry, at: datetime) -> State:
    """Active from `valid_from` (inclusive) until `valid_until` (exclusive)."""
    if entry.valid_from and at < entry.valid_from:
        return "scheduled"
    if entry.valid_until and at >= entry.valid_until:
        return "expired"
    return "active"


class Announcement(BaseModel):
    """An announcement as the API and the CLI show it: its entry under announcement names, with its state."""

    id: str
    state: State
    title: str
    body: str
    locale: Locale
    platform: EntryPlatform
    valid_from: datetime | None
    valid_until: datetime | None
    scope: Scope
    priority: int
    source: str

    @classmethod
    def of(cls, entry: Entry, at: datetime) -> Announcement:
        return cls(
            id=entry.id, state=state_at(entry, at), title=entry.heading, body=entry.answer, locale=entry.locale,
            platform=entry.platform, valid_from=entry.valid_from, valid_until=entry.valid_until, scope=entry.scope,
            priority=entry.priority, source=entry.source,
        )


class Announcements:
    """`intents` are the intent ids a scope may name (empty: any). Every method takes the time it works at. With
    `versions`, each publish or expiry is a recorded change (journalled, then a version)."""

    def __init__(self, store: VectorStore, indexer: Indexer, *, intents: Collection[str] = (),
                 versions: KnowledgeVersions | None = None) -> None:
        self._store = store
        self._indexer = indexer
        self._intents = frozenset(intents)
        self._versions = versions

    def publish(
        self, *, title: str, body: str, locale: str, valid_until: datetime, at: datetime,
        valid_from: datetime | None = None, platform: str = "any", scope: Scope | None = None, priority: int = 0,
        entry_id: str | None = None,
    ) -> Entry:
        """Store a new announcement, or replace the one with `entry_id` in `locale`. It starts at `valid_from`,
        else at `at`; without `entry_id` its id is `ann-<start date>-<8 hex digits>`."""
        scope = scope or Scope()
        unknown = [i for i in scope.intents if self._intents and i not in self._intents]
        if unknown:
            raise InvalidAnnouncementError(
                f"scope.intents: unknown intent {', '.join(map(repr, unknown))}; "
                f"use one of {', '.join(sorted(self._intents))}"
            )
        if not title.strip():  # an entry may have a question instead; an announcement needs its title
            raise InvalidAnnouncementError("title: String should have at least 1 character")
        if valid_from is None and valid_until.tzinfo is not None and valid_until <= at:
            raise InvalidAnnouncementError(f"valid_until must be after valid_from, which defaults to now "
                                           f"({at.isoformat(timespec='seconds')})")
        start = valid_from or at
        fields: dict[str, Any] = {
            "id": entry_id or f"ann-{start:%Y%m%d}-{uuid.uuid4().hex[:8]}", "kind": "announcement",
            "title": title, "answer": body, "locale": locale, "platform": platform, "valid_from": start,
            "valid_until": valid_until, "scope": scope, "priority": priority, "source": SOURCE,
        }
        entry = _validate(fields, owner_input=True)  # before anything is written: a refusal publishes nothing
        taken = self._store.get([entry.key])
        if taken and taken[0].kind != "announcement":
            raise ConflictError(f"{entry.id!r} ({entry.locale}) is a {taken[0].kind}, not an announcement; "
                                "choose another id")
        if self._versions:
            self._versions.index([entry], f"announcement {entry.id} published", at=at)
        else:
            self._indexer.index([entry])
        return entry

    def list(
        self, state: StateFilter, at: datetime, platform: str | None = None, locale: str | None = None
    ) -> builtins.list[Entry]:
        """Announcements in `state` at `at` (`all`: any state), highest priority first, then the latest start.
        `platform` also matches announcements for every platform (`any`)."""
        keys = self._store.keys(EntryFilter(platform=platform, locale=locale, kinds=_KINDS))
        found = [e for e in self._store.get(keys) if state == "all" or state_at(e, at) == state]
        return sorted(found, key=_precedence)

    def get(self, entry_id: str) -> builtins.list[Entry]:
        """The announcement in each locale it was published in."""
        keys = self._store.keys(EntryFilter(entry_id=entry_id, kinds=_KINDS))
        if not keys:
            raise EntryNotFoundError(f"no announcement with id {entry_id!r}")
        return sorted(self._store.get(keys), key=lambda e: e.locale)

    def expire(self, entry_id: str, at: datetime) -> builtins.list[Entry]:
        """End an active announcement at `at`, in every locale; it stays stored, as `expired`. Ending one that
        already ended changes nothing; one that has not started yet is a conflict (republish or delete it)."""
        entries = self.get(entry_id)
        waiting = [e for e in entries if e.valid_from and at <= e.valid_from]
        if waiting:
            raise ConflictError(f"announcement {entry_id!r} has not started yet (it starts at "
                                f"{waiting[0].valid_from:%Y-%m-%dT%H:%M:%S%z}); publish it again with new dates, "
                                "or delete it")
        ended = [_validate({**e.model_dump(), "valid_until": at}) for e in entries if state_at(e, at) == "active"]
        if self._versions:
            self._versions.index(ended, f"announcement {entry_id} ended", at=at)
        else:
            self._indexer.index(ended)
        by_key = {e.key: e for e in entries} | {e.key: e for e in ended}
        return sorted(by_key.values(), key=lambda e: e.locale)

    def applicable(
        self, at: datetime, *, platform: str, locale: str, intent: str | None, skus: Sequence[str],
        region: str | None,
    ) -> builtins.list[Entry]:
        """Active announcements (for `platform` or `any`, in `locale`) whose scope this order meets, highest
        priority first, then the latest start. Each non-empty scope list must match: the intent is listed; any of
        `skus` is listed (case ignored); a listed region is contained in `region` (`新疆` covers
        `新疆维吾尔自治区乌鲁木齐市`; case ignored). Announcements with an empty scope are left out: they apply
        only when retrieval finds them similar to the buyer's message, which the draft service already does."""
        flt = EntryFilter(platform=platform, locale=locale, kinds=_KINDS, valid_at=at)
        found = [e for e in self._store.get(self._store.keys(flt))
                 if not e.scope.is_empty and self.in_scope(e, intent=intent, skus=skus, region=region)]
        return sorted(found, key=_precedence)

    @staticmethod
    def in_scope(entry: Entry, *, intent: str | None, skus: Sequence[str], region: str | None) -> bool:
        """Does this order meet the announcement's scope (always, for an empty scope)? The rules are those of
        `applicable`; the draft service also asks it of announcements that retrieval found."""
        return _meets(entry.scope, intent, skus, region)


def _validate(fields: dict[str, Any], *, owner_input: bool = False) -> Entry:
    """An entry, or one error naming every problem on one line. `owner_input`: a new announcement, held to the id
    alphabet and caps (one stored under older rules can still be ended)."""
    try:
        return Entry.from_input(fields) if owner_input else Entry.model_validate(fields)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(_FIELD_NAMES.get(str(p), str(p)) for p in err["loc"])
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        raise InvalidAnnouncementError("; ".join(problems)) from exc


def _precedence(entry: Entry) -> tuple[int, float, str]:
    start = entry.valid_from.timestamp() if entry.valid_from else float("-inf")
    return -entry.priority, -start, entry.key


def _meets(scope: Scope, intent: str | None, skus: Sequence[str], region: str | None) -> bool:
    if scope.intents and intent not in scope.intents:
        return False
    if scope.skus and not {s.casefold() for s in scope.skus} & {s.strip().casefold() for s in skus}:
        return False
    return not scope.regions or any(_covers(r, region or "") for r in scope.regions)


def _covers(scope_region: str, region: str) -> bool:
    """Containment, ignoring case and a province-level suffix; Latin names match whole words only."""
    name = " ".join(scope_region.casefold().split())
    core = _REGION_SUFFIX.sub("", name)
    name = core if len(core) >= 2 else name
    text = " ".join(region.casefold().split())
    return bool(name) and re.search(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", text) is not None
