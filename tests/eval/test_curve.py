"""The coverage-vs-wrong-answers curve, by hand on a few rows as results.jsonl holds them."""

from __future__ import annotations

from typing import Any

import pytest

from eval.curve import THRESHOLDS, curve, point


def _row(mode: str, confidence: float, *, answered: float | None, wrong: float | None) -> dict[str, Any]:
    held = 1.0 if mode == "holding" else 0.0
    return {"answer_mode": mode, "confidence": confidence, "metrics": {
        "answered": {"score": answered, "reason": ""}, "wrong_answer": {"score": wrong, "reason": ""},
        "held": {"score": held, "reason": ""}}}


ROWS = [
    _row("entry", 0.9, answered=1.0, wrong=0.0),  # a right, confident answer
    _row("entry", 0.3, answered=1.0, wrong=1.0),  # a wrong answer of low confidence
    _row("situation", 0.1, answered=1.0, wrong=0.0),  # not from retrieval: no threshold applies
    _row("holding", 0.2, answered=0.0, wrong=0.0),  # held where it should have answered
    _row("entry", 0.5, answered=None, wrong=1.0),  # answered a case that should be held
]


def test_the_thresholds_run_from_0_to_1_by_005() -> None:
    assert THRESHOLDS[:3] == (0.0, 0.05, 0.1) and THRESHOLDS[-1] == 1.0 and len(THRESHOLDS) == 21
    assert [p.threshold for p in curve(ROWS)] == list(THRESHOLDS)


def test_at_zero_every_draft_stands_as_it_was() -> None:
    first = point(ROWS, 0.0)

    assert (first.coverage, first.wrong_answer_rate, first.hold_rate) == (0.75, 0.4, 0.2)


def test_entry_answers_below_the_threshold_count_as_held() -> None:
    middle = point(ROWS, 0.4)  # the 0.3 answer is held: one wrong answer fewer, one covered case fewer
    high = point(ROWS, 0.95)  # every entry answer is held; the situation answer stays

    assert (middle.coverage, middle.wrong_answer_rate, middle.hold_rate) == (0.5, 0.2, 0.4)
    assert (high.coverage, high.wrong_answer_rate, high.hold_rate) == (0.25, 0.0, 0.8)


def test_no_cases_no_values() -> None:
    assert point([], 0.5).coverage is None and point([], 0.5).wrong_answer_rate is None


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_coverage_and_wrong_answers_never_grow_with_the_threshold(threshold: float) -> None:
    before, after = point(ROWS, max(0.0, threshold - 0.05)), point(ROWS, threshold)

    assert after.coverage is not None and before.coverage is not None and after.coverage <= before.coverage
    assert after.wrong_answer_rate is not None and before.wrong_answer_rate is not None
    assert after.wrong_answer_rate <= before.wrong_answer_rate
