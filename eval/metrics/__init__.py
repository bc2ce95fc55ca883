"""One metric per module; each scores one `Sample` into a `MetricResult` (score and reason).

Dataset-level helpers: `average`, `escalation_precision_recall`, `latency_percentiles`, and `summarize`, which
gives a run's flat name -> mean table. Scores lie in [0, 1] with higher better, except the counts and latencies
named in `LOWER_IS_BETTER`.
"""

from __future__ import annotations

from collections.abc import Sequence

from eval.metrics import (
    answerability,
    catalog,
    compliance,
    escalation,
    groundedness,
    intent,
    language,
    latency,
    retrieval,
    similarity,
    tone,
)
from eval.metrics.base import CaseMetric, MetricResult, Sample, average
from knowledge.embedders import Embedder

# Holds count against a run, as the agent then writes the reply; a hold on a case that should be held is credited by
# `answer_mode_accuracy` (and is never a wrong answer), not by `hold_rate`.
LOWER_IS_BETTER = frozenset({
    "unsupported_claims", "compliance_violations", "latency_ms", "latency_mean_ms", "latency_p50_ms",
    "latency_p95_ms", "wrong_answer", "wrong_answer_rate", "held", "hold_rate", "invented_facts",
})
# A per-case metric whose mean over a run has a name of its own: the mean reciprocal rank is MRR.
MEAN_NAMES = {
    "reciprocal_rank": "mrr", "intent_match": "intent_accuracy", "latency_ms": "latency_mean_ms",
    "wrong_answer": "wrong_answer_rate", "answered": "coverage", "held": "hold_rate",
    "answer_mode_match": "answer_mode_accuracy", "sku_resolved": "sku_resolution_accuracy",
}
# The names `case_metrics(embedder)` report, in order: a summary lists them all, even over no cases.
CASE_METRIC_NAMES = (
    "hit@1", "hit@3", "recall@1", "recall@3", "reciprocal_rank", "similarity", "rougeL", "chrf",
    "unsupported_claims", "compliance_violations", "must_include", "escalation_agreement", "tone",
    "language_match", "intent_match", "wrong_answer", "answered", "held", "answer_mode_match", "sku_resolved",
    "fact_accuracy", "invented_facts", "latency_ms",
)


def case_metrics(embedder: Embedder | None = None, judge: CaseMetric | None = None) -> list[CaseMetric]:
    """Every per-case metric, in report order; embedding similarity only when an embedder is given, and the
    LLM judge (`eval.metrics.judge.LLMJudge`) only when one is given."""
    metrics: list[CaseMetric] = [
        retrieval.hit_at_1, retrieval.hit_at_3, retrieval.recall_at_1, retrieval.recall_at_3,
        retrieval.reciprocal_rank,
    ]
    if embedder is not None:
        metrics.append(similarity.EmbeddingSimilarity(embedder))
    metrics += [
        similarity.rouge_l, similarity.chrf, groundedness.groundedness, compliance.compliance,
        compliance.must_include, escalation.escalation_agreement, tone.tone, language.language,
        intent.intent_match, answerability.wrong_answer, answerability.answered, answerability.held,
        answerability.answer_mode_match, catalog.sku_resolved, catalog.fact_accuracy, catalog.invented_facts,
        latency.latency,
    ]
    if judge is not None:
        metrics.append(judge)
    return metrics


def summarize(samples: Sequence[Sample], per_case: Sequence[Sequence[MetricResult]]) -> list[MetricResult]:
    """Means of every per-case metric (under its `MEAN_NAMES` name), escalation precision/recall and latency
    percentiles; `per_case[i]` holds the results for `samples[i]`, every case in the same metric order."""
    by_name: dict[str, list[MetricResult]] = {name: [] for name in CASE_METRIC_NAMES}
    for results in per_case:
        for result in results:
            by_name.setdefault(result.name, []).append(result)
    means = [average(MEAN_NAMES.get(name, name), results) for name, results in by_name.items()]
    precision, recall = escalation.escalation_precision_recall(samples)
    p50, p95 = latency.latency_percentiles([s.draft.latency_ms for s in samples])
    return [*means, precision, recall, p50, p95]


def higher_is_better(name: str) -> bool:
    return name not in LOWER_IS_BETTER


__all__ = [
    "CASE_METRIC_NAMES", "LOWER_IS_BETTER", "MEAN_NAMES", "CaseMetric", "MetricResult", "Sample", "average",
    "case_metrics", "higher_is_better", "summarize",
]
