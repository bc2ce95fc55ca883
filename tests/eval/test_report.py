"""report.html, parsed: the summary table, an embedded plot, the worst case first, and buyer text escaped."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from composition.settings import Settings
from eval import runner
from eval.curve import CurvePoint
from eval.report import badness, curve_plot
from eval.runner import RunOptions
from tests.eval.conftest import SCRIPT
from tests.fakes import HashingEmbedder


class _Page(HTMLParser):
    """Collects the tags seen, the image sources, and the text of each table cell by table class."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.images: list[str] = []
        self.links: list[str] = []
        self.cells: dict[str, list[list[str]]] = {}  # table class -> rows -> cell texts
        self._table = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append(tag)
        if tag == "img":
            self.images.append(attributes.get("src") or "")
        if tag in ("link", "script", "a") and (attributes.get("href") or attributes.get("src")):
            self.links.append(attributes.get("href") or attributes.get("src") or "")
        if tag == "table":
            self._table = attributes.get("class") or ""
            self.cells[self._table] = []
        if tag == "tr" and self._table:
            self.cells[self._table].append([])
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table:
            self.cells[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "table":
            self._table = ""

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture
def run_dir(tmp_path: Path, eval_settings: Settings, tiny_dataset: Path, tiny_kb: Path) -> Path:
    out = tmp_path / "run"
    runner.run(tiny_dataset, eval_settings, HashingEmbedder(), RunOptions(out_dir=out, kb=tiny_kb))
    return out


def _page(run_dir: Path) -> tuple[str, _Page]:
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    return html, page


def test_the_summary_table_lists_every_metric_with_its_value(run_dir: Path) -> None:
    _, page = _page(run_dir)
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))

    header, *rows = page.cells["summary"]
    assert header == ["metric", "value", "direction", "cases scored"]
    shown = {row[0]: row for row in rows}
    assert list(shown) == list(summary["metrics"])
    assert shown["hit@1"][1] == f"{summary['metrics']['hit@1']:.3f}"
    assert shown["unsupported_claims"][2] == "lower is better" and shown["similarity"][2] == "higher is better"
    assert shown["similarity"][3] == "4" and shown["escalation_recall"][3] == "run"
    assert shown["escalation_precision"][1] == "—"


def test_plots_are_embedded_and_nothing_is_fetched(run_dir: Path) -> None:
    html, page = _page(run_dir)

    assert len(page.images) == 3 and all(src.startswith("data:image/png;base64,") for src in page.images)
    assert page.links == [] and "http://" not in html and "https://" not in html


def test_the_worst_case_comes_first(run_dir: Path) -> None:
    _, page = _page(run_dir)
    rows = [json.loads(line) for line in (run_dir / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    worst = min(rows, key=lambda r: r["metrics"]["similarity"]["score"])

    headers = [row[0] for row in page.cells["cases"][1::2]]  # a header row, then the side-by-side row
    assert worst["id"] == "en-offtopic"  # its reference shares nothing with any draft
    assert headers[0].startswith("1. en-offtopic")
    assert [h.split()[1] for h in headers] == [r["id"] for r in sorted(rows, key=badness)]
    message, draft, reference, citations = page.cells["cases"][2]
    assert (message, reference) == (worst["message"], worst["reference"])
    assert draft == " ".join(worst["draft"].split()) and citations.startswith(f"[{worst['citations'][0]['id']}]")


def test_buyer_text_is_escaped(run_dir: Path) -> None:
    html, page = _page(run_dir)

    assert "script" not in page.tags
    assert SCRIPT not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert any(SCRIPT in cell for row in page.cells["cases"] for cell in row)  # shown as text


def test_cases_without_a_reference_come_after_scored_ones() -> None:
    def row(case_id: str, similarity: float | None, claims: float) -> dict[str, object]:
        return {"id": case_id, "metrics": {"similarity": {"score": similarity, "reason": ""},
                                           "unsupported_claims": {"score": claims, "reason": ""}}}

    rows = [row("a", None, 0.0), row("b", 0.9, 0.0), row("c", None, 2.0), row("d", 0.5, 0.0)]

    assert [r["id"] for r in sorted(rows, key=badness)] == ["d", "b", "c", "a"]


def test_answers_by_intent_are_tabled(run_dir: Path) -> None:
    _, page = _page(run_dir)
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))

    header, *rows = page.cells["intents"]
    assert header == ["expected intent", "cases", "intent accuracy", "coverage", "wrong answers",
                      "wrong-answer rate", "holds"]
    assert [row[0] for row in rows] == [r["intent"] for r in summary["by_intent"]]
    assert rows[0][1] == "4"


def test_the_curve_is_an_inline_svg_and_a_table(run_dir: Path) -> None:
    html, page = _page(run_dir)
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))

    assert "svg" in page.tags and "polyline" in page.tags and page.tags.count("circle") == len(summary["curve"])
    thresholds, coverage, wrong, holds = page.cells["curve"]  # one row per measure, one column per threshold
    assert [row[0] for row in (thresholds, coverage, wrong, holds)] == [
        "threshold", "coverage", "wrong-answer rate", "hold rate"]
    assert thresholds[1:] == [f"{p['threshold']:.2f}" for p in summary["curve"]]
    assert wrong[1:] == ["—" if p["wrong_answer_rate"] is None else f"{p['wrong_answer_rate']:.3f}"
                         for p in summary["curve"]]
    assert "<script" not in html


def test_the_curve_plot_scales_wrong_answers_to_the_highest_rate() -> None:
    points = [CurvePoint(0.0, 1.0, 0.12, 0.0), CurvePoint(0.5, 0.5, 0.0, 0.5), CurvePoint(1.0, None, None, 1.0)]

    plot = curve_plot(points)

    assert plot is not None and len(plot.points) == 2  # a point without both values is left out
    right_top, left_bottom = plot.points
    assert right_top.x == plot.right
    assert right_top.y == pytest.approx(plot.top + (plot.bottom - plot.top) * (1 - 0.12 / 0.15), abs=0.1)
    assert (left_bottom.x, left_bottom.y) == ((plot.left + plot.right) / 2, plot.bottom)
    assert plot.y_ticks[-1] == (plot.top, "0.15") and plot.y_ticks[1][1] == "0.03"
    assert plot.x_ticks[0] == (plot.left, "0.00")
    assert curve_plot([CurvePoint(0.0, None, None, None)]) is None
