"""Unsupported claims: numbers, amounts, dates, durations, percentages and promises the sources do not back.

A claim in the draft is supported when the same normalized value appears in the cited sources' text, in the
order facts, or in the shop-calendar notice the draft carries (its "12月8日 09:00" comes from the calendar).
The score is the count of unsupported claims (0 is best), so one invented "保证明天到" shows up even in a long,
otherwise faithful draft.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from drafting.calendar import CalendarStatus
from eval.metrics.base import MetricResult, Sample
from eval.metrics.claims import Claim, extract_claims
from prompts import render

NAME = "unsupported_claims"


def unsupported_claims(draft: str, sources: Sequence[str], order: Mapping[str, Any] | None = None) -> list[Claim]:
    """The draft's claims that neither a source nor the order facts back, in the draft's order."""
    support = [c for text in sources for c in extract_claims(text)]
    order_claims = extract_claims(_facts_text(order or {}))
    known = _Support([*support, *order_claims], order_numbers={n for c in order_claims for n in c.numbers})
    return [claim for claim in extract_claims(draft) if not known.backs(claim)]


def unsupported_claim_count(draft: str, sources: Sequence[str], order: Mapping[str, Any] | None = None) -> MetricResult:
    if not draft.strip():
        return MetricResult(NAME, 0.0, "the draft is empty: no claims")
    missing = unsupported_claims(draft, sources, order)
    if not missing:
        return MetricResult(NAME, 0.0, "every claim is backed by a source or the order")
    listed = "; ".join(f"{c.text} ({c.kind} {c.value})" for c in missing)
    return MetricResult(NAME, float(len(missing)), f"not in the cited sources or the order: {listed}")


def groundedness(sample: Sample) -> MetricResult:
    calendar = sample.draft.calendar
    notice = [calendar_notice(calendar, sample.draft.language)] if calendar else []
    return unsupported_claim_count(sample.text, [*sample.source_texts(), *notice], sample.case.order.facts())


def calendar_notice(status: CalendarStatus, locale: str) -> str:
    """The notice as the draft renders it (`ShopCalendar.render_notice`): its dates and times, written the same way."""
    closure = next((n for n in status.notices if n.kind == "closure"), None)
    stops = [n for n in status.notices if n.kind == "carrier_stop"]
    return render(f"calendar_notice.{locale}", status=status, closure=closure, stops=stops)


class _Support:
    """Everything the sources and the order state, indexed for the ways a claim can be backed."""

    def __init__(self, claims: Iterable[Claim], order_numbers: set[str]) -> None:
        claims = list(claims)
        self._values = {(c.kind, c.value) for c in claims}
        self._dates = [_split_date(c.value) for c in claims if c.kind == "date"]
        self._numbers = {n for c in claims for n in c.numbers} | {c.value for c in claims if c.kind == "number"}
        self._order_numbers = order_numbers

    def backs(self, claim: Claim) -> bool:
        if (claim.kind, claim.value) in self._values:
            return True
        if claim.kind == "date":
            return self._backs_date(claim.value)
        if claim.kind == "number":  # a bare number has no unit to disagree with
            return claim.value in self._numbers
        if claim.kind in ("amount", "percent", "duration"):  # order facts are often bare numbers: {"paid": 199}
            return bool(claim.numbers) and set(claim.numbers) <= self._order_numbers
        return False

    def _backs_date(self, value: str) -> bool:
        """"1月30日" is backed by "2027年1月30日" and the other way round; two different years disagree."""
        year, month_day = _split_date(value)
        if not month_day:
            return any(year == y for y, _ in self._dates) or year in self._numbers
        return any(md == month_day and (not y or not year or y == year) for y, md in self._dates)


def _split_date(value: str) -> tuple[str, str]:
    """'2027-01-30' -> ('2027', '01-30'); '01-30' -> ('', '01-30'); '2027' -> ('2027', '')."""
    if len(value) == 4:
        return value, ""
    return (value[:4], value[5:]) if len(value) == 10 else ("", value)


def _facts_text(order: Mapping[str, Any]) -> str:
    """One "key: value" line per fact, nested values as JSON, so the claim extractor reads them like prose."""
    lines = []
    for key, value in order.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        lines.append(f"{key}: {shown}")
    return "\n".join(lines)
