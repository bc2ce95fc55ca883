"""The run end to end on a tiny dataset and knowledge base, with the hashing embedder: files, summary, metadata."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from drafting.settings import Settings
from drafting.wiring import build_components
from eval import runner
from eval.metrics import LOWER_IS_BETTER
from eval.runner import PipelineName, RunOptions
from tests.eval.conftest import TINY_CASES, write_dataset
from tests.fakes import HashingEmbedder

SUMMARY_KEYS = {
    "hit@1", "hit@3", "mrr", "similarity", "rougeL", "chrf", "unsupported_claims", "compliance_violations",
    "escalation_precision", "escalation_recall", "language_match", "latency_p50_ms", "latency_p95_ms",
}
ROW_KEYS = {"id", "message", "locale", "platform", "draft", "reference", "citations", "needs_human", "reasons",
            "provider", "degraded", "latency_ms", "metrics"}


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
    assert set(summary) == {"cases", "metrics", "lower_is_better", "run"} and summary["cases"] == len(TINY_CASES)
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
