"""The knowledge entry: one FAQ, policy section, announcement or reply template in one locale."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from core.vocab import EntryPlatform, Intent, Locale
from knowledge.limits import (
    MAX_ANSWER_CHARS,
    MAX_EXAMPLES,
    MAX_LABEL_CHARS,
    MAX_QUESTION_CHARS,
    MAX_SCOPE_ITEMS,
    MAX_TAGS,
    NestingError,
    id_problem,
    load_json,
    text_problem,
)

Kind = Literal["faq", "policy", "announcement", "template"]
MAX_LEARNED = 20  # examples learned from agents' accepted drafts, per entry: the newest are kept
EmbedMode = Literal["query", "passage"]

KINDS: tuple[str, ...] = get_args(Kind)
NAIVE_DATETIME = "must carry a timezone, e.g. 2026-11-11T00:00:00+08:00"
_INPUT = "owner_input"  # validation context key: the entry comes from a knowledge owner (see `Entry.from_input`)


def parse_instant(value: str) -> datetime:
    """An ISO-8601 date and time with its UTC offset (a naive one would be read in whatever zone the machine is in);
    ValueError saying what is wrong."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"is not an ISO-8601 date and time: {value!r}") from None
    if moment.tzinfo is None:
        raise ValueError(NAIVE_DATETIME)
    return moment


def aware(value: datetime | None) -> datetime | None:
    """Validity bounds are instants: a datetime without a timezone is ambiguous, so it is refused."""
    if value is not None and value.tzinfo is None:
        raise ValueError(NAIVE_DATETIME)
    return value


class Scope(BaseModel):
    """Which orders an announcement is about. Each list narrows it; an empty list places no limit."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    intents: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    @field_validator("intents", "skus", "regions", mode="before")
    @classmethod
    def _clean(cls, value: object) -> object:
        return _texts(value, "|")  # one string: `|`-separated, as tags and examples are in CSV cells

    @property
    def is_empty(self) -> bool:
        return not (self.intents or self.skus or self.regions)


class Entry(BaseModel):
    """An entry is identified by (id, locale): translations of one FAQ share its id."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=200, pattern=r"^[^\s/?#]+$")
    kind: Kind = "faq"
    question: str = ""
    title: str = ""
    answer: str = Field(min_length=1)
    platform: EntryPlatform = "any"
    locale: Locale
    tags: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()  # other ways buyers ask this question; each is matched like the question
    # buyer messages whose drafts from this entry agents sent (draftdesk learns them); matched like examples, kept
    # when the entry is re-indexed from a file that has none, and left out of `content_hash`
    learned: tuple[str, ...] = Field(default=(), max_length=MAX_LEARNED)
    intents: tuple[Intent, ...] = ()  # the intents this entry answers; inferred at index time when not declared
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    source: str = "api"
    scope: Scope = Field(default_factory=Scope)  # announcements only
    priority: int = Field(default=0, ge=0, le=100)  # announcements only; higher leads

    @field_validator("valid_from", "valid_until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return aware(value)

    @field_validator("scope", mode="before")
    @classmethod
    def _scope_json(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        try:
            return load_json(value)  # a CSV cell holds the scope as JSON
        except NestingError as exc:
            raise PydanticCustomError("too_nested", "{problem}", {"problem": str(exc)}) from None

    @field_validator("tags", mode="before")
    @classmethod
    def _split_tags(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(t.strip() for t in value.replace("|", ",").split(",") if t.strip())
        return value

    @field_validator("examples", "learned", "intents", mode="before")
    @classmethod
    def _split_examples(cls, value: object) -> object:
        return _texts(value, "|")  # CSV cells: one example per `|`-separated part

    @field_validator("id")
    @classmethod
    def _safe_id(cls, value: str, info: ValidationInfo) -> str:
        if _owner_input(info):
            _refuse(id_problem(value))
        return value

    @field_validator("question", "title", "answer")
    @classmethod
    def _capped_text(cls, value: str, info: ValidationInfo) -> str:
        if _owner_input(info):
            _refuse(text_problem(value, MAX_ANSWER_CHARS if info.field_name == "answer" else MAX_QUESTION_CHARS))
        return value

    @field_validator("examples", "tags")
    @classmethod
    def _capped_list(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if _owner_input(info):
            caps = (MAX_EXAMPLES, MAX_QUESTION_CHARS) if info.field_name == "examples" else (MAX_TAGS, MAX_LABEL_CHARS)
            _refuse(_list_problem(value, *caps))
        return value

    @field_validator("scope")
    @classmethod
    def _small_scope(cls, value: Scope, info: ValidationInfo) -> Scope:
        if _owner_input(info):
            for name in ("intents", "skus", "regions"):
                problem = _list_problem(getattr(value, name), MAX_SCOPE_ITEMS, MAX_LABEL_CHARS)
                _refuse(problem and f"{name}: {problem}")
        return value

    @model_validator(mode="after")
    def _check(self) -> Entry:
        if not (self.question or self.title):
            raise ValueError("an entry needs a question or a title")
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        if self.kind != "announcement" and (self.priority or not self.scope.is_empty):
            raise ValueError("only announcements may carry a scope or a priority")
        return self

    @classmethod
    def from_input(cls, fields: dict[str, Any]) -> Entry:
        """An entry a knowledge owner sends (a file's row, an API row, an announcement): besides the model's rules,
        the id alphabet and the caps of `knowledge.limits` apply."""
        return cls.model_validate(fields, context={_INPUT: True})

    @property
    def key(self) -> str:
        """The store key: one per (id, locale)."""
        return f"{self.id}@{self.locale}"

    @property
    def heading(self) -> str:
        return self.title or self.question

    def embedding_text(self) -> str:
        """The passage text: the question or title, then the answer."""
        return "\n".join(part for part in (self.title, self.question, self.answer) if part)

    def facets(self) -> dict[str, tuple[EmbedMode, str]]:
        """The question and each example are embedded as queries (buyer messages match them best); the whole
        entry as a passage."""
        facets: dict[str, tuple[EmbedMode, str]] = {
            "q": ("query", self.question or self.title), "a": ("passage", self.embedding_text()),
        }
        for n, example in enumerate(self.examples):
            facets[f"x{n}"] = ("query", example)
        for n, example in enumerate(self.learned):
            facets[f"l{n}"] = ("query", example)
        return facets

    def text_hash(self) -> str:
        return _sha(json.dumps(self.facets(), sort_keys=True, ensure_ascii=False))

    def content_hash(self) -> str:
        """Hash of every field: any change is an update (re-embedded only if `text_hash` changed)."""
        data = self.model_dump(mode="json", exclude={"learned"})
        if not self.intents:
            del data["intents"]
        if self.scope.is_empty:  # left out at their defaults, so hashes stored before these fields still match
            del data["scope"]
        if not self.priority:
            del data["priority"]
        return _sha(json.dumps(data, sort_keys=True, ensure_ascii=False))

    def is_valid_at(self, moment: datetime) -> bool:
        if self.valid_from and moment < self.valid_from:
            return False
        return not (self.valid_until and moment >= self.valid_until)


def entry_id_of(key: str) -> str:
    """The id in an `id@locale` store key: the locale follows the last `@` (an id stored before `@` was refused
    may hold one)."""
    return key.rpartition("@")[0]


def _texts(value: object, separator: str) -> object:
    """A list of unique stripped texts from a `separator`-joined string or a list of scalars; anything else is
    left for pydantic to refuse (a nested list is never turned into its `str`)."""
    if isinstance(value, str):
        value = value.split(separator)
    if isinstance(value, list | tuple) and all(isinstance(v, str | int | float) for v in value):
        return tuple(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))
    return value


def _owner_input(info: ValidationInfo) -> bool:
    """The caps of `knowledge.limits` hold for what owners send, not for entries stored under older rules."""
    return bool(info.context and info.context.get(_INPUT))


def _refuse(problem: str | None) -> None:
    if problem:
        raise PydanticCustomError("limit", "{problem}", {"problem": problem})


def _list_problem(items: tuple[str, ...], most: int, chars: int) -> str | None:
    if len(items) > most:
        return f"at most {most} items, not {len(items)}"
    for number, item in enumerate(items, start=1):
        problem = text_problem(item, chars)
        if problem:
            return f"item {number}: {problem}"
    return None


def facet_mode(facet: str) -> EmbedMode:
    """How a stored facet was embedded: the `a` facet as a passage, the question and examples as queries."""
    return "passage" if facet == "a" else "query"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
