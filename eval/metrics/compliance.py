"""Compliance: forbidden phrases the draft contains and policy violations the runner's checker found (a count; 0 is
best). Every pipeline's drafts go through the same checker, so draftdesk's own verdict is neither trusted nor needed.

Also `must_include`, the share of required phrases the draft contains. Both match case-insensitively after
NFKC normalization, so full-width "１００元" matches "100元".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from eval.metrics.base import MetricResult, Sample


def present_phrases(draft: str, phrases: Sequence[str]) -> list[str]:
    """The phrases the draft contains, matched as `must_include` and `must_not_include` are."""
    text = _fold(draft)
    return [phrase for phrase in phrases if phrase.strip() and _fold(phrase) in text]


def violation_count(draft: str, must_not_include: Sequence[str], violations: Sequence[str] = ()) -> MetricResult:
    """One point per forbidden phrase found, and one per violation a policy checker reported."""
    name = "compliance_violations"
    hits = present_phrases(draft, must_not_include)
    problems = [f"contains {phrase!r}" for phrase in hits] + [f"policy: {v}" for v in violations]
    if not problems:
        checked = f"{len(must_not_include)} forbidden phrase(s)" if must_not_include else "no forbidden phrases listed"
        return MetricResult(name, 0.0, f"{checked}; no policy violations")
    return MetricResult(name, float(len(problems)), "; ".join(problems))


def compliance(sample: Sample) -> MetricResult:
    return violation_count(sample.text, sample.case.must_not_include, sample.violations)


def required_phrase_share(draft: str, must_include: Sequence[str]) -> MetricResult:
    """The share of `must_include` phrases present; None when the case requires none."""
    name = "must_include"
    required = [phrase for phrase in must_include if phrase.strip()]
    if not required:
        return MetricResult(name, None, "the case requires no phrases")
    text = _fold(draft)
    missing = [phrase for phrase in required if _fold(phrase) not in text]
    share = (len(required) - len(missing)) / len(required)
    reason = f"{len(required) - len(missing)} of {len(required)} present" + (
        f"; missing {', '.join(repr(p) for p in missing)}" if missing else "")
    return MetricResult(name, share, reason)


def must_include(sample: Sample) -> MetricResult:
    return required_phrase_share(sample.text, sample.case.must_include)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()
