"""The shared pieces: average over cases, the list of case metrics, and every metric on one sample."""

from __future__ import annotations

from eval.metrics import CASE_METRIC_NAMES, LOWER_IS_BETTER, MetricResult, average, case_metrics, summarize
from tests.eval.conftest import make_case, make_sample
from tests.fakes import HashingEmbedder


def test_average_skips_unscored_cases() -> None:
    results = [MetricResult("hit@1", 1.0, ""), MetricResult("hit@1", None, ""), MetricResult("hit@1", 0.0, "")]

    assert average("hit@1", results) == MetricResult("hit@1", 0.5, "mean over 2 of 3 cases")
    assert average("hit@1", [MetricResult("hit@1", None, "")]).score is None


def test_every_case_metric_scores_a_sample_with_a_reason() -> None:
    case = make_case(must_not_include=["你自己"], must_include=["72小时"], expect_human=False)
    sample = make_sample("亲，非常抱歉让您久等了，一般在付款后72小时内发出。", cited=["ship-001"], case=case,
                         sources={"ship-001": "大促期间发货时间会延长至付款后72小时内。"})

    results = [metric(sample) for metric in case_metrics(HashingEmbedder())]

    names = [r.name for r in results]
    assert len(names) == len(set(names)) == 23
    assert all(isinstance(r, MetricResult) and r.reason for r in results)
    scores = {r.name: r.score for r in results}
    assert scores["hit@1"] == scores["tone"] == scores["language_match"] == scores["must_include"] == 1.0
    assert scores["unsupported_claims"] == scores["compliance_violations"] == 0.0
    assert {"unsupported_claims", "compliance_violations", "latency_p95_ms"} <= LOWER_IS_BETTER
    assert {"wrong_answer_rate", "hold_rate"} <= LOWER_IS_BETTER and "coverage" not in LOWER_IS_BETTER


def test_embedding_similarity_needs_an_embedder() -> None:
    assert "similarity" not in {m(make_sample()).name for m in case_metrics()}


def test_the_listed_names_are_the_case_metrics_names() -> None:
    assert tuple(m(make_sample()).name for m in case_metrics(HashingEmbedder())) == CASE_METRIC_NAMES


def test_a_summary_has_every_mean_and_the_run_level_metrics() -> None:
    sample = make_sample("亲，非常抱歉让您久等了！", cited=["ship-001"])
    results = [metric(sample) for metric in case_metrics(HashingEmbedder())]

    summary = {r.name: r.score for r in summarize([sample], [results])}
    empty = {r.name: r.score for r in summarize([], [])}

    assert list(summary) == list(empty)
    assert {"mrr", "latency_mean_ms", "escalation_precision", "latency_p95_ms"} <= set(summary)
    assert "reciprocal_rank" not in summary and summary["mrr"] == summary["hit@1"] == 1.0
    assert {"wrong_answer_rate", "coverage", "hold_rate", "answer_mode_accuracy"} <= set(summary)
    assert not {"wrong_answer", "answered", "held", "answer_mode_match"} & set(summary)
    assert summary["latency_p50_ms"] == summary["latency_mean_ms"] == 12.5
    assert all(value is None for value in empty.values())
