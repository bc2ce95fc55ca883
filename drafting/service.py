"""DraftService: retrieve → read the order → render or complete → check → cite. Every path returns a draft an agent
can send, within the agent's authority, with a handoff note when a colleague must take over."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from core.vocab import ROLES, Locale
from drafting.answerability import Answerability, Choice, load_answerability
from drafting.authority import Authority, load_authority
from drafting.calendar import CalendarStatus, ShopCalendar
from drafting.escalation import Escalation, Escalator, load_escalation_rules
from drafting.intent import IntentDetector, IntentResult
from drafting.llm.base import ChatModel, OnDelta, UpstreamError
from drafting.macros import Macros, QuickReply
from drafting.models import AnswerMode, Citation, Compliance, Draft, DraftRequest, Handoff, Reason
from drafting.playbooks import PlaybookCase, PlaybookMatcher, load_playbooks
from drafting.policy import NonCompliantReply, PolicyChecker, load_rules
from drafting.pruning import prune
from drafting.question_types import QuestionTypes, load_question_types
from drafting.situations import Situation, Situations, load_situations
from knowledge.language import detect_locale
from knowledge.models import Entry
from knowledge.retrieval import Retrieval, Retriever
from knowledge.store import Hit
from prompts import render

TEMPLATE_PROVIDER = "template"
# "亲" only with its punctuation: bare, it starts words such as 亲自 or 亲爱的
_SALUTATION = re.compile(r"^\s*(亲{1,2}[，,～~！!]|(hi|hello)( there)?[,!]?\s|dear customer[,!]?\s)", re.I)


def _now() -> datetime:
    return datetime.now(UTC)


class NoticeBoard(Protocol):
    """Live announcements that apply to an order by their scope (intent, SKU, region), highest priority first."""

    def applicable(
        self, at: datetime, *, platform: str, locale: str, intent: str | None, skus: Sequence[str], region: str | None
    ) -> list[Entry]: ...

    def in_scope(self, entry: Entry, *, intent: str | None, skus: Sequence[str], region: str | None) -> bool: ...


@dataclass(frozen=True)
class _Case:
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


class DraftService:
    def __init__(
        self, retriever: Retriever, chat_model: ChatModel | None = None, *,
        shop_name: str = "", clock: Callable[[], datetime] = _now, intents: IntentDetector | None = None,
        policy: PolicyChecker | None = None, authority: Authority | None = None,
        escalator: Escalator | None = None, situations: Situations | None = None,
        notices: NoticeBoard | None = None, calendar: ShopCalendar | None = None, macros: Macros | None = None,
        answerability: Answerability | None = None, playbooks: PlaybookMatcher | None = None,
        types: QuestionTypes | None = None,
    ) -> None:
        self._retriever = retriever
        self._chat = chat_model
        self._shop_name = shop_name
        self._clock = clock
        self._intents = intents
        self._authority = authority or load_authority()
        self._policy = policy or PolicyChecker(load_rules(), self._authority)
        self._escalator = escalator or Escalator(load_escalation_rules(), self._authority)
        self._situations = situations or load_situations()
        self._notices = notices
        self._calendar = calendar
        self._macros = macros
        self._types = types or QuestionTypes(load_question_types())
        self._answerability = answerability or Answerability(load_answerability(), self._types)
        self._playbooks = playbooks or PlaybookMatcher(load_playbooks(), self._authority)

    @property
    def policy(self) -> PolicyChecker:
        """The compliance rules every draft passes (the knowledge import lints answers with them too)."""
        return self._policy

    @property
    def provider(self) -> str:
        return self._chat.name if self._chat else TEMPLATE_PROVIDER

    def draft(self, request: DraftRequest, on_delta: OnDelta | None = None) -> Draft:
        """`on_delta` receives the model's first reply as it streams (only when a model is configured and asked,
        for an answer from an entry or the order's situation); the returned draft, checked and cited, is what
        counts."""
        started = time.perf_counter()
        case = self._case(request)
        done = _Finisher(started, case, screen=lambda text: self._policy.screen(text, request, case.locale))
        reasons = list(case.escalation.reasons)
        if case.playbook is not None:
            return self._sendable(done, done(self._playbook_text(case), case.notices, TEMPLATE_PROVIDER, reasons))
        if case.mode == "holding":
            text = render(f"holding.{case.locale}", order=request.order, handoff_to=case.escalation.to,
                          calendar_notice=case.calendar_notice)
            return done(text, [], TEMPLATE_PROVIDER, reasons)
        if self._chat is None:
            return self._from_template(case, done, reasons)
        try:
            return done(*self._complete(self._chat, case, case.sources, on_delta), self._chat.name, reasons)
        except UpstreamError as exc:
            reason = Reason(code="llm_unavailable", message=f"used the template draft: {exc}")
            return self._from_template(case, done, [*reasons, reason], degraded=True)
        except NonCompliantReply as exc:
            reason = Reason(code=exc.code, message=f"used the template draft: {exc}")
            return self._from_template(case, done, [*reasons, reason])

    def _from_template(self, case: _Case, done: _Finisher, reasons: list[Reason], *, degraded: bool = False) -> Draft:
        """The template draft; a pasted answer that breaks a rule loses the sentences that break it when the rest
        still answers, else the draft holds (`_sendable`)."""
        draft = done(*self._template(case, case.sources), TEMPLATE_PROVIDER, reasons, degraded=degraded)
        primary = case.sources[0].entry if case.sources and not case.situation else None
        if primary is None or draft.compliance is None or draft.compliance.passed:
            return self._sendable(done, draft)
        kept = prune(primary.answer, lambda part: self._policy.screen(part, case.request, case.locale)[1].passed)
        if kept is not None:
            rules = ", ".join(dict.fromkeys(v.rule for v in draft.compliance.violations))
            pruned = done(*self._template(case, case.sources, answer=kept), TEMPLATE_PROVIDER,
                          [*reasons, Reason(code="compliance_pruned", message=f"removed what broke {rules}")],
                          degraded=degraded)
            if pruned.compliance is not None and pruned.compliance.passed:
                return pruned
        return self._sendable(done, draft)

    def _sendable(self, done: _Finisher, draft: Draft) -> Draft:
        """`draft` if it passes the platform's rules; otherwise a holding reply for a colleague, with the reason."""
        if draft.compliance is None or draft.compliance.passed:
            return draft
        rules = ", ".join(dict.fromkeys(v.rule for v in draft.compliance.violations))
        reason = Reason(code="compliance_hold", message=f"the draft broke {rules}: a holding reply instead")
        case = done.case
        escalation = dataclasses.replace(case.escalation, always_human=True)
        held = dataclasses.replace(case, mode="holding", why=reason, playbook=None, escalation=escalation)
        text = render(f"holding.{case.locale}", order=case.request.order, handoff_to=escalation.to,
                      calendar_notice=case.calendar_notice)
        return dataclasses.replace(done, case=held)(text, [], TEMPLATE_PROVIDER, [*draft.reasons, reason],
                                                    degraded=draft.degraded)

    def _case(self, request: DraftRequest) -> _Case:
        at = self._clock()
        locale = request.locale or detect_locale(request.message)
        found = self._retriever.retrieve(request.message, platform=request.platform, locale=locale, at=at)
        intent = self._intents.classify(request.message, locale) if self._intents else None
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
        if playbook is not None:
            situation, choice = None, Choice(None, "playbook", "", 0.0)
        live = self._live_notices(request, locale, intent_id, at, found)
        mode, why = _mode(playbook, situation, choice, live, locale)
        escalation = _with_playbook(self._escalator.assess(
            request, locale, intent_id, confident=mode != "holding" or playbook is not None,
            retrieval=choice.message,
        ), playbook)
        status = self._calendar.status(at, carrier=request.order.carrier) if self._calendar else None
        calendar_notice = self._calendar.render_notice(status, locale) if self._calendar and status else None
        return _Case(
            request=request, locale=locale, at=at, found=found, intent=intent, types=types, playbook=playbook,
            situation=situation, choice=choice, mode=mode, why=why, live=live, escalation=escalation,
            handoff=self._escalator.handoff(escalation, request, locale, intent_id),
            calendar=status if calendar_notice else None, calendar_notice=calendar_notice,
            quick_replies=self._macros.for_intent(intent_id, request.order, locale)
            if self._macros and intent_id else [],
        )

    def _playbook_text(self, case: _Case) -> str:
        """A playbook's draft (or, lacking the order facts it needs, one that asks for them)."""
        played = case.playbook
        assert played is not None
        order = case.request.order
        zone = self._calendar.timezone if self._calendar else None
        body = render(
            f"playbook.{case.locale}", playbook=played.playbook.id, missing=list(played.missing),
            order=order.localized(zone) if zone else order, limits=self._authority.limits(case.request.role),
            currency=self._authority.currency, amount=played.amount, within=played.within,
            deadline=played.deadline.astimezone(zone) if played.deadline and zone else played.deadline,
            inside=played.inside,
        )
        return render(
            f"reply.{case.locale}", primary=None, opening=played.playbook.opening, announcements=case.notice_entries,
            situation="playbook", order=order, body=body, handoff_to=case.escalation.to,
            calendar_notice=case.calendar_notice,
        )

    def _live_notices(
        self, request: DraftRequest, locale: str, intent: str | None, at: datetime, found: Retrieval
    ) -> list[tuple[Entry, float | None]]:
        """Announcements outrank FAQs: those whose scope fits this order, then those the message matched (unless
        scoped to other intents, SKUs or regions), highest priority first."""
        skus, region = request.order.skus(), request.order.region
        scoped = self._notices.applicable(
            at, platform=request.platform, locale=locale, intent=intent, skus=skus, region=region,
        ) if self._notices else []
        picked: dict[str, tuple[Entry, float | None]] = {e.id: (e, None) for e in scoped}
        for hit in found.hits:
            entry = hit.entry
            if entry.kind != "announcement" or entry.id in picked:
                continue
            if self._notices and not self._notices.in_scope(entry, intent=intent, skus=skus, region=region):
                continue
            picked[entry.id] = (entry, round(hit.score, 4))
        return sorted(picked.values(), key=lambda p: (-p[0].priority, -(p[1] or 1.0)))

    def _template(self, case: _Case, sources: list[Hit], answer: str | None = None) -> tuple[str, list[Citation]]:
        """`answer` stands in for the primary entry's answer (what is left of it after pruning)."""
        primary = sources[0].entry if sources else None
        if case.situation:
            body = self._situation_text(case)
        elif primary:
            body = _SALUTATION.sub("", answer or primary.answer, count=1)
        else:
            body = ""
        text = render(
            f"reply.{case.locale}", primary=primary, opening=case.situation.opening if case.situation else None,
            announcements=case.notice_entries if primary or case.situation else case.notice_entries[1:],
            situation=case.situation.id if case.situation else None, order=case.request.order,
            body=body or _SALUTATION.sub("", case.notice_entries[0].answer, count=1),
            handoff_to=case.escalation.to, calendar_notice=case.calendar_notice,
        )
        cited = [*case.notices, *([Citation.from_hit(sources[0])] if sources else [])]
        return text, cited

    def _situation_text(self, case: _Case) -> str:
        """What the order's situation allows, with its dates in the shop's timezone."""
        order = case.request.order
        assert case.situation is not None
        return render(
            f"situation.{case.locale}", situation=case.situation.id,
            order=order.localized(self._calendar.timezone) if self._calendar else order,
            limits=self._authority.limits(case.request.role), currency=self._authority.currency,
        )

    def _complete(
        self, chat: ChatModel, case: _Case, sources: list[Hit], on_delta: OnDelta | None = None
    ) -> tuple[str, list[Citation]]:
        request, locale = case.request, case.locale
        system = render(
            "system", locale=locale, platform=request.platform, shop_name=self._shop_name,
            rules=self._policy.messages(request.platform, locale), limits=self._authority.limits(request.role),
            currency=self._authority.currency,
        )
        guidance = self._situation_text(case) if case.situation else ""
        user = render(
            "user", locale=locale, sources=[*case.notice_entries, *(h.entry for h in sources)],
            order=request.order.facts(), situation=guidance, handoff_to=case.escalation.to,
            calendar_notice=case.calendar_notice, history=request.history, message=request.message,
        )
        known = {c.id for c in case.notices} | {h.entry.id for h in sources}
        reply = self._compliant_reply(chat, system, user, request, locale, known, on_delta)
        text, cited_ids = _strip_markers(reply, known)
        if not text:
            raise UpstreamError("the reply held only citation markers")
        cited = [c for c in case.notices if c.id in cited_ids] + \
            [Citation.from_hit(h) for h in sources if h.entry.id in cited_ids]
        return text, cited or [*case.notices, *(Citation.from_hit(h) for h in sources)]

    def _compliant_reply(
        self, chat: ChatModel, system: str, user: str, request: DraftRequest, locale: str, known: set[str],
        on_delta: OnDelta | None = None,
    ) -> str:
        """The model's reply, asked once to repair what breaks a platform rule; `NonCompliantReply` if still broken.
        Only the first reply streams: a repair replaces it as a whole."""
        reply = chat.complete(system, user, on_delta)
        verdict = self._policy.screen(_strip_markers(reply, known)[0], request, locale)[1]
        if verdict.passed:
            return reply
        repair = render("repair", locale=locale, request=user, draft=reply, violations=verdict.violations)
        reply = chat.complete(system, repair)
        verdict = self._policy.screen(_strip_markers(reply, known)[0], request, locale)[1]
        if not verdict.passed:
            raise NonCompliantReply(verdict)
        return reply


@dataclass(frozen=True)
class _Finisher:
    """Builds the `Draft` for one request: what every path shares (timing, language, confidence, escalation)."""

    started: float
    case: _Case
    screen: Callable[[str], tuple[str, Compliance]] | None = None  # masks the buyer's PII, checks platform rules

    def __call__(
        self, text: str, cited: list[Citation], provider: str, reasons: list[Reason] | None = None, *,
        degraded: bool = False,
    ) -> Draft:
        text, compliance = self.screen(text) if self.screen else (text, None)
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
            provider=provider, degraded=degraded,
            latency_ms=round((time.perf_counter() - self.started) * 1000, 2), compliance=compliance,
        )


def _confidence(case: _Case) -> float:
    """For an entry: 0.5 at the floor it was held to, 1.0 at +0.1 above it (e5 cosines live in a narrow band); an
    order situation or a playbook is sure of itself; a holding reply says how far the nearest entry fell short."""
    if case.mode in ("situation", "playbook"):
        return 1.0
    hit = case.choice.hit
    score = hit.score if hit is not None else (case.found.candidates[0].score if case.found.candidates else 0.0)
    if hit is None and case.mode == "entry":
        return 1.0  # a live announcement scoped to this question
    return round(min(1.0, max(0.0, 0.5 + (score - case.choice.floor) * 5)), 3)


def _mode(playbook: PlaybookCase | None, situation: Situation | None, choice: Choice,
          live: list[tuple[Entry, float | None]], locale: str) -> tuple[AnswerMode, Reason]:
    """Playbooks first, then the order's situation, an entry that answers, a live announcement scoped to this
    question; otherwise a holding reply."""
    zh = locale == "zh"
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


def _with_playbook(escalation: Escalation, playbook: PlaybookCase | None) -> Escalation:
    """A playbook's hand-over on top of the escalation rules': its reason, and the higher of the two roles."""
    if playbook is None or (playbook.reason is None and not playbook.holds):
        return escalation
    reasons = [*escalation.reasons, *([playbook.reason] if playbook.reason else [])]
    targets = [r for r in (escalation.to, playbook.handoff_to) if r is not None]
    return Escalation(reasons=reasons, to=max(targets, key=ROLES.index) if targets else None,
                      always_human=escalation.always_human or playbook.holds)


_MARKER = re.compile(r"\s*[\[【]([^\[\]【】]{1,400})[\]】]")
_MARKER_SPLIT = re.compile(r"[,，;；、\s]+")


def _strip_markers(text: str, known: set[str]) -> tuple[str, set[str]]:
    """Remove `[id]` and `[id1, id2]` markers of known sources from the reply and return the ids cited."""
    cited: set[str] = set()

    def drop(match: re.Match[str]) -> str:
        ids = [i for i in _MARKER_SPLIT.split(match.group(1)) if i]
        if ids and all(i in known for i in ids):
            cited.update(ids)
            return ""
        return match.group(0)

    return _MARKER.sub(drop, text).strip(), cited
