"""The run end to end on a tiny dataset and knowledge base, with the hashing embedder: files, summary, metadata."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from composition.settings import Settings
from composition.wiring import build_components
from eval import runner
from eval.metrics import LOWER_IS_BETTER
from eval.runner import PipelineName, RunOptions
from tests.eval.conftest import TINY_CASES, write_dataset
from tests.fakes import HashingEmbedder

SUMMARY_KEYS = {
    "hit@1", "hit@3", "mrr", "similarity", "rougeL", "chrf", "unsupported_claims", "compliance_violations",
    "escalation_precision", "escalation_recall", "language_match", "latency_p50_ms", "latency_p95_ms",
    "wrong_answer_rate", "hold_rate",
}
ROW_KEYS = {"id", "message", "locale", "platform", "draft", "reference", "citations", "needs_human", "reasons",
            "provider", "degraded", "latency_ms", "metrics", "answer_mode", "expected_answer_mode", "split",
            "violations"}


def _run(dataset: Path, settings: Settings, out: Path, **options: Any) -> runner.RunOutput:
    return runner.run(dataset, settings, HashingEmbedder(), RunOptions(out_dir=out, **options))


def _rows(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / runner.RESULTS_FILE).read_text(encoding="utf-8").splitlines()]


def test_a_run_writes_results_summary_and_report(
    tmp_path: Path, eval_settings: Settings, tiny_dataset: Path, tiny_kb: Path
) -> None:
    out = tmp_path / "run"
    output = _run(tiny_dataset, eval_settings, out, kb=tiny_kb)

    assert sorted(p.name for p in out.iterdir()) == ["report.html", "results.jsonl", "summary.json"]
    assert output.files == [out / "results.jsonl", out / "summary.json", out / "report.html"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary == output.summary
    assert set(summary) == {"cases", "metrics", "lower_is_better", "by_intent", "by_qtype", "curve", "run"}
    assert summary["cases"] == len(TINY_CASES)
    assert summary["lower_is_better"] == [n for n in summary["metrics"] if n in LOWER_IS_BETTER]  # for api.runs
    metrics = summary["metrics"]
    assert set(metrics) >= SUMMARY_KEYS
    for name in ("hit@1", "hit@3", "mrr", "similarity", "rougeL", "chrf", "language_match"):
        assert 0.0 <= metrics[name] <= 1.0, name
    assert metrics["hit@3"] >= metrics["hit@1"] > 0.0
    assert metrics["language_match"] == 1.0
    assert metrics["unsupported_claims"] >= 0.0 and metrics["compliance_violations"] == 0.0
    assert 0.0 < metrics["latency_p50_ms"] <= metrics["latency_p95_ms"]
    assert metrics["escalation_precision"] is None  # the template drafter answered every case: nothing flagged
    assert metrics["escalation_recall"] == 0.0  # and missed the one case that expects a human

    rows = _rows(out)
    assert [r["id"] for r in rows] == [c["id"] for c in TINY_CASES]
    assert all(set(r) >= ROW_KEYS for r in rows)
    assert all(set(r["metrics"]) >= {"hit@1", "similarity", "unsupported_claims"} for r in rows)
    assert all(set(m) == {"score", "reason"} and m["reason"] for r in rows for m in r["metrics"].values())
    first = rows[0]
    assert (first["locale"], first["platform"], first["provider"]) == ("zh", "taobao", "template")
    assert first["citations"][0]["id"] == "ship-001" and first["reference"] == TINY_CASES[0]["reference_answer"]


def test_the_run_records_code_data_knowledge_and_models(
    tmp_path: Path, eval_settings: Settings, tiny_dataset: Path, tiny_kb: Path
) -> None:
    run = _run(tiny_dataset, eval_settings.model_copy(update={"llm_api_key": SecretStr("sk-secret")}), tmp_path / "a",
               kb=tiny_kb).summary["run"]

    assert run["git_revision"] is None or re.fullmatch(r"[0-9a-f]{40}", run["git_revision"])
    assert run["models"] == {"embedder": "fake-hashing-256", "provider": "template", "llm": "template",
                             "llm_model": None}
    assert run["kb"]["store"] == "fresh" and run["kb"]["entries"] == 4
    assert re.fullmatch(r"[0-9a-f]{64}", run["kb"]["hash"])
    assert run["dataset"]["name"] == "tiny" and re.fullmatch(r"[0-9a-f]{64}", run["dataset"]["sha256"])
    assert run["started_at"] <= run["finished_at"]
    assert "llm_api_key" not in run["settings"] and "sk-secret" not in json.dumps(run)
    assert run["settings"]["top_k"] == eval_settings.top_k

    again = _run(tiny_dataset, eval_settings, tmp_path / "b", kb=tiny_kb).summary["run"]
    assert again["kb"]["hash"] == run["kb"]["hash"]  # a fresh store from the same files: the same knowledge base


def test_without_kb_the_configured_store_is_used(
    tmp_path: Path, eval_settings: Settings, tiny_dataset: Path, tiny_kb: Path
) -> None:
    embedder = HashingEmbedder()
    build_components(eval_settings, embedder=embedder).shops.get().knowledge.index_paths([tiny_kb])

    output = runner.run(tiny_dataset, eval_settings, embedder, RunOptions(out_dir=tmp_path / "run"))

    assert output.summary["run"]["kb"]["store"] == "configured"
    assert output.summary["run"]["kb"]["entries"] == 4
    assert output.summary["metrics"]["hit@1"] > 0.0


def test_limit_takes_the_first_cases(tmp_path: Path, eval_settings: Settings, tiny_dataset: Path,
                                     tiny_kb: Path) -> None:
    output = _run(tiny_dataset, eval_settings, tmp_path / "run", kb=tiny_kb, limit=2)

    assert output.summary["cases"] == 2 and output.summary["run"]["limit"] == 2
    assert output.summary["run"]["dataset"]["cases_in_file"] == len(TINY_CASES)
    assert [r["id"] for r in _rows(tmp_path / "run")] == [c["id"] for c in TINY_CASES[:2]]


def test_the_baseline_cites_exactly_one_entry(tmp_path: Path, eval_settings: Settings, tiny_dataset: Path,
                                              tiny_kb: Path) -> None:
    output = _run(tiny_dataset, eval_settings, tmp_path / "run", kb=tiny_kb, pipeline=PipelineName.BASELINE)

    rows = _rows(tmp_path / "run")
    assert all(len(r["citations"]) == 1 for r in rows)
    assert {r["provider"] for r in rows} == {"baseline"} and not any(r["needs_human"] for r in rows)
    assert output.summary["run"]["pipeline"] == "baseline"
    assert output.summary["run"]["models"]["provider"] == "baseline"
    zh = rows[0]
    assert zh["draft"].startswith("您好，感谢您的咨询") and "48小时" in zh["draft"]  # the entry, pasted in
    assert rows[2]["draft"].startswith("Thanks for your message.")


def test_the_baseline_without_a_match_cites_nothing(tmp_path: Path, eval_settings: Settings,
                                                    tiny_kb: Path) -> None:
    dataset = tmp_path / "pdd.jsonl"
    case = {"id": "en-only", "message": "你好", "platform": "pdd", "locale": "zh", "reference_answer": "您好"}
    dataset.write_text(json.dumps(case, ensure_ascii=False) + "\n", encoding="utf-8")
    kb = tmp_path / "en.jsonl"
    kb.write_text(tiny_kb.read_text(encoding="utf-8").splitlines()[2] + "\n", encoding="utf-8")  # English only

    _run(dataset, eval_settings, tmp_path / "run", kb=kb, pipeline=PipelineName.BASELINE)

    row = _rows(tmp_path / "run")[0]
    assert row["citations"] == [] and row["draft"].startswith("您好，感谢您的咨询")


@pytest.mark.parametrize("pipeline", list(PipelineName))
def test_every_pipeline_scores_every_metric(tmp_path: Path, eval_settings: Settings, tiny_dataset: Path,
                                            tiny_kb: Path, pipeline: PipelineName) -> None:
    summary = _run(tiny_dataset, eval_settings, tmp_path / "run", kb=tiny_kb, pipeline=pipeline).summary

    assert SUMMARY_KEYS - {"escalation_precision"} <= {k for k, v in summary["metrics"].items() if v is not None}


def test_an_empty_dataset_still_writes_a_report(tmp_path: Path, eval_settings: Settings, tiny_kb: Path) -> None:
    dataset = write_dataset(tmp_path / "empty.jsonl", cases=[], name="empty")

    output = _run(dataset, eval_settings, tmp_path / "run", kb=tiny_kb)

    assert output.summary["cases"] == 0
    assert set(output.summary["metrics"]) >= {"hit@1", "mrr", "similarity", "escalation_precision", "latency_p50_ms"}
    assert all(value is None for value in output.summary["metrics"].values())
    assert "Worst cases first" in (tmp_path / "run" / "report.html").read_text(encoding="utf-8")


AT_NIGHT = "2026-12-08T03:00:00+08:00"  # out of service hours (rules/calendar.yaml): drafts carry the notice


def test_every_case_is_drafted_at_the_datasets_moment(tmp_path: Path, eval_settings: Settings,
                                                      tiny_kb: Path) -> None:
    dataset = write_dataset(tmp_path / "night.jsonl", at=AT_NIGHT)

    output = _run(dataset, eval_settings, tmp_path / "run", kb=tiny_kb)

    assert output.summary["run"]["at"] == AT_NIGHT
    rows = {r["id"]: r for r in _rows(tmp_path / "run")}
    assert "12月8日 09:00" in rows["zh-delay"]["draft"] and "8 Dec 09:00" in rows["en-cancel"]["draft"]
    # the notice's date and time come from the shop calendar: not unsupported claims
    assert rows["zh-delay"]["metrics"]["unsupported_claims"]["score"] == 0.0


def test_the_runs_moment_overrides_the_datasets(tmp_path: Path, eval_settings: Settings, tiny_kb: Path) -> None:
    dataset = write_dataset(tmp_path / "night.jsonl", at=AT_NIGHT)
    afternoon = datetime.fromisoformat("2026-12-08T15:00:00+08:00")  # open: no notice

    output = _run(dataset, eval_settings, tmp_path / "run", kb=tiny_kb, at=afternoon)

    assert output.summary["run"]["at"] == "2026-12-08T15:00:00+08:00"
    assert not any("09:00" in r["draft"] for r in _rows(tmp_path / "run"))


def test_without_a_moment_the_real_clock_runs(tmp_path: Path, eval_settings: Settings, tiny_dataset: Path,
                                              tiny_kb: Path) -> None:
    assert _run(tiny_dataset, eval_settings, tmp_path / "run", kb=tiny_kb, limit=1).summary["run"]["at"] is None
    with pytest.raises(ValueError, match="no UTC offset"):
        _run(tiny_dataset, eval_settings, tmp_path / "naive", kb=tiny_kb, at=datetime(2026, 12, 8, 15))


def test_a_split_runs_only_its_cases(tmp_path: Path, eval_settings: Settings, tiny_kb: Path) -> None:
    splits = ["dev", "holdout", None, "dev"]
    cases = [{**case, **({"split": s} if s else {})} for case, s in zip(TINY_CASES, splits, strict=True)]
    dataset = write_dataset(tmp_path / "split.jsonl", cases)

    dev = _run(dataset, eval_settings, tmp_path / "dev", kb=tiny_kb, split="dev", limit=1).summary
    holdout = _run(dataset, eval_settings, tmp_path / "holdout", kb=tiny_kb, split="holdout").summary
    every = _run(dataset, eval_settings, tmp_path / "all", kb=tiny_kb).summary

    assert [r["id"] for r in _rows(tmp_path / "dev")] == ["zh-delay"]  # the limit applies within the split
    assert [r["id"] for r in _rows(tmp_path / "holdout")] == ["zh-return"]
    assert (dev["run"]["split"], holdout["run"]["split"], every["run"]["split"]) == ("dev", "holdout", None)
    assert every["cases"] == 4 and dev["run"]["dataset"]["cases_in_file"] == 4


def _kb_with_an_example(tmp_path: Path, tiny_kb: Path) -> Path:
    """The tiny KB, where the English cancel entry is also asked in words of the parcel entry's text."""
    rows = [json.loads(line) for line in tiny_kb.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        if row["id"] == "cancel-001":
            row["examples"] = ["my parcel has not arrived yet after 48 hours"]
    kb = tmp_path / "examples" / "kb.jsonl"
    kb.parent.mkdir()
    kb.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return kb


EXAMPLE_CASE = {"id": "en-example", "message": "my parcel has not arrived yet after 48 hours", "platform": "amazon",
                "locale": "en", "expected_kb_ids": ["cancel-001"]}


def test_without_examples_the_kb_is_indexed_as_if_it_had_none(tmp_path: Path, eval_settings: Settings,
                                                              tiny_kb: Path) -> None:
    kb = _kb_with_an_example(tmp_path, tiny_kb)
    dataset = write_dataset(tmp_path / "example.jsonl", [EXAMPLE_CASE])

    kept = _run(dataset, eval_settings, tmp_path / "kept", kb=kb).summary
    dropped = _run(dataset, eval_settings, tmp_path / "dropped", kb=kb, without_examples=True).summary

    assert [c["id"] for c in _rows(tmp_path / "kept")[0]["citations"]] == ["cancel-001"]
    assert "cancel-001" not in [c["id"] for c in _rows(tmp_path / "dropped")[0]["citations"]]
    assert (kept["run"]["kb"]["without_examples"], dropped["run"]["kb"]["without_examples"]) == (False, True)
    assert dropped["run"]["kb"]["entries"] == 4 and dropped["run"]["kb"]["hash"] != kept["run"]["kb"]["hash"]


def test_without_examples_needs_knowledge_files(tmp_path: Path, eval_settings: Settings, tiny_dataset: Path) -> None:
    with pytest.raises(ValueError, match="--kb"):
        _run(tiny_dataset, eval_settings, tmp_path / "run", without_examples=True)


def test_the_baseline_searches_the_example_questions_too(tmp_path: Path, eval_settings: Settings,
                                                         tiny_kb: Path) -> None:
    """It searches every facet draftdesk searches: the passages alone would point it at the parcel entry."""
    kb = _kb_with_an_example(tmp_path, tiny_kb)
    dataset = write_dataset(tmp_path / "example.jsonl", [EXAMPLE_CASE])

    output = _run(dataset, eval_settings, tmp_path / "run", kb=kb, pipeline=PipelineName.BASELINE)

    row = _rows(tmp_path / "run")[0]
    assert [c["id"] for c in row["citations"]] == ["cancel-001"] and row["answer_mode"] == "entry"
    assert row["metrics"]["wrong_answer"]["score"] == 0.0 and output.summary["metrics"]["wrong_answer_rate"] == 0.0


def test_every_pipeline_is_checked_by_the_runners_policy_checker(tmp_path: Path, eval_settings: Settings) -> None:
    """The baseline has no screen of its own; pasting an entry that asks for e-mail is still a violation."""
    kb = tmp_path / "kb.jsonl"
    kb.write_text(json.dumps({"id": "photos", "locale": "en", "question": "How do I send photos of the damage?",
                              "answer": "Just email us the photos of the damage."}) + "\n", encoding="utf-8")
    case = {"id": "photos", "message": "How do I send photos of the damage?", "platform": "amazon", "locale": "en"}
    dataset = write_dataset(tmp_path / "photos.jsonl", [case])

    output = _run(dataset, eval_settings, tmp_path / "run", kb=kb, pipeline=PipelineName.BASELINE)

    row = _rows(tmp_path / "run")[0]
    assert row["violations"] == ["email: email us"] and row["metrics"]["compliance_violations"]["score"] == 1.0
    assert output.summary["metrics"]["compliance_violations"] == 1.0


def test_the_summary_holds_answers_by_intent_and_the_curve(tmp_path: Path, eval_settings: Settings,
                                                           tiny_dataset: Path, tiny_kb: Path) -> None:
    summary = _run(tiny_dataset, eval_settings, tmp_path / "run", kb=tiny_kb).summary

    assert [p["threshold"] for p in summary["curve"]][:3] == [0.0, 0.05, 0.1] and len(summary["curve"]) == 21
    assert set(summary["curve"][0]) == {"threshold", "coverage", "wrong_answer_rate", "hold_rate"}
    assert summary["curve"][0]["wrong_answer_rate"] == summary["metrics"]["wrong_answer_rate"]
    assert [r["intent"] for r in summary["by_intent"]] == ["(none)"] and summary["by_intent"][0]["cases"] == 4
