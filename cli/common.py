"""What every command shares: one error line and a non-zero exit instead of a traceback, and the object graph."""

from __future__ import annotations

import gc
from typing import Any, NoReturn

import typer

from core.errors import ConfigError
from drafting.history import HistoryError
from drafting.settings import Settings
from drafting.shops import Shop
from drafting.wiring import Components, build_components
from knowledge.errors import KnowledgeError
from knowledge.journal import Origin, acting
from prompts import TemplateError


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def guard(fn: Any) -> Any:
    """Our errors and bad settings become one line on stderr and a non-zero exit, never a traceback."""
    try:
        return fn()
    except (KnowledgeError, HistoryError, ConfigError, TemplateError) as exc:
        fail(str(exc))
    except ValueError as exc:  # pydantic ValidationError is a ValueError
        fail(str(exc), 2)


def components(ctx: typer.Context) -> Components:
    """Built once per command (the model loads once), however often asked."""
    if "components" not in ctx.meta:
        settings: Settings = ctx.obj
        acting.set(Origin(actor="cli"))  # the knowledge changes this command makes, in the audit log
        ctx.meta["components"] = guard(lambda: build_components(settings))
        ctx.call_on_close(lambda: _release(ctx))
    return ctx.meta["components"]  # type: ignore[no-any-return]


def _release(ctx: typer.Context) -> None:
    """At the end of the command: the database connections close, and the model's memory (~0.4 GB, held in
    reference cycles of the object graph) is returned now, not at some later collection. It matters where commands
    run one after another in one process (tests, a notebook)."""
    parts: Components = ctx.meta.pop("components")
    parts.close()
    del parts
    gc.collect()


def shop(ctx: typer.Context) -> Shop:
    """The shop named by `draftdesk --shop S` (or $DRAFTDESK_SHOP; `default` if neither)."""
    parts = components(ctx)
    return guard(lambda: parts.shops.get(ctx.meta["shop"]))  # type: ignore[no-any-return]
