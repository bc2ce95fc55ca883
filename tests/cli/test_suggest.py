"""`draftdesk index PATH --suggest-examples`: the LLM (mocked at its HTTP edge) suggests example questions for the
entries without any, into a review file; the store is never touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import respx

from tests.cli.conftest import ROWS, Run
from tests.cli.test_main import assert_clean_failure, ok
from tests.conftest import write_jsonl
from tests.drafting.test_llm import BASE_URL, COMPLETIONS, failure
from tests.drafting.test_llm import ok as reply

LLM = {"DRAFTDESK_LLM": "openai", "DRAFTDESK_LLM_BASE_URL": BASE_URL, "DRAFTDESK_LLM_API_KEY": "k",
       "DRAFTDESK_LLM_MODEL": "m", "DRAFTDESK_LLM_MAX_RETRIES": "0"}


@pytest.fixture
def kb_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # where the review file goes by default
    (tmp_path / "kb").mkdir()
    rows = [ROWS[0], {**ROWS[1], "examples": ["where's my stuff"]}, ROWS[2]]  # the second has examples already
    return write_jsonl(tmp_path / "kb" / "faq.jsonl", rows)


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.respx(assert_all_called=True)
def test_suggestions_are_written_for_review_and_nothing_is_indexed(
    run: Run, kb_file: Path, tmp_path: Path, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(COMPLETIONS).mock(side_effect=[
        reply("1. 快递咋还没到\n- 物流怎么一直不动\n\n“我的快递怎么还没到？物流一直不更新怎么办？”\n"
              "订单123456789到哪了"),
        reply("能七天无理由退吗\n不喜欢可以退不\n收到不想要了能退吗\n退货行不行\n可以退吗\n七天内能退吗"),
    ])

    result = ok(run("index", str(kb_file), "--suggest-examples", env=LLM))

    suggested = lines(tmp_path / "faq.suggested.jsonl")
    assert suggested == [
        {"id": "ship-001", "locale": "zh", "question": ROWS[0]["question"],
         "examples": ["快递咋还没到", "物流怎么一直不动"]},  # no bullet, no repeat of the question, no order number
        {"id": "ret-001", "locale": "zh", "question": ROWS[2]["question"],
         "examples": ["能七天无理由退吗", "不喜欢可以退不", "收到不想要了能退吗", "退货行不行", "可以退吗"]},  # five
    ]
    assert "suggested examples for 2 of 2 entries" in result.stdout
    system, user = (m["content"] for m in json.loads(route.calls[0].request.content)["messages"])
    assert "up to 5" in system and "Chinese" in system
    assert ROWS[0]["question"] in user and ROWS[0]["answer"] in user
    assert "0 of 0 entries" in ok(run("kb", "list")).stderr  # the store was not touched


@pytest.mark.respx(assert_all_called=True)
def test_a_failure_for_one_entry_skips_it_and_goes_on(
    run: Run, kb_file: Path, tmp_path: Path, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(COMPLETIONS).mock(side_effect=[failure(500), reply("能退吗")])
    out = tmp_path / "review" / "ours.jsonl"
    out.parent.mkdir()

    result = ok(run("index", str(kb_file), "--suggest-examples", "--out", str(out), "--json", env=LLM))

    assert [line["id"] for line in lines(out)] == ["ret-001"]
    report = json.loads(result.stdout)
    assert (report["entries"], report["suggested"]) == (2, 1)
    assert [(s["id"], s["locale"]) for s in report["skipped"]] == [("ship-001", "zh")]
    assert "skipped ship-001@zh" in result.stderr


@pytest.mark.respx(assert_all_called=True)
def test_failing_for_every_entry_exits_1(run: Run, kb_file: Path, respx_mock: respx.MockRouter) -> None:
    # the second reply only repeats the question: nothing usable
    respx_mock.post(COMPLETIONS).mock(side_effect=[failure(500), reply("-\n支持七天无理由退货吗？")])

    result = run("index", str(kb_file), "--suggest-examples", env=LLM)

    assert result.exit_code == 1, result.output
    assert "skipped ship-001@zh" in result.stderr and "skipped ret-001@zh: the reply held no usable question" in \
        result.stderr


def test_without_an_llm_it_says_what_to_set(run: Run, kb_file: Path, tmp_path: Path) -> None:
    result = run("index", str(kb_file), "--suggest-examples")  # DRAFTDESK_LLM=template

    assert result.exit_code == 2
    assert_clean_failure(result, mentions="--suggest-examples needs an LLM: set DRAFTDESK_LLM")
    assert not (tmp_path / "faq.suggested.jsonl").exists()


@pytest.mark.parametrize(("args", "mentions"), [
    (("--out", "x.jsonl"), "--out goes with --suggest-examples"),
    (("--suggest-examples", "--prune"), "drop --prune"),
])
def test_options_that_do_not_go_together(run: Run, kb_file: Path, args: tuple[str, ...], mentions: str) -> None:
    result = run("index", str(kb_file), *args, env=LLM)

    assert result.exit_code == 2
    assert_clean_failure(result, mentions=mentions)
