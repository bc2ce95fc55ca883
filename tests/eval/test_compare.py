"""`draftdesk eval compare`: deltas with their direction, the cases that got worse, and the gate's exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from cli.main import app
from eval import compare, runner

REALISTIC_GATE = Path(__file__).resolve().parents[2] / "eval" / "gates" / "realistic.yaml"

METRICS_A = {"hit@1": 0.80, "hit@3": 0.90, "similarity": 0.85, "unsupported_claims": 0.50, "latency_p95_ms": 100.0,
             "escalation_precision": None}
METRICS_B = {"hit@1": 0.90, "hit@3": 0.95, "similarity": 0.80, "unsupported_claims": 0.25, "latency_p95_ms": 150.0,
             "escalation_precision": None}


def _case(case_id: str, similarity: float, hit: float, claims: float, violations: float = 0.0) -> dict[str, Any]:
    scores = {"similarity": similarity, "hit@1": hit, "unsupported_claims": claims,
              "compliance_violations": violations}
    return {"id": case_id, "metrics": {name: {"score": s, "reason": "r"} for name, s in scores.items()}}


def _write_run(path: Path, metrics: dict[str, float | None], cases: list[dict[str, Any]]) -> Path:
    path.mkdir(parents=True)
    summary = {"cases": len(cases), "metrics": metrics, "run": {"pipeline": "draftdesk"}}
    (path / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (path / "results.jsonl").write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    return path


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    a = _write_run(tmp_path / "a", METRICS_A, [
        _case("same", 0.90, 1.0, 0.0), _case("drop", 0.90, 1.0, 0.0), _case("small-drop", 0.90, 0.0, 0.0),
        _case("claims", 0.90, 0.0, 0.0), _case("only-in-a", 0.90, 1.0, 0.0),
    ])
    b = _write_run(tmp_path / "b", METRICS_B, [
        _case("same", 0.90, 1.0, 0.0), _case("drop", 0.70, 0.0, 0.0), _case("small-drop", 0.88, 0.0, 0.0),
        _case("claims", 0.95, 0.0, 2.0, 1.0),
    ])
    return a, b


def _compare(*args: str) -> Result:
    return CliRunner().invoke(app, ["eval", "compare", *args])


def _gate(tmp_path: Path, text: str) -> str:
    path = tmp_path / "gate.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_deltas_know_which_way_is_better(runs: tuple[Path, Path]) -> None:
    deltas = {d.name: d for d in compare.metric_deltas(compare.load_run(runs[0]), compare.load_run(runs[1]))}

    assert deltas["hit@1"].delta == pytest.approx(0.10) and deltas["hit@1"].verdict == "better"
    assert deltas["similarity"].verdict == "worse"
    assert deltas["unsupported_claims"].delta == pytest.approx(-0.25) and deltas["unsupported_claims"].verdict == (
        "better")
    assert deltas["latency_p95_ms"].verdict == "worse"
    assert deltas["escalation_precision"].verdict == "n/a" and deltas["escalation_precision"].delta is None


def test_compare_prints_deltas_and_the_cases_that_got_worse(runs: tuple[Path, Path]) -> None:
    result = _compare(str(runs[0]), str(runs[1]))

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["metric", "A", "B", "B", "-", "A", "verdict"]
    assert next(line for line in lines if line.startswith("hit@1 ")).split() == ["hit@1", "0.8000", "0.9000",
                                                                              "+0.1000", "better"]
    assert next(line for line in lines if line.startswith("unsupported_claims")).split()[-2:] == ["-0.2500",
                                                                                                  "better"]
    assert "2 of 4 shared cases got worse:" in result.stdout
    assert "  drop: similarity 0.900 -> 0.700 (-0.200); lost hit@1" in lines
    assert "  claims: unsupported_claims 0 -> 2; compliance_violations 0 -> 1" in lines
    assert "small-drop" not in result.stdout and "same:" not in result.stdout


def test_a_tighter_tolerance_catches_small_drops(runs: tuple[Path, Path]) -> None:
    result = _compare(str(runs[0]), str(runs[1]), "--tolerance", "0.01")

    assert "  small-drop: similarity 0.900 -> 0.880 (-0.020)" in result.stdout.splitlines()


def test_a_gate_that_holds_exits_0(tmp_path: Path, runs: tuple[Path, Path]) -> None:
    gate = _gate(tmp_path, "min: {hit@3: 0.9}\nmax: {unsupported_claims: 0.5}\nmax_regression: {similarity: 0.06}\n")

    result = _compare(str(runs[0]), str(runs[1]), "--gate", gate)

    assert result.exit_code == 0, result.output
    assert f"gate {gate}: passed" in result.stdout


def test_a_breached_gate_exits_1_and_says_which(tmp_path: Path, runs: tuple[Path, Path]) -> None:
    gate = _gate(tmp_path, "min: {hit@3: 0.99, hit@1: 0.5}\nmax: {unsupported_claims: 0.1}\n"
                           "max_regression: {similarity: 0.02, latency_p95_ms: 10, hit@1: 0}\n")

    result = _compare(str(runs[0]), str(runs[1]), "--gate", gate)

    assert result.exit_code == 1
    breached = [line.strip() for line in result.stderr.splitlines() if "breached:" in line]
    assert breached == [
        "breached: hit@3 = 0.95 is below the minimum 0.99",
        "breached: unsupported_claims = 0.25 is above the maximum 0.1",
        "breached: similarity regressed by 0.05 (0.85 -> 0.8), more than 0.02",
        "breached: latency_p95_ms regressed by 50 (100 -> 150), more than 10",
    ]


def test_a_gated_metric_without_a_value_is_a_breach(tmp_path: Path, runs: tuple[Path, Path]) -> None:
    result = _compare(str(runs[0]), str(runs[1]), "--gate", _gate(tmp_path, "min: {escalation_precision: 0.5}\n"))

    assert result.exit_code == 1
    assert "escalation_precision = none is below the minimum 0.5" in result.stderr


@pytest.mark.parametrize(("text", "mentions"), [
    ("min: [hit@1]\n", "min: Input should be a valid dictionary"),
    ("min: {hit@1: high}\n", "min.hit@1: Input should be a valid number"),
    ("minimum: {hit@1: 0.5}\n", "minimum: Extra inputs are not permitted"),
    ("min: {hit@1: 0.5\n", "not valid YAML"),
    ("", "expected a mapping"),
    ("min: {}\n", "the gate sets no thresholds"),
    ("max_regression: {similarity: -0.1}\n", "max_regression must be >= 0 (similarity)"),
    ("min: {hit@one: 0.5}\n", "the gate names metrics the runs do not have: hit@one"),
])
def test_a_bad_gate_file_exits_2_with_an_error_line(tmp_path: Path, runs: tuple[Path, Path], text: str,
                                                    mentions: str) -> None:
    result = _compare(str(runs[0]), str(runs[1]), "--gate", _gate(tmp_path, text))

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and mentions in result.stderr
    assert "Traceback" not in result.output


def test_a_missing_gate_file_or_run_exits_2(tmp_path: Path, runs: tuple[Path, Path]) -> None:
    missing_gate = _compare(str(runs[0]), str(runs[1]), "--gate", str(tmp_path / "nope.yaml"))
    missing_run = _compare(str(runs[0]), str(tmp_path / "nope"))

    assert (missing_gate.exit_code, missing_run.exit_code) == (2, 2)
    assert "cannot read the gate file" in missing_gate.stderr
    assert missing_run.stderr.startswith("error: ") and "not a run directory" in missing_run.stderr


def test_a_single_run_gate_checks_min_and_max_on_one_runs_metrics(tmp_path: Path) -> None:
    gate = compare.single_run_gate(compare.load_gate(Path(_gate(
        tmp_path, "max: {wrong_answer_rate: 0.02}\nmin: {coverage: 0.75}\n"))), runner.reported_metrics())

    assert compare.threshold_breaches(gate, {"wrong_answer_rate": 0.02, "coverage": 0.75}) == []
    assert compare.threshold_breaches(gate, {"wrong_answer_rate": 0.05, "coverage": None}) == [
        "coverage = none is below the minimum 0.75", "wrong_answer_rate = 0.05 is above the maximum 0.02"]


@pytest.mark.parametrize(("text", "mentions"), [
    ("max_regression: {similarity: 0.02}\n", "max_regression compares two runs"),
    ("max: {wrong_answers: 0.02}\n", "metrics a run does not report: wrong_answers"),
    ("max: {judge: 0.5}\n", "metrics a run does not report: judge"),  # only a run with --judge reports it
])
def test_a_single_run_gate_refuses_what_one_run_cannot_answer(tmp_path: Path, text: str, mentions: str) -> None:
    with pytest.raises(compare.GateError, match=mentions):
        compare.single_run_gate(compare.load_gate(Path(_gate(tmp_path, text))), runner.reported_metrics())


def test_the_committed_realistic_gate_loads() -> None:
    gate = compare.single_run_gate(compare.load_gate(REALISTIC_GATE), runner.reported_metrics())

    assert (gate.maximum, gate.minimum) == ({"wrong_answer_rate": 0.02}, {"coverage": 0.75})


def test_a_case_that_now_answers_wrongly_got_worse(tmp_path: Path) -> None:
    def row(wrong: float) -> dict[str, Any]:
        return {"id": "c", "metrics": {"wrong_answer": {"score": wrong, "reason": "r"}}}

    a = compare.load_run(_write_run(tmp_path / "a", {}, [row(0.0)]))
    b = compare.load_run(_write_run(tmp_path / "b", {}, [row(1.0)]))

    assert [(r.case_id, r.problems) for r in compare.worse_cases(a, b)] == [("c", ["wrong_answer 0 -> 1"])]
