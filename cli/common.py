"""What every command shares: one error line and a non-zero exit instead of a traceback, and the object graph."""

from __future__ import annotations

from typing import Any, NoReturn

import typer

from drafting.history import HistoryError
from drafting.llm.registry import ConfigError
from drafting.settings import Settings
from drafting.wiring import Components, build_components
from knowledge.errors import KnowledgeError
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
    settings: Settings = ctx.obj
    return guard(lambda: build_components(settings))  # type: ignore[no-any-return]
