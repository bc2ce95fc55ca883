"""The optional LLM judge, through the real OpenAI-compatible client with respx at the HTTP edge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import respx

from composition.settings import Settings
from eval import runner
from eval.metrics.judge import LLMJudge, parse_verdict
from eval.runner import RunOptions
from tests.drafting.test_llm import COMPLETIONS, failure, model, ok
from tests.eval.conftest import make_sample
from tests.fakes import HashingEmbedder

VERDICT = {"correct": 2, "complete": 1, "polite": 2, "compliant": 1, "reason": "少了运费说明。"}


def test_a_fenced_verdict_in_prose_is_parsed() -> None:
    text = "Here is my grade:\n```json\n" + json.dumps(VERDICT, ensure_ascii=False) + "\n```"

    verdict = parse_verdict(text)

    assert verdict.score == 6 / 8
    assert verdict.reason == "少了运费说明。"


@pytest.mark.parametrize("text", ["no json here", '{"correct": 3, "complete": 1, "polite": 2, "compliant": 1}',
                                  '{"correct": 2}', "{not json}"])
def test_an_off_format_verdict_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_verdict(text)


@pytest.mark.respx(assert_all_called=True)
def test_the_judge_grades_a_draft_with_the_rubric(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(COMPLETIONS).mock(return_value=ok(json.dumps(VERDICT, ensure_ascii=False)))
    sample = make_sample("亲，非常抱歉让您久等了，订单付款后72小时内发出。", ["ship-001"],
                         sources={"ship-001": "大促期间付款后72小时内发出。"})

    result = LLMJudge(model())(sample)

    assert (result.name, result.score) == ("judge", 0.75)
    assert result.reason == "correct 2/2, complete 1/2, polite 2/2, compliant 1/2. 少了运费说明。"
    sent = json.loads(route.calls.last.request.content)["messages"]
    assert "taobao" in sent[0]["content"] and "Chinese" in sent[0]["content"]
    assert "订单付款后72小时内发出" in sent[1]["content"]  # the draft
    assert "大促期间一般在付款后72小时内发出" in sent[1]["content"]  # the reference answer
    assert "大促期间付款后72小时内发出。" in sent[1]["content"]  # the cited source's full text


@pytest.mark.respx(assert_all_called=True)
def test_a_failing_judge_gives_no_score(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(COMPLETIONS).mock(return_value=failure(503))

    result = LLMJudge(model(llm_max_retries=0))(make_sample())

    assert result.score is None
    assert result.reason.startswith("judge unavailable")


@pytest.mark.respx(assert_all_called=True)
def test_an_off_format_judge_gives_no_score(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(COMPLETIONS).mock(return_value=ok("I think it is fine."))

    result = LLMJudge(model())(make_sample())

    assert result.score is None and "off-format" in result.reason


@pytest.mark.respx(assert_all_called=True)
def test_a_run_with_the_judge_reports_its_mean(
    respx_mock: respx.MockRouter, tmp_path: Path, eval_settings: Settings, tiny_dataset: Path, tiny_kb: Path
) -> None:
    respx_mock.post(COMPLETIONS).mock(return_value=ok(json.dumps(VERDICT)))
    out = tmp_path / "run"

    output = runner.run(tiny_dataset, eval_settings, HashingEmbedder(),
                        RunOptions(out_dir=out, kb=tiny_kb, judge=model()))

    assert output.summary["metrics"]["judge"] == 0.75
    rows = [json.loads(line) for line in (out / runner.RESULTS_FILE).read_text("utf-8").splitlines()]
    assert all(r["metrics"]["judge"]["score"] == 0.75 for r in rows)


def test_without_the_judge_there_is_no_judge_metric(
    tmp_path: Path, eval_settings: Settings, tiny_dataset: Path, tiny_kb: Path
) -> None:
    output = runner.run(tiny_dataset, eval_settings, HashingEmbedder(), RunOptions(out_dir=tmp_path / "r", kb=tiny_kb))

    assert "judge" not in output.summary["metrics"]


def test_judge_without_an_llm_fails_cleanly(tmp_path: Path, tiny_dataset: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["eval", "run", str(tiny_dataset), "--out", str(tmp_path / "r"), "--judge"],
                                env={"DRAFTDESK_LLM": "template"})

    assert result.exit_code == 2
    assert "--judge needs an LLM" in result.stderr
    assert not (tmp_path / "r").exists()


