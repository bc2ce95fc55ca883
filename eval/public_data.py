"""Loaders for the public e-commerce data in ../shared/data (see its README): its rows into our cases and entries.

The shared files use their own schema (`lang`, `reference_replies`, `kb_ids`, a null `question`); these
functions map it onto `Case` and onto draftdesk's canonical knowledge-entry dicts. They read any split:
keep `*_holdout.jsonl` for final evaluation, never for tuning or tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from drafting.escalation import escalating_intents, load_escalation_rules
from eval.dataset import Case, DatasetError
from eval.metrics.intent import to_intent
from knowledge.loaders import json_objects
from knowledge.models import Entry

BITEXT_SOURCE = "bitext"
JDDC_SOURCE_PREFIX = "jddc2019"  # the JDDC dev set and the JDDC chat sample; ECD Taobao rows are skipped
_ENTRY_ID_FORBIDDEN = re.compile(r"[\s/?#]")  # Entry ids may not hold these; ABCD ids use "/"


def kb_entry_id(raw_id: str) -> str:
    """The entry id for a shared-data KB id: `abcd:order_issue/status` becomes `abcd:order_issue.status`."""
    return _ENTRY_ID_FORBIDDEN.sub(".", raw_id.strip())


def load_bitext_cases(path: Path, limit: int | None = None) -> list[Case]:
    """Bitext rows of cases_en_*.jsonl (the TWCS rows there have no KB link and are skipped), in file order.

    A case expects a human when its Bitext intent maps to one that escalates an L1 agent (`complaint`, per
    drafting/rules/escalation.yaml), and expects none otherwise: the labels escalation precision/recall use."""
    escalating = escalating_intents(load_escalation_rules(), "l1")
    cases: list[Case] = []
    problems: list[str] = []
    for number, row in _rows(path, problems):
        if limit is not None and len(cases) >= limit:
            break
        if row.get("source") != BITEXT_SOURCE:
            continue
        fields = {
            "id": row.get("id"), "message": row.get("message"), "platform": "amazon", "locale": "en",
            "reference_answer": _first(row.get("reference_replies")),
            "expected_kb_ids": [kb_entry_id(i) for i in row.get("kb_ids") or []],
            "expected_intent": row.get("intent"), "tags": _tags(row),
            "expect_human": to_intent(str(row.get("intent"))) in escalating,
        }
        _collect(fields, number, cases, problems)
    _raise_if(path, problems)
    return cases


def load_jddc_cases(path: Path) -> list[Case]:
    """JDDC rows of cases_zh_*.jsonl: JD buyers in Chinese, the first human reply as the reference.

    Empty context turns (images and other non-text messages in the source) are dropped.
    """
    cases: list[Case] = []
    problems: list[str] = []
    for number, row in _rows(path, problems):
        if not str(row.get("source", "")).startswith(JDDC_SOURCE_PREFIX):
            continue
        context = [t for t in row.get("context") or [] if isinstance(t, dict) and str(t.get("text", "")).strip()]
        fields = {
            "id": row.get("id"), "message": row.get("message"), "platform": "jd", "locale": "zh",
            "context": context, "reference_answer": _first(row.get("reference_replies")),
            "expected_intent": row.get("intent"), "tags": _tags(row),
        }
        _collect(fields, number, cases, problems)
    _raise_if(path, problems)
    return cases


def load_kb_entries(path: Path) -> list[dict[str, Any]]:
    """kb_*.jsonl rows as canonical entry dicts (the JSONL the knowledge loaders read), each one validated."""
    entries: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, row in _rows(path, problems):
        entry = _entry_dict(row)
        try:
            Entry.model_validate(entry)
        except ValidationError as exc:
            problems += [f"line {number}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
            continue
        entries.append(entry)
    _raise_if(path, problems)
    return entries


def _entry_dict(row: dict[str, Any]) -> dict[str, Any]:
    """faq_template rows are FAQs (their title is the question); guidelines, laws and rules are policies."""
    kind = "faq" if row.get("kind") == "faq_template" else "policy"
    title = str(row.get("title") or "")
    if re.fullmatch(r"[a-z0-9_]+", title):  # Bitext titles are intent slugs: cancel_order
        title = title.replace("_", " ")
    return {
        "id": kb_entry_id(str(row.get("id") or "")),
        "kind": kind,
        **({"question": title} if kind == "faq" else {"title": title}),
        "answer": row.get("answer"),
        "platform": "any",
        "locale": row.get("lang"),
        "tags": [_slug(str(row["category"]))] if row.get("category") else [],
    }


def _rows(path: Path, problems: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """JSON objects with their line numbers; bad lines go to `problems`, which the caller raises."""
    with path.open(encoding="utf-8-sig") as lines:
        yield from json_objects(lines, problems)


def _collect(fields: dict[str, Any], number: int, cases: list[Case], problems: list[str]) -> None:
    try:
        cases.append(Case.model_validate(fields))
    except ValidationError as exc:
        problems += [f"line {number}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]


def _raise_if(path: Path, problems: list[str]) -> None:
    if problems:
        raise DatasetError(str(path), problems)


def _first(replies: object) -> str:
    return str(replies[0]) if isinstance(replies, list) and replies else ""


def _tags(row: dict[str, Any]) -> list[str]:
    """The source and its category (`bitext`, `order`; `jddc2019_dev`, `after_sales`) to slice reports by."""
    return [_slug(str(t)) for t in (row.get("source"), row.get("category")) if t]


def _slug(text: str) -> str:
    return re.sub(r"[^\w]+", "_", text.strip().lower()).strip("_")
