"""The pre-sale rules file (rules/presale.yaml): which kind of question a message asks, and what buyers call each
product attribute."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from core.vocab import Intent, Locale, Role
from drafting.intent import Regex
from drafting.rulefile import RuleFileError, load_rule_file

PRESALE_FILE = "presale.yaml"
KINDS = ("comparison", "bulk", "size", "restock", "stock", "promotion", "recommendation", "price", "attribute")


class MatchRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    floor: float = Field(ge=0.0, le=1.0)
    margin: float = Field(ge=0.0, le=1.0)
    ask_at_most: int = Field(ge=2, le=10)


class BulkRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    negotiate_from: int = Field(ge=1, le=1000)
    handoff_to: Role = "supervisor"


class RecommendRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at_most: int = Field(ge=1, le=10)


class NearestRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    floor: dict[Locale, float]
    margin: float = Field(ge=0.0, le=1.0)


class KindRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    examples: dict[Locale, list[str]] = Field(default_factory=dict)
    types: list[str] = Field(default_factory=list)
    intents: list[Intent] = Field(default_factory=list)
    cues: dict[Locale, list[Regex]] = Field(default_factory=dict)
    attribute_cues: bool = False
    unless_types: list[str] = Field(default_factory=list)  # question types that ask something else
    unless: dict[Locale, list[Regex]] = Field(default_factory=dict)  # ... and words that do


class AttributeGroup(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    names: list[str] = Field(min_length=1)
    zh: list[Regex] = Field(default_factory=list)
    en: list[Regex] = Field(default_factory=list)

    def asked(self, message: str, locale: str, names: Callable[[str], bool] = lambda _: False) -> bool:
        """Whether the message asks about this attribute; a match that `names` a product ("真丝四件套还有没",
        "the silk duvet") does not ask about its material."""
        return any(not names(m.group(0)) for p in (self.zh if locale == "zh" else self.en)
                   for m in _compiled(p).finditer(message))

    def folded_names(self) -> set[str]:
        return {name.casefold() for name in self.names}


class PresaleRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    match: MatchRules
    bulk: BulkRules
    recommend: RecommendRules
    nearest: NearestRules
    asking: dict[Locale, list[Regex]] = Field(default_factory=dict)
    kinds: dict[str, KindRule]
    attributes: list[AttributeGroup]

    def question_words(self, locale: str) -> list[str]:
        """Every cue of the language: the words that ask ("能机洗吗", "还有货吗"), not those that name a product."""
        key: Locale = "zh" if locale == "zh" else "en"
        return [*self.asking.get(key, []), *(c for k in self.kinds.values() for c in k.cues.get(key, [])),
                *(c for g in self.attributes for c in (g.zh if key == "zh" else g.en))]


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


def matches(patterns: list[str], text: str) -> bool:
    return any(_compiled(p).search(text) for p in patterns)


def blank(patterns: list[str], text: str, keep: Callable[[str], bool]) -> str:
    """`text` with what the patterns match blanked out, but for the matches `keep` keeps."""
    for pattern in patterns:
        text = _compiled(pattern).sub(lambda m: m.group(0) if keep(m.group(0)) else " ", text)
    return text


def load_presale_rules(path: Path | None = None) -> PresaleRules:
    rules = load_rule_file(PresaleRules, PRESALE_FILE, path)
    unknown = set(rules.kinds) - set(KINDS)
    if unknown:
        raise RuleFileError(f"{path or PRESALE_FILE}: unknown kinds {sorted(unknown)}; use {', '.join(KINDS)}")
    return rules
