"""Metric deltas between two eval runs: the one implementation behind `draftdesk eval compare` and the QA view."""

from __future__ import annotations

from records.deltas import MetricDelta, metric_deltas

A = {"hit@1": 0.5, "latency_p95_ms": 900.0, "tone": None, "similarity": 0.8}
B = {"hit@1": 0.75, "latency_p95_ms": 1200.0, "tone": 0.9, "similarity": 0.8, "new_metric": 1.0}


def lower_is_worse(name: str) -> bool:
    return name != "latency_p95_ms"


def test_every_metric_in_a_order_then_b_new_ones_with_its_verdict() -> None:
    deltas = metric_deltas(A, B, lower_is_worse)

    assert deltas == [
        MetricDelta("hit@1", 0.5, 0.75, 0.25, "better"),
        MetricDelta("latency_p95_ms", 900.0, 1200.0, 300.0, "worse"),
        MetricDelta("tone", None, 0.9, None, "n/a"),  # no value in A: nothing to compare
        MetricDelta("similarity", 0.8, 0.8, 0.0, "same"),
        MetricDelta("new_metric", None, 1.0, None, "n/a"),
    ]


def test_float_noise_is_the_same_and_a_drop_in_a_lower_is_better_metric_is_better() -> None:
    [noise, faster] = metric_deltas({"hit@1": 0.3, "latency_p95_ms": 900.0},
                                    {"hit@1": 0.1 + 0.2, "latency_p95_ms": 800.0}, lower_is_worse)

    assert noise.verdict == "same" and faster.verdict == "better"


def test_without_a_direction_deltas_come_without_a_verdict() -> None:
    deltas = metric_deltas(A, B, None)

    assert [d.verdict for d in deltas] == ["n/a"] * 5
    assert deltas[0].delta == 0.25
