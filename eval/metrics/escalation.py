"""Escalation: does the draft's `needs_human` flag agree with the case's `expect_human`?

Per case it is agreement (1.0 or 0.0); over a dataset, precision and recall of the flag, with
"needs a human" as the positive class. Cases whose `expect_human` is None have no view and are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from eval.metrics.base import MetricResult, Sample


def escalation_agreement(sample: Sample) -> MetricResult:
    name = "escalation_agreement"
    expected = sample.case.expect_human
    flagged = sample.draft.needs_human
    if expected is None:
        return MetricResult(name, None, "the case has no view on escalation")
    said = f"flagged for a human: {_yes(flagged)}, expected: {_yes(expected)}"
    return MetricResult(name, 1.0 if flagged == expected else 0.0, said)


@dataclass(frozen=True)
class EscalationCounts:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    true_negatives: int = 0

    @classmethod
    def count(cls, pairs: Iterable[tuple[bool, bool | None]]) -> EscalationCounts:
        """From (needs_human, expect_human) pairs; pairs without an expectation are skipped."""
        tp = fp = fn = tn = 0
        for flagged, expected in pairs:
            if expected is None:
                continue
            tp += flagged and expected
            fp += flagged and not expected
            fn += not flagged and expected
            tn += not flagged and not expected
        return cls(tp, fp, fn, tn)


def escalation_precision_recall(samples: Iterable[Sample]) -> tuple[MetricResult, MetricResult]:
    """Precision (None when nothing was flagged) and recall (None when no case expects a human)."""
    counts = EscalationCounts.count((s.draft.needs_human, s.case.expect_human) for s in samples)
    return _precision(counts), _recall(counts)


def _precision(c: EscalationCounts) -> MetricResult:
    flagged = c.true_positives + c.false_positives
    if not flagged:
        return MetricResult("escalation_precision", None, "no scored case was flagged for a human")
    return MetricResult("escalation_precision", c.true_positives / flagged,
                        f"{c.true_positives} of {flagged} flagged cases expected a human")


def _recall(c: EscalationCounts) -> MetricResult:
    expected = c.true_positives + c.false_negatives
    if not expected:
        return MetricResult("escalation_recall", None, "no scored case expects a human")
    return MetricResult("escalation_recall", c.true_positives / expected,
                        f"{c.true_positives} of {expected} cases that expect a human were flagged")


def _yes(value: bool) -> str:
    return "yes" if value else "no"
