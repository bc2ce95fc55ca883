"""`draftdesk serve | index | draft | kb list | kb delete`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from drafting.llm.registry import ConfigError
from drafting.models import DraftRequest
from drafting.settings import Settings
from drafting.wiring import Components, build_components
from eval.cli import app as eval_app
from knowledge.errors import KnowledgeError
from knowledge.models import KINDS, LOCALES, PLATFORMS
from knowledge.store import EntryFilter
from prompts import TemplateError

app = typer.Typer(help="draftdesk: cited reply drafts for e-commerce customer service.", no_args_is_help=True)
kb_app = typer.Typer(help="Browse and edit the knowledge base.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
app.add_typer(eval_app, name="eval")


@app.callback()
def _root(
    ctx: typer.Context,
    data_dir: Annotated[Path | None, typer.Option(help="Data directory (default: $DRAFTDESK_DATA_DIR).")] = None,
) -> None:
    overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir else {}
    ctx.obj = _guard(lambda: Settings(**overrides))


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _guard(fn: Any) -> Any:
    """Our errors and bad settings become one line on stderr and a non-zero exit, never a traceback."""
    try:
        return fn()
    except (KnowledgeError, ConfigError, TemplateError) as exc:
        _fail(str(exc))
    except ValueError as exc:  # pydantic ValidationError is a ValueError
        _fail(str(exc), 2)


def _components(ctx: typer.Context) -> Components:
    settings: Settings = ctx.obj
    return _guard(lambda: build_components(settings))  # type: ignore[no-any-return]


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from api import create_app

    uvicorn.run(create_app(ctx.obj), host=host, port=port, log_level="info")


@app.command()
def index(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Knowledge files (.jsonl, .csv, .md) or directories.")],
    prune: Annotated[bool, typer.Option(help="Delete entries that disappeared from these files.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Index knowledge files; unchanged entries are not re-embedded."""
    kb = _components(ctx).knowledge
    report = _guard(lambda: kb.index_paths(paths, prune=prune))
    summary = report.as_dict()
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        typer.echo(" ".join(f"{k}={summary[k]}" for k in ("added", "updated", "unchanged", "deleted", "embedded")))


@app.command()
def draft(
    ctx: typer.Context,
    message: Annotated[str, typer.Argument(help="The buyer's message.")],
    platform: Annotated[str, typer.Option(help="taobao, pdd, jd or amazon.")] = "taobao",
    locale: Annotated[str | None, typer.Option(help="zh or en; detected if omitted.")] = None,
    order: Annotated[str | None, typer.Option(help='Order facts as JSON, e.g. \'{"id": "A1"}\'.')] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole draft as JSON.")] = False,
) -> None:
    """Draft a reply to one buyer message."""
    order_facts = _parse_order(order) if order else {}
    fields = {"message": message, "platform": platform, "locale": locale, "order": order_facts}
    request = _guard(lambda: DraftRequest.model_validate(fields))
    result = _guard(lambda: _components(ctx).drafts.draft(request))
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    typer.echo(result.draft)
    typer.echo("")
    for c in result.citations:
        typer.echo(f"  [{c.id}] {c.title} ({c.score:.3f})")
    if result.needs_human:
        typer.echo("  needs a human: " + "; ".join(r.message for r in result.reasons))


def _parse_order(text: str) -> dict[str, Any]:
    try:
        facts = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"--order is not valid JSON: {exc.msg}", 2)
    if not isinstance(facts, dict):
        _fail("--order must be a JSON object", 2)
    return facts


def _check_choice(option: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        _fail(f"{option} must be one of {', '.join(allowed)}, not {value!r}", 2)


@kb_app.command("list")
def kb_list(
    ctx: typer.Context,
    platform: Annotated[str | None, typer.Option(help="Only this platform (and `any`).")] = None,
    locale: Annotated[str | None, typer.Option(help="zh or en.")] = None,
    kind: Annotated[str | None, typer.Option(help="faq, policy, announcement or template.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Print entries as JSON lines.")] = False,
) -> None:
    """List knowledge entries."""
    _check_choice("--platform", platform, PLATFORMS)
    _check_choice("--locale", locale, LOCALES)
    _check_choice("--kind", kind, KINDS)
    kb = _components(ctx).knowledge
    flt = EntryFilter(platform=platform, locale=locale, kinds=(kind,) if kind else ())
    entries, total = _guard(lambda: kb.list(flt, limit=limit))
    for e in entries:
        typer.echo(e.model_dump_json() if as_json else f"{e.id}\t{e.locale}\t{e.kind}\t{e.platform}\t{e.heading}")
    if not as_json:
        typer.echo(f"{len(entries)} of {total} entries", err=True)


@kb_app.command("delete")
def kb_delete(
    ctx: typer.Context,
    entry_id: Annotated[str, typer.Argument(help="The entry id.")],
    locale: Annotated[str | None, typer.Option(help="Only this locale.")] = None,
) -> None:
    """Delete an entry (all its locales unless --locale)."""
    kb = _components(ctx).knowledge
    deleted = _guard(lambda: kb.delete(entry_id, locale))
    typer.echo(f"deleted {entry_id} ({deleted} locale variant{'s' if deleted != 1 else ''})")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
