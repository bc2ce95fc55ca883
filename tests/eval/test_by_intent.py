"""Answers by intent, by hand on rows as results.jsonl holds them."""

from __future__ import annotations

from typing import Any

from eval.by_intent import NO_INTENT, IntentRow, by_intent


def _row(intent: str | None, *, match: float | None, answered: float | None, wrong: float | None,
         held: float) -> dict[str, Any]:
    scores = {"intent_match": match, "answered": answered, "wrong_answer": wrong, "held": held}
    return {"expected_intent": intent, "metrics": {k: {"score": v, "reason": ""} for k, v in scores.items()}}


def test_one_row_per_expected_intent_most_cases_first_and_unlabelled_last() -> None:
    rows = [
        _row(None, match=None, answered=1.0, wrong=0.0, held=0.0),
        _row("logistics", match=1.0, answered=1.0, wrong=1.0, held=0.0),
        _row("logistics", match=0.0, answered=0.0, wrong=0.0, held=1.0),
        _row("logistics", match=None, answered=None, wrong=None, held=1.0),
        _row("return_refund", match=1.0, answered=1.0, wrong=0.0, held=0.0),
    ]

    table = by_intent(rows)

    assert [r.intent for r in table] == ["logistics", "return_refund", NO_INTENT]
    assert table[0] == IntentRow("logistics", cases=3, intent_accuracy=0.5, coverage=0.5, wrong_answers=1,
                                 wrong_answer_rate=0.5, holds=2)
    assert table[2].intent_accuracy is None and table[2].coverage == 1.0
    assert by_intent([]) == []
