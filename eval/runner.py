"""Run a dataset through a pipeline, score every draft, and write results.jsonl, summary.json and report.html.

`--kb` indexes the given knowledge files into a fresh store in a temporary directory, so two runs on the same
files see the same knowledge base; without it the configured store is used as it is. Every draft is drafted at
one fixed moment (`--at`, else the dataset's `at`), so the calendar, validity windows and situations come out
the same on every run; only when neither is given does the real clock run. Every pipeline's drafts are checked by
the same policy checker, built here from the default rules.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from tqdm import tqdm

from catalog.loaders import load_folder
from composition.settings import Settings
from composition.shops import Shop
from composition.wiring import build_components
from drafting.authority import load_authority
from drafting.llm import ChatModel
from drafting.models import Draft, DraftRequest
from drafting.policy import PolicyChecker, buyer_words, load_rules
from eval import by_intent, by_tag, curve, report, runinfo
from eval.baseline import BaselinePipeline
from eval.catalog_facts import catalog_facts
from eval.dataset import Case, Dataset, Split, load_dataset
from eval.metrics import MetricResult, Sample, case_metrics, higher_is_better, summarize
from eval.metrics import judge as judge_metric
from eval.metrics.judge import LLMJudge
from knowledge.embedders import Embedder
from knowledge.loaders import load_path
from knowledge.service import KnowledgeBase
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
    catalog: Path | None = None  # a catalog folder (products, promotions), imported into that fresh store
    limit: int | None = None  # the first N cases (of the split, when one is given)
    split: Split | None = None  # only the cases of this split; None: every case, with a split or without
    at: datetime | None = None  # the moment every case is drafted at (aware); None: the dataset's, else the clock
    without_examples: bool = False  # index `kb` with no example questions, as a shop's own FAQ export has none
    judge: ChatModel | None = None  # grades each draft with the LLM rubric when given
    progress: bool = False


@dataclass(frozen=True)
class RunOutput:
    summary: dict[str, Any]
    files: list[Path]


def run(dataset_path: Path, settings: Settings, embedder: Embedder, options: RunOptions,
        dataset: Dataset | None = None) -> RunOutput:
    """`embedder` is loaded once by the caller and serves retrieval, indexing and the similarity metric alike."""
    if options.without_examples and options.kb is None:
        raise ValueError("--without-examples re-indexes the knowledge files: give them with --kb")
    if options.catalog is not None and options.kb is None:
        raise ValueError("--catalog imports into a fresh store: give the knowledge files with --kb too")
    if options.at is not None and options.at.tzinfo is None:
        raise ValueError(f"the run's moment {options.at.isoformat()} has no UTC offset")
    dataset = dataset or load_dataset(dataset_path)
    cases = [c for c in dataset.cases if options.split is None or c.split == options.split]
    cases = cases[:options.limit] if options.limit is not None else cases
    at = options.at or dataset.at
    policy = PolicyChecker(load_rules(), load_authority())
    started = runinfo.now()
    with _knowledge(settings, embedder, options, at) as shop:
        kb_digest, kb_entries = store_digest(shop.store)
        view = shop.catalog.view()
        catalog_counts = (len(view.products), len(view.promotions))
        pipeline = _pipeline(options.pipeline, shop, embedder)
        rows, samples, results = _score_all(cases, pipeline, shop, embedder, policy, options, dataset.name)
    finished = runinfo.now()
    metrics = {m.name: m.score for m in summarize(samples, results)}
    summary = {
        "cases": len(cases),
        "metrics": metrics,
        "lower_is_better": [name for name in metrics if not higher_is_better(name)],  # readers need no eval code
        "by_intent": [asdict(row) for row in by_intent.by_intent(rows)],
        "by_qtype": [asdict(row) for row in by_tag.by_tag(rows, "qtype")],
        "curve": [asdict(point) for point in curve.curve(rows)],
        "run": {
            "pipeline": options.pipeline.value,
            "dataset": {"name": dataset.name, "path": str(dataset_path), "sha256": runinfo.file_sha256(dataset_path),
                        "kb": dataset.kb, "cases_in_file": len(dataset.cases)},
            "split": options.split,
            "limit": options.limit,
            "at": at.isoformat() if at else None,  # None: the real clock, each case at its own moment
            "kb": {"path": str(options.kb) if options.kb else None, "store": "fresh" if options.kb else "configured",
                   "hash": kb_digest, "entries": kb_entries, "without_examples": options.without_examples},
            "catalog": {"path": str(options.catalog) if options.catalog else None,
                        "products": catalog_counts[0], "promotions": catalog_counts[1]},
            "models": {"embedder": embedder.model_id, "provider": pipeline.provider, "llm": settings.llm,
                       "llm_model": settings.llm_model},
            "git_revision": runinfo.git_revision(), "git_dirty": runinfo.git_dirty(),
            "settings": runinfo.public_settings(settings),
            "started_at": started.isoformat(), "finished_at": finished.isoformat(),
            "duration_s": round((finished - started).total_seconds(), 3),
        },
    }
    return RunOutput(summary, _write(options.out_dir, summary, rows))


def reported_metrics(judged: bool = False) -> list[str]:
    """The names a run's summary has under "metrics" (what a gate may name): the judge's only when it grades."""
    return [m.name for m in summarize([], [])] + ([judge_metric.NAME] if judged else [])


@contextmanager
def _knowledge(settings: Settings, embedder: Embedder, options: RunOptions, at: datetime | None) -> Iterator[Shop]:
    """The default shop of the configured store, or of a fresh store holding `options.kb`; its clock stands
    still at `at` when given."""
    clock = (lambda: at) if at is not None else None
    if options.kb is None:
        yield build_components(settings, embedder=embedder, clock=clock).shops.get()
        return
    with tempfile.TemporaryDirectory(prefix="draftdesk-eval-kb-", ignore_cleanup_errors=True) as data_dir:
        fresh = settings.model_copy(update={"data_dir": Path(data_dir), "chroma_host": None,
                                            "collection": FRESH_COLLECTION})
        shop = build_components(fresh, embedder=embedder, clock=clock).shops.get()
        if options.without_examples:
            _index_without_examples(shop.knowledge, options.kb)
        else:
            shop.knowledge.index_paths([options.kb])
        if options.catalog is not None:
            products, promotions = load_folder(options.catalog)
            shop.catalog.apply(products, promotions)
        yield shop


def _index_without_examples(knowledge: KnowledgeBase, kb: Path) -> None:
    """The entries of `kb` with their example questions dropped, each file indexed as its own source."""
    by_source: dict[str, list[dict[str, Any]]] = {}
    for entry in load_path(kb):
        row = entry.model_copy(update={"examples": ()}).model_dump(mode="json", exclude={"source"})
        by_source.setdefault(entry.source, []).append(row)
    for source, rows in by_source.items():
        knowledge.index_rows(rows, source=source)


def _pipeline(name: PipelineName, shop: Shop, embedder: Embedder) -> Pipeline:
    if name is PipelineName.BASELINE:
        return BaselinePipeline(embedder, shop.store)
    return shop.drafts


def _score_all(
    cases: Sequence[Case], pipeline: Pipeline, shop: Shop, embedder: Embedder, policy: PolicyChecker,
    options: RunOptions, label: str,
) -> tuple[list[dict[str, Any]], list[Sample], list[list[MetricResult]]]:
    metrics = case_metrics(embedder, LLMJudge(options.judge) if options.judge else None)
    rows: list[dict[str, Any]] = []
    samples: list[Sample] = []
    results: list[list[MetricResult]] = []
    bar = tqdm(cases, desc=f"{label} [{options.pipeline.value}]", unit="case", disable=not options.progress,
               file=sys.stderr, dynamic_ncols=True)
    for case in bar:
        request = case.to_request()
        draft = pipeline.draft(request)
        facts = catalog_facts(shop.catalog.view(), draft, case.message)
        sample = Sample(case, draft, _sources(shop.store, draft), violations(policy, request, draft), facts)
        scored = [metric(sample) for metric in metrics]
        rows.append(_row(sample, scored))
        samples.append(sample)
        results.append(scored)
    return rows, samples, results


def _sources(store: VectorStore, draft: Draft) -> dict[str, str]:
    """Full text of each cited entry (citations carry a snippet only), for the groundedness check."""
    keys = [f"{c.id}@{draft.language}" for c in draft.citations]
    return {entry.id: entry.answer for entry in store.get(keys)}


def violations(policy: PolicyChecker, request: DraftRequest, draft: Draft) -> tuple[str, ...]:
    """What the policy checker finds in the draft as the pipeline returned it, as "rule: span". `check`, not
    `screen`: screening masks the buyer's phone or address first, and would hide a draft that echoes them."""
    verdict = policy.check(draft.draft, request.platform, draft.language, request.order.facts(),
                           buyer=buyer_words(request), role=request.role)
    return tuple(f"{v.rule}: {v.span}" for v in verdict.violations)


def _row(sample: Sample, scored: list[MetricResult]) -> dict[str, Any]:
    case, draft = sample.case, sample.draft
    return {
        "id": case.id, "message": case.message, "locale": case.locale, "platform": case.platform,
        "tags": case.tags, "draft": draft.draft, "reference": case.reference_answer,
        "citations": [c.model_dump(mode="json") for c in draft.citations],
        "candidates": [{"id": c.id, "score": c.score} for c in draft.candidates],
        "expected_kb_ids": case.expected_kb_ids,
        "needs_human": draft.needs_human, "expect_human": case.expect_human,
        "reasons": [r.model_dump(mode="json") for r in draft.reasons], "provider": draft.provider,
        "degraded": draft.degraded, "confidence": draft.confidence, "latency_ms": draft.latency_ms,
        "intent": draft.intent, "intent_confidence": draft.intent_confidence, "expected_intent": case.expected_intent,
        "split": case.split, "answer_mode": draft.answer_mode, "expected_answer_mode": case.expected_answer_mode,
        "answer_reason": draft.answer_reason.model_dump(mode="json") if draft.answer_reason else None,
        "situation": draft.situation, "expected_situation": case.expected_situation, "playbook": draft.playbook,
        "expected_playbook": case.expected_playbook, "question_type": draft.question_type,
        "violations": list(sample.violations),
        "sku": case.sku, "expected_sku": case.expected_sku if case.expects_product else None,
        "product": draft.product.sku if draft.product else None,
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
