"""Answerability: wrong answers by source, coverage, holds and the answer mode, on hand-made drafts."""

from __future__ import annotations

from typing import Any

import pytest

from eval.metrics import summarize
from eval.metrics.answerability import answer_mode_match, answered, held, wrong_answer
from eval.metrics.base import MetricResult, Sample
from tests.eval.conftest import make_case, make_sample


def _sample(mode: str, cited: tuple[str, ...] = (), case: dict[str, Any] | None = None, **draft: Any) -> Sample:
    return make_sample(cited=cited, case=make_case(**(case or {})), answer_mode=mode, **draft)


def test_an_entry_answer_is_right_when_its_last_citation_is_expected() -> None:
    """Announcements are cited first: the answering entry is the last citation."""
    right = wrong_answer(_sample("entry", ("notice-1", "ship-001")))
    wrong = wrong_answer(_sample("entry", ("ship-001", "ret-001")))

    assert (right.score, right.reason) == (0.0, "answered from entry ship-001, an expected one")
    assert (wrong.score, wrong.reason) == (1.0, "answered from entry ret-001, not one of ship-001")


def test_an_entry_answer_to_a_case_no_entry_answers_is_wrong() -> None:
    result = wrong_answer(_sample("entry", ("ship-001",), {"expected_kb_ids": [], "expected_answer_mode": "holding"}))

    assert result.score == 1.0 and "lists no entry" in result.reason


def test_holding_is_never_a_wrong_answer() -> None:
    result = wrong_answer(_sample("holding", case={"expected_answer_mode": "entry"}))

    assert (result.score, result.reason) == (0.0, "held: no answer, so no wrong one")


def test_without_an_expected_mode_or_entries_there_is_no_view() -> None:
    assert wrong_answer(_sample("entry", ("ship-001",), {"expected_kb_ids": []})).score is None


@pytest.mark.parametrize(("draft", "case", "score"), [
    ({"situation": "cancel_after_shipping"},
     {"expected_answer_mode": "situation", "expected_situation": "cancel_after_shipping"}, 0.0),
    ({"situation": "cancel_before_shipping"},
     {"expected_answer_mode": "situation", "expected_situation": "cancel_after_shipping"}, 1.0),
    ({"situation": "cancel_before_shipping"}, {"expected_answer_mode": "situation"}, 0.0),  # any situation is right
    ({"situation": "cancel_before_shipping"}, {"expected_answer_mode": "entry"}, 1.0),  # an entry was expected
    ({"situation": "cancel_before_shipping"}, {}, None),  # expected entries and no mode: no view on situations
    ({"situation": "late_delivery"},  # a named situation answers even where an entry was expected
     {"expected_answer_mode": "entry", "expected_situation": "late_delivery"}, 0.0),
])
def test_a_situation_answer_is_right_by_the_situation_the_case_names(
    draft: dict[str, Any], case: dict[str, Any], score: float
) -> None:
    assert wrong_answer(_sample("situation", case=case, **draft)).score == score


@pytest.mark.parametrize(("playbook", "case", "score"), [
    ("size_exchange", {"expected_answer_mode": "playbook", "expected_playbook": "size_exchange"}, 0.0),
    ("price_protect", {"expected_answer_mode": "playbook", "expected_playbook": "size_exchange"}, 1.0),
    ("price_protect", {"expected_answer_mode": "playbook"}, 0.0),
    ("price_protect", {"expected_answer_mode": "holding", "expected_kb_ids": []}, 1.0),
])
def test_a_playbook_answer_is_right_by_the_playbook_the_case_names(
    playbook: str, case: dict[str, Any], score: float
) -> None:
    result = wrong_answer(_sample("playbook", case=case, playbook=playbook))

    assert result.score == score and playbook in result.reason


def test_an_entry_answer_where_a_playbook_was_expected_is_right_from_an_expected_entry() -> None:
    case = {"expected_answer_mode": "playbook", "expected_playbook": "size_exchange"}

    assert wrong_answer(_sample("entry", ("ship-001",), case)).score == 0.0
    assert wrong_answer(_sample("entry", ("ret-001",), case)).score == 1.0


def test_answered_counts_only_cases_that_should_be_answered() -> None:
    assert answered(_sample("entry", ("ship-001",), {"expected_answer_mode": "entry"})).score == 1.0
    assert answered(_sample("situation", case={"expected_answer_mode": "entry"})).score == 1.0  # even wrongly
    missed = answered(_sample("holding", case={"expected_answer_mode": "playbook"}))
    assert (missed.score, missed.reason) == (0.0, "held; the case expects an answer (playbook)")
    assert answered(_sample("holding", case={"expected_answer_mode": "holding"})).score is None
    assert answered(_sample("entry", ("ship-001",))).score is None


def test_held_counts_every_case_and_says_why() -> None:
    reason = {"code": "intent_mismatch", "message": "the entry answers another intent"}

    result = held(_sample("holding", answer_reason=reason))

    assert (result.score, result.reason) == (1.0, "held: intent_mismatch")
    assert held(_sample("entry", ("ship-001",))).score == 0.0


def test_answer_mode_match() -> None:
    assert answer_mode_match(_sample("entry", ("ship-001",), {"expected_answer_mode": "entry"})).score == 1.0
    wrong = answer_mode_match(_sample("holding", case={"expected_answer_mode": "situation"}))
    assert (wrong.score, wrong.reason) == (0.0, "holding, the case expects situation")
    assert answer_mode_match(_sample("holding")).score is None


def test_the_run_means_have_their_own_names() -> None:
    cases = [
        _sample("entry", ("ship-001",), {"expected_answer_mode": "entry"}),  # right
        _sample("entry", ("ret-001",), {"expected_answer_mode": "entry"}),  # wrong
        _sample("holding", case={"expected_answer_mode": "entry"}),  # missed
        _sample("holding", case={"expected_answer_mode": "holding", "expected_kb_ids": []}),  # rightly held
    ]
    metrics = (wrong_answer, answered, held, answer_mode_match)
    per_case: list[list[MetricResult]] = [[m(s) for m in metrics] for s in cases]

    summary = {r.name: r.score for r in summarize(cases, per_case)}

    assert summary["wrong_answer_rate"] == 0.25
    assert summary["coverage"] == pytest.approx(2 / 3)
    assert summary["hold_rate"] == 0.5
    assert summary["answer_mode_accuracy"] == 0.75


def test_a_situation_answer_to_a_case_that_only_names_entries_has_no_view() -> None:
    from drafting.models import Draft
    from eval.dataset import Case
    from eval.metrics.answerability import wrong_answer
    from eval.metrics.base import Sample

    case = Case(id="c", message="能取消吗", platform="taobao", locale="zh", expected_kb_ids=["cancel-001"])
    draft = Draft(draft="…", language="zh", citations=[], confidence=1.0, needs_human=False, reasons=[],
                  provider="template", degraded=False, latency_ms=1.0, answer_mode="situation",
                  situation="cancel_after_shipping")

    assert wrong_answer(Sample(case, draft)).score is None
