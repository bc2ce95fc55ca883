"""What every command shares: one error line and a non-zero exit instead of a traceback, and the object graph."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import NoReturn, TypeVar, cast

import typer

from composition.settings import Settings
from composition.shops import Shop
from composition.wiring import Components, build_components
from core.errors import DraftdeskError
from knowledge.journal import Origin, acting

T = TypeVar("T")

def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def guard(fn: Callable[[], T]) -> T:
    """Our errors and bad settings become one line on stderr and a non-zero exit, never a traceback."""
    try:
        return fn()
    except ValueError as exc:  # a bad value given: pydantic's ValidationError, a shop id, a nesting limit
        fail(str(exc), 2)
    except DraftdeskError as exc:
        fail(str(exc))


def components(ctx: typer.Context) -> Components:
    """Built once per command (the model loads once), however often asked."""
    if "components" not in ctx.meta:
        settings: Settings = ctx.obj
        acting.set(Origin(actor="cli"))  # the knowledge changes this command makes, in the audit log
        ctx.meta["components"] = guard(lambda: build_components(settings))
        ctx.call_on_close(lambda: _release(ctx))
    return cast(Components, ctx.meta["components"])


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
    return guard(lambda: parts.shops.get(ctx.meta["shop"]))
