"""The coverage-vs-wrong-answers curve: what a confidence threshold on entry answers would trade.

At a threshold t, an entry-mode draft whose confidence is below t counts as held: its wrong answer, if it was one,
goes away, and so does its coverage on a case that should be answered. Situation and playbook answers do not come
from retrieval and stay as they are. Read from the rows a run writes (results.jsonl), at t = 0.0, 0.05, ..., 1.0;
at t = 0 every draft stands as it was, so the first point is the run's own coverage and wrong-answer rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

STEPS = 20
THRESHOLDS = tuple(round(i / STEPS, 2) for i in range(STEPS + 1))


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    coverage: float | None  # None: no case expects an answer
    wrong_answer_rate: float | None  # None: no case has a view on wrong answers
    hold_rate: float | None  # None: no cases


def curve(rows: Sequence[dict[str, Any]], thresholds: Sequence[float] = THRESHOLDS) -> list[CurvePoint]:
    return [point(rows, t) for t in thresholds]


def point(rows: Sequence[dict[str, Any]], threshold: float) -> CurvePoint:
    coverage: list[float] = []
    wrong: list[float] = []
    holds: list[float] = []
    for row in rows:
        cut = row.get("answer_mode") == "entry" and float(row.get("confidence", 0.0)) < threshold
        answered, wrong_answer, held = _score(row, "answered"), _score(row, "wrong_answer"), _score(row, "held")
        if answered is not None:
            coverage.append(0.0 if cut else answered)
        if wrong_answer is not None:
            wrong.append(0.0 if cut else wrong_answer)
        if held is not None:
            holds.append(1.0 if cut else held)
    return CurvePoint(threshold, _mean(coverage), _mean(wrong), _mean(holds))


def _score(row: dict[str, Any], name: str) -> float | None:
    value = row.get("metrics", {}).get(name, {}).get("score")
    return float(value) if isinstance(value, int | float) else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None
