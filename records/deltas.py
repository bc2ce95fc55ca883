"""Per-metric deltas between two eval runs (B against A), shared by `draftdesk eval compare` and the console's QA
view: eval knows each metric's direction from its registry, the console from what the runs recorded."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["better", "worse", "same", "n/a"]
SAME = 1e-9  # deltas smaller than this are float noise


@dataclass(frozen=True)
class MetricDelta:
    name: str
    a: float | None
    b: float | None
    delta: float | None  # b - a
    verdict: Verdict


def metric_deltas(
    a: Mapping[str, float | None], b: Mapping[str, float | None], higher_is_better: Callable[[str], bool] | None
) -> list[MetricDelta]:
    """Every metric either run has, in A's order then B's new ones. Without a value in both, or without a
    direction (`higher_is_better` None), the verdict is `n/a`."""
    deltas = []
    for name in dict.fromkeys([*a, *b]):
        va, vb = a.get(name), b.get(name)
        if va is None or vb is None:
            deltas.append(MetricDelta(name, va, vb, None, "n/a"))
            continue
        delta = vb - va
        verdict: Verdict = "n/a" if higher_is_better is None else "same" if abs(delta) < SAME else (
            "better" if (delta > 0) == higher_is_better(name) else "worse")
        deltas.append(MetricDelta(name, va, vb, delta, verdict))
    return deltas
