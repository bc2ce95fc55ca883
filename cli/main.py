"""`draftdesk serve | index | draft | kb list | kb delete | announce add | announce list | announce expire |
catalog import | catalog list`."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from cli.catalog import app as catalog_app
from cli.common import components, fail, guard, shop
from cli.keys import app as keys_app
from cli.keys import key_stores
from cli.suggest import suggest_examples
from composition.settings import Settings
from core.shop_ids import DEFAULT_SHOP, check_shop
from core.vocab import ENTRY_PLATFORMS, LOCALES
from drafting.kblint import lint
from drafting.models import DraftRequest
from eval.cli import app as eval_app
from knowledge.announcements import STATES, Announcement, StateFilter
from knowledge.labels import NO_LABELS
from knowledge.limits import NestingError, load_json
from knowledge.loaders import load_path
from knowledge.models import KINDS, Scope, parse_instant
from knowledge.store import EntryFilter

app = typer.Typer(help="draftdesk: cited reply drafts for e-commerce customer service.", no_args_is_help=True)
kb_app = typer.Typer(help="Browse and edit the knowledge base.", no_args_is_help=True)
announce_app = typer.Typer(help="Publish, list and end time-bounded announcements.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
app.add_typer(announce_app, name="announce")
app.add_typer(eval_app, name="eval")
app.add_typer(keys_app, name="keys")
app.add_typer(catalog_app, name="catalog")


@app.callback()
def _root(
    ctx: typer.Context,
    data_dir: Annotated[Path | None, typer.Option(help="Data directory (default: $DRAFTDESK_DATA_DIR).")] = None,
    shop_id: Annotated[str, typer.Option("--shop", envvar="DRAFTDESK_SHOP",
                                         help="The shop whose knowledge and announcements to use.")] = DEFAULT_SHOP,
) -> None:
    overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir else {}
    ctx.obj = guard(lambda: Settings(**overrides))
    ctx.meta["shop"] = guard(lambda: check_shop(shop_id))


def first_admin_key(settings: Settings) -> None:
    """On the first start with keys on, create an admin key and show it once (as Jupyter shows its token): on
    stderr, or with `first_key_file` in that file only (0600), so that it stays out of container logs."""
    store, audit = key_stores(settings)
    if guard(store.any_active):
        return
    record, plain = guard(lambda: store.create("admin", label="first start"))
    guard(lambda: audit.record(f"keys create {record.id} (first start)", actor="cli", role=record.role,
                               shop=record.shop))
    key_file = settings.first_key_file
    if key_file is not None:
        guard(lambda: write_secret(key_file, plain))
        typer.echo(f"\n  No API keys yet: created admin key {record.id}, written to {key_file} "
                   "(readable by this user only). Create keys per person and role with `draftdesk keys create "
                   "--role agent`.\n", err=True)
        return
    typer.echo(f"\n  No API keys yet: created admin key {record.id}. Use it as `Authorization: Bearer KEY`, and in "
               f"the console's sign-in box:\n\n      {plain}\n\n  It is shown only now. Create keys per person "
               "and role with `draftdesk keys create --role agent`.\n", err=True)


def write_secret(path: Path, secret: str) -> None:
    """`secret` into `path`, which only this user may read or write: created 0600, or narrowed to 0600 first."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a file that was there keeps its mode otherwise
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(secret + "\n")
    except OSError as exc:
        raise ValueError(f"cannot write the first admin key to {path}: {exc}") from exc


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface to bind (default: $DRAFTDESK_HOST, 127.0.0.1).")]
    = None,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    first_key_file: Annotated[Path | None, typer.Option(
        help="On the first start, write the admin key to this file (0600) instead of stderr "
        "(default: $DRAFTDESK_FIRST_KEY_FILE).")] = None,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from api import create_app
    from api.app import KEEP_ALIVE_S
    from api.logs import configure_logging

    base: Settings = ctx.obj
    changes = {"host": host} if host else {}
    if first_key_file is not None:
        changes["first_key_file"] = str(first_key_file)
    settings: Settings = guard(lambda: Settings(**{**base.model_dump(), **changes}))
    app = guard(lambda: create_app(settings))  # refuses DRAFTDESK_AUTH=off on a public interface
    if settings.auth == "on":
        first_admin_key(settings)
    configure_logging(settings.log_format)
    # our middleware logs each request with its id; uvicorn's access line would lack it
    uvicorn.run(app, host=settings.host, port=port, log_level="info", log_config=None, access_log=False,
                timeout_keep_alive=KEEP_ALIVE_S)


@app.command()
def index(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Knowledge files (.jsonl, .csv, .md) or directories.")],
    prune: Annotated[bool, typer.Option(help="Delete entries that disappeared from these files.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Report what would change (with --json: the keys); write nothing.")]
    = False,
    suggest: Annotated[bool, typer.Option(
        "--suggest-examples", help="Index nothing: ask the LLM (DRAFTDESK_LLM) for up to 5 example questions for "
        "each entry without examples, and write them to --out for review.")] = False,
    out: Annotated[Path | None, typer.Option(
        help="With --suggest-examples: the review file (default: <first path's name>.suggested.jsonl here).")]
    = None,
) -> None:
    """Index knowledge files; unchanged entries are not re-embedded."""
    if suggest:
        if prune:
            fail("--suggest-examples changes nothing in the store: drop --prune", 2)
        suggest_examples(ctx.obj, paths, out or Path(f"{paths[0].stem}.suggested.jsonl"), as_json=as_json)
        return
    if out is not None:
        fail("--out goes with --suggest-examples", 2)
    kb = shop(ctx).knowledge
    report = guard(lambda: kb.index_paths(paths, prune=prune, dry_run=dry_run))
    findings = lint(shop(ctx).drafts.policy, [entry for path in paths for entry in load_path(path)])
    summary = {**report.as_dict(), "compliance": {rule: [f.model_dump() for f in found]
                                                  for rule, found in findings.items()}}
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        typer.echo(" ".join(f"{k}={summary[k]}" for k in ("added", "updated", "unchanged", "deleted", "embedded")))
        for rule, found in findings.items():  # to stderr: the summary line stays one line for scripts
            typer.echo(f"{rule}: " + ", ".join(sorted({f.key for f in found})), err=True)


@app.command()
def draft(
    ctx: typer.Context,
    message: Annotated[str, typer.Argument(help="The buyer's message.")],
    platform: Annotated[str, typer.Option(help="taobao, pdd, jd or amazon.")] = "taobao",
    locale: Annotated[str | None, typer.Option(help="zh or en; detected if omitted.")] = None,
    order: Annotated[str | None, typer.Option(help='Order facts as JSON, e.g. \'{"id": "A1"}\'.')] = None,
    role: Annotated[str, typer.Option(help="The agent's role: l1, l2 or supervisor.")] = "l1",
    sku: Annotated[str | None, typer.Option(help="The product page the chat was opened from.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole draft as JSON.")] = False,
) -> None:
    """Draft a reply to one buyer message."""
    order_facts = _parse_order(order) if order else {}
    fields = {"message": message, "platform": platform, "locale": locale, "order": order_facts, "role": role,
              "sku": sku}
    request = guard(lambda: DraftRequest.model_validate(fields))
    result = guard(lambda: shop(ctx).drafts.draft(request))
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    typer.echo(result.draft)
    typer.echo("")
    for c in result.citations:
        typer.echo(f"  [{c.id}] {c.title}" + (f" ({c.score:.3f})" if c.score is not None else ""))
    if result.product:
        p = result.product
        typer.echo(f"  product {p.sku}: {p.title}, {p.price} {p.currency}, stock {p.stock} ({p.stock_level})")
    if result.needs_human:
        typer.echo("  needs a human: " + "; ".join(r.message for r in result.reasons))
    if result.handoff:
        typer.echo(f"  handoff to {result.handoff.to}: {result.handoff.note}")


def _parse_order(text: str) -> dict[str, Any]:
    try:
        facts = load_json(text)
    except json.JSONDecodeError as exc:
        fail(f"--order is not valid JSON: {exc.msg}", 2)
    except NestingError as exc:
        fail(f"--order {exc}", 2)
    if not isinstance(facts, dict):
        fail("--order must be a JSON object", 2)
    return facts


def _check_choice(option: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        fail(f"{option} must be one of {', '.join(allowed)}, not {value!r}", 2)


@kb_app.command("list")
def kb_list(
    ctx: typer.Context,
    platform: Annotated[str | None, typer.Option(help="Only this platform (and `any`).")] = None,
    locale: Annotated[str | None, typer.Option(help="zh or en.")] = None,
    kind: Annotated[str | None, typer.Option(help="faq, policy, announcement or template.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Print entries as JSON lines.")] = False,
) -> None:
    """List knowledge entries: id, locale, kind, platform, intents, question types, question or title."""
    _check_choice("--platform", platform, ENTRY_PLATFORMS)
    _check_choice("--locale", locale, LOCALES)
    _check_choice("--kind", kind, KINDS)
    kb = shop(ctx).knowledge
    flt = EntryFilter(platform=platform, locale=locale, kinds=(kind,) if kind else ())
    entries, total = guard(lambda: kb.list(flt, limit=limit))
    labels = guard(lambda: kb.labels(entries))
    for e in entries:
        found = labels.get(e.key, NO_LABELS)
        if as_json:
            typer.echo(json.dumps({**e.model_dump(mode="json"), "labels": found.as_dict()}, ensure_ascii=False))
        else:  # the heading stays the last column, as before labels
            typer.echo(f"{e.id}\t{e.locale}\t{e.kind}\t{e.platform}\t{','.join(found.intents) or '-'}"
                       f"\t{','.join(found.question_types) or '-'}\t{e.heading}")
    if not as_json:
        typer.echo(f"{len(entries)} of {total} entries", err=True)


@kb_app.command("delete")
def kb_delete(
    ctx: typer.Context,
    entry_id: Annotated[str, typer.Argument(help="The entry id.")],
    locale: Annotated[str | None, typer.Option(help="Only this locale.")] = None,
) -> None:
    """Delete an entry (all its locales unless --locale)."""
    kb = shop(ctx).knowledge
    deleted = guard(lambda: kb.delete(entry_id, locale))
    typer.echo(f"deleted {entry_id} ({deleted} locale variant{'s' if deleted != 1 else ''})")


@announce_app.command("add")
def announce_add(
    ctx: typer.Context,
    title: Annotated[str, typer.Option(help="A short title.")],
    body: Annotated[str, typer.Option(help="The notice, as drafts should convey it.")],
    locale: Annotated[str, typer.Option(help="zh or en.")],
    until: Annotated[str, typer.Option("--until", help="End, ISO-8601 with a timezone (2026-11-12T00:00+08:00).")],
    start: Annotated[str | None, typer.Option("--from", help="Start, ISO-8601 with a timezone; default now.")] = None,
    platform: Annotated[str, typer.Option(help="taobao, pdd, jd, amazon or any.")] = "any",
    intent: Annotated[list[str] | None, typer.Option(help="Only for this buyer intent (repeatable).")] = None,
    sku: Annotated[list[str] | None, typer.Option(help="Only for orders with this SKU (repeatable).")] = None,
    region: Annotated[list[str] | None, typer.Option(help="Only for orders to this region (repeatable).")] = None,
    priority: Annotated[int, typer.Option(help="0-100; higher leads.")] = 0,
    entry_id: Annotated[str | None, typer.Option("--id", help="Publish under this id (replaces it).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the announcement as JSON.")] = False,
) -> None:
    """Publish an announcement; it applies from --from until --until and is kept after it expires."""
    _check_choice("--locale", locale, LOCALES)
    _check_choice("--platform", platform, ENTRY_PLATFORMS)
    valid_until = _parse_time("--until", until)
    valid_from = _parse_time("--from", start) if start else None
    scope = Scope(intents=tuple(intent or ()), skus=tuple(sku or ()), regions=tuple(region or ()))
    parts = components(ctx)
    now = parts.clock()
    entry = guard(lambda: shop(ctx).announcements.publish(
        title=title, body=body, locale=locale, valid_from=valid_from, valid_until=valid_until, platform=platform,
        scope=scope, priority=priority, entry_id=entry_id, at=now,
    ))
    shown = Announcement.of(entry, now)
    if as_json:
        typer.echo(shown.model_dump_json())
    else:
        typer.echo(f"published {shown.id} ({shown.locale}, {shown.state} until {_when(entry.valid_until)})")


@announce_app.command("list")
def announce_list(
    ctx: typer.Context,
    state: Annotated[str, typer.Option(help="active, scheduled, expired or all.")] = "active",
    platform: Annotated[str | None, typer.Option(help="Only this platform (and `any`).")] = None,
    locale: Annotated[str | None, typer.Option(help="zh or en.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print announcements as JSON lines.")] = False,
) -> None:
    """List announcements in a state, highest priority first."""
    _check_choice("--state", state, STATES)
    _check_choice("--platform", platform, ENTRY_PLATFORMS)
    _check_choice("--locale", locale, LOCALES)
    parts = components(ctx)
    now = parts.clock()
    notices = shop(ctx).announcements
    entries = guard(lambda: notices.list(cast(StateFilter, state), now, platform=platform, locale=locale))
    for e in entries:
        shown = Announcement.of(e, now)
        typer.echo(shown.model_dump_json() if as_json else
                   f"{e.id}\t{e.locale}\t{shown.state}\t{e.priority}\t{_when(e.valid_from)}\t{_when(e.valid_until)}"
                   f"\t{e.heading}")
    if not as_json:
        typer.echo(f"{len(entries)} announcement{'s' if len(entries) != 1 else ''} ({state})", err=True)


@announce_app.command("expire")
def announce_expire(
    ctx: typer.Context,
    entry_id: Annotated[str, typer.Argument(help="The announcement id.")],
) -> None:
    """End an announcement now, in every locale; it is kept, as expired."""
    parts = components(ctx)
    now = parts.clock()
    entries = guard(lambda: shop(ctx).announcements.expire(entry_id, now))
    locales = ", ".join(e.locale for e in entries)
    typer.echo(f"expired {entry_id} ({locales}) at {_when(entries[0].valid_until)}")


def _parse_time(option: str, value: str) -> datetime:
    try:
        return parse_instant(value)
    except ValueError as exc:
        fail(f"{option} {exc}", 2)


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%dT%H:%M%z}" if moment else "-"


def main() -> None:
    """The console script. A finished command leaves without the interpreter's teardown: a native library's static
    destructors aborted ~1 `eval run` in 10 under load ("terminate called without an active exception", exit 134)
    after every file was written. Output is flushed first; files and databases are closed by then."""
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except KeyboardInterrupt:
        code = 130
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _exit_code(code: object) -> int:
    if code is None or isinstance(code, int):
        return code or 0
    print(code, file=sys.stderr)  # sys.exit("message") prints it and exits 1
    return 1
