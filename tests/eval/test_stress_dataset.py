"""The stress datasets (eval/datasets/stress_{zh,en}.jsonl, stress2_* and stress3_*): dev-only calibration cases
that phrase the realistic scenarios differently (slang, typos, 拼音, stories, two questions, mixed languages) and add
near-misses the sample KB does not answer. The labels must point at things that exist, agree with the answer mode,
and no message may repeat one of the realistic sets or another stress set. No model is loaded."""

from __future__ import annotations

from collections import Counter

import pytest

from core.vocab import INTENTS
from eval.dataset import Dataset, load_dataset
from knowledge.loaders import load_path
from knowledge.models import Entry
from tests.conftest import ROOT, SAMPLE_KB
from tests.eval.labels import (
    ANSWERING_KINDS,
    check_answer_modes,
    check_expected_entries,
    check_known_ids,
    check_order_dates,
)

LOCALES = ("zh", "en")
SETS = ("stress", "stress2", "stress3")
DATASETS = {f"{name}_{locale}": ROOT / "eval" / "datasets" / f"{name}_{locale}.jsonl"
            for name in SETS for locale in LOCALES}
REALISTIC = {locale: ROOT / "eval" / "datasets" / f"realistic_{locale}.jsonl" for locale in LOCALES}
MIN_CASES = 80


def _normal(message: str) -> str:
    return " ".join(message.split()).casefold()


@pytest.fixture(scope="module", params=list(DATASETS))
def dataset(request: pytest.FixtureRequest) -> Dataset:
    return load_dataset(DATASETS[request.param])


@pytest.fixture(scope="module")
def kb() -> dict[tuple[str, str], Entry]:
    return {(e.id, e.locale): e for e in load_path(SAMPLE_KB) if e.kind in ANSWERING_KINDS}


def test_the_header_names_the_sample_kb_and_the_realistic_clock(dataset: Dataset) -> None:
    locale = dataset.name.rpartition("_")[2]
    realistic = load_dataset(REALISTIC[locale])

    assert dataset.name in DATASETS and locale in LOCALES
    assert dataset.kb == realistic.kb and (ROOT / dataset.kb).resolve() == SAMPLE_KB.resolve()
    assert dataset.at is not None and dataset.at == realistic.at and dataset.at.utcoffset() is not None
    assert {c.locale for c in dataset.cases} == {locale}


def test_there_are_enough_cases_and_all_are_dev(dataset: Dataset) -> None:
    assert len(dataset.cases) >= MIN_CASES
    assert {c.split for c in dataset.cases} == {"dev"}


def test_every_case_is_labelled(dataset: Dataset) -> None:
    for case in dataset.cases:
        assert case.expected_answer_mode is not None, case.id
        assert case.expected_intent in INTENTS, case.id
        assert case.expect_human is not None, case.id
        assert sum(t.startswith("scenario:") for t in case.tags) == 1, case.id
    no_entry = [c for c in dataset.cases if "no_entry" in c.tags]
    assert 0.3 <= len(no_entry) / len(dataset.cases) <= 0.5, len(no_entry)
    for case in no_entry:
        assert case.expected_kb_ids == [] and case.expected_answer_mode != "entry", case.id


def test_each_answer_mode_carries_what_it_needs(dataset: Dataset) -> None:
    check_answer_modes(dataset)


def test_expected_entries_exist_in_the_sample_kb_for_the_case(dataset: Dataset,
                                                               kb: dict[tuple[str, str], Entry]) -> None:
    check_expected_entries(dataset, kb)


def test_expected_playbooks_and_situations_exist(dataset: Dataset) -> None:
    check_known_ids(dataset)


def test_order_dates_are_not_after_the_pinned_clock(dataset: Dataset) -> None:
    check_order_dates(dataset)


def test_no_message_appears_twice() -> None:
    counts = Counter(_normal(c.message) for path in DATASETS.values() for c in load_dataset(path).cases)

    assert [m for m, n in counts.items() if n > 1] == []


def test_no_message_repeats_one_of_the_realistic_sets() -> None:
    realistic = {_normal(c.message) for path in REALISTIC.values() for c in load_dataset(path).cases}

    for path in DATASETS.values():
        repeated = [c.id for c in load_dataset(path).cases if _normal(c.message) in realistic]
        assert repeated == [], repeated
