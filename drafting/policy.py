"""Per-platform compliance rules (rules/compliance.yaml): what a draft must not say, and what it must not echo."""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.errors import DraftdeskError
from core.vocab import PLATFORMS, Locale, Platform, Role
from drafting.authority import Authority, Limits, load_authority
from drafting.models import Compliance, DraftRequest, Violation
from drafting.normalize import normalize
from drafting.prefilter import Screen
from drafting.rulefile import RuleFileError, load_rule_file, require_unique

RULES_FILE = "compliance.yaml"
MASK = "****"
_NUMBER = r"\d[\d,]*(?:\.\d+)?"
# money in the folded draft: a currency sign or unit beside the number; a rate (5折, 20%) names no sum
_UNIT = r"(?:元|块|圆|美元|美金|刀|rmb|cny|yuan|dollars?|usd|bucks)"
_MONEY = re.compile(rf"(?:[¥$€£]|usd|cny|rmb)\s?({_NUMBER})|({_NUMBER})\s?{_UNIT}")
_RATE = re.compile(r"\d\s*折|\d\s*%|half[- ]price|半价")
_FLAGS = re.I | re.A  # \b and \w by ASCII: "加我wechat" has a word boundary before the w
_SENTENCE_END = "。.!！?？;；\n"
_ECHO_MIN_CHARS = 6  # a shorter echo (a road name alone) identifies nobody


class RulesError(RuleFileError):
    """The compliance rules file cannot be used; raised at start-up, naming the file and the problems."""

    code = "rules_error"


class NonCompliantReply(DraftdeskError):
    """The model's reply broke a platform rule even after one repair; the caller uses the template draft."""

    code = "compliance_fallback"

    def __init__(self, compliance: Compliance) -> None:
        super().__init__(f"the model's reply broke {compliance.broken()} even after a repair")
        self.compliance = compliance


# --- the file: pydantic at the boundary -----------------------------------------------------------------

Lang = Literal["zh", "en", "any"]


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    buyer: str = ""
    order: dict[str, Any] = Field(default_factory=dict)
    platform: Platform | None = None
    role: Role = "l1"


class Examples(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    passing: dict[Locale, list[Example | str]] = Field(alias="pass")
    failing: dict[Locale, list[Example | str]] = Field(alias="fail")


class RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    platforms: list[Platform] | Literal["any"]
    locales: list[Locale] = Field(default=["zh", "en"], min_length=1)
    kind: Literal["regex", "phrases"]
    patterns: dict[Lang, list[str]] = Field(default_factory=dict)
    phrases: dict[Lang, list[str]] = Field(default_factory=dict)
    allow: dict[Lang, list[str]] = Field(default_factory=dict)
    message: dict[Locale, str]
    mask: bool = False
    echo_only: bool = False
    unless_order_has: list[str] = Field(default_factory=list)
    within_authority: dict[Lang, list[str]] | None = None
    within_limit: Literal["max_coupon", "max_refund"] = "max_coupon"
    examples: Examples

    @field_validator("patterns", "allow")
    @classmethod
    def _compiles(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for pattern in (p for items in value.values() for p in items):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regex {pattern!r}: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _complete(self) -> RuleSpec:
        listed, other = ("patterns", "phrases") if self.kind == "regex" else ("phrases", "patterns")
        if not any(getattr(self, listed).values()):
            raise ValueError(f"a {self.kind} rule needs {listed}")
        if getattr(self, other):
            raise ValueError(f"a {self.kind} rule takes no {other}")
        if missing := {"zh", "en"} - set(self.message):
            raise ValueError(f"message needs zh and en (missing {', '.join(sorted(missing))})")
        if self.mask and self.platforms != "any":
            raise ValueError("a masking rule masks on every platform: set `platforms: any`")
        return self


class RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    order_reference_keys: list[str] = Field(default_factory=list)
    rules: list[RuleSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> RulesFile:
        require_unique("rule", [r.id for r in self.rules])
        return self


def load_rules(path: Path | None = None) -> RulesFile:
    """The given YAML file, or the one shipped with this package; `RulesError` says what is wrong and where."""
    try:
        return load_rule_file(RulesFile, RULES_FILE, path)
    except RuleFileError as exc:
        raise RulesError(str(exc)) from exc


# --- compiled rules: dataclasses inside -----------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    id: str
    platforms: frozenset[str]
    locales: frozenset[str]
    matchers: tuple[re.Pattern[str], ...]
    screen: Screen | None  # which matchers can match a draft, told without running them all
    allowed: tuple[re.Pattern[str], ...]
    message: Mapping[str, str]
    mask: bool
    echo_only: bool
    unless_order_has: tuple[str, ...]
    authority_words: tuple[str, ...] | None  # set: an offer within the role's limits is no violation
    limit: str  # which of the role's limits an offer is held to

    @classmethod
    def compile(cls, spec: RuleSpec) -> _Rule:
        if spec.kind == "regex":
            sources = [p for items in spec.patterns.values() for p in items]
        else:
            sources = [_phrase_pattern(p) for items in spec.phrases.values() for p in items if p.strip()]
        screen = Screen(sources, _FLAGS)
        return cls(
            id=spec.id, platforms=frozenset(PLATFORMS if spec.platforms == "any" else spec.platforms),
            locales=frozenset(spec.locales), matchers=screen.patterns, screen=screen,
            allowed=tuple(re.compile(p, _FLAGS) for items in spec.allow.values() for p in items),
            message={str(k): v for k, v in spec.message.items()}, mask=spec.mask, echo_only=spec.echo_only,
            unless_order_has=tuple(spec.unless_order_has),
            authority_words=None if spec.within_authority is None else tuple(
                _fold(w) for words in spec.within_authority.values() for w in words),
            limit=spec.within_limit,
        )

    def say(self, locale: str) -> str:
        return self.message.get(locale) or self.message["en"]

    def applies(self, platform: str, locale: str, order: Mapping[str, Any]) -> bool:
        waived = any(order.get(key) not in (None, "", [], {}) for key in self.unless_order_has)
        return platform in self.platforms and locale in self.locales and not waived

    def within(self, folded: str, span: tuple[int, int], limits: Limits | None) -> bool:
        """An offer the role may make: it names sums of money, none above the role's limit (its largest coupon, or
        refund), no rate, and, if its sentence speaks of compensation, the role may compensate."""
        if self.authority_words is None or limits is None or getattr(limits, self.limit) <= 0:
            return False
        limit: Decimal = getattr(limits, self.limit)
        offer = folded[span[0]:span[1]]
        amounts = [Decimal((a or b).replace(",", "")) for a, b in _MONEY.findall(offer)]
        if not amounts or max(amounts) > limit or _RATE.search(offer):
            return False
        start = max((folded.rfind(c, 0, span[0]) for c in _SENTENCE_END), default=-1) + 1
        ends = [i for i in (folded.find(c, span[1]) for c in _SENTENCE_END) if i >= 0]
        sentence = folded[start:min(ends, default=len(folded))]
        return limits.compensation or not any(w in sentence for w in self.authority_words)

    def find(self, folded: str, buyer_key: str) -> list[tuple[int, int]]:
        """Spans in `folded` (merged where they overlap), less the allowed ones and, if echo_only, non-echoes."""
        matchers = self.screen.candidates(folded) if self.screen else self.matchers
        if not matchers:
            return []  # most drafts break most rules nowhere
        allowed = [m.span() for p in self.allowed for m in p.finditer(folded)]
        spans = []
        for pattern in matchers:
            for match in pattern.finditer(folded):
                span = match.span()
                if span[0] == span[1] or any(_overlap(span, a) for a in allowed):
                    continue
                if self.echo_only:
                    echoed = _echoed(folded, span, buyer_key)
                    if echoed is None:
                        continue
                    span = echoed
                spans.append(span)
        return _merged(spans)


class PolicyChecker:
    """Checks drafts against the rules for their platform and language, and masks the buyer's PII they echo."""

    def __init__(self, rules: RulesFile, authority: Authority | None = None) -> None:
        self._rules = [_Rule.compile(spec) for spec in rules.rules]
        self._reference_keys = tuple(rules.order_reference_keys)
        self._authority = authority or load_authority()
        # in a surge the same message (typed again, or by many buyers) gets the same draft: screen it once
        self._screened = functools.lru_cache(maxsize=4096)(self._screen)

    @property
    def rule_ids(self) -> list[str]:
        return [r.id for r in self._rules]

    def messages(self, platform: str, locale: str) -> list[str]:
        """What the rules for this platform and draft language say, for the model's instructions."""
        return [r.say(locale) for r in self._rules if platform in r.platforms and locale in r.locales]

    def check(
        self, text: str, platform: str, locale: str, order: Mapping[str, Any] | None = None, *, buyer: str = "",
        role: Role = "l1",
    ) -> Compliance:
        """Every violation, in the order it appears; matches a masking rule covers are left to the mask. Offers
        within `role`'s limits (rules/authority.yaml) are no violation."""
        order = order or {}
        limits = self._authority.limits(role)
        folded, origin = normalize(text)
        references, buyer_key = self._references(order), _key(_fold(buyer))
        masked: list[tuple[int, int]] = []
        found: list[tuple[int, _Rule, tuple[int, int]]] = []
        for rule in sorted(self._rules, key=lambda r: not r.mask):
            if not rule.applies(platform, locale, order):
                continue
            for span in rule.find(folded, buyer_key):
                if _key(folded[span[0]:span[1]]) in references or any(_overlap(span, m) for m in masked):
                    continue
                if rule.within(folded, span, limits):
                    continue
                if rule.mask:
                    masked.append(span)
                found.append((span[0], rule, span))
        violations = [
            Violation(rule=rule.id, span=text[min(origin[s:e]):max(origin[s:e]) + 1], message=rule.say(locale))
            for _, rule, (s, e) in sorted(found, key=lambda f: f[0])
        ]
        return Compliance(passed=not violations, violations=violations)

    def mask(self, text: str, *, buyer: str, order: Mapping[str, Any] | None = None) -> str:
        """Replace with **** every span of a masking rule (the buyer's phone, address, ID number) on any platform."""
        folded, origin = normalize(text)
        references, buyer_key = self._references(order or {}), _key(_fold(buyer))
        spans = [(min(origin[s:e]), max(origin[s:e]) + 1) for rule in self._rules if rule.mask
                 for s, e in rule.find(folded, buyer_key) if _key(folded[s:e]) not in references]
        for start, end in reversed(_merged(spans)):
            text = text[:start] + MASK + text[end:]
        return text

    def screen(self, text: str, request: DraftRequest, locale: str) -> tuple[str, Compliance]:
        """The draft as it may leave (the buyer's PII masked) and its compliance: what every draft goes through.
        A draft screened before for the same buyer words, order, platform and role is answered from memory."""
        facts = json.dumps(request.order.facts(), sort_keys=True, ensure_ascii=False)
        masked, compliance = self._screened(text, buyer_words(request), facts, request.platform, locale, request.role)
        return masked, compliance.model_copy(deep=True)  # each draft gets its own

    def _screen(self, text: str, buyer: str, facts_json: str, platform: str, locale: str,
                role: Role) -> tuple[str, Compliance]:
        facts = json.loads(facts_json)
        masked = self.mask(text, buyer=buyer, order=facts)
        return masked, self.check(masked, platform, locale, facts, buyer=buyer, role=role)

    def _references(self, order: Mapping[str, Any]) -> set[str]:
        return {_key(_fold(str(order[k]))) for k in self._reference_keys if order.get(k)} - {""}


def buyer_words(request: DraftRequest) -> str:
    """Everything the buyer gave: the message, earlier buyer turns and the order facts (where addresses live)."""
    turns = [t.text for t in request.history if t.role == "buyer"]
    facts = [str(v) for v in request.order.facts().values() if isinstance(v, str | int)]
    return "\n".join([request.message, *turns, *facts])


# --- matching helpers -------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _key(text: str) -> str:
    """Letters and digits only: "138-1234-5678" echoes "13812345678"."""
    return "".join(filter(str.isalnum, text))


def _phrase_pattern(phrase: str) -> str:
    """English phrases match whole words; Chinese phrases match anywhere."""
    folded = _fold(phrase.strip())
    head = r"(?<![a-z0-9])" if folded[0].isascii() and folded[0].isalnum() else ""
    tail = r"(?![a-z0-9])" if folded[-1].isascii() and folded[-1].isalnum() else ""
    return head + re.escape(folded) + tail


def _echoed(folded: str, span: tuple[int, int], buyer_key: str) -> tuple[int, int] | None:
    """The longest tail of the span that the buyer also wrote (patterns may start a few words early), if any."""
    start, end = span
    for cut in range(start, end):
        key = _key(folded[cut:end])
        if len(key) < _ECHO_MIN_CHARS:
            return None
        if key in buyer_key:
            return cut, end
    return None


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
