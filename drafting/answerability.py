"""Which knowledge entry, if any, answers a buyer message (rules/answerability.yaml).

The nearest entry is not always an answer: a bulk-order question is close to the price-protection FAQ. An entry
answers only if its intents (knowledge.labels) fit the message's intent, its question types fit the message's,
and its score clears the floor for that fit; two close entries of different intents that the message's intent
cannot tell apart are left to a human.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.vocab import INTENTS, LOCALES
from drafting.intent import OTHER, IntentResult
from drafting.question_types import QuestionTypes
from drafting.rulefile import load_rule_file
from knowledge.labels import NO_LABELS
from knowledge.store import Hit

ANSWERABILITY_FILE = "answerability.yaml"
FitKind = Literal["agree", "unknown", "conflict"]


class Floors(BaseModel):
    """Offsets from the retrieval threshold (the language's `DRAFTDESK_THRESHOLD_*`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agree: dict[str, float] = Field(default_factory=dict)
    unknown: dict[str, float] = Field(default_factory=dict)


class AnswerabilityRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    agree: dict[str, float]
    covers: dict[str, float] = Field(default_factory=dict)
    unknown: dict[str, float]
    doubtless: dict[str, float]
    margin: float = Field(ge=0.0, le=0.2)
    sure_intent: float = Field(ge=0.0, le=1.0)
    type_window: float = Field(default=0.03, ge=0.0, le=0.2)
    platform_window: float = Field(default=0.05, ge=0.0, le=0.2)
    intents: dict[str, Floors] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known(self) -> AnswerabilityRules:
        for table in (self.agree, self.covers, self.unknown, self.doubtless):
            if bad := [k for k in table if k not in LOCALES]:
                raise ValueError(f"unknown language {', '.join(bad)} (use {', '.join(LOCALES)})")
        if bad := [i for i in self.intents if i not in INTENTS]:
            raise ValueError(f"unknown intent {', '.join(bad)}")
        return self

    def floor(self, fit: FitKind, locale: str, intent: str | None, threshold: float) -> float:
        override = self.intents.get(intent) if intent else None
        table = self.agree if fit == "agree" else self.unknown
        if override is not None:
            table = {**table, **(override.agree if fit == "agree" else override.unknown)}
        return threshold + table.get(locale, 0.0)


def load_answerability(path: Path | None = None) -> AnswerabilityRules:
    return load_rule_file(AnswerabilityRules, ANSWERABILITY_FILE, path)


@dataclass(frozen=True)
class Judged:
    hit: Hit
    fit: FitKind
    why: str  # a phrase for the reason: "intents cancel, not logistics"
    typed: bool = False  # shares a question type with the message
    covers: bool = False  # has every question type the message asks
    by_type: bool = False  # a conflict of question types: no score overrules it


@dataclass(frozen=True)
class Choice:
    """The answering hit (None: no entry answers), why, and the floor it was held to (for the confidence)."""

    hit: Hit | None
    code: str
    message: str
    floor: float
    also: tuple[Hit, ...] = ()  # other entries that pass too: an LLM may answer a two-part question from both


class Answerability:
    def __init__(self, rules: AnswerabilityRules, types: QuestionTypes) -> None:
        self._rules = rules
        self._types = types

    def choose(self, candidates: Sequence[Hit], intent: IntentResult | None, types: Sequence[str],
               locale: str, threshold: float) -> Choice:
        """`candidates`: best first, announcements left out by the caller; `threshold`: the retrieval threshold of
        the language, which the rules' floors are offsets from."""
        asked = intent.intent if intent else None
        unknown_floor = self._rules.floor("unknown", locale, asked, threshold)
        if not candidates:
            return Choice(None, "no_match", "no entry was found", unknown_floor)
        judged = [self._judge(hit, intent, types) for hit in candidates]
        top = judged[0]
        # Among entries scoring close to the best: one written for this platform goes first (its own rules beat
        # the general ones), then one that has every question type the message asks, then one sharing some.
        near = candidates[0].score - self._rules.type_window
        own = candidates[0].score - self._rules.platform_window
        judged.sort(key=lambda j: (j.hit.score < own or j.hit.entry.platform == "any",
                                   j.hit.score < near or not j.covers, j.hit.score < near or not j.typed,
                                   -j.hit.score))
        doubtless = threshold + self._rules.doubtless.get(locale, 1.0)
        # A high score outweighs a doubtful intent, never a sub-question the entry does not answer:
        # "抬头能开朋友公司的吗" is worded like "要开公司抬头的发票" and asks something else.
        if top.fit == "conflict" and not top.by_type and top.hit.score >= doubtless:
            return Choice(top.hit, "doubtless", f"{top.hit.entry.id} scores {top.hit.score:.3f} although {top.why}",
                          doubtless)
        for n, one in enumerate(judged):
            if one.fit == "conflict":
                continue
            floor = self._floor(one, locale, asked, threshold)
            if one.hit.score < floor:
                continue
            rival = self._rival(one, [j for j in judged if j is not one])
            if rival is not None:
                return Choice(None, "ambiguous", f"{one.hit.entry.id} and {rival.hit.entry.id} score alike "
                              f"({one.hit.score:.3f}, {rival.hit.score:.3f}) and answer different questions",
                              floor)
            how = "its intents fit" if one.fit == "agree" else "the intent cannot be checked"
            also = tuple(j.hit for j in judged[n + 1:] if j.fit != "conflict"
                         and j.hit.score >= self._floor(j, locale, asked, threshold))
            return Choice(one.hit, "answered", f"{one.hit.entry.id}: {how}, score {one.hit.score:.3f} ≥ {floor:.3f}",
                          floor, also)
        best = top.hit
        if all(j.fit == "conflict" for j in judged):
            return Choice(None, "intent_mismatch", f"the nearest entries answer other questions ({top.why})",
                          unknown_floor)
        return Choice(None, "low_score", f"best {best.entry.id} scores {best.score:.3f} < {unknown_floor:.3f}",
                      unknown_floor)

    def _floor(self, one: Judged, locale: str, asked: str | None, threshold: float) -> float:
        if one.covers and locale in self._rules.covers:
            return threshold + self._rules.covers[locale]
        return self._rules.floor(one.fit, locale, asked, threshold)

    def _judge(self, hit: Hit, intent: IntentResult | None, types: Sequence[str]) -> Judged:
        labels = hit.labels
        fit = self._types.fit(types, labels.question_types)
        typed = bool(fit.shared)
        if fit.conflict:
            shown = ", ".join(labels.question_types) or "no question type"
            # an entry never labelled (stored before labels, or by an indexer without a labeler) has unknown types
            return Judged(hit, "conflict", f"it answers {shown}, not {', '.join(types)}", by_type=labels != NO_LABELS)
        if fit.covers or (intent is not None and intent.intent in labels.intents):
            return Judged(hit, "agree", "", typed, fit.covers)
        if intent is None or intent.intent == OTHER or not labels.intents:
            return Judged(hit, "unknown", "", typed)
        if intent.confidence >= self._rules.sure_intent:
            return Judged(hit, "conflict", f"its intents are {', '.join(labels.intents)}, not {intent.intent}")
        return Judged(hit, "unknown", "", typed)

    def _rival(self, chosen: Judged, others: Sequence[Judged]) -> Judged | None:
        """A close entry that answers other intents: unless the chosen one has every question type the message asks,
        it must lead every such entry by `margin`, or the two are a toss-up."""
        if chosen.covers:
            return None
        mine = set(chosen.hit.labels.intents)
        for other in others:
            close = chosen.hit.score - other.hit.score < self._rules.margin
            if close and not mine & set(other.hit.labels.intents):
                return other
        return None
