"""What knowledge owners may send: the id alphabet, the length caps of an entry's texts, and how deeply a file's
values may nest. The README's knowledge-file format section lists them.

The caps apply where entries come in (files, API rows, announcements), not to entries already stored: one stored
under older rules can still be read, listed and deleted.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from core.errors import DraftdeskError

MAX_ID_CHARS = 200
MAX_QUESTION_CHARS = 500  # a question, a title, an example question
MAX_ANSWER_CHARS = 4000  # about two pages; an answer is pasted whole into drafts and the draft log
MAX_EXAMPLES = 50
MAX_TAGS = 50
MAX_LABEL_CHARS = 100  # a tag, or a scope's intent, SKU or region
MAX_SCOPE_ITEMS = 500  # per scope list: a stock-out notice may name many SKUs
MAX_DEPTH = 16  # containers within containers; an entry row needs 3 (row, scope, its SKU list)
MAX_VALUES = 10_000  # in one row or front matter: YAML aliases can expand a few lines into billions
MAX_FRONT_MATTER_CHARS = 10_000

ID_ALPHABET = ("letters of any script (Chinese included), digits, `_`, `-`, `.` and `:`; not starting with `.`, "
               f"no `..`, at most {MAX_ID_CHARS} characters")
_ID = re.compile(r"[\w.:-]+")  # `@` is left out: `id@locale` is the store key


class NestingError(DraftdeskError, ValueError):
    """A value nests too deeply or holds too many values to be knowledge."""


def id_problem(value: str) -> str | None:
    """Why `value` is not a safe entry id, or None. Safe ids need no escaping in a URL path, a header or a file
    name, and never read as a store key or a path step."""
    if not value:
        return "must not be empty"
    if len(value) > MAX_ID_CHARS:
        return f"at most {MAX_ID_CHARS} characters, not {len(value)}"
    if _ID.fullmatch(value) is None or value.startswith(".") or ".." in value:
        bad = sorted({c for c in value if _ID.fullmatch(c) is None})
        shown = f" (not {', '.join(map(_shown, bad))})" if bad else ""
        return f"use {ID_ALPHABET}{shown}"
    return None


def text_problem(value: str, limit: int) -> str | None:
    return f"at most {limit} characters, not {len(value)}" if len(value) > limit else None


def check_nesting(value: object) -> None:
    """NestingError when `value` nests deeper than `MAX_DEPTH` or holds more than `MAX_VALUES` values. Walked
    without recursion, so a value too deep for Python's stack is refused, not crashed on."""
    pending: list[tuple[object, int]] = [(value, 1)]
    seen = 0
    while pending:
        item, depth = pending.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise NestingError(f"holds more than {MAX_VALUES} values")
        if isinstance(item, dict | list | tuple):
            if depth > MAX_DEPTH:
                raise NestingError(f"nests deeper than {MAX_DEPTH} levels")
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)


def load_json(text: str) -> Any:
    """`json.loads` that refuses, with a NestingError, what is nested too deeply for `check_nesting` (or for the
    parser's own stack); a JSONDecodeError for text that is not JSON."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise NestingError(f"nests deeper than {MAX_DEPTH} levels") from None
    check_nesting(value)
    return value


def load_yaml(text: str) -> Any:
    """`yaml.safe_load` with the limits of `load_json`, and at most `MAX_FRONT_MATTER_CHARS` of text."""
    if len(text) > MAX_FRONT_MATTER_CHARS:
        raise NestingError(f"at most {MAX_FRONT_MATTER_CHARS} characters, not {len(text)}")
    try:
        value = yaml.safe_load(text)
    except RecursionError:
        raise NestingError(f"nests deeper than {MAX_DEPTH} levels") from None
    check_nesting(value)
    return value


def _shown(char: str) -> str:
    return repr(char) if char.isprintable() else f"U+{ord(char):04X}"
