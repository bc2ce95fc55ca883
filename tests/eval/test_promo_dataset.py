"""The promotion-season dataset we wrote: it loads, points at real sample-KB entries, and its references pass
the metrics they are meant to pass (grounded in the expected entries, empathetic, in the right language)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from eval.dataset import Case, load_dataset, save_dataset
from eval.metrics.compliance import required_phrase_share, violation_count
from eval.metrics.groundedness import unsupported_claims
from eval.metrics.language import language_match
from eval.metrics.tone import tone_score
from knowledge.loaders import load_path
from knowledge.models import Entry
from tests.conftest import ROOT, SAMPLE_KB

PROMO = ROOT / "eval" / "datasets" / "promo_cases.jsonl"
CASES = load_dataset(PROMO).cases


@pytest.fixture(scope="module")
def sample_kb() -> dict[tuple[str, str], Entry]:
    return {(e.id, e.locale): e for e in load_path(SAMPLE_KB)}


def test_the_dataset_is_for_the_sample_kb_in_both_languages() -> None:
    dataset = load_dataset(PROMO)

    assert (dataset.name, dataset.kb) == ("promo", "knowledge/sample_kb")
    assert (ROOT / dataset.kb).resolve() == SAMPLE_KB.resolve()
    assert Counter(c.locale for c in dataset.cases) == {"zh": 12, "en": 12}


def test_it_covers_the_promotion_topics_and_the_hard_cases() -> None:
    tags = Counter(t for c in CASES for t in c.tags)
    for topic in ("delivery_delay", "price_protection", "presale", "cancel_order", "coupon", "invoice",
                  "angry", "prompt_injection", "off_topic"):
        assert tags[topic] >= 2, topic
    for case in CASES:
        if {"angry", "off_topic"} & set(case.tags):
            assert case.expect_human is True, case.id
        if "prompt_injection" in case.tags:
            assert case.must_not_include, case.id


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_each_reference_is_a_reply_the_metrics_accept(case: Case, sample_kb: dict[tuple[str, str], Entry]) -> None:
    sources = [sample_kb[(kb_id, case.locale)] for kb_id in case.expected_kb_ids]  # KeyError: not in the sample KB
    texts = [f"{e.heading}\n{e.answer}" for e in sources]

    assert unsupported_claims(case.reference_answer, texts, case.order.facts()) == []
    assert tone_score(case.reference_answer).score == 1.0
    assert language_match(case.reference_answer, case.locale).score == 1.0
    assert violation_count(case.reference_answer, case.must_not_include).score == 0.0
    assert required_phrase_share(case.reference_answer, case.must_include).score in (None, 1.0)


def test_the_file_survives_a_save_and_load(tmp_path: Path) -> None:
    again = save_dataset(load_dataset(PROMO), tmp_path / "promo.jsonl")

    assert load_dataset(again) == load_dataset(PROMO)
