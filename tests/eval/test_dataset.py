"""Cases and datasets: plain JSONL with an optional header line; every bad line is reported with its number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from drafting.order import Order
from eval.dataset import Case, Dataset, DatasetError, load_dataset, save_dataset
from tests.conftest import write_jsonl
from tests.eval.conftest import make_case

ZH = {"id": "zh-1", "message": "我的快递怎么还没到？", "platform": "taobao", "locale": "zh",
      "reference_answer": "亲，非常抱歉让您久等了。", "expected_kb_ids": ["ship-001"], "expect_human": False}
EN = {"id": "en-1", "message": "Where is my parcel?", "platform": "amazon", "locale": "en",
      "reference_answer": "Sorry for the wait!", "must_not_include": ["your fault"],
      "context": [{"role": "buyer", "text": "Hi"}, {"role": "agent", "text": "Hello, how can I help?"}]}
HEADER = {"dataset": {"name": "smoke", "kb": "knowledge/sample_kb"}}


def _problems(exc: pytest.ExceptionInfo[DatasetError]) -> list[str]:
    return exc.value.problems


def test_a_case_has_defaults_for_everything_but_its_message_platform_and_locale() -> None:
    case = Case.model_validate({"id": "c", "message": "hi", "platform": "pdd", "locale": "en"})

    assert (case.reference_answer, case.expected_kb_ids, case.expect_human, case.order, case.context) == (
        "", [], None, Order(), [])


@pytest.mark.parametrize("bad", [{"platform": "ebay"}, {"locale": "fr"}, {"message": "  "}, {"surprise": 1},
                                 {"context": [{"role": "bot", "text": "hi"}]}, {"expect_human": "maybe"}])
def test_a_case_rejects_unknown_values_and_fields(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Case.model_validate({**ZH, **bad})


def test_the_header_names_the_dataset_and_its_knowledge_base(tmp_path: Path) -> None:
    dataset = load_dataset(write_jsonl(tmp_path / "smoke.jsonl", [HEADER, ZH, EN]))

    assert (dataset.name, dataset.kb) == ("smoke", "knowledge/sample_kb")
    assert [c.id for c in dataset.cases] == ["zh-1", "en-1"]
    assert dataset.cases[1].context[1].role == "agent"


def test_without_a_header_the_file_stem_names_the_dataset(tmp_path: Path) -> None:
    dataset = load_dataset(write_jsonl(tmp_path / "promo-2025.jsonl", [ZH]))

    assert (dataset.name, dataset.kb) == ("promo-2025", "")


def test_blank_lines_and_a_utf8_bom_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    text = "\n".join(["", json.dumps(HEADER), "  ", json.dumps(ZH, ensure_ascii=False), ""])
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))

    assert [c.id for c in load_dataset(path).cases] == ["zh-1"]


def test_every_bad_line_is_reported_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([
        json.dumps(HEADER), json.dumps(ZH, ensure_ascii=False), "{not json", "[1, 2]",
        json.dumps({**EN, "platform": "ebay"}), json.dumps({**EN, "id": "en-2", "locale": None}), json.dumps(HEADER),
    ]), encoding="utf-8")

    with pytest.raises(DatasetError) as exc:
        load_dataset(path)

    problems = _problems(exc)
    assert problems[0].startswith("line 3: invalid JSON")
    assert problems[1] == "line 4: expected a JSON object"
    assert problems[2].startswith("line 5 (en-1): platform: Input should be 'taobao', 'pdd', 'jd' or 'amazon'")
    assert problems[3].startswith("line 6 (en-2): locale:")
    assert problems[4] == "line 7: a dataset header may only be the first line"
    assert str(path) in str(exc.value)


def test_a_malformed_header_is_an_error(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"dataset": {"kb": "x"}}, ZH])

    with pytest.raises(DatasetError) as exc:
        load_dataset(path)

    assert _problems(exc) == ["line 1: dataset.name: Field required"]


def test_duplicate_case_ids_are_an_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="duplicate case ids: zh-1"):
        load_dataset(write_jsonl(tmp_path / "d.jsonl", [ZH, EN, ZH]))


def test_missing_and_non_utf8_files_are_dataset_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="cannot read"):
        load_dataset(tmp_path / "absent.jsonl")
    (tmp_path / "gbk.jsonl").write_bytes(json.dumps(ZH, ensure_ascii=False).encode("gbk"))
    with pytest.raises(DatasetError, match="not UTF-8"):
        load_dataset(tmp_path / "gbk.jsonl")


def test_save_then_load_gives_the_same_dataset(tmp_path: Path) -> None:
    dataset = Dataset(name="smoke", kb="knowledge/sample_kb", cases=[Case.model_validate(ZH), Case.model_validate(EN)])

    path = save_dataset(dataset, tmp_path / "smoke.jsonl")

    assert load_dataset(path) == dataset
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[0])["dataset"]["name"] == "smoke"


def test_to_request_carries_the_case_and_its_most_recent_turns() -> None:
    turns = [{"role": "buyer" if i % 2 else "agent", "text": f"turn {i}"} for i in range(60)]
    case = make_case(order={"status": "shipped"}, context=turns, platform="jd")

    request = case.to_request()

    assert (request.message, request.platform, request.locale, request.order) == (
        case.message, "jd", "zh", Order(status="shipped"))
    assert len(request.history) == 50
    assert request.history[-1].text == "turn 59"
