"""Retrieval metrics score what retrieval ranked (the draft's candidates), not only what the draft cited."""

from __future__ import annotations

from drafting.models import Citation
from eval.metrics.base import Sample
from eval.metrics.retrieval import hit_at_1, hit_at_3, reciprocal_rank
from tests.eval.conftest import make_case, make_draft


def _candidate(entry_id: str, score: float) -> Citation:
    return Citation(id=entry_id, title=entry_id, kind="faq", score=score, snippet="…")


def test_candidates_rank_the_retrieval_even_when_the_draft_cites_one() -> None:
    draft = make_draft("亲，物流可能延迟。", ["ship-005"]).model_copy(update={"candidates": [
        _candidate("ship-005", 0.93), _candidate("ship-001", 0.92), _candidate("ret-001", 0.90)]})
    sample = Sample(make_case(expected_kb_ids=["ship-001"]), draft)

    assert sample.ranked_ids == ["ship-005", "ship-001", "ret-001"]
    assert hit_at_1(sample).score == 0.0
    assert hit_at_3(sample).score == 1.0
    assert reciprocal_rank(sample).score == 0.5


def test_a_holding_reply_still_scores_its_candidates() -> None:
    draft = make_draft("亲，我核实一下。", [], needs_human=True).model_copy(update={"candidates": [
        _candidate("ship-001", 0.80)]})

    assert hit_at_1(Sample(make_case(), draft)).score == 1.0


def test_without_candidates_the_citations_are_the_ranking() -> None:
    sample = Sample(make_case(), make_draft("亲", ["ret-001", "ship-001"]))

    assert reciprocal_rank(sample).score == 0.5


def test_compliance_metric_counts_the_runners_violations_not_the_drafts_own() -> None:
    from drafting.models import Compliance, Violation
    from eval.metrics.compliance import compliance

    checked = Compliance(passed=False, violations=[
        Violation(rule="off_platform_contact", span="加我微信", message="不得引导买家离开平台"),
    ])
    draft = make_draft("亲，加我微信聊。").model_copy(update={"compliance": checked})
    own_only = compliance(Sample(make_case(), draft))
    result = compliance(Sample(make_case(), draft, violations=("off_platform_contact: 加我微信",)))

    assert own_only.score == 0  # the runner checks every draft itself: the draft's verdict would count twice
    assert result.score == 1
    assert "off_platform_contact" in result.reason
