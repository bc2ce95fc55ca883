"""Compare two runs (B against A): metric deltas with their direction, cases that got worse, and a gate.

A gate file (YAML) holds thresholds on run B:

    min: {hit@3: 0.9}                  # B's value must be at least this
    max: {unsupported_claims: 0.5}     # B's value must be at most this
    max_regression: {similarity: 0.02} # B may be at most this much worse than A (direction-aware)

A gated metric without a value in B (no case scored it) is a breach: the gate cannot be shown to hold.
`draftdesk eval run --gate` takes the same file on the one run it writes: min and max only (`single_run_gate`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import DraftdeskError
from eval.metrics import higher_is_better
from eval.runner import RESULTS_FILE, SUMMARY_FILE
from records import deltas

DEFAULT_TOLERANCE = 0.05  # a per-case similarity drop larger than this is a regression
Delta = deltas.MetricDelta
Verdict = deltas.Verdict


class RunError(DraftdeskError, ValueError):
    """A run directory that cannot be compared."""


class GateError(DraftdeskError, ValueError):
    """A gate file that cannot be used."""


@dataclass(frozen=True)
class RunData:
    path: Path
    summary: dict[str, Any]
    cases: dict[str, dict[str, Any]]  # case id -> results.jsonl row

    @property
    def metrics(self) -> dict[str, float | None]:
        return dict(self.summary.get("metrics", {}))


@dataclass(frozen=True)
class Regression:
    case_id: str
    problems: list[str]


class Gate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minimum: dict[str, float] = Field(default_factory=dict, alias="min")
    maximum: dict[str, float] = Field(default_factory=dict, alias="max")
    max_regression: dict[str, float] = Field(default_factory=dict)

    def names(self) -> set[str]:
        return set(self.minimum) | set(self.maximum) | set(self.max_regression)


def load_run(path: Path) -> RunData:
    summary_file, results_file = path / SUMMARY_FILE, path / RESULTS_FILE
    try:
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
        rows = [json.loads(line) for line in results_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    except OSError as exc:
        raise RunError(f"{path}: not a run directory ({exc.strerror}: {exc.filename})") from exc
    except json.JSONDecodeError as exc:
        raise RunError(f"{path}: a run file is not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    if not isinstance(summary, dict) or not isinstance(summary.get("metrics"), dict):
        raise RunError(f"{summary_file}: no metrics table")
    return RunData(path, summary, {str(row["id"]): row for row in rows if isinstance(row, dict) and "id" in row})


def metric_deltas(a: RunData, b: RunData) -> list[Delta]:
    """Every metric either run has, in A's order then B's new ones; the verdict knows which way is better."""
    return deltas.metric_deltas(a.metrics, b.metrics, higher_is_better)


def worse_cases(a: RunData, b: RunData, tolerance: float = DEFAULT_TOLERANCE) -> list[Regression]:
    """Cases in both runs that lost similarity beyond `tolerance`, lost their hit@1, or gained a wrong answer,
    unsupported claims or compliance violations; in A's order."""
    found = []
    for case_id, row_a in a.cases.items():
        row_b = b.cases.get(case_id)
        if row_b is None:
            continue
        problems = _case_problems(row_a, row_b, tolerance)
        if problems:
            found.append(Regression(case_id, problems))
    return found


def _case_problems(row_a: dict[str, Any], row_b: dict[str, Any], tolerance: float) -> list[str]:
    problems = []
    sim_a, sim_b = _score(row_a, "similarity"), _score(row_b, "similarity")
    if sim_a is not None and sim_b is not None and sim_a - sim_b > tolerance:
        problems.append(f"similarity {sim_a:.3f} -> {sim_b:.3f} ({sim_b - sim_a:+.3f})")
    if _score(row_a, "hit@1") == 1.0 and _score(row_b, "hit@1") == 0.0:
        problems.append("lost hit@1")
    for name in ("wrong_answer", "unsupported_claims", "compliance_violations"):
        was, now = _score(row_a, name) or 0.0, _score(row_b, name) or 0.0
        if now > was:
            problems.append(f"{name} {was:g} -> {now:g}")
    return problems


def load_gate(path: Path) -> Gate:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GateError(f"{path}: cannot read the gate file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise GateError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise GateError(f"{path}: expected a mapping with min, max and/or max_regression")
    try:
        gate = Gate.model_validate(data)
    except ValidationError as exc:
        shown = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise GateError(f"{path}: {shown}") from exc
    if not gate.names():
        raise GateError(f"{path}: the gate sets no thresholds")
    negative = sorted(name for name, value in gate.max_regression.items() if value < 0)
    if negative:
        raise GateError(f"{path}: max_regression must be >= 0 ({', '.join(negative)})")
    return gate


def check_names(gate: Gate, a: RunData, b: RunData) -> None:
    """A metric neither run knows is a mistake in the gate file (a typo would otherwise always breach)."""
    unknown = sorted(gate.names() - set(a.metrics) - set(b.metrics))
    if unknown:
        raise GateError(f"the gate names metrics the runs do not have: {', '.join(unknown)}")


def single_run_gate(gate: Gate, known: Iterable[str]) -> Gate:
    """The gate, checked for use on one run: min and max only, on metrics such a run reports (`known`)."""
    if gate.max_regression:
        raise GateError("max_regression compares two runs: gate it with `draftdesk eval compare`")
    unknown = sorted(gate.names() - set(known))
    if unknown:
        raise GateError(f"the gate names metrics a run does not report: {', '.join(unknown)}")
    return gate


def threshold_breaches(gate: Gate, metrics: Mapping[str, float | None]) -> list[str]:
    """Each min or max threshold that `metrics` (one run's) breach, as a line."""
    breaches = []
    for name, floor in gate.minimum.items():
        value = metrics.get(name)
        if value is None or value < floor:
            breaches.append(f"{name} = {_shown(value)} is below the minimum {floor:g}")
    for name, ceiling in gate.maximum.items():
        value = metrics.get(name)
        if value is None or value > ceiling:
            breaches.append(f"{name} = {_shown(value)} is above the maximum {ceiling:g}")
    return breaches


def check_gate(gate: Gate, a: RunData, b: RunData) -> list[str]:
    """Each breached threshold, as a line."""
    check_names(gate, a, b)
    breaches = threshold_breaches(gate, b.metrics)
    for name, allowed in gate.max_regression.items():
        va, vb = a.metrics.get(name), b.metrics.get(name)
        if va is None or vb is None:
            breaches.append(f"{name}: cannot measure the regression ({_shown(va)} -> {_shown(vb)})")
            continue
        worse_by = (va - vb) if higher_is_better(name) else (vb - va)
        if worse_by > allowed + 1e-12:
            breaches.append(f"{name} regressed by {worse_by:.4g} ({va:.4g} -> {vb:.4g}), more than {allowed:g}")
    return breaches


def _score(row: dict[str, Any], name: str) -> float | None:
    value = row.get("metrics", {}).get(name, {}).get("score")
    return float(value) if isinstance(value, int | float) else None


def _shown(value: float | None) -> str:
    return "none" if value is None else f"{value:.4g}"
