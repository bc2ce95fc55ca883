"""Finer question types than intents (rules/question_types.yaml): which logistics or refund question a message asks,
and which ones an entry answers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from drafting.intent import Regex
from drafting.rulefile import load_rule_file
from knowledge.models import Entry

QUESTION_TYPES_FILE = "question_types.yaml"


class TypeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    strict: bool = False  # a message of this type needs an entry of this type, not one without any
    answers: bool = False  # an entry whose answer speaks of it answers it too (e.g. "no overseas delivery")
    narrow: bool = False  # an entry asked this answers only messages that ask it ("which items can't be returned")

    @model_validator(mode="after")
    def _narrow_from_questions(self) -> TypeSpec:
        if self.narrow and self.answers:
            raise ValueError("a narrow type is given by an entry's questions, not by what its answer mentions")
        return self
    zh: list[Regex] = Field(min_length=1)
    en: list[Regex] = Field(min_length=1)


class QuestionTypeRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    min_examples: int = Field(default=2, ge=1)
    types: dict[str, TypeSpec]

    @model_validator(mode="after")
    def _named(self) -> QuestionTypeRules:
        bad = [name for name in self.types if not re.fullmatch(r"[a-z_]+\.[a-z_]+", name)]
        if bad:
            raise ValueError(f"type ids are written area.topic in lower case: {', '.join(bad)}")
        return self


def load_question_types(path: Path | None = None) -> QuestionTypeRules:
    return load_rule_file(QuestionTypeRules, QUESTION_TYPES_FILE, path)


@dataclass(frozen=True)
class Fit:
    """How an entry's question types meet a message's: `conflict` when the message asks a type the entry lacks;
    `covers` when the entry has every type the message asks (then it answers what was asked, whatever the
    message's intent was taken to be)."""

    conflict: bool
    shared: tuple[str, ...] = ()
    covers: bool = False


class QuestionTypes:
    def __init__(self, rules: QuestionTypeRules) -> None:
        self._min_examples = rules.min_examples
        self._strict = frozenset(name for name, spec in rules.types.items() if spec.strict)
        self._in_answers = frozenset(name for name, spec in rules.types.items() if spec.answers)
        self._narrow = frozenset(name for name, spec in rules.types.items() if spec.narrow)
        self._cues = {
            locale: [(name, re.compile("|".join(f"(?:{p})" for p in getattr(spec, locale)), re.I))
                     for name, spec in rules.types.items()]
            for locale in ("zh", "en")
        }

    def of(self, text: str, locale: str) -> tuple[str, ...]:
        """Every type whose cues match the text, in the rules' order."""
        return tuple(name for name, cue in self._cues.get(locale, ()) if cue.search(text))

    def of_entry(self, entry: Entry) -> tuple[str, ...]:
        """The types the entry's question (or title) asks, and those enough of its examples ask."""
        asked = set(self.of(entry.question or entry.title, entry.locale))
        counts: dict[str, int] = {}
        for example in (*entry.examples, *entry.learned):
            for name in self.of(example, entry.locale):
                counts[name] = counts.get(name, 0) + 1
        asked |= {name for name, n in counts.items() if n >= self._min_examples}
        asked |= {name for name, cue in self._cues.get(entry.locale, ()) if name in self._in_answers
                  and cue.search(entry.answer)}
        return tuple(name for name, _ in self._cues.get(entry.locale, ()) if name in asked)

    def fit(self, message: Sequence[str], entry: Sequence[str]) -> Fit:
        # the exception: a fact its answer states ("no overseas delivery" in the remote-areas entry)
        if any(t in self._narrow and t not in message for t in entry) and \
                not any(t in self._in_answers and t in entry for t in message):
            return Fit(conflict=True, shared=tuple(t for t in message if t in entry))
        if not message:
            return Fit(conflict=False)
        shared = tuple(t for t in message if t in entry)
        if any(t in self._strict and t not in entry for t in message):
            return Fit(conflict=True, shared=shared)  # a strict type must be answered, whatever else is shared
        if shared:
            return Fit(conflict=False, shared=shared, covers=len(shared) == len(message))
        return Fit(conflict=bool(entry))
