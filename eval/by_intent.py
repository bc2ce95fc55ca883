"""Answers by intent: per expected intent (the case's label as written), how often the intent was found, how
many cases were answered, answered wrongly, or held. Read from the rows a run writes (results.jsonl)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

NO_INTENT = "(none)"  # cases that name no expected intent


@dataclass(frozen=True)
class IntentRow:
    intent: str
    cases: int
    intent_accuracy: float | None  # over the cases where the draft has an intent
    coverage: float | None  # over the cases that should be answered
    wrong_answers: int
    wrong_answer_rate: float | None  # over the cases with a view on wrong answers
    holds: int


def by_intent(rows: Sequence[dict[str, Any]]) -> list[IntentRow]:
    """One row per expected intent, most cases first; cases without an expected intent last."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row.get("expected_intent") or NO_INTENT, []).append(row)
    table = [_summary(intent, members) for intent, members in groups.items()]
    return sorted(table, key=lambda r: (r.intent == NO_INTENT, -r.cases, r.intent))


def _summary(intent: str, rows: list[dict[str, Any]]) -> IntentRow:
    wrong = _scores(rows, "wrong_answer")
    return IntentRow(
        intent=intent, cases=len(rows), intent_accuracy=_mean(_scores(rows, "intent_match")),
        coverage=_mean(_scores(rows, "answered")), wrong_answers=int(sum(wrong)), wrong_answer_rate=_mean(wrong),
        holds=int(sum(_scores(rows, "held"))),
    )


def _scores(rows: list[dict[str, Any]], name: str) -> list[float]:
    values = (row.get("metrics", {}).get(name, {}).get("score") for row in rows)
    return [float(v) for v in values if isinstance(v, int | float)]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None
