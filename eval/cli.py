"""`draftdesk eval run | compare | prepare`: the offline evaluation harness on the command line.

Registered on the main CLI as a sub-app; settings come from the root command (`--data-dir`, DRAFTDESK_*).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from composition.llm import build_chat_model
from composition.settings import Settings
from core.errors import ConfigError
from eval import compare, prepare, runner
from eval.dataset import Split, load_dataset
from knowledge.embedders import load_embedder
from knowledge.errors import KnowledgeError
from knowledge.models import parse_instant
from prompts import TemplateError

T = TypeVar("T")

app = typer.Typer(help="Offline evaluation: run a dataset, compare two runs, prepare the shared data.",
                  no_args_is_help=True)


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _guard(fn: Callable[[], T]) -> T:
    """Bad input exits 2, a failing store, model or config exits 1: one `error:` line, never a traceback."""
    try:
        return fn()
    except (KnowledgeError, ConfigError, TemplateError) as exc:
        _fail(str(exc), 1)
    except ValueError as exc:  # DatasetError, RunError, GateError, SharedDataError, pydantic's ValidationError
        _fail(str(exc), 2)
    except OSError as exc:
        _fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "), 1)


def _settings(ctx: typer.Context) -> Settings:
    return ctx.obj if isinstance(ctx.obj, Settings) else _guard(Settings)


@app.command("run")
def run_cmd(
    ctx: typer.Context,
    dataset: Annotated[Path, typer.Argument(help="A dataset file (JSONL cases, optional header line).")],
    out: Annotated[Path, typer.Option("--out", help="Directory for results.jsonl, summary.json, report.html.")],
    kb: Annotated[Path | None, typer.Option(
        help="Knowledge file or directory, indexed into a fresh store (default: the configured store).")] = None,
    catalog: Annotated[Path | None, typer.Option(
        help="A catalog folder (products.jsonl/.csv, promotions.jsonl/.csv) imported into the fresh store of --kb; "
        "pre-sale datasets name theirs in the header (`catalog`).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N cases.")] = None,
    pipeline: Annotated[runner.PipelineName, typer.Option(help="What drafts the replies.")] = (
        runner.PipelineName.DRAFTDESK),
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr.")] = True,
    judge: Annotated[bool, typer.Option(
        help="Also grade each draft with the configured LLM (DRAFTDESK_LLM) on a rubric; off by default.")] = False,
    split: Annotated[Split | None, typer.Option(
        help="Only the cases of this split (default: every case, with a split or without).")] = None,
    at: Annotated[str | None, typer.Option(
        help="Draft every case at this moment, ISO 8601 with a UTC offset (2026-12-08T15:00:00+08:00); "
        "default: the dataset header's `at`, else the real clock.")] = None,
    without_examples: Annotated[bool, typer.Option(
        "--without-examples", help="Index --kb without its example questions, as a shop's own FAQ export has "
        "none.")] = False,
    gate: Annotated[Path | None, typer.Option(
        help="YAML thresholds on this run (min, max: the `eval compare` gate format); exit 1 if breached, after "
        "writing the results.")] = None,
) -> None:
    """Draft a reply to every case, score each, and write the results and an HTML report."""
    settings = _settings(ctx)
    cases = _guard(lambda: load_dataset(dataset))  # bad input fails before the model loads
    if kb is not None and not kb.exists():
        _fail(f"{kb}: no such knowledge file or directory", 2)
    if without_examples and kb is None:
        _fail("--without-examples re-indexes the knowledge files: give them with --kb", 2)
    if catalog is not None and kb is None:
        _fail("--catalog imports into a fresh store: give the knowledge files with --kb too", 2)
    if catalog is not None and not catalog.is_dir():
        _fail(f"{catalog}: no such catalog folder", 2)
    moment = _moment(at) if at is not None else None
    thresholds = _guard(lambda: compare.single_run_gate(compare.load_gate(gate), runner.reported_metrics(judge))) \
        if gate is not None else None
    chat = _guard(lambda: build_chat_model(settings))
    if judge and chat is None:
        _fail("--judge needs an LLM: set DRAFTDESK_LLM (and its base URL, key and model)", 2)
    embedder = _guard(lambda: load_embedder(settings.embedder, settings.model_cache_dir))
    options = runner.RunOptions(out_dir=out, pipeline=pipeline, kb=kb, limit=limit, progress=progress,
                                judge=chat if judge else None, split=split, at=moment,
                                without_examples=without_examples, catalog=catalog)
    output = _guard(lambda: runner.run(dataset, settings, embedder, options, dataset=cases))
    typer.echo(f"{cases.name} [{pipeline.value}]: {output.summary['cases']} cases -> {out}")
    for name, value in output.summary["metrics"].items():
        typer.echo(f"  {name:<24} {_shown(value)}")
    typer.echo("wrote " + ", ".join(str(p) for p in output.files))
    if thresholds is not None:
        _gated(gate, compare.threshold_breaches(thresholds, output.summary["metrics"]))


@app.command("compare")
def compare_cmd(
    run_a: Annotated[Path, typer.Argument(help="The baseline run directory (A).")],
    run_b: Annotated[Path, typer.Argument(help="The candidate run directory (B).")],
    gate: Annotated[Path | None, typer.Option(help="YAML thresholds (min, max, max_regression); exit 1 if breached.")]
    = None,
    tolerance: Annotated[float, typer.Option(min=0.0, help="Per-case similarity drop that counts as worse.")] = (
        compare.DEFAULT_TOLERANCE),
) -> None:
    """Per-metric deltas (B − A), the cases that got worse, and an optional gate."""
    thresholds = _guard(lambda: compare.load_gate(gate)) if gate is not None else None
    a = _guard(lambda: compare.load_run(run_a))
    b = _guard(lambda: compare.load_run(run_b))
    if thresholds is not None:
        _guard(lambda: compare.check_names(thresholds, a, b))
    typer.echo(f"{'metric':<24} {'A':>10} {'B':>10} {'B - A':>10}  verdict")
    for d in compare.metric_deltas(a, b):
        delta = "" if d.delta is None else f"{d.delta:+.4f}"
        typer.echo(f"{d.name:<24} {_shown(d.a):>10} {_shown(d.b):>10} {delta:>10}  {d.verdict}")
    worse = compare.worse_cases(a, b, tolerance)
    typer.echo(f"\n{len(worse)} of {len(set(a.cases) & set(b.cases))} shared cases got worse"
               + (":" if worse else "."))
    for regression in worse:
        typer.echo(f"  {regression.case_id}: {'; '.join(regression.problems)}")
    if thresholds is None:
        return
    _gated(gate, _guard(lambda: compare.check_gate(thresholds, a, b)))


@app.command("prepare")
def prepare_cmd(
    out: Annotated[Path, typer.Option("--out", help="Where to write the canonical files.")],
    shared: Annotated[Path | None, typer.Option(
        help=f"The shared data folder (default: ${prepare.SHARED_DATA_ENV}, else ../shared/data beside the repo).")]
    = None,
    final: Annotated[bool, typer.Option(
        "--final", help="Write the Bitext holdout cases instead, for the final report only (never tune on them).")]
    = False,
) -> None:
    """Write the bitext KB, the zh regulations KB, bitext dev and JDDC zh dev cases (dev splits only); with
    --final, the Bitext holdout cases and a KB with examples from all of dev."""
    source = shared or prepare.default_shared_dir()
    written = _guard(lambda: (prepare.prepare_final if final else prepare.prepare)(source, out))
    for item in written:
        typer.echo(f"{item.path}\t{item.rows} rows")


def _gated(gate: Path | None, breaches: list[str]) -> None:
    """Exit 1 naming each breached threshold; otherwise say the gate passed."""
    if breaches:
        typer.echo(f"\ngate {gate}: {len(breaches)} threshold(s) breached", err=True)
        for line in breaches:
            typer.echo(f"  breached: {line}", err=True)
        raise typer.Exit(1)
    typer.echo(f"\ngate {gate}: passed")


def _moment(value: str) -> datetime:
    try:
        return parse_instant(value)
    except ValueError as exc:
        _fail(f"--at {exc}", 2)


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:.4f}" if isinstance(value, float) else str(value)
