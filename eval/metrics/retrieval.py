"""Retrieval quality: the draft's ranked candidates (else its citations) against the case's expected entry ids."""

from __future__ import annotations

from collections.abc import Iterable

from eval.metrics.base import MetricResult, Sample


def hit_at_k(sample: Sample, k: int = 1) -> MetricResult:
    """1.0 when any expected entry is among the first k retrieved."""
    name = f"hit@{k}"
    expected = set(sample.case.expected_kb_ids)
    if not expected:
        return _no_expected(name)
    top = sample.ranked_ids[:k]
    found = [i for i in top if i in expected]
    if found:
        return MetricResult(name, 1.0, f"{', '.join(found)} in the top {k}")
    return MetricResult(name, 0.0, f"none of {_ids(expected)} in the top {k} ({_ids(top)})")


def recall_at_k(sample: Sample, k: int = 3) -> MetricResult:
    """The share of expected entries among the first k retrieved."""
    name = f"recall@{k}"
    expected = set(sample.case.expected_kb_ids)
    if not expected:
        return _no_expected(name)
    found = expected & set(sample.ranked_ids[:k])
    missing = expected - found
    reason = f"{len(found)} of {len(expected)} expected in the top {k}"
    if missing:
        reason += f"; missing {_ids(missing)}"
    return MetricResult(name, len(found) / len(expected), reason)


def reciprocal_rank(sample: Sample) -> MetricResult:
    """1/rank of the first expected entry among those retrieved; 0.0 when none is."""
    name = "reciprocal_rank"
    expected = set(sample.case.expected_kb_ids)
    if not expected:
        return _no_expected(name)
    for rank, entry_id in enumerate(sample.ranked_ids, start=1):
        if entry_id in expected:
            return MetricResult(name, 1.0 / rank, f"first expected entry {entry_id} at rank {rank}")
    return MetricResult(name, 0.0, f"none of {_ids(expected)} retrieved ({_ids(sample.ranked_ids)})")


def hit_at_1(sample: Sample) -> MetricResult:
    return hit_at_k(sample, 1)


def hit_at_3(sample: Sample) -> MetricResult:
    return hit_at_k(sample, 3)


def recall_at_1(sample: Sample) -> MetricResult:
    return recall_at_k(sample, 1)


def recall_at_3(sample: Sample) -> MetricResult:
    return recall_at_k(sample, 3)


def _no_expected(name: str) -> MetricResult:
    return MetricResult(name, None, "the case lists no expected entries")


def _ids(ids: Iterable[str]) -> str:
    """Sets are sorted for stable reasons; lists keep their (ranked) order."""
    items = sorted(ids) if isinstance(ids, set) else list(ids)
    return ", ".join(items) or "no citations"
