"""Every prompt and reply template, as jinja2 files beside this module; `render` is the one way in."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from core.errors import DraftdeskError

TEMPLATE_DIR = Path(__file__).parent
# a run of three angle brackets, any width or spacing, reads to a model as the <<< >>> fence around buyer text
_FENCE = re.compile(r"(?:[<>＜＞﹤﹥‹›〈〉《》][ \t\u3000]*){3,}")


class TemplateError(DraftdeskError):
    """A template is missing or was rendered without a variable it needs."""

    code = "template_error"


def fenced(text: str) -> str:
    """Text to paste inside a <<< >>> fence: no run of brackets that could close the fence or open another."""
    return _FENCE.sub(" ", text)


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text for chat messages and buyers, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # the files ship with the release: no mtime check per render (~5% of a draft)
    )
    environment.filters["fenced"] = fenced
    return environment


def render(name: str, **variables: Any) -> str:
    """Render `prompts/<name>.j2`; a missing variable is an error, never an empty string."""
    try:
        return _environment().get_template(f"{name}.j2").render(**variables).strip()
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"no template named {name!r}") from exc
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template {name!r}: {exc.message}") from exc
