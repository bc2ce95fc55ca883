"""Who writes the answer of a draft from an entry or the order's situation: the template, offline, or a chat model
that falls back to the template when it is down or breaks a platform rule even after a repair."""

from __future__ import annotations

import re
from typing import Protocol

from drafting.authority import Authority
from drafting.case import TEMPLATE_PROVIDER, Case, Finisher, Screened
from drafting.llm.base import ChatModel, OnDelta, UpstreamError
from drafting.models import Citation, Draft, Reason
from drafting.policy import NonCompliantReply, PolicyChecker
from drafting.pruning import prune
from prompts import render


class Writer(Protocol):
    @property
    def name(self) -> str: ...

    def answer(self, case: Case, done: Finisher, reasons: list[Reason], on_delta: OnDelta | None = None) -> Draft:
        ...


class TemplateWriter:
    """The template draft; a pasted answer that breaks a rule loses the sentences that break it when the rest still
    answers, else the draft holds (`Finisher.sendable`)."""

    name = TEMPLATE_PROVIDER

    def answer(
        self, case: Case, done: Finisher, reasons: list[Reason], on_delta: OnDelta | None = None, *,
        degraded: bool = False,
    ) -> Draft:
        draft = done(*done.texts.template(case), TEMPLATE_PROVIDER, reasons, degraded=degraded)
        primary = case.sources[0].entry if case.sources and not case.situation else None
        if primary is None or draft.compliance is None or draft.compliance.passed:
            return done.sendable(draft)
        kept = prune(primary.answer, lambda part: done.screen(part)[1].passed)
        if kept is not None:
            broken = draft.compliance.broken()
            pruned = done(*done.texts.template(case, answer=kept), TEMPLATE_PROVIDER,
                          [*reasons, Reason(code="compliance_pruned", message=f"removed what broke {broken}")],
                          degraded=degraded)
            if pruned.compliance is not None and pruned.compliance.passed:
                return pruned
        return done.sendable(draft)


class ModelWriter:
    """The chat model's answer from the case's sources, repaired once; the template's when the model fails."""

    def __init__(self, chat: ChatModel, policy: PolicyChecker, authority: Authority, *, shop_name: str) -> None:
        self._chat = chat
        self._policy = policy
        self._authority = authority
        self._shop_name = shop_name
        self._template = TemplateWriter()

    @property
    def name(self) -> str:
        return self._chat.name

    def answer(self, case: Case, done: Finisher, reasons: list[Reason], on_delta: OnDelta | None = None) -> Draft:
        try:
            return done.checked(*self._complete(case, done, on_delta), self._chat.name, reasons)
        except UpstreamError as exc:
            reason = Reason(code="llm_unavailable", message=f"used the template draft: {exc}")
            return self._template.answer(case, done, [*reasons, reason], degraded=True)
        except NonCompliantReply as exc:
            reason = Reason(code=exc.code, message=f"used the template draft: {exc}")
            return self._template.answer(case, done, [*reasons, reason])

    def _complete(self, case: Case, done: Finisher, on_delta: OnDelta | None) -> tuple[Screened, list[Citation]]:
        request, locale, sources = case.request, case.locale, case.sources
        system = render(
            "system", locale=locale, platform=request.platform, shop_name=self._shop_name,
            rules=self._policy.messages(request.platform, locale), limits=self._authority.limits(request.role),
            currency=self._authority.currency,
        )
        guidance = done.texts.situation(case) if case.situation else ""
        user = render(
            "user", locale=locale, sources=[*case.notice_entries, *(h.entry for h in sources)],
            order=request.order.facts(), situation=guidance, handoff_to=case.escalation.to,
            calendar_notice=case.calendar_notice, history=request.history, message=request.message,
        )
        known = {c.id for c in case.notices} | {h.entry.id for h in sources}
        screened, cited_ids = self._compliant_reply(system, user, done, known, on_delta)
        if not screened[0]:
            raise UpstreamError("the reply held only citation markers")
        cited = [c for c in case.notices if c.id in cited_ids] + \
            [Citation.from_hit(h) for h in sources if h.entry.id in cited_ids]
        return screened, cited or [*case.notices, *(Citation.from_hit(h) for h in sources)]

    def _compliant_reply(
        self, system: str, user: str, done: Finisher, known: set[str], on_delta: OnDelta | None
    ) -> tuple[Screened, set[str]]:
        """The model's reply screened (without its citation markers) and the ids it cited, asked once to repair what
        breaks a platform rule; `NonCompliantReply` if still broken. Only the first reply streams: a repair replaces
        it as a whole."""
        reply = self._chat.complete(system, user, on_delta)
        text, cited = strip_markers(reply, known)
        screened = done.screen(text)
        if screened[1].passed:
            return screened, cited
        repair = render("repair", locale=done.case.locale, request=user, draft=reply,
                        violations=screened[1].violations)
        text, cited = strip_markers(self._chat.complete(system, repair), known)
        screened = done.screen(text)
        if not screened[1].passed:
            raise NonCompliantReply(screened[1])
        return screened, cited


_MARKER = re.compile(r"\s*[\[【]([^\[\]【】]{1,400})[\]】]")
_MARKER_SPLIT = re.compile(r"[,，;；、\s]+")


def strip_markers(text: str, known: set[str]) -> tuple[str, set[str]]:
    """Remove `[id]` and `[id1, id2]` markers of known sources from the reply and return the ids cited."""
    cited: set[str] = set()

    def drop(match: re.Match[str]) -> str:
        ids = [i for i in _MARKER_SPLIT.split(match.group(1)) if i]
        if ids and all(i in known for i in ids):
            cited.update(ids)
            return ""
        return match.group(0)

    return _MARKER.sub(drop, text).strip(), cited
