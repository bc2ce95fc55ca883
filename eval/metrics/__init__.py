"""One metric per module; each scores one `Sample` into a `MetricResult` (score and reason).

Dataset-level helpers: `average`, `escalation_precision_recall`, `latency_percentiles`.
Scores lie in [0, 1] with higher better, except the counts and latencies named in `LOWER_IS_BETTER`.
"""

from __future__ import annotations

from eval.metrics import compliance, escalation, groundedness, language, latency, retrieval, similarity, tone
from eval.metrics.base import CaseMetric, MetricResult, Sample, average
from knowledge.embedders import Embedder

LOWER_IS_BETTER = frozenset({
    "unsupported_claims", "compliance_violations", "latency_ms", "latency_p50_ms", "latency_p95_ms",
})


def case_metrics(embedder: Embedder | None = None) -> list[CaseMetric]:
    """Every per-case metric, in report order; embedding similarity only when an embedder is given."""
    metrics: list[CaseMetric] = [
        retrieval.hit_at_1, retrieval.hit_at_3, retrieval.recall_at_1, retrieval.recall_at_3,
        retrieval.reciprocal_rank,
    ]
    if embedder is not None:
        metrics.append(similarity.EmbeddingSimilarity(embedder))
    metrics += [
        similarity.rouge_l, similarity.chrf, groundedness.groundedness, compliance.compliance,
        compliance.must_include, escalation.escalation_agreement, tone.tone, language.language, latency.latency,
    ]
    return metrics


__all__ = ["LOWER_IS_BETTER", "CaseMetric", "MetricResult", "Sample", "average", "case_metrics"]
