"""One request's case, worked out once (what its draft is built from), and the finisher that turns a text into the
`Draft` every path returns."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from core.vocab import Locale
from drafting.answerability import Choice
from drafting.calendar import CalendarStatus
from drafting.escalation import Escalation
from drafting.intent import IntentResult
from drafting.macros import QuickReply
from drafting.models import AnswerMode, Citation, Compliance, Draft, DraftRequest, Handoff, Reason
from drafting.playbooks import PlaybookCase
from drafting.presale import PresaleCase
from drafting.situations import Situation
from knowledge.models import Entry
from knowledge.retrieval import Retrieval
from knowledge.store import Hit

if TYPE_CHECKING:
    from drafting.texts import Texts

TEMPLATE_PROVIDER = "template"
Screened = tuple[str, Compliance]  # the text as it may leave (the buyer's PII masked), and its compliance


@dataclass(frozen=True)
class Case:
    """What the draft is built from, worked out once per request."""

    request: DraftRequest
    locale: Locale
    at: datetime
    found: Retrieval
    intent: IntentResult | None
    types: tuple[str, ...]  # the message's question types
    playbook: PlaybookCase | None
    situation: Situation | None
    choice: Choice  # the knowledge entry that answers, if any
    mode: AnswerMode
    why: Reason
    live: list[tuple[Entry, float | None]]  # scoped and retrieved announcements (score if retrieved), by priority
    escalation: Escalation
    handoff: Handoff | None
    calendar: CalendarStatus | None  # only when it has something to say
    calendar_notice: str | None
    quick_replies: list[QuickReply]
    presale: PresaleCase | None = None  # a pre-sale question the shop's catalog answers

    @property
    def notice_entries(self) -> list[Entry]:
        return [entry for entry, _ in self.live]

    @property
    def notices(self) -> list[Citation]:
        return [Citation.from_entry(entry, score) for entry, score in self.live]

    @property
    def sources(self) -> list[Hit]:
        """The entry the draft answers from (or that backs a situation) first, then others that pass as well; the
        template pastes only the first."""
        if self.choice.hit is None or self.mode not in ("entry", "situation"):
            return []
        return [self.choice.hit, *self.choice.also]


@dataclass(frozen=True)
class Finisher:
    """Builds the `Draft` for one request: what every path shares (timing, language, confidence, escalation, the
    compliance screen, the holding reply)."""

    started: float
    case: Case
    screen: Callable[[str], Screened]  # masks the buyer's PII, checks the platform's rules
    texts: Texts

    def __call__(
        self, text: str, cited: list[Citation], provider: str, reasons: list[Reason] | None = None, *,
        degraded: bool = False,
    ) -> Draft:
        return self.checked(self.screen(text), cited, provider, reasons, degraded=degraded)

    def checked(
        self, screened: Screened, cited: list[Citation], provider: str, reasons: list[Reason] | None = None, *,
        degraded: bool = False,
    ) -> Draft:
        """The draft of a text already screened (a model's reply is screened before it is accepted)."""
        text, compliance = screened
        case = self.case
        return Draft(
            draft=text, language=case.locale,
            citations=cited, candidates=[Citation.from_hit(h) for h in case.found.candidates],
            confidence=_confidence(case), needs_human=case.escalation.needs_human, reasons=reasons or [],
            answer_mode=case.mode, answer_reason=case.why,
            playbook=case.playbook.playbook.id if case.playbook else None,
            question_type=case.types[0] if case.types else None,
            handoff=case.handoff, situation=case.situation.id if case.situation else None,
            calendar=case.calendar, quick_replies=case.quick_replies,
            intent=case.intent.intent if case.intent else None,
            intent_confidence=case.intent.confidence if case.intent else None,
            product=case.presale.card if case.presale else None,
            provider=provider, degraded=degraded,
            latency_ms=round((time.perf_counter() - self.started) * 1000, 2), compliance=compliance,
        )

    def sendable(self, draft: Draft) -> Draft:
        """`draft` if it passes the platform's rules; otherwise a holding reply for a colleague, with the reason."""
        if draft.compliance is None or draft.compliance.passed:
            return draft
        reason = Reason(code="compliance_hold",
                        message=f"the draft broke {draft.compliance.broken()}: a holding reply instead")
        case = self.case
        escalation = dataclasses.replace(case.escalation, always_human=True)
        held = dataclasses.replace(case, mode="holding", why=reason, playbook=None, presale=None,
                                   escalation=escalation)
        return dataclasses.replace(self, case=held)(self.texts.holding(held), [], TEMPLATE_PROVIDER,
                                                    [*draft.reasons, reason], degraded=draft.degraded)


def _confidence(case: Case) -> float:
    """For an entry: 0.5 at the floor it was held to, 1.0 at +0.1 above it (e5 cosines live in a narrow band); an
    order situation or a playbook is sure of itself; a holding reply says how far the nearest entry fell short."""
    if case.mode in ("situation", "playbook"):
        return 1.0
    if case.mode == "catalog":  # a product found by its words is as sure as its match; one named outright is sure
        score = case.presale.resolved.score if case.presale else None
        return 1.0 if score is None else round(min(1.0, max(0.5, score)), 3)
    hit = case.choice.hit
    score = hit.score if hit is not None else (case.found.candidates[0].score if case.found.candidates else 0.0)
    if hit is None and case.mode == "entry":
        return 1.0  # a live announcement scoped to this question
    return round(min(1.0, max(0.0, 0.5 + (score - case.choice.floor) * 5)), 3)
