"""Eval runs on disk, for the web console's QA view: list `runs_dir/<name>/summary.json`, find a run's report,
and the per-metric deltas between two summaries. Reading JSON files only: scoring and the gate stay in `eval`
(`draftdesk eval compare`), which the api layer does not import; both take the deltas from `records.deltas`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from records.deltas import MetricDelta, metric_deltas

SUMMARY_FILE = "summary.json"  # the names `eval.runner` writes
REPORT_FILE = "report.html"


@dataclass(frozen=True)
class RunInfo:
    name: str
    cases: int | None
    metrics: dict[str, float | None]
    pipeline: str | None = None
    dataset: str | None = None
    finished_at: str | None = None
    has_report: bool = False
    lower_is_better: frozenset[str] | None = None  # None: a run written before summaries carried it
    error: str | None = None  # the summary could not be read


@dataclass(frozen=True)
class Comparison:
    a: RunInfo
    b: RunInfo
    deltas: list[MetricDelta] = field(default_factory=list)


def list_runs(runs_dir: Path) -> list[RunInfo]:
    """Every folder of `runs_dir` holding a summary.json, latest first (then by name)."""
    if not runs_dir.is_dir():
        return []
    runs = [read_run(path) for path in runs_dir.iterdir() if (path / SUMMARY_FILE).is_file()]
    runs.sort(key=lambda r: r.name)
    return sorted(runs, key=lambda r: r.finished_at or "", reverse=True)


def read_run(path: Path) -> RunInfo:
    has_report = (path / REPORT_FILE).is_file()
    try:
        summary = json.loads((path / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return RunInfo(path.name, None, {}, has_report=has_report, error=str(exc))
    if not isinstance(summary, dict) or not isinstance(summary.get("metrics"), dict):
        return RunInfo(path.name, None, {}, has_report=has_report, error="summary.json has no metrics table")
    run = _dict(summary.get("run"))
    lower = summary.get("lower_is_better")
    return RunInfo(
        name=path.name,
        cases=summary.get("cases") if isinstance(summary.get("cases"), int) else None,
        metrics={str(k): v if isinstance(v, int | float) else None for k, v in summary["metrics"].items()},
        pipeline=_str(run.get("pipeline")),
        dataset=_str(_dict(run.get("dataset")).get("name")),
        finished_at=_str(run.get("finished_at")),
        has_report=has_report,
        lower_is_better=frozenset(map(str, lower)) if isinstance(lower, list) else None,
    )


def find_run(runs_dir: Path, name: str) -> Path | None:
    """The run folder called `name`, only if it is a direct child of `runs_dir` (no `..`, no links out)."""
    if not name or name in {".", ".."} or "/" in name or "\\" in name or not runs_dir.is_dir():
        return None
    root = runs_dir.resolve()
    path = (runs_dir / name).resolve()
    if path.parent != root or not (path / SUMMARY_FILE).is_file():
        return None
    return path


def report_file(runs_dir: Path, name: str) -> Path | None:
    run = find_run(runs_dir, name)
    report = run / REPORT_FILE if run else None
    if report is None or not report.is_file() or report.resolve().parent != run:
        return None
    return report


def compare(a: RunInfo, b: RunInfo) -> Comparison:
    """Every metric either run has, in A's order then B's new ones. The verdict uses the direction the runs
    recorded (`lower_is_better`); without one it is `n/a`."""
    known = [run.lower_is_better for run in (a, b) if run.lower_is_better is not None]
    lower = frozenset().union(*known) if known else None
    return Comparison(a, b, metric_deltas(a.metrics, b.metrics, None if lower is None else lambda n: n not in lower))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
