"""When a draft needs a colleague with more authority (rules/escalation.yaml), and the note that hands it over."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.vocab import ROLES, Intent, Locale, Role
from drafting.authority import Authority
from drafting.intent import Regex
from drafting.models import DraftRequest, Handoff, Reason
from drafting.rulefile import load_rule_file
from knowledge.language import without_codes
from prompts import render

ESCALATION_FILE = "escalation.yaml"
TriggerId = Literal[
    "legal_threat", "bad_review_threat", "complaint", "strong_anger", "repeated_contact", "refund_above_limit",
    "low_confidence",
]
_SHOUT = re.compile(r"[!！]{3,}")
_NOTE_QUOTE_CHARS = 80


class TriggerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    handled_by: Role
    always_human: bool = False
    intents: list[Intent] = Field(default_factory=list)
    keywords: dict[Locale, list[Regex]] = Field(default_factory=dict)
    amounts: dict[Locale, list[Regex]] = Field(default_factory=dict)
    shouting: bool = False
    earlier_buyer_turns: int | None = Field(default=None, ge=1)
    message: dict[Locale, str]

    @model_validator(mode="after")
    def _both_languages(self) -> TriggerSpec:
        if missing := {"zh", "en"} - set(self.message):
            raise ValueError(f"message needs zh and en (missing {', '.join(sorted(missing))})")
        return self


class EscalationRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    triggers: dict[TriggerId, TriggerSpec]

    @model_validator(mode="after")
    def _all_triggers(self) -> EscalationRules:
        if missing := [t for t in get_args(TriggerId) if t not in self.triggers]:
            raise ValueError(f"triggers missing: {', '.join(missing)}")
        return self


def load_escalation_rules(path: Path | None = None) -> EscalationRules:
    return load_rule_file(EscalationRules, ESCALATION_FILE, path)


def escalating_intents(rules: EscalationRules, role: Role) -> set[str]:
    """The intents that by themselves hand a `role` agent's conversation to someone with more authority."""
    mine = ROLES.index(role)
    return {i for trigger, spec in rules.triggers.items()
            if trigger != "refund_above_limit" and ROLES.index(spec.handled_by) > mine  # that one needs an amount
            for i in spec.intents}


@dataclass(frozen=True)
class Escalation:
    """The triggers that fired above the agent's role, and who should take over (None: nobody)."""

    reasons: list[Reason]
    to: Role | None
    always_human: bool

    @property
    def needs_human(self) -> bool:
        return self.to is not None or self.always_human


class Escalator:
    def __init__(self, rules: EscalationRules, authority: Authority) -> None:
        self._rules = rules
        self._authority = authority

    def assess(
        self, request: DraftRequest, locale: Locale, intent: str | None, *, confident: bool, retrieval: str = ""
    ) -> Escalation:
        """`retrieval` says how close the best match came, for the low-confidence reason."""
        fired: list[tuple[TriggerId, Role, str]] = []  # (trigger, role that may handle it, detail)
        beyond_all = False  # a refund no role may approve: a human decides whatever the role
        for trigger, spec in self._rules.triggers.items():
            if trigger == "low_confidence":
                if not confident:
                    fired.append((trigger, spec.handled_by, f" ({retrieval})" if retrieval else ""))
            elif trigger == "refund_above_limit":
                if intent in spec.intents and (found := self._refund(request, locale, spec)) is not None:
                    fired.append(found[:3])
                    beyond_all = found[3]
            elif self._matches(spec, request, locale, intent):
                fired.append((trigger, spec.handled_by, ""))
        mine = ROLES.index(request.role)
        above = [(t, to, detail) for t, to, detail in fired
                 if ROLES.index(to) > mine or self._rules.triggers[t].always_human
                 or (t == "refund_above_limit" and beyond_all)]
        specs = self._rules.triggers
        reasons = [Reason(code=t, message=specs[t].message[locale] + detail) for t, _, detail in above]
        targets = [to for _, to, _ in above if ROLES.index(to) > mine]
        return Escalation(
            reasons=reasons, to=max(targets, key=ROLES.index) if targets else None,
            always_human=beyond_all or any(specs[t].always_human for t, _, _ in above),
        )

    def handoff(
        self, escalation: Escalation, request: DraftRequest, locale: Locale, intent: str | None
    ) -> Handoff | None:
        """A short note for the colleague who takes over: who, why, the order, the buyer's words."""
        if not escalation.needs_human:
            return None
        to = escalation.to or request.role
        quote = request.message if len(request.message) <= _NOTE_QUOTE_CHARS else \
            request.message[:_NOTE_QUOTE_CHARS] + "…"
        note = render(f"handoff.{locale}", to=to, escalated=escalation.to is not None, reasons=escalation.reasons,
                      order=request.order, intent=intent, quote=quote,
                      turns=sum(1 for t in request.history if t.role == "buyer"))
        return Handoff(to=to, note=note)

    @staticmethod
    def _matches(spec: TriggerSpec, request: DraftRequest, locale: Locale, intent: str | None) -> bool:
        message = request.message
        if intent is not None and intent in spec.intents:
            return True
        if any(re.search(p, message, re.I) for p in spec.keywords.get(locale, [])):
            return True
        if spec.shouting and (_SHOUT.search(message) or _shouting(message)):
            return True
        earlier = sum(1 for t in request.history if t.role == "buyer")
        return spec.earlier_buyer_turns is not None and earlier >= spec.earlier_buyer_turns

    def _refund(
        self, request: DraftRequest, locale: Locale, spec: TriggerSpec
    ) -> tuple[TriggerId, Role, str, bool] | None:
        """The refund trigger, who may approve it, the amounts, and whether it is beyond every role."""
        amount = _asked_amount(request.message, spec.amounts.get(locale, [])) or request.order.amount
        limits = self._authority.limits(request.role)
        if amount is None or amount <= limits.max_refund:
            return None
        may = self._authority.refund_role(amount)
        to = max(may or "supervisor", spec.handled_by, key=ROLES.index)
        detail = f"（{amount} > {limits.max_refund}）" if locale == "zh" else f" ({amount} > {limits.max_refund})"
        return "refund_above_limit", to, detail, may is None


def _asked_amount(message: str, patterns: list[str]) -> Decimal | None:
    for pattern in patterns:
        if match := re.search(pattern, message, re.I):
            try:
                return Decimal(match.group(1))
            except (InvalidOperation, IndexError):
                continue
    return None


def _shouting(message: str) -> bool:
    """An English message mostly in capitals (at least three words of two letters or more); item numbers and
    order numbers, written in capitals, are not shouting."""
    words = re.findall(r"[A-Za-z]{2,}", without_codes(message))
    return len(words) >= 3 and sum(w.isupper() for w in words) / len(words) >= 0.6
