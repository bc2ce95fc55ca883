"""Run a dataset through a pipeline, score every draft, and write results.jsonl, summary.json and report.html.

`--kb` indexes the given knowledge files into a fresh store in a temporary directory, so two runs on the same
files see the same knowledge base; without it the configured store is used as it is.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from tqdm import tqdm  # type: ignore[import-untyped]

from drafting.llm import ChatModel
from drafting.models import Draft, DraftRequest
from drafting.settings import Settings
from drafting.shops import Shop
from drafting.wiring import build_components
from eval import report, runinfo
from eval.baseline import BaselinePipeline
from eval.dataset import Case, Dataset, load_dataset
from eval.metrics import MetricResult, Sample, case_metrics, higher_is_better, summarize
from eval.metrics.judge import LLMJudge
from knowledge.embedders import Embedder
from knowledge.store import VectorStore
from knowledge.versions import store_digest

RESULTS_FILE = "results.jsonl"
SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.html"
FRESH_COLLECTION = "eval-kb"


class PipelineName(StrEnum):
    DRAFTDESK = "draftdesk"
    BASELINE = "baseline"


class Pipeline(Protocol):
    """What the harness drafts with: `DraftService` or the baseline."""

    @property
    def provider(self) -> str: ...

    def draft(self, request: DraftRequest) -> Draft: ...


@dataclass(frozen=True)
class RunOptions:
    out_dir: Path
    pipeline: PipelineName = PipelineName.DRAFTDESK
    kb: Path | None = None  # a knowledge file or directory, indexed into a fresh store
    limit: int | None = None  # the first N cases of the file
    judge: ChatModel | None = None  # grades each draft with the LLM rubric when given
    progress: bool = False


@dataclass(frozen=True)
class RunOutput:
    summary: dict[str, Any]
    files: list[Path]


def run(dataset_path: Path, settings: Settings, embedder: Embedder, options: RunOptions,
        dataset: Dataset | None = None) -> RunOutput:
    """`embedder` is loaded once by the caller and serves retrieval, indexing and the similarity metric alike."""
    dataset = dataset or load_dataset(dataset_path)
    cases = dataset.cases[:options.limit] if options.limit is not None else dataset.cases
    started = runinfo.now()
    with _knowledge(settings, embedder, options.kb) as shop:
        kb_digest, kb_entries = store_digest(shop.store)
        pipeline = _pipeline(options.pipeline, shop, embedder)
        rows, samples, results = _score_all(cases, pipeline, shop.store, embedder, options, dataset.name)
    finished = runinfo.now()
    metrics = {m.name: m.score for m in summarize(samples, results)}
    summary = {
        "cases": len(cases),
        "metrics": metrics,
        "lower_is_better": [name for name in metrics if not higher_is_better(name)],  # readers need no eval code
        "run": {
            "pipeline": options.pipeline.value,
            "dataset": {"name": dataset.name, "path": str(dataset_path), "sha256": runinfo.file_sha256(dataset_path),
                        "kb": dataset.kb, "cases_in_file": len(dataset.cases)},
            "limit": options.limit,
            "kb": {"path": str(options.kb) if options.kb else None, "store": "fresh" if options.kb else "configured",
                   "hash": kb_digest, "entries": kb_entries},
            "models": {"embedder": embedder.model_id, "provider": pipeline.provider, "llm": settings.llm,
                       "llm_model": settings.llm_model},
            "git_revision": runinfo.git_revision(), "git_dirty": runinfo.git_dirty(),
            "settings": runinfo.public_settings(settings),
            "started_at": started.isoformat(), "finished_at": finished.isoformat(),
            "duration_s": round((finished - started).total_seconds(), 3),
        },
    }
    return RunOutput(summary, _write(options.out_dir, summary, rows))


@contextmanager
def _knowledge(settings: Settings, embedder: Embedder, kb: Path | None) -> Iterator[Shop]:
    """The default shop of the configured store, or of a fresh store holding `kb`."""
    if kb is None:
        yield build_components(settings, embedder=embedder).shops.get()
        return
    with tempfile.TemporaryDirectory(prefix="draftdesk-eval-kb-", ignore_cleanup_errors=True) as data_dir:
        fresh = settings.model_copy(update={"data_dir": Path(data_dir), "chroma_host": None,
                                            "collection": FRESH_COLLECTION})
        shop = build_components(fresh, embedder=embedder).shops.get()
        shop.knowledge.index_paths([kb])
        yield shop


def _pipeline(name: PipelineName, shop: Shop, embedder: Embedder) -> Pipeline:
    if name is PipelineName.BASELINE:
        return BaselinePipeline(embedder, shop.store)
    return shop.drafts


def _score_all(
    cases: Sequence[Case], pipeline: Pipeline, store: VectorStore, embedder: Embedder, options: RunOptions,
    label: str,
) -> tuple[list[dict[str, Any]], list[Sample], list[list[MetricResult]]]:
    metrics = case_metrics(embedder, LLMJudge(options.judge) if options.judge else None)
    rows: list[dict[str, Any]] = []
    samples: list[Sample] = []
    results: list[list[MetricResult]] = []
    bar = tqdm(cases, desc=f"{label} [{options.pipeline.value}]", unit="case", disable=not options.progress,
               file=sys.stderr, dynamic_ncols=True)
    for case in bar:
        draft = pipeline.draft(case.to_request())
        sample = Sample(case, draft, _sources(store, draft))
        scored = [metric(sample) for metric in metrics]
        rows.append(_row(case, draft, scored))
        samples.append(sample)
        results.append(scored)
    return rows, samples, results


def _sources(store: VectorStore, draft: Draft) -> dict[str, str]:
    """Full text of each cited entry (citations carry a snippet only), for the groundedness check."""
    keys = [f"{c.id}@{draft.language}" for c in draft.citations]
    return {entry.id: entry.answer for entry in store.get(keys)}


def _row(case: Case, draft: Draft, scored: list[MetricResult]) -> dict[str, Any]:
    return {
        "id": case.id, "message": case.message, "locale": case.locale, "platform": case.platform,
        "tags": case.tags, "draft": draft.draft, "reference": case.reference_answer,
        "citations": [c.model_dump(mode="json") for c in draft.citations], "expected_kb_ids": case.expected_kb_ids,
        "needs_human": draft.needs_human, "expect_human": case.expect_human,
        "reasons": [r.model_dump(mode="json") for r in draft.reasons], "provider": draft.provider,
        "degraded": draft.degraded, "confidence": draft.confidence, "latency_ms": draft.latency_ms,
        "intent": draft.intent, "intent_confidence": draft.intent_confidence, "expected_intent": case.expected_intent,
        "metrics": {r.name: {"score": r.score, "reason": r.reason} for r in scored},
    }


def _write(out_dir: Path, summary: dict[str, Any], rows: list[dict[str, Any]]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    results = out_dir / RESULTS_FILE
    with results.open("w", encoding="utf-8") as lines:
        for row in rows:
            lines.write(json.dumps(row, ensure_ascii=False) + "\n")
    summary_file = out_dir / SUMMARY_FILE
    summary_file.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    report_file = report.write_report(out_dir / REPORT_FILE, summary, rows)
    return [results, summary_file, report_file]
