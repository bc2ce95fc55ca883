"""hit@k, recall@k and reciprocal rank over the draft's citations, in their order."""

from __future__ import annotations

import pytest

from eval.metrics.base import CaseMetric
from eval.metrics.retrieval import hit_at_1, hit_at_3, hit_at_k, recall_at_1, recall_at_3, reciprocal_rank
from tests.eval.conftest import make_case, make_sample


def test_expected_entry_second_in_line() -> None:
    sample = make_sample(cited=["ship-002", "ship-001", "coupon-001"], case=make_case(expected_kb_ids=["ship-001"]))

    assert (hit_at_1(sample).score, hit_at_3(sample).score) == (0.0, 1.0)
    assert (recall_at_1(sample).score, recall_at_3(sample).score) == (0.0, 1.0)
    assert reciprocal_rank(sample).score == 0.5
    assert reciprocal_rank(sample).reason == "first expected entry ship-001 at rank 2"
    assert hit_at_1(sample).reason == "none of ship-001 in the top 1 (ship-002)"


def test_two_expected_entries_one_found_in_the_top_three() -> None:
    sample = make_sample(cited=["price-001", "coupon-001", "coupon-002", "price-002"],
                         case=make_case(locale="en", expected_kb_ids=["price-001", "price-002"]))

    assert (hit_at_1(sample).score, recall_at_1(sample).score) == (1.0, 0.5)
    assert recall_at_3(sample).score == 0.5
    assert recall_at_3(sample).reason == "1 of 2 expected in the top 3; missing price-002"
    assert hit_at_k(sample, 4).score == 1.0 and hit_at_k(sample, 4).name == "hit@4"
    assert reciprocal_rank(sample).score == 1.0


def test_a_citation_repeated_counts_once_for_its_rank() -> None:
    sample = make_sample(cited=["ret-001", "ret-001", "ret-003"], case=make_case(expected_kb_ids=["ret-003"]))

    assert reciprocal_rank(sample).score == 0.5
    assert hit_at_3(sample).score == 1.0


def test_no_citations_scores_zero() -> None:
    sample = make_sample(cited=[], needs_human=True)

    assert (hit_at_3(sample).score, recall_at_3(sample).score, reciprocal_rank(sample).score) == (0.0, 0.0, 0.0)
    assert "no citations" in reciprocal_rank(sample).reason


@pytest.mark.parametrize("metric", [hit_at_1, hit_at_3, recall_at_1, recall_at_3, reciprocal_rank])
def test_a_case_without_expected_entries_is_not_scored(metric: CaseMetric) -> None:
    sample = make_sample(cited=["ship-001"], case=make_case(expected_kb_ids=[]))

    result = metric(sample)

    assert result.score is None
    assert result.reason == "the case lists no expected entries"
