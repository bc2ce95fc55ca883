"""report.html: one self-contained page (no server, no external URL, no script) with the summary table, answers
by intent, the coverage-vs-wrong-answers curve as inline SVG, plots embedded as base64 PNG, and the worst cases
first.

Worst first means: lowest similarity to the reference first; cases without a similarity score (no reference)
come after every scored one, ordered by wrong answers plus unsupported claims plus compliance violations, most
first.
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

from eval import by_intent, by_tag, curve
from eval.metrics import LOWER_IS_BETTER, MEAN_NAMES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TEMPLATE = "report.html.j2"
WORST_SHOWN = 50
_BOUNDED = ("hit@1", "hit@3", "recall@1", "recall@3", "mrr", "similarity", "rougeL", "chrf", "must_include",
            "escalation_agreement", "escalation_precision", "escalation_recall", "tone", "language_match",
            "intent_accuracy", "coverage", "answer_mode_accuracy")
# The curve's SVG: its size and the plot area inside it (room on the left and below for the axis labels).
_SVG_WIDTH, _SVG_HEIGHT = 440, 300
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 424, 12, 252


@dataclass(frozen=True)
class Plot:
    title: str
    data_uri: str  # data:image/png;base64,...


@dataclass(frozen=True)
class SvgPoint:
    x: float
    y: float
    label: str  # the point's threshold and values, shown on hover by the browser (an SVG <title>)


@dataclass(frozen=True)
class CurvePlot:
    """Coverage (x, 0 to 1) against the wrong-answer rate (y, 0 to `y_max`), in SVG user units."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    polyline: str  # "x,y x,y ...", in threshold order
    points: list[SvgPoint]
    x_ticks: list[tuple[float, str]]  # (position, label)
    y_ticks: list[tuple[float, str]]


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
    points = curve.curve(rows)
    return _environment().get_template(TEMPLATE).render(
        summary=summary, run=summary["run"], metrics=_metric_rows(summary, rows), plots=_plots(summary, rows),
        intents=by_intent.by_intent(rows), qtypes=by_tag.by_tag(rows, "qtype"), curve=points,
        curve_plot=curve_plot(points),
        worst=ordered[:worst], total=len(rows), run_json=json.dumps(summary["run"], ensure_ascii=False, indent=2),
        score=_score, rate=_rate,
    )


def badness(row: dict[str, Any]) -> tuple[int, float, float, str]:
    """The sort key for "worst first" (see the module docstring)."""
    similarity = _score(row, "similarity")
    problems = sum(_score(row, name) or 0.0 for name in ("wrong_answer", "unsupported_claims", "compliance_violations"))
    if similarity is None:
        return 1, -problems, 0.0, str(row["id"])
    return 0, similarity, -problems, str(row["id"])


def _rate(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


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


def curve_plot(points: Sequence[curve.CurvePoint]) -> CurvePlot | None:
    """Where each threshold's (coverage, wrong-answer rate) lies in the SVG; None when no point has both. The y
    axis runs to the next 0.05 above the highest rate: wrong-answer rates are small, a 0-1 axis would flatten them."""
    known = [(p.threshold, p.coverage, p.wrong_answer_rate) for p in points
             if p.coverage is not None and p.wrong_answer_rate is not None]
    if not known:
        return None
    y_max = max(0.05, math.ceil(max(w for _, _, w in known) * 20 - 1e-9) / 20)

    def x_at(value: float) -> float:
        return round(_LEFT + value * (_RIGHT - _LEFT), 1)

    def y_at(value: float) -> float:
        return round(_BOTTOM - value / y_max * (_BOTTOM - _TOP), 1)

    placed = [SvgPoint(x_at(c), y_at(w), f"t = {t:.2f}: coverage {c:.3f}, wrong answers {w:.3f}")
              for t, c, w in known]
    return CurvePlot(
        width=_SVG_WIDTH, height=_SVG_HEIGHT, left=_LEFT, right=_RIGHT, top=_TOP, bottom=_BOTTOM,
        polyline=" ".join(f"{p.x},{p.y}" for p in placed), points=placed,
        x_ticks=[(x_at(i / 4), f"{i / 4:.2f}") for i in range(5)],
        y_ticks=[(y_at(y_max * i / 5), f"{y_max * i / 5:.2f}") for i in range(6)],  # steps of 0.01 and up
    )


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
