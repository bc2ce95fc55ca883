"""`draftdesk eval run | prepare` through typer's CliRunner: clean failures, prepared shared data, a real run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli.main import app
from eval.dataset import load_dataset
from tests.conftest import MODEL_CACHE, write_jsonl
from tests.eval.conftest import FIXTURES, TINY_CASES, write_dataset

# Set so that loading the model would fail loudly: these tests must fail before it is loaded.
NO_MODEL = {"DRAFTDESK_EMBEDDER": "/nonexistent/model", "DRAFTDESK_LLM": "template"}


def _invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=env or {})


def _fails_cleanly(result: Result, mentions: str) -> None:
    assert result.exit_code != 0
    assert result.stderr.startswith("error: ") and mentions in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_missing_dataset_fails_with_an_error_line(tmp_path: Path) -> None:
    result = _invoke("eval", "run", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "out"), env=NO_MODEL)

    _fails_cleanly(result, "cannot read the file")
    assert result.exit_code == 2 and not (tmp_path / "out").exists()


def test_a_malformed_dataset_names_its_bad_lines(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "message": "hi", "platform": "ebay", "locale": "en"}\nnot json\n', encoding="utf-8")

    result = _invoke("eval", "run", str(bad), "--out", str(tmp_path / "out"), env=NO_MODEL)

    _fails_cleanly(result, "line 1 (a): platform")
    assert "line 2: invalid JSON" in result.stderr


def test_a_missing_kb_fails_before_the_model_loads(tmp_path: Path, tiny_dataset: Path) -> None:
    result = _invoke("eval", "run", str(tiny_dataset), "--kb", str(tmp_path / "nope"), "--out", str(tmp_path / "o"),
                     env=NO_MODEL)

    _fails_cleanly(result, "no such knowledge file or directory")


def test_a_bad_llm_setting_fails_before_the_model_loads(tmp_path: Path, tiny_dataset: Path) -> None:
    result = _invoke("eval", "run", str(tiny_dataset), "--out", str(tmp_path / "o"),
                     env={**NO_MODEL, "DRAFTDESK_LLM": "nonsense"})

    _fails_cleanly(result, "unknown DRAFTDESK_LLM")
    assert result.exit_code == 1


@pytest.mark.parametrize(("at", "mentions"), [
    ("2026-12-08T15:00:00", "--at must carry a timezone"),
    ("2026-12-08", "--at must carry a timezone"),
    ("tomorrow at three", "--at is not an ISO-8601 date and time"),
])
def test_a_naive_or_unreadable_moment_fails_before_the_model_loads(tmp_path: Path, tiny_dataset: Path, at: str,
                                                                  mentions: str) -> None:
    result = _invoke("eval", "run", str(tiny_dataset), "--at", at, "--out", str(tmp_path / "o"), env=NO_MODEL)

    _fails_cleanly(result, mentions)
    assert result.exit_code == 2 and not (tmp_path / "o").exists()


def test_without_examples_needs_a_kb(tmp_path: Path, tiny_dataset: Path) -> None:
    result = _invoke("eval", "run", str(tiny_dataset), "--without-examples", "--out", str(tmp_path / "o"),
                     env=NO_MODEL)

    _fails_cleanly(result, "--without-examples re-indexes the knowledge files")
    assert result.exit_code == 2


def test_an_unknown_split_is_refused(tmp_path: Path, tiny_dataset: Path) -> None:
    result = _invoke("eval", "run", str(tiny_dataset), "--split", "test", "--out", str(tmp_path / "o"), env=NO_MODEL)

    assert result.exit_code == 2 and "'test' is not one of" in result.output


@pytest.mark.parametrize(("text", "mentions"), [
    ("max_regression: {similarity: 0.02}\n", "max_regression compares two runs"),
    ("max: {wrong_answers: 0.02}\n", "metrics a run does not report: wrong_answers"),
    ("min: {coverage: high}\n", "min.coverage: Input should be a valid number"),
])
def test_a_bad_run_gate_fails_before_the_model_loads(tmp_path: Path, tiny_dataset: Path, text: str,
                                                     mentions: str) -> None:
    gate = tmp_path / "gate.yaml"
    gate.write_text(text, encoding="utf-8")

    result = _invoke("eval", "run", str(tiny_dataset), "--gate", str(gate), "--out", str(tmp_path / "o"),
                     env=NO_MODEL)

    _fails_cleanly(result, mentions)
    assert result.exit_code == 2 and not (tmp_path / "o").exists()


def _shared_dir(root: Path) -> Path:
    """The shared-data layout: fixture Bitext rows, made-up zh rows, and holdout files that must not be read."""
    shared = root / "shared"
    shared.mkdir()
    (shared / "kb_en.jsonl").write_text((FIXTURES / "kb_en_bitext_abcd.jsonl").read_text(encoding="utf-8"))
    (shared / "cases_en_dev.jsonl").write_text((FIXTURES / "bitext_cases_en.jsonl").read_text(encoding="utf-8"))
    write_jsonl(shared / "kb_zh.jsonl", [{
        "id": "cnlaw:示例法:第一条", "source": "made_up", "lang": "zh", "kind": "regulation_article",
        "category": "示例法", "title": "第一条", "question": None, "answer": "消费者有权自收到商品之日起七日内退货。",
        "meta": {}}])
    write_jsonl(shared / "cases_zh_dev.jsonl", [{
        "id": "jddc19dev-x_1-Q1", "group_id": "jddc19dev-x_1", "source": "jddc2019_dev", "lang": "zh",
        "split": "dev", "message": "耳机左边没声音了", "context": [], "reference_replies": ["亲，可以申请售后换新哦"],
        "intent": None, "category": "after_sales", "labels": [], "kb_ids": [], "meta": {}}])
    for holdout in ("cases_en_holdout.jsonl", "cases_zh_holdout.jsonl"):
        (shared / holdout).write_text("holdout: never read\n", encoding="utf-8")
    return shared


def test_prepare_writes_canonical_files_from_the_dev_splits(tmp_path: Path) -> None:
    shared = _shared_dir(tmp_path)
    out = tmp_path / "data"

    result = _invoke("eval", "prepare", "--shared", str(shared), "--out", str(out))

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["bitext_en_dev.jsonl", "jddc_zh_dev.jsonl", "kb_en.jsonl",
                                                     "kb_en_examples.jsonl", "kb_zh.jsonl"]
    bitext = load_dataset(out / "bitext_en_dev.jsonl")
    assert (bitext.name, bitext.kb) == ("bitext_en_dev", "kb_en.jsonl")
    assert 0 < len(bitext.cases) < 20  # the other cases became example questions
    assert f"{out / 'bitext_en_dev.jsonl'}\t{len(bitext.cases)} rows" in result.stdout.splitlines()
    with_examples = [json.loads(line) for line in (out / "kb_en_examples.jsonl").read_text("utf-8").splitlines()]
    examples = {x for row in with_examples for x in row.get("examples", [])}
    assert len(examples) == 20 - len(bitext.cases)
    assert not examples & {c.message for c in bitext.cases}  # no evaluated message is an example
    jddc = load_dataset(out / "jddc_zh_dev.jsonl")
    assert [(c.platform, c.locale, c.reference_answer) for c in jddc.cases] == [("jd", "zh", "亲，可以申请售后换新哦")]
    kb_rows = [json.loads(line) for line in (out / "kb_en.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(kb_rows) == 22 and {"id", "kind", "answer", "locale"} <= set(kb_rows[0])


def test_prepare_reads_the_shared_dir_from_the_environment(tmp_path: Path) -> None:
    shared = _shared_dir(tmp_path)

    result = _invoke("eval", "prepare", "--out", str(tmp_path / "data"), env={"DRAFTDESK_SHARED_DATA": str(shared)})

    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "kb_zh.jsonl").exists()


def test_prepare_without_shared_data_fails_cleanly(tmp_path: Path) -> None:
    result = _invoke("eval", "prepare", "--shared", str(tmp_path / "nowhere"), "--out", str(tmp_path / "data"))

    _fails_cleanly(result, "shared data not found")
    assert result.exit_code == 2


@pytest.mark.model
def test_a_real_run_through_the_cli(tmp_path: Path, tiny_dataset: Path, tiny_kb: Path) -> None:
    """The real model and store: --kb into a fresh store, --limit, the baseline, and the printed summary."""
    env = {"DRAFTDESK_DATA_DIR": str(tmp_path / "data"), "DRAFTDESK_MODEL_CACHE_DIR": str(MODEL_CACHE),
           "DRAFTDESK_LLM": "template"}
    out = tmp_path / "run"

    result = _invoke("eval", "run", str(tiny_dataset), "--kb", str(tiny_kb), "--limit", "3", "--pipeline",
                     "baseline", "--out", str(out), "--no-progress", env=env)

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"tiny [baseline]: 3 cases -> {out}")
    assert any(line.split()[0] == "hit@1" for line in result.stdout.splitlines()[1:] if line.strip())
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["cases"] == 3 and summary["run"]["models"]["embedder"].startswith("multilingual-e5-small")
    assert summary["metrics"]["hit@1"] == 1.0  # the real model finds each case's entry
    assert not (tmp_path / "data").exists()  # --kb never touches the configured store


@pytest.mark.model
def test_a_gated_run_writes_its_results_then_exits_1_on_a_breach(tmp_path: Path, tiny_kb: Path) -> None:
    """--split, --at and --gate through the CLI, with the real model: the run is written whatever the gate says."""
    cases = [{**case, "split": "dev" if n < 2 else "holdout"} for n, case in enumerate(TINY_CASES)]
    dataset = write_dataset(tmp_path / "split.jsonl", cases)
    gate = tmp_path / "gate.yaml"
    gate.write_text("max: {latency_p95_ms: 0.0, compliance_violations: 5}\n", encoding="utf-8")  # no draft is instant
    env = {"DRAFTDESK_DATA_DIR": str(tmp_path / "data"), "DRAFTDESK_MODEL_CACHE_DIR": str(MODEL_CACHE),
           "DRAFTDESK_LLM": "template"}
    out = tmp_path / "run"

    result = _invoke("eval", "run", str(dataset), "--kb", str(tiny_kb), "--split", "dev", "--at",
                     "2026-12-08T03:00:00+08:00", "--gate", str(gate), "--out", str(out), "--no-progress", env=env)

    assert result.exit_code == 1, result.output
    assert f"gate {gate}: 1 threshold(s) breached" in result.stderr
    assert "breached: latency_p95_ms" in result.stderr and "compliance_violations" not in result.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["cases"] == 2 and summary["run"]["split"] == "dev"
    assert summary["run"]["at"] == "2026-12-08T03:00:00+08:00"
