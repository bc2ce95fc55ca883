"""The template texts of a draft (prompts/): a holding reply, a playbook's, an answer pasted from an entry or an
order situation's, with the order's dates as the shop's calendar quotes them."""

from __future__ import annotations

import re

from drafting.authority import Authority
from drafting.calendar import Calendar
from drafting.case import Case
from drafting.models import Citation
from drafting.order import Order
from prompts import render

# "亲" only with its punctuation: bare, it starts words such as 亲自 or 亲爱的
_SALUTATION = re.compile(r"^\s*(亲{1,2}[，,～~！!]|(hi|hello)( there)?[,!]?\s|dear customer[,!]?\s)", re.I)


class Texts:
    def __init__(self, authority: Authority, calendar: Calendar) -> None:
        self._authority = authority
        self._calendar = calendar

    def holding(self, case: Case) -> str:
        return render(f"holding.{case.locale}", order=case.request.order, handoff_to=case.escalation.to,
                      calendar_notice=case.calendar_notice)

    def playbook(self, case: Case) -> str:
        """A playbook's draft (or, lacking the order facts it needs, one that asks for them)."""
        played = case.playbook
        assert played is not None
        order = case.request.order
        body = render(
            f"playbook.{case.locale}", playbook=played.playbook.id, missing=list(played.missing),
            order=self._calendar.localized(order), limits=self._authority.limits(case.request.role),
            currency=self._authority.currency, amount=played.amount, within=played.within,
            deadline=self._calendar.local(played.deadline) if played.deadline else None, inside=played.inside,
        )
        return render(
            f"reply.{case.locale}", primary=None, opening=played.playbook.opening, announcements=case.notice_entries,
            situation="playbook", order=order, body=body, handoff_to=case.escalation.to,
            calendar_notice=case.calendar_notice,
        )

    def catalog(self, case: Case) -> str:
        """A pre-sale answer from the shop's catalog: its facts only, in the buyer's language."""
        presale = case.presale
        assert presale is not None
        body = render(f"catalog.{case.locale}", kind=presale.kind, **presale.facts)
        out = presale.kind in ("stock", "restock") and presale.facts["product"].level == "out"
        return render(
            f"reply.{case.locale}", primary=None, opening="apology" if out else "thanks",
            announcements=case.notice_entries, situation=None, order=Order(), body=body,  # a product, not an order
            handoff_to=case.escalation.to, calendar_notice=case.calendar_notice,
        )

    def template(self, case: Case, answer: str | None = None) -> tuple[str, list[Citation]]:
        """The answer pasted from the case's first source, or its situation's; `answer` stands in for the source's
        answer (what is left of it after pruning)."""
        sources = case.sources
        primary = sources[0].entry if sources else None
        if case.situation:
            body = self.situation(case)
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

    def situation(self, case: Case) -> str:
        """What the order's situation allows, with its dates in the shop's timezone."""
        assert case.situation is not None
        return render(
            f"situation.{case.locale}", situation=case.situation.id, order=self._calendar.localized(case.request.order),
            limits=self._authority.limits(case.request.role), currency=self._authority.currency,
        )
