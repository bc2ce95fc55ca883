"""Loaders for ../shared/data: its rows into cases and canonical entries. Holdout files are never read here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.dataset import DatasetError
from eval.public_data import kb_entry_id, load_bitext_cases, load_jddc_cases, load_kb_entries
from knowledge.loaders import load_file
from knowledge.models import Entry
from tests.conftest import write_jsonl
from tests.eval.conftest import FIXTURES, SHARED_DATA

BITEXT_CASES = FIXTURES / "bitext_cases_en.jsonl"
KB_EN = FIXTURES / "kb_en_bitext_abcd.jsonl"


def _jddc_row(**overrides: object) -> dict[str, object]:
    """A made-up row in the shared JDDC schema (the real JDDC text may not be copied into the project)."""
    row: dict[str, object] = {
        "id": "jddc19dev-x_1-Q1", "group_id": "jddc19dev-x_1", "source": "jddc2019_dev", "lang": "zh",
        "message": "耳机左边没声音了", "split": "dev", "intent": None, "category": "after_sales", "labels": [],
        "context": [{"role": "buyer", "text": "在吗"}, {"role": "agent", "text": "您好，请问有什么可以帮您？"},
                    {"role": "buyer", "text": ""}],
        "reference_replies": ["您好，这边为您申请换货可以吗？", "亲，可以申请售后换新哦"], "kb_ids": [], "meta": {},
    }
    return {**row, **overrides}


def test_bitext_rows_become_amazon_cases_in_english() -> None:
    cases = load_bitext_cases(BITEXT_CASES)

    assert len(cases) == 20
    first = cases[0]
    raw = json.loads(BITEXT_CASES.read_text(encoding="utf-8").splitlines()[0])
    assert (first.id, first.message, first.platform, first.locale) == (raw["id"], raw["message"], "amazon", "en")
    assert first.reference_answer == raw["reference_replies"][0]
    assert (first.expected_kb_ids, first.expected_intent) == (["bitext:cancel_order"], "cancel_order")
    assert first.tags == ["bitext", "order"]
    assert len({c.expected_intent for c in cases}) == 20


def test_bitext_limit_stops_early_and_other_sources_are_skipped(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in BITEXT_CASES.read_text(encoding="utf-8").splitlines()[:3]]
    tweet = {**rows[0], "id": "twcs-1", "source": "twcs_amazonhelp_pairs", "kb_ids": []}
    path = write_jsonl(tmp_path / "cases.jsonl", [tweet, *rows])

    assert [c.id for c in load_bitext_cases(path)] == [r["id"] for r in rows]
    assert [c.id for c in load_bitext_cases(path, limit=2)] == [r["id"] for r in rows[:2]]


def test_every_fixture_case_points_at_a_fixture_kb_entry() -> None:
    kb_ids = {e["id"] for e in load_kb_entries(KB_EN)}

    for case in load_bitext_cases(BITEXT_CASES):
        assert set(case.expected_kb_ids) <= kb_ids, case.id


def test_kb_rows_become_canonical_entries() -> None:
    entries = {e["id"]: e for e in load_kb_entries(KB_EN)}

    assert len(entries) == 22
    cancel = entries["bitext:cancel_order"]
    assert cancel == {**cancel, "kind": "faq", "question": "cancel order", "platform": "any", "locale": "en",
                      "tags": ["order"]}
    abcd = entries["abcd:product_defect.return_size"]  # "/" may not be in an entry id
    assert (abcd["kind"], abcd["title"], abcd["tags"]) == ("policy", "Product Defect > Return Due to Size",
                                                           ["product_defect"])
    assert "question" not in abcd
    for entry in entries.values():
        Entry.model_validate(entry)


def test_kb_entries_round_trip_through_the_knowledge_loader(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "kb.jsonl", load_kb_entries(KB_EN))

    entries = load_file(path)

    assert len(entries) == 22
    assert {e.locale for e in entries} == {"en"}


def test_kb_entry_id_replaces_what_entry_ids_may_not_hold() -> None:
    assert kb_entry_id("abcd:order_issue/status delivery?x#y") == "abcd:order_issue.status.delivery.x.y"
    assert kb_entry_id("cnlaw:消费者权益保护法:第一条") == "cnlaw:消费者权益保护法:第一条"


def test_a_kb_row_that_makes_no_valid_entry_is_reported_with_its_line(tmp_path: Path) -> None:
    good = json.loads(KB_EN.read_text(encoding="utf-8").splitlines()[0])
    path = write_jsonl(tmp_path / "kb.jsonl", [good, {**good, "lang": "fr"}, {**good, "answer": ""}])

    with pytest.raises(DatasetError) as exc:
        load_kb_entries(path)

    assert [p.split(":")[0] for p in exc.value.problems] == ["line 2", "line 3"]


def test_jddc_rows_become_jd_cases_in_chinese_without_empty_turns(tmp_path: Path) -> None:
    ecd = _jddc_row(id="ecd-test-1", source="ecd_taobao_sample")
    path = write_jsonl(tmp_path / "cases_zh.jsonl", [_jddc_row(), ecd])

    [case] = load_jddc_cases(path)

    assert (case.id, case.platform, case.locale, case.message) == ("jddc19dev-x_1-Q1", "jd", "zh", "耳机左边没声音了")
    assert case.reference_answer == "您好，这边为您申请换货可以吗？"
    assert [t.text for t in case.context] == ["在吗", "您好，请问有什么可以帮您？"]
    assert case.tags == ["jddc2019_dev", "after_sales"]


def test_a_bad_case_row_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "cases_zh.jsonl"
    path.write_text(json.dumps(_jddc_row(), ensure_ascii=False) + "\n{oops\n"
                    + json.dumps(_jddc_row(id="x", message=""), ensure_ascii=False) + "\n", encoding="utf-8")

    with pytest.raises(DatasetError) as exc:
        load_jddc_cases(path)

    assert exc.value.problems[0].startswith("line 2: invalid JSON")
    assert exc.value.problems[1].startswith("line 3: message:")


needs_shared_data = pytest.mark.skipif(not (SHARED_DATA / "README.md").exists(), reason="../shared/data is absent")


@needs_shared_data
def test_the_shared_dev_sets_load_in_full() -> None:
    bitext = load_bitext_cases(SHARED_DATA / "cases_en_dev.jsonl")
    jddc = load_jddc_cases(SHARED_DATA / "cases_zh_dev.jsonl")
    kb_en = {e["id"] for e in load_kb_entries(SHARED_DATA / "kb_en.jsonl")}

    assert (len(bitext), len(jddc), len(kb_en)) == (3611, 231, 82)
    assert {i for c in bitext for i in c.expected_kb_ids} <= kb_en
    assert all(c.reference_answer for c in jddc)


@needs_shared_data
def test_the_shared_chinese_kb_loads() -> None:
    entries = load_kb_entries(SHARED_DATA / "kb_zh.jsonl")

    assert len(entries) == 299
    assert {(e["kind"], e["locale"]) for e in entries} == {("policy", "zh")}
