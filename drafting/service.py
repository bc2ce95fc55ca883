"""DraftService: retrieve → render → complete → check → cite. Every path returns a draft an agent can send."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from drafting.intent import IntentDetector, IntentResult
from drafting.llm.base import ChatModel, UpstreamError
from drafting.models import Citation, Compliance, Draft, DraftRequest, Reason
from drafting.policy import NonCompliantReply, PolicyChecker, load_rules
from knowledge.language import detect_locale
from knowledge.retrieval import Retrieval, Retriever
from knowledge.store import Hit
from prompts import render

TEMPLATE_PROVIDER = "template"
# "亲" only with its punctuation: bare, it starts words such as 亲自 or 亲爱的
_SALUTATION = re.compile(r"^\s*(亲{1,2}[，,～~！!]|(hi|hello)( there)?[,!]?\s|dear customer[,!]?\s)", re.I)


def _now() -> datetime:
    return datetime.now(UTC)


class DraftService:
    def __init__(
        self, retriever: Retriever, chat_model: ChatModel | None = None, *,
        shop_name: str = "", clock: Callable[[], datetime] = _now, intents: IntentDetector | None = None,
        policy: PolicyChecker | None = None,
    ) -> None:
        self._retriever = retriever
        self._chat = chat_model
        self._shop_name = shop_name
        self._clock = clock
        self._intents = intents
        self._policy = policy or PolicyChecker(load_rules())

    @property
    def provider(self) -> str:
        return self._chat.name if self._chat else TEMPLATE_PROVIDER

    def draft(self, request: DraftRequest) -> Draft:
        started = time.perf_counter()
        locale = request.locale or detect_locale(request.message)
        found = self._retriever.retrieve(
            request.message, platform=request.platform, locale=locale, at=self._clock()
        )
        intent = self._intents.classify(request.message, locale) if self._intents else None
        done = _Finisher(started, locale, found, intent, screen=lambda text: self._policy.screen(text, request, locale))
        if not found.confident:
            text = render(f"holding.{locale}", order=request.order)
            reason = Reason(code="low_confidence", message=(
                f"no knowledge entry matched well enough (best {found.best_score:.3f} < {found.threshold:.3f})"))
            return done(text, [], TEMPLATE_PROVIDER, [reason], needs_human=True)
        sources = _ordered(found.hits)
        if self._chat is None:
            return done(*self._template(request, locale, sources), TEMPLATE_PROVIDER)
        try:
            return done(*self._complete(self._chat, request, locale, sources), self._chat.name)
        except UpstreamError as exc:
            reason = Reason(code="llm_unavailable", message=f"used the template draft: {exc}")
            return done(*self._template(request, locale, sources), TEMPLATE_PROVIDER, [reason], degraded=True)
        except NonCompliantReply as exc:
            reason = Reason(code=exc.code, message=f"used the template draft: {exc}")
            return done(*self._template(request, locale, sources), TEMPLATE_PROVIDER, [reason])

    def _template(self, request: DraftRequest, locale: str, sources: list[Hit]) -> tuple[str, list[Hit]]:
        notices = [h for h in sources if h.entry.kind == "announcement"]
        answers = [h for h in sources if h.entry.kind != "announcement"]
        primary = answers[0] if answers else notices[0]
        text = render(
            f"reply.{locale}", primary=primary.entry, announcements=[h.entry for h in notices if h is not primary],
            order=request.order, body=_SALUTATION.sub("", primary.entry.answer, count=1),
        )
        return text, [h for h in sources if h in notices or h is primary]

    def _complete(
        self, chat: ChatModel, request: DraftRequest, locale: str, sources: list[Hit]
    ) -> tuple[str, list[Hit]]:
        system = render("system", locale=locale, platform=request.platform, shop_name=self._shop_name)
        user = render(
            "user", locale=locale, sources=[h.entry for h in sources], order=request.order,
            history=request.history, message=request.message,
        )
        reply = self._compliant_reply(chat, system, user, request, locale, sources)
        text, cited_ids = _strip_markers(reply, {h.entry.id for h in sources})
        if not text:
            raise UpstreamError("the reply held only citation markers")
        cited = [h for h in sources if h.entry.id in cited_ids] or sources
        return text, cited

    def _compliant_reply(
        self, chat: ChatModel, system: str, user: str, request: DraftRequest, locale: str, sources: list[Hit]
    ) -> str:
        """The model's reply, asked once to repair what breaks a platform rule; `NonCompliantReply` if still broken."""
        known = {h.entry.id for h in sources}
        reply = chat.complete(system, user)
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
    """Builds the `Draft` for one request: what every path shares (timing, language, confidence, candidates)."""

    started: float
    locale: str
    found: Retrieval
    intent: IntentResult | None = None
    screen: Callable[[str], tuple[str, Compliance]] | None = None  # masks the buyer's PII, checks platform rules

    def __call__(
        self, text: str, cited: list[Hit], provider: str, reasons: list[Reason] | None = None, *,
        needs_human: bool = False, degraded: bool = False,
    ) -> Draft:
        text, compliance = self.screen(text) if self.screen else (text, None)
        return Draft(
            draft=text, language=self.locale,  # type: ignore[arg-type]
            citations=[Citation.from_hit(h) for h in cited],
            candidates=[Citation.from_hit(h) for h in self.found.candidates],
            confidence=_confidence(self.found), needs_human=needs_human, reasons=reasons or [],
            intent=self.intent.intent if self.intent else None,
            intent_confidence=self.intent.confidence if self.intent else None,
            provider=provider, degraded=degraded,
            latency_ms=round((time.perf_counter() - self.started) * 1000, 2), compliance=compliance,
        )


def _ordered(hits: list[Hit]) -> list[Hit]:
    """Live announcements first (they override older FAQs), then by score."""
    return sorted(hits, key=lambda h: (h.entry.kind != "announcement", -h.score))


def _confidence(found: Retrieval) -> float:
    """0.5 at the threshold, 1.0 at +0.1 above it: e5 cosines live in a narrow band."""
    return round(min(1.0, max(0.0, 0.5 + (found.best_score - found.threshold) * 5)), 3)


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
