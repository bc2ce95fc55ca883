"""Language: is the draft written in the case's locale? Judged from the text, not the draft's `language` field."""

from __future__ import annotations

from eval.metrics.base import MetricResult, Sample
from knowledge.language import detect_locale


def language_match(draft: str, locale: str) -> MetricResult:
    name = "language_match"
    if not draft.strip():
        return MetricResult(name, None, "the draft is empty")
    found = detect_locale(draft)
    if found == locale:
        return MetricResult(name, 1.0, f"the draft is in {locale}")
    return MetricResult(name, 0.0, f"the draft is in {found}, the case wants {locale}")


def language(sample: Sample) -> MetricResult:
    return language_match(sample.text, sample.case.locale)
