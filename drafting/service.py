"""DraftService: retrieve → read the order → render or complete → check → cite. Every path returns a draft an agent
can send, within the agent's authority, with a handoff note when a colleague must take over."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from core.vocab import ROLES, Role
from drafting.answerability import Answerability, Choice
from drafting.authority import Authority
from drafting.calendar import Calendar
from drafting.case import TEMPLATE_PROVIDER, Case, Finisher
from drafting.escalation import Escalation, Escalator
from drafting.intent import IntentFinder
from drafting.llm.base import OnDelta
from drafting.macros import QuickReplies
from drafting.models import AnswerMode, Draft, DraftRequest, Reason
from drafting.notices import NoticeBoard
from drafting.playbooks import PlaybookCase, PlaybookMatcher
from drafting.policy import PolicyChecker
from drafting.presale import PresaleAnswers, PresaleCase
from drafting.question_types import QuestionTypes
from drafting.situations import Situation, Situations
from drafting.texts import Texts
from drafting.writers import Writer
from knowledge.language import detect_locale
from knowledge.models import Entry
from knowledge.retrieval import Retrieval, Retriever
from prompts import render

# Playbooks a pre-sale answer from the catalog replaces, and for which kinds of answer: a bulk quote from the
# product's tiers; for "any discount?", the promotions it is really in (the bargaining script's first step).
_CATALOG_KNOWS = {"bulk_order": ("bulk", "which"), "bargaining": ("promotion", "price")}


class DraftService:
    """Every collaborator is given; a part a shop goes without is a null object (`AlwaysOpen`, `NoNotices`,
    `NoMacros`, `NoIntents`, the `TemplateWriter` when no chat model is configured)."""

    def __init__(
        self, retriever: Retriever, *, writer: Writer, clock: Callable[[], datetime], intents: IntentFinder,
        policy: PolicyChecker, authority: Authority, escalator: Escalator, situations: Situations,
        notices: NoticeBoard, calendar: Calendar, macros: QuickReplies, answerability: Answerability,
        playbooks: PlaybookMatcher, types: QuestionTypes, presale: PresaleAnswers,
    ) -> None:
        self._retriever = retriever
        self._writer = writer
        self._clock = clock
        self._intents = intents
        self._policy = policy
        self._escalator = escalator
        self._situations = situations
        self._notices = notices
        self._calendar = calendar
        self._macros = macros
        self._types = types
        self._answerability = answerability
        self._playbooks = playbooks
        self._presale = presale
        self._texts = Texts(authority, calendar)

    @property
    def policy(self) -> PolicyChecker:
        """The compliance rules every draft passes (the knowledge import lints answers with them too)."""
        return self._policy

    @property
    def provider(self) -> str:
        return self._writer.name

    def draft(self, request: DraftRequest, on_delta: OnDelta | None = None) -> Draft:
        """`on_delta` receives the model's first reply as it streams (only when a model is configured and asked,
        for an answer from an entry or the order's situation); the returned draft, checked and cited, is what
        counts."""
        started = time.perf_counter()
        case = self._case(request)
        done = Finisher(started, case, lambda text: self._policy.screen(text, request, case.locale), self._texts)
        reasons = list(case.escalation.reasons)
        if case.presale is not None:
            return done.sendable(done(self._texts.catalog(case), case.notices, TEMPLATE_PROVIDER, reasons))
        if case.playbook is not None:
            return done.sendable(done(self._texts.playbook(case), case.notices, TEMPLATE_PROVIDER, reasons))
        if case.mode == "holding":
            return done(self._texts.holding(case), [], TEMPLATE_PROVIDER, reasons)
        return self._writer.answer(case, done, reasons, on_delta)

    def _case(self, request: DraftRequest) -> Case:
        at = self._clock()
        locale = request.locale or detect_locale(request.message)
        found = self._retriever.retrieve(request.message, platform=request.platform, locale=locale, at=at)
        intent = self._intents.classify(request.message, locale)
        intent_id = intent.intent if intent else None
        types = self._types.of(request.message, locale)
        playbook = self._playbooks.match(request.message, intent=intent_id, platform=request.platform,
                                         locale=locale, order=request.order, role=request.role, at=at,
                                         confidence=intent.confidence if intent else 1.0, types=types)
        entries = [h for h in found.candidates if h.entry.kind != "announcement"]
        if playbook is None or playbook.playbook.fallback:
            situation = self._situations.match(intent_id, request.order, at)
            choice = self._answerability.choose(entries, intent, types, locale, found.threshold)
            if situation is not None or choice.hit is not None:
                playbook = None  # a fallback playbook yields: an angry "怎么退啊" is a return question first
        presale = None
        if playbook is None or playbook.playbook.id in _CATALOG_KNOWS:
            presale = self._presale.ask(request.message, locale=locale, platform=request.platform, intent=intent_id,
                                        types=types, sku=request.sku, order=request.order, at=at)
            if playbook is not None and presale is not None and \
                    presale.kind not in _CATALOG_KNOWS[playbook.playbook.id]:
                presale = None
        if presale is not None:
            playbook, situation, choice = None, None, Choice(None, "catalog", "", 0.0)
        elif playbook is not None:
            situation, choice = None, Choice(None, "playbook", "", 0.0)
        live = self._live_notices(request, locale, intent_id, at, found)
        mode, why = _mode(playbook, situation, choice, live, locale, presale)
        escalation = _with_handoff(self._escalator.assess(
            request, locale, intent_id, confident=mode != "holding" or playbook is not None,
            retrieval=choice.message,
        ), playbook, presale)
        status = self._calendar.status(at, carrier=request.order.carrier)
        calendar_notice = self._calendar.render_notice(status, locale)
        return Case(
            request=request, locale=locale, at=at, found=found, intent=intent, types=types, playbook=playbook,
            situation=situation, choice=choice, mode=mode, why=why, live=live, escalation=escalation,
            handoff=self._escalator.handoff(escalation, request, locale, intent_id),
            calendar=status if calendar_notice else None, calendar_notice=calendar_notice,
            quick_replies=self._macros.for_intent(intent_id, request.order, locale) if intent_id else [],
            presale=presale,
        )

    def _live_notices(
        self, request: DraftRequest, locale: str, intent: str | None, at: datetime, found: Retrieval
    ) -> list[tuple[Entry, float | None]]:
        """Announcements outrank FAQs: those whose scope fits this order, then those the message matched (unless
        scoped to other intents, SKUs or regions), highest priority first."""
        skus, region = request.order.skus(), request.order.region
        scoped = self._notices.applicable(
            at, platform=request.platform, locale=locale, intent=intent, skus=skus, region=region,
        )
        picked: dict[str, tuple[Entry, float | None]] = {e.id: (e, None) for e in scoped}
        for hit in found.hits:
            entry = hit.entry
            if entry.kind != "announcement" or entry.id in picked:
                continue
            if not self._notices.in_scope(entry, intent=intent, skus=skus, region=region):
                continue
            picked[entry.id] = (entry, round(hit.score, 4))
        return sorted(picked.values(), key=lambda p: (-p[0].priority, -(p[1] or 1.0)))


def _mode(playbook: PlaybookCase | None, situation: Situation | None, choice: Choice,
          live: list[tuple[Entry, float | None]], locale: str,
          presale: PresaleCase | None) -> tuple[AnswerMode, Reason]:
    """The catalog for a pre-sale question about a product it knows, then playbooks, the order's situation, an
    entry that answers, a live announcement scoped to this question; otherwise a holding reply."""
    zh = locale == "zh"
    if presale is not None:
        return "catalog", Reason(code=f"catalog:{presale.kind}", message=render(
            "catalog_reason", kind=presale.kind, locale=locale, sku=presale.card.sku if presale.card else None))
    if playbook is not None:
        if playbook.missing:
            return "holding", Reason(code="missing_order_facts", message=(
                "缺少订单信息：" if zh else "order facts missing: ") + ", ".join(playbook.missing))
        mode: AnswerMode = "holding" if playbook.holds else "playbook"
        return mode, Reason(code=f"playbook:{playbook.playbook.id}",
                            message=("按话术：" if zh else "playbook: ") + playbook.playbook.id)
    if situation is not None:
        return "situation", Reason(code=f"situation:{situation.id}",
                                   message=("按订单状态：" if zh else "order situation: ") + situation.id)
    if choice.hit is not None:
        return "entry", Reason(code=choice.code, message=choice.message)
    if live:  # scoped to this question (intent, SKU, region), or retrieved above the threshold and not scoped away
        return "entry", Reason(code="announcement", message=(
            "适用的公告：" if zh else "a live announcement applies: ") + live[0][0].id)
    return "holding", Reason(code=choice.code, message=choice.message)


def _with_handoff(escalation: Escalation, playbook: PlaybookCase | None, presale: PresaleCase | None) -> Escalation:
    """A playbook's or a pre-sale answer's hand-over on top of the escalation rules': its reason, and the higher of
    the two roles."""
    reason: Reason | None
    to: Role | None
    if presale is not None and presale.reason is not None:
        reason, to, holds = presale.reason, presale.handoff_to, False
    elif playbook is not None and (playbook.reason is not None or playbook.holds):
        reason, to, holds = playbook.reason, playbook.handoff_to, playbook.holds
    else:
        return escalation
    reasons = [*escalation.reasons, *([reason] if reason else [])]
    targets = [r for r in (escalation.to, to) if r is not None]
    return Escalation(reasons=reasons, to=max(targets, key=ROLES.index) if targets else None,
                      always_human=escalation.always_human or holds)
