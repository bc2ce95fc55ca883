"""needs_human against expect_human: per-case agreement, dataset precision and recall."""

from __future__ import annotations

import pytest

from eval.metrics.escalation import EscalationCounts, escalation_agreement, escalation_precision_recall
from tests.eval.conftest import make_case, make_sample


def test_agreement_per_case() -> None:
    flagged_as_expected = make_sample(needs_human=True, case=make_case(expect_human=True))
    missed = make_sample(needs_human=False, case=make_case(expect_human=True))
    no_view = make_sample(needs_human=True, case=make_case(expect_human=None))

    assert escalation_agreement(flagged_as_expected).score == 1.0
    assert (escalation_agreement(missed).score, escalation_agreement(missed).reason) == (
        0.0, "flagged for a human: no, expected: yes")
    assert escalation_agreement(no_view).score is None


def test_counts_skip_cases_without_a_view() -> None:
    pairs = [(True, True), (True, False), (False, True), (False, False), (True, None), (False, None)]

    assert EscalationCounts.count(pairs) == EscalationCounts(1, 1, 1, 1)


def test_precision_and_recall_by_hand() -> None:
    # flagged: 3 (2 right) -> precision 2/3; expected: 3 (2 flagged) -> recall 2/3
    samples = [make_sample(needs_human=flagged, case=make_case(id=f"c{i}", expect_human=expected))
               for i, (flagged, expected) in enumerate(
                   [(True, True), (True, True), (True, False), (False, True), (False, False), (True, None)])]

    precision, recall = escalation_precision_recall(samples)

    assert (precision.name, precision.score) == ("escalation_precision", pytest.approx(2 / 3))
    assert (recall.name, recall.score) == ("escalation_recall", pytest.approx(2 / 3))
    assert precision.reason == "2 of 3 flagged cases expected a human"
    assert recall.reason == "2 of 3 cases that expect a human were flagged"


def test_nothing_flagged_and_nothing_expected_leave_the_rates_undefined() -> None:
    quiet = make_sample(needs_human=False, case=make_case(expect_human=False))

    precision, recall = escalation_precision_recall([quiet])

    assert (precision.score, recall.score) == (None, None)
    assert escalation_precision_recall([]) == (precision, recall)
