"""Latency: each draft's own `latency_ms`, and p50/p95 over a run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from eval.metrics.base import MetricResult, Sample


def latency(sample: Sample) -> MetricResult:
    return MetricResult("latency_ms", sample.draft.latency_ms, "as the drafting service measured it")


def latency_percentiles(latencies_ms: Sequence[float]) -> tuple[MetricResult, MetricResult]:
    """numpy's default (linear) percentiles: p50 of [10, 20, 30, 40] is 25, p95 is 38.5."""
    if not latencies_ms:
        return MetricResult("latency_p50_ms", None, "no drafts"), MetricResult("latency_p95_ms", None, "no drafts")
    p50, p95 = (float(v) for v in np.percentile(np.asarray(latencies_ms, dtype=np.float64), [50, 95]))
    reason = f"over {len(latencies_ms)} drafts"
    return MetricResult("latency_p50_ms", p50, reason), MetricResult("latency_p95_ms", p95, reason)
