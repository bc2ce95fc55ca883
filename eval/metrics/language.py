"""Language: is the draft written in the buyer's language? Both are judged from the text: the buyer's from the
message (a case's requested locale may differ from what the buyer wrote), the draft's from its text, not its
`language` field."""

from __future__ import annotations

from eval.metrics.base import MetricResult, Sample
from knowledge.language import detect_locale


def language_match(draft: str, expected: str) -> MetricResult:
    name = "language_match"
    if not draft.strip():
        return MetricResult(name, None, "the draft is empty")
    found = detect_locale(draft)
    said = f"the buyer wrote {expected}, the draft is in {found}"
    return MetricResult(name, 1.0 if found == expected else 0.0, said)


def language(sample: Sample) -> MetricResult:
    return language_match(sample.text, detect_locale(sample.case.message))
