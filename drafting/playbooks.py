"""Playbooks (rules/playbooks.yaml): scripted answers for what buyers ask and no FAQ answers, within the agent's
authority: bargaining, bulk orders, complaints, a forgotten coupon, a cheap damaged item, claims..."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.vocab import ROLES, Intent, Locale, Platform, Role
from drafting.amounts import asked_amount
from drafting.authority import Authority
from drafting.intent import Regex
from drafting.models import Reason
from drafting.order import Order
from drafting.rulefile import load_rule_file, require_unique
from drafting.situations import Opening, OrderField, When

PLAYBOOKS_FILE = "playbooks.yaml"
PlaybookMode = Literal["playbook", "holding"]
AmountKind = Literal["coupon", "discount", "refund"]


class Beyond(BaseModel):
    """Hand over only when the buyer asks for more than the role may give."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    beyond: Role


class Playbook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    intents: list[Intent] = Field(default_factory=list)
    min_confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    cues: dict[Locale, list[Regex]] = Field(default_factory=dict)
    unless_types: frozenset[str] = frozenset()  # question types that ask for facts instead
    fallback: bool = False  # only when no order situation or knowledge entry answers the message
    platforms: list[Platform] = Field(default_factory=list)
    mode: PlaybookMode = "playbook"
    when: When | None = None
    needs: list[OrderField] = Field(default_factory=list)
    max_amount: Decimal | None = Field(default=None, ge=0)
    amount: AmountKind | None = None
    window_days: int | None = Field(default=None, ge=1, le=365)
    handled_by: Role | Beyond | None = None
    opening: Opening
    reason: dict[str, str] = Field(default_factory=dict)  # zh and en

    @model_validator(mode="after")
    def _complete(self) -> Playbook:
        if not (self.intents or self.cues):
            raise ValueError("a playbook needs intents or cues to start it")
        if (self.handled_by is not None or self.mode == "holding") and set(self.reason) != {"zh", "en"}:
            raise ValueError("a playbook that hands over needs a reason in zh and en")
        return self


class Playbooks(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    playbooks: list[Playbook]

    @model_validator(mode="after")
    def _unique(self) -> Playbooks:
        require_unique("playbook", [p.id for p in self.playbooks])
        return self


def load_playbooks(path: Path | None = None) -> Playbooks:
    return load_rule_file(Playbooks, PLAYBOOKS_FILE, path)


@dataclass(frozen=True)
class PlaybookCase:
    """A playbook that applies to this message, and what its template needs."""

    playbook: Playbook
    missing: tuple[str, ...]  # needed order facts the request lacks: the draft then only asks for them
    amount: Decimal | None  # what the buyer asks for (coupon, discount, refund), when known
    within: bool | None  # the amount is within the role's limits; None when there is no amount to compare
    handoff_to: Role | None  # who takes over (None: the agent handles it)
    reason: Reason | None
    deadline: datetime | None = None  # the end of a return window
    inside: bool | None = None  # the message came before `deadline`

    @property
    def holds(self) -> bool:
        return self.playbook.mode == "holding" or bool(self.missing)


class PlaybookMatcher:
    def __init__(self, rules: Playbooks, authority: Authority) -> None:
        self._rules = rules
        self._authority = authority
        self._cues = {(p.id, str(locale)): re.compile("|".join(f"(?:{c})" for c in cues), re.I)
                      for p in rules.playbooks for locale, cues in p.cues.items() if cues}

    def match(self, message: str, *, intent: str | None, platform: str, locale: str, order: Order, role: Role,
              at: datetime, confidence: float = 1.0, types: Sequence[str] = ()) -> PlaybookCase | None:
        """The first playbook this message starts whose order conditions hold (or whose needed facts are missing)."""
        for playbook in self._rules.playbooks:
            if not self._starts(playbook, message, intent if confidence >= playbook.min_confidence else None,
                                platform, locale) or not playbook.unless_types.isdisjoint(types):
                continue
            if order.given:
                if playbook.when is not None and not playbook.when.holds(order, at):
                    continue
                if playbook.max_amount is not None and (order.amount is None or order.amount > playbook.max_amount):
                    continue
                missing = tuple(name for name in playbook.needs if name not in order.facts())
            elif "status" in playbook.needs:  # no order at all, and this one cannot do without it: ask for it
                missing = tuple(playbook.needs)
            elif playbook.when is not None or playbook.max_amount is not None:
                continue  # it is about an order in some state: without one, an FAQ may answer
            else:
                missing = ()
            if missing:
                return self._case(playbook, locale, role, missing=missing)
            return self._case(playbook, locale, role, message=message, order=order, at=at)
        return None

    def _starts(self, playbook: Playbook, message: str, intent: str | None, platform: str, locale: str) -> bool:
        if playbook.platforms and platform not in playbook.platforms:
            return False
        cue = self._cues.get((playbook.id, locale))
        return intent in playbook.intents or (cue is not None and cue.search(message) is not None)

    def _case(self, playbook: Playbook, locale: str, role: Role, *, missing: tuple[str, ...] = (),
              message: str = "", order: Order | None = None, at: datetime | None = None) -> PlaybookCase:
        limits = self._authority.limits(role)
        amount = self._amount(playbook.amount, message, order)
        cap = limits.max_refund if playbook.amount == "refund" else limits.max_coupon
        within = None if amount is None else amount <= cap
        deadline = inside = None
        if playbook.window_days and order is not None and order.delivered_at is not None and at is not None:
            deadline = order.delivered_at + timedelta(days=playbook.window_days)
            inside = at < deadline
        to = self._handoff(playbook, role, within, amount)
        reason = None
        if playbook.reason and (to is not None or playbook.mode == "holding") and not missing:
            reason = Reason(code=playbook.id, message=playbook.reason.get(locale, playbook.reason["en"]))
        return PlaybookCase(playbook, missing, amount, within, to, reason, deadline, inside)

    def _amount(self, kind: AmountKind | None, message: str, order: Order | None) -> Decimal | None:
        if kind is None:
            return None
        if kind == "refund":
            return order.amount if order is not None else None
        return asked_amount(message, base=order.amount if order is not None else None)

    def _handoff(self, playbook: Playbook, role: Role, within: bool | None, amount: Decimal | None) -> Role | None:
        """Who takes over: a fixed role above this one, or (`beyond`) the least role whose limits cover the amount."""
        target = playbook.handled_by
        if target is None:
            return None
        if isinstance(target, Beyond):
            if within is not False or amount is None:
                return None
            may = self._authority.refund_role(amount) if playbook.amount == "refund" else \
                next((r for r in ROLES if self._authority.limits(r).max_coupon >= amount), None)
            target_role: Role = max(may or "supervisor", target.beyond, key=ROLES.index)
        else:
            target_role = target
        return target_role if ROLES.index(target_role) > ROLES.index(role) else None
