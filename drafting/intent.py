"""Buyer intent: keyword rules from drafting/rules/intents.yaml first, then the nearest example message by embedding.

The rules file holds every word list and example (zh and en); `load_intent_rules` validates it. The classifier
embeds the examples once, together, when a message first needs them (or at `prepare`), and per message at most once
more.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

import numpy as np
import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import ConfigError
from core.vocab import Intent, Locale
from knowledge.embedders import Embedder
from knowledge.embedders.base import Vectors
from knowledge.language import detect_locale

OTHER: Intent = "other"
IntentSource = Literal["keyword", "embedding", "none"]

RULES_FILE = "rules/intents.yaml"
DEFAULT_STRENGTH = 0.9
# e5-small cosines between two queries crowd into a narrow band; tuned on Bitext dev and the promo cases.
DEFAULT_FLOORS: Mapping[str, float] = {"zh": 0.90, "en": 0.88}
DEFAULT_MARGIN = 0.15  # how much more confident the nearest example must be to overrule a (weak) keyword
_SCALE = 5.0  # confidence 0.5 at the floor, 1.0 at 0.1 above it


class IntentRulesError(ConfigError):
    """A rules file that cannot be used; `problems` say where (e.g. `intents.cancel.keywords.zh.2`)."""

    code = "invalid_intent_rules"

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        super().__init__(f"{source}: {shown}")


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{pattern!r} is not a valid regular expression ({exc})") from exc
    return pattern


Regex = Annotated[str, Field(min_length=1), AfterValidator(_compiles)]


class KeywordRule(BaseModel):
    """A regular expression, matched case-insensitively anywhere in the message; a bare string in the file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: Regex
    strength: float = Field(default=DEFAULT_STRENGTH, gt=0.0, le=1.0)

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        return {"pattern": data} if isinstance(data, str) else data


class IntentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    keywords: dict[Locale, list[KeywordRule]] = Field(default_factory=dict)
    exclude: dict[Locale, list[Regex]] = Field(default_factory=dict, description="Any match vetoes the keywords.")
    examples: dict[Locale, list[Annotated[str, Field(min_length=1)]]] = Field(default_factory=dict)


class IntentRules(BaseModel):
    """`priority` breaks ties between equally strong keyword matches: the intent listed first wins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    priority: list[Intent]
    intents: dict[Intent, IntentSpec]

    @model_validator(mode="after")
    def _consistent(self) -> IntentRules:
        if OTHER not in self.intents:
            raise ValueError(f"the rules must define {OTHER!r}, the fallback intent")
        twice = sorted({i for i in self.priority if self.priority.count(i) > 1})
        unranked = [i for i in self.intents if i not in self.priority]
        undefined = [i for i in self.priority if i not in self.intents]
        for problem, ids in (("listed twice in priority", twice), ("missing from priority", unranked),
                             ("in priority but not under intents", undefined)):
            if ids:
                raise ValueError(f"{problem}: {', '.join(ids)}")
        if not any(spec.examples for spec in self.intents.values()):
            raise ValueError("no intent has examples: the embedding classifier needs some")
        return self


def load_intent_rules(path: Path | None = None) -> IntentRules:
    """The given rules file, or the one shipped with this package; every problem is reported at once."""
    source = str(path) if path is not None else f"drafting/{RULES_FILE}"
    try:
        text = path.read_text(encoding="utf-8") if path is not None else \
            resources.files("drafting").joinpath(RULES_FILE).read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except OSError as exc:
        raise IntentRulesError(source, [f"cannot read the file ({exc.strerror})"]) from exc
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise IntentRulesError(source, [f"not valid YAML ({exc})"]) from exc
    if not isinstance(data, dict):
        raise IntentRulesError(source, ["expected a mapping with `priority` and `intents`"])
    try:
        return IntentRules.model_validate(data)
    except ValidationError as exc:
        raise IntentRulesError(source, [_problem(e) for e in exc.errors()]) from exc


def _problem(error: Any) -> str:
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])


@dataclass(frozen=True)
class IntentResult:
    """`evidence` is what decided: the matched keyword pattern or the nearest example message."""

    intent: Intent
    confidence: float
    source: IntentSource
    evidence: str = ""


class IntentDetector(Protocol):
    def classify(self, text: str, locale: str | None = None, vector: Vectors | None = None) -> IntentResult: ...


class IntentFinder(Protocol):
    """What a draft asks of intents: the message's, or None where the shop classifies none."""

    def classify(self, text: str, locale: str | None = None) -> IntentResult | None: ...


class NoIntents:
    """A shop without an intent classifier: a message has no intent (no quick replies; playbooks by cues alone)."""

    def classify(self, text: str, locale: str | None = None) -> IntentResult | None:
        return None


@dataclass(frozen=True)
class _Rule:
    intent: Intent
    regex: re.Pattern[str]
    strength: float
    rank: int  # place in priority


class IntentClassifier:
    """Keyword rules first; the nearest example (cosine, examples embedded as queries) decides when no keyword
    matched, or overrules a keyword it beats by `margin`; below the locale's similarity `floor` it is `other`."""

    def __init__(
        self, embedder: Embedder, rules: IntentRules, *, floors: Mapping[str, float] = DEFAULT_FLOORS,
        margin: float = DEFAULT_MARGIN,
    ) -> None:
        self._embedder = embedder
        self._floors = dict(floors)
        self._margin = margin
        rank = {intent: i for i, intent in enumerate(rules.priority)}
        self._rules: dict[str, list[_Rule]] = {}
        self._excludes: dict[tuple[str, Intent], list[re.Pattern[str]]] = {}
        for intent, spec in rules.intents.items():
            for locale, keywords in spec.keywords.items():
                self._rules.setdefault(locale, []).extend(
                    _Rule(intent, re.compile(k.pattern, re.I), k.strength, rank[intent]) for k in keywords)
            for locale, patterns in spec.exclude.items():
                self._excludes[(locale, intent)] = [re.compile(p, re.I) for p in patterns]
        examples = [(intent, text) for intent, spec in rules.intents.items()
                    for texts in spec.examples.values() for text in texts]
        self._example_intents: list[Intent] = [intent for intent, _ in examples]
        self._example_texts = [text for _, text in examples]
        self._example_vectors: Vectors | None = None
        self._embedding = threading.Lock()

    def prepare(self) -> None:
        """Embed the examples now (one batched call) rather than for the first message that needs them."""
        self._vectors()

    def _vectors(self) -> Vectors:
        vectors = self._example_vectors
        if vectors is None:
            with self._embedding:
                if self._example_vectors is None:
                    self._example_vectors = self._embedder.embed_queries(self._example_texts)
                vectors = self._example_vectors
        return vectors

    def classify(self, text: str, locale: str | None = None, vector: Vectors | None = None) -> IntentResult:
        """`vector`: the text's query embedding when the caller already has it (an entry's stored question)."""
        locale = locale or detect_locale(text)
        keyword = self._keyword(text, locale)
        if keyword is not None and keyword.confidence + self._margin > 1.0:
            return keyword  # no example could overrule it: skip the embedding
        nearest = self._nearest(text, locale, vector)
        if keyword is not None and (nearest.source != "embedding" or
                                    nearest.confidence < keyword.confidence + self._margin):
            return keyword
        return nearest

    def _keyword(self, text: str, locale: str) -> IntentResult | None:
        """The strongest matching rule; among equally strong ones the intent ranked first."""
        hits = [r for r in self._rules.get(locale, []) if r.regex.search(text)]
        hits = [r for r in hits if not any(x.search(text) for x in self._excludes.get((locale, r.intent), []))]
        if not hits:
            return None
        best = min(hits, key=lambda r: (-r.strength, r.rank))
        return IntentResult(best.intent, round(best.strength, 3), "keyword", best.regex.pattern)

    def _nearest(self, text: str, locale: str, vector: Vectors | None = None) -> IntentResult:
        if vector is None:
            vector = self._embedder.embed_queries([text])[0]
        similarities = self._vectors() @ vector
        best = int(np.argmax(similarities))
        similarity = float(similarities[best])
        floor = self._floors.get(locale, min(self._floors.values()))
        confidence = round(min(1.0, max(0.0, 0.5 + (similarity - floor) * _SCALE)), 3)
        if similarity < floor:  # nothing like any example: call it other, surer the further below the floor
            return IntentResult(OTHER, round(1.0 - confidence, 3), "none", self._example_texts[best])
        return IntentResult(self._example_intents[best], confidence, "embedding", self._example_texts[best])
