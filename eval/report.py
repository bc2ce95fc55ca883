"""report.html: one self-contained page (no server, no external URL) with the summary table, plots embedded as
base64 PNG, and the worst cases first.

Worst first means: lowest similarity to the reference first; cases without a similarity score (no reference)
come after every scored one, ordered by unsupported claims plus compliance violations, most first.
"""

from __future__ import annotations

import base64
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from eval.metrics import LOWER_IS_BETTER, MEAN_NAMES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TEMPLATE = "report.html.j2"
WORST_SHOWN = 50
_BOUNDED = ("hit@1", "hit@3", "recall@1", "recall@3", "mrr", "similarity", "rougeL", "chrf", "must_include",
            "escalation_agreement", "escalation_precision", "escalation_recall", "tone", "language_match",
            "intent_accuracy")


@dataclass(frozen=True)
class Plot:
    title: str
    data_uri: str  # data:image/png;base64,...


@dataclass(frozen=True)
class MetricRow:
    name: str
    value: str
    direction: str
    scored: str


def write_report(path: Path, summary: dict[str, Any], rows: Sequence[dict[str, Any]], worst: int = WORST_SHOWN) -> Path:
    path.write_text(render_report(summary, rows, worst), encoding="utf-8")
    return path


def render_report(summary: dict[str, Any], rows: Sequence[dict[str, Any]], worst: int = WORST_SHOWN) -> str:
    ordered = sorted(rows, key=badness)
    return _environment().get_template(TEMPLATE).render(
        summary=summary, run=summary["run"], metrics=_metric_rows(summary, rows), plots=_plots(summary, rows),
        worst=ordered[:worst], total=len(rows), run_json=json.dumps(summary["run"], ensure_ascii=False, indent=2),
        score=_score,
    )


def badness(row: dict[str, Any]) -> tuple[int, float, float, str]:
    """The sort key for "worst first" (see the module docstring)."""
    similarity = _score(row, "similarity")
    problems = (_score(row, "unsupported_claims") or 0.0) + (_score(row, "compliance_violations") or 0.0)
    if similarity is None:
        return 1, -problems, 0.0, str(row["id"])
    return 0, similarity, -problems, str(row["id"])


def _score(row: dict[str, Any], name: str) -> float | None:
    value = row.get("metrics", {}).get(name, {}).get("score")
    return float(value) if isinstance(value, int | float) else None


@cache
def _environment() -> jinja2.Environment:
    # autoescape: buyer messages and drafts are untrusted text in an HTML page
    return jinja2.Environment(loader=jinja2.PackageLoader("eval", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _metric_rows(summary: dict[str, Any], rows: Sequence[dict[str, Any]]) -> list[MetricRow]:
    case_names = {MEAN_NAMES.get(name, name): name for row in rows for name in row["metrics"]}
    table = []
    for name, value in summary["metrics"].items():
        shown = "—" if value is None else (f"{value:.1f}" if name.endswith("_ms") else f"{value:.3f}")
        direction = "lower is better" if name in LOWER_IS_BETTER else "higher is better"
        per_case = case_names.get(name)
        scored = f"{sum(_score(r, per_case) is not None for r in rows)}" if per_case else "run"
        table.append(MetricRow(name, shown, direction, scored))
    return table


def _plots(summary: dict[str, Any], rows: Sequence[dict[str, Any]]) -> list[Plot]:
    means = {k: v for k, v in summary["metrics"].items() if k in _BOUNDED and v is not None}
    similarity = [s for r in rows if (s := _score(r, "similarity")) is not None]
    latency = [float(r["latency_ms"]) for r in rows]
    plots = []
    if means:
        plots.append(Plot("Per-metric means (0–1, higher is better)", _bar_chart(means)))
    if similarity:
        plots.append(Plot("Similarity to the reference, per case", _histogram(similarity, "cosine similarity")))
    if latency:
        plots.append(Plot("Draft latency, per case", _histogram(latency, "latency (ms)")))
    return plots


def _bar_chart(means: dict[str, float]) -> str:
    figure = _figure(7.5, 0.32 * len(means) + 1.0)
    axes = figure.add_subplot()
    names = list(means)[::-1]
    axes.barh(names, [means[n] for n in names], color="#4472c4")
    axes.set_xlim(0, 1)
    for y, name in enumerate(names):
        axes.text(min(means[name] + 0.01, 0.93), y, f"{means[name]:.2f}", va="center", fontsize=8)
    axes.set_xlabel("mean over scored cases")
    return _png(figure)


def _histogram(values: list[float], label: str) -> str:
    """Binned over the values' own range: embedding cosines crowd into a narrow band near 1."""
    figure = _figure(6.0, 3.0)
    axes = figure.add_subplot()
    bins = max(5, min(40, int(math.sqrt(len(values))) + 1))
    axes.hist(values, bins=bins, color="#70ad47", edgecolor="white")
    axes.set_xlabel(label)
    axes.set_ylabel("cases")
    return _png(figure)


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # lazy: matplotlib is slow to import
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="tight")
    FigureCanvasAgg(figure)  # the Agg canvas, set on the figure itself: no pyplot, no global backend state
    return figure


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
