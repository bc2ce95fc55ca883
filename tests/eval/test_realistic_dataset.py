"""The realistic datasets we wrote (eval/datasets/realistic_zh.jsonl, realistic_en.jsonl): buyer messages as buyers
type them, about 40% of which no knowledge entry answers. The labels must point at things that exist (sample-KB
entries of the case's language and platform, order situations, playbooks), agree with the answer mode, and the two
languages must cover the same scenarios with both splits holding the same mix. No model is loaded."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from core.vocab import INTENTS
from eval.dataset import Case, Dataset, load_dataset, save_dataset
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

DATASETS = {locale: ROOT / "eval" / "datasets" / f"realistic_{locale}.jsonl" for locale in ("zh", "en")}
MIN_CASES = 90


@pytest.fixture(scope="module", params=sorted(DATASETS))
def dataset(request: pytest.FixtureRequest) -> Dataset:
    return load_dataset(DATASETS[request.param])


@pytest.fixture(scope="module")
def kb() -> dict[tuple[str, str], Entry]:
    return {(e.id, e.locale): e for e in load_path(SAMPLE_KB) if e.kind in ANSWERING_KINDS}


def _scenarios(case: Case) -> list[str]:
    return [t.removeprefix("scenario:") for t in case.tags if t.startswith("scenario:")]


def test_the_header_names_the_sample_kb_and_pins_the_clock(dataset: Dataset) -> None:
    locale = dataset.name.removeprefix("realistic_")

    assert dataset.name == f"realistic_{locale}" and locale in DATASETS
    assert (ROOT / dataset.kb).resolve() == SAMPLE_KB.resolve()
    assert dataset.description
    assert dataset.at is not None and dataset.at.utcoffset() is not None
    assert {c.locale for c in dataset.cases} == {locale}


def test_there_are_enough_cases_and_both_splits_hold_about_half(dataset: Dataset) -> None:
    cases = dataset.cases
    splits = Counter(c.split for c in cases)

    assert len(cases) >= MIN_CASES
    assert set(splits) == {"dev", "holdout"}, splits
    for split in ("dev", "holdout"):
        assert 0.4 <= splits[split] / len(cases) <= 0.6, splits
    for mode in ("entry", "situation", "playbook", "holding"):  # the same mix on both sides, give or take one
        per = Counter(c.split for c in cases if c.expected_answer_mode == mode)
        assert abs(per["dev"] - per["holdout"]) <= 1, (mode, per)


def test_a_third_to_a_half_of_the_cases_have_no_answering_entry(dataset: Dataset) -> None:
    no_entry = [c for c in dataset.cases if "no_entry" in c.tags]

    assert 0.35 <= len(no_entry) / len(dataset.cases) <= 0.5, len(no_entry)
    for case in no_entry:
        assert case.expected_kb_ids == [], case.id
        assert case.expected_answer_mode != "entry", case.id
    per = Counter(c.split for c in no_entry)
    assert abs(per["dev"] - per["holdout"]) <= 2, per


def test_every_case_is_labelled_completely(dataset: Dataset) -> None:
    for case in dataset.cases:
        assert case.split is not None, case.id
        assert case.expected_answer_mode is not None, case.id
        assert case.expected_intent in INTENTS, case.id
        assert case.expect_human is not None, case.id
        assert len(_scenarios(case)) == 1, case.id
        assert sum(t.startswith("source:") for t in case.tags) == 1, case.id


def test_each_answer_mode_carries_what_it_needs(dataset: Dataset) -> None:
    check_answer_modes(dataset)


def test_expected_entries_exist_in_the_sample_kb_for_the_case(dataset: Dataset,
                                                               kb: dict[tuple[str, str], Entry]) -> None:
    check_expected_entries(dataset, kb)


def test_expected_situations_and_playbooks_exist(dataset: Dataset) -> None:
    check_known_ids(dataset)


def test_no_message_appears_twice(dataset: Dataset) -> None:
    counts = Counter(" ".join(c.message.split()).casefold() for c in dataset.cases)

    assert [m for m, n in counts.items() if n > 1] == []


def test_order_dates_are_not_after_the_pinned_clock(dataset: Dataset) -> None:
    check_order_dates(dataset)


def test_both_languages_cover_the_same_scenarios() -> None:
    scenarios = {locale: {s for c in load_dataset(path).cases for s in _scenarios(c)}
                 for locale, path in DATASETS.items()}

    assert scenarios["zh"] == scenarios["en"], scenarios["zh"] ^ scenarios["en"]


@pytest.mark.parametrize("path", DATASETS.values(), ids=DATASETS.keys())
def test_the_files_are_utf8_jsonl_with_readable_chinese(path: Path) -> None:
    text = path.read_text(encoding="utf-8")

    assert "\\u" not in text  # written with ensure_ascii=False
    assert text.endswith("\n") and "\n\n" not in text


def test_the_files_survive_a_save_and_load(dataset: Dataset, tmp_path: Path) -> None:
    again = save_dataset(dataset, tmp_path / f"{dataset.name}.jsonl")

    assert load_dataset(again) == dataset
