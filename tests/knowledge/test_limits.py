"""What knowledge owners may send (knowledge/limits.py), through the real loaders: nesting depth, text caps and the
id alphabet refused as an InvalidFileError naming the line, never a RecursionError; entries stored under older
rules still read; the shared-data KBs and the sample KB load under the caps."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, cast

import pytest

from eval.public_data import load_kb_entries
from knowledge.duplicates import near_duplicates
from knowledge.errors import InvalidFileError
from knowledge.limits import (
    MAX_ANSWER_CHARS,
    MAX_DEPTH,
    MAX_EXAMPLES,
    MAX_ID_CHARS,
    MAX_QUESTION_CHARS,
    MAX_SCOPE_ITEMS,
    MAX_VALUES,
)
from knowledge.loaders import load_bytes, load_path, parse_entries
from knowledge.models import Entry, entry_id_of
from knowledge.store import EntryFilter, VectorStore
from tests.conftest import SAMPLE_KB
from tests.eval.conftest import SHARED_DATA

ROW: dict[str, Any] = {"id": "ship-001", "locale": "zh", "question": "我的快递怎么还没到？",
                       "answer": "亲，48小时内发出。"}


def jsonl(*rows: dict[str, Any]) -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()


def problems(data: bytes, filename: str = "faq.jsonl") -> list[str]:
    with pytest.raises(InvalidFileError) as info:
        load_bytes(data, filename=filename, source="test")
    return info.value.problems


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- nesting ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 100_000], ids=["just-over", "under-the-stack", "past-it"])
def test_a_deeply_nested_jsonl_line_is_refused_by_line(depth: int) -> None:
    line = json.dumps(ROW, ensure_ascii=False)[:-1] + f', "tags": {nested(depth)}}}'

    assert problems(jsonl(ROW) + b"\n" + line.encode()) == [f"line 2: nests deeper than {MAX_DEPTH} levels"]


def test_nesting_within_the_limit_reaches_validation() -> None:
    line = json.dumps(ROW, ensure_ascii=False)[:-1] + f', "tags": {nested(MAX_DEPTH - 1)}}}'

    assert problems(line.encode()) == ["line 1: tags.0: Input should be a valid string"]


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000])
def test_a_deeply_nested_csv_scope_cell_is_refused(depth: int) -> None:
    cell = '{"skus": ' + nested(depth) + "}"
    out = io.StringIO()
    csv.writer(out).writerows([["id", "locale", "kind", "title", "answer", "scope"],
                               ["ann-1", "zh", "announcement", "通知", "延迟发货", cell]])

    assert problems(out.getvalue().encode(), "notices.csv") == [f"line 2: scope: nests deeper than {MAX_DEPTH} levels"]


@pytest.mark.parametrize(
    ("front_matter", "problem"),
    [
        (f"tags: {nested(4_000)}", f"nests deeper than {MAX_DEPTH} levels"),  # flow style, past Python's stack
        (f"tags: {nested(MAX_DEPTH + 1)}", f"nests deeper than {MAX_DEPTH} levels"),
        ("tags:\n" + "".join("  " * n + "- \n" for n in range(1, 40)), f"nests deeper than {MAX_DEPTH} levels"),
        ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
         "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
         "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]", f"holds more than {MAX_VALUES} values"),  # a billion laughs
        ("tags: [" + ", ".join(["x"] * 5_000) + "]", "at most 10000 characters"),
    ],
    ids=["flow-past-the-stack", "flow-just-over", "block", "aliases", "long"],
)
def test_markdown_front_matter_has_limits(front_matter: str, problem: str) -> None:
    text = f"---\n{front_matter}\n---\n# 退货政策\n七天无理由退货。\n"

    (found,) = problems(text.encode(), "policies.md")
    assert found.startswith("front matter: ") and problem in found


def test_api_rows_nested_too_deeply_are_refused_not_recursed() -> None:
    deep: list[Any] = []
    for _ in range(50_000):  # built without recursion: deeper than any Python stack
        deep = [deep]
    rows = [ROW, {**ROW, "id": "ship-002", "examples": deep}]

    with pytest.raises(InvalidFileError) as info:
        parse_entries(rows, "api")
    assert info.value.problems == [f"entry 2: nests deeper than {MAX_DEPTH} levels"]


# --- caps ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("answer", "x" * 3_000_000, f"answer: at most {MAX_ANSWER_CHARS} characters, not 3000000"),
        ("answer", "好" * (MAX_ANSWER_CHARS + 1), f"answer: at most {MAX_ANSWER_CHARS} characters"),
        ("question", "q" * (MAX_QUESTION_CHARS + 1), f"question: at most {MAX_QUESTION_CHARS} characters"),
        ("title", "t" * (MAX_QUESTION_CHARS + 1), f"title: at most {MAX_QUESTION_CHARS} characters"),
        ("examples", [f"问题{n}" for n in range(MAX_EXAMPLES + 1)], f"examples: at most {MAX_EXAMPLES} items"),
        ("examples", ["短", "e" * (MAX_QUESTION_CHARS + 1)], f"examples: item 2: at most {MAX_QUESTION_CHARS}"),
        ("tags", ["t" * 101], "tags: item 1: at most 100 characters"),
    ],
    ids=["answer-3M", "answer-cjk", "question", "title", "example-count", "example-length", "tag"],
)
def test_texts_over_their_cap_are_refused(field: str, value: Any, problem: str) -> None:
    (found,) = problems(jsonl({**ROW, field: value}))

    assert found.startswith(f"line 1: {problem}"), found


def test_texts_at_their_cap_load() -> None:
    row = {**ROW, "answer": "好" * MAX_ANSWER_CHARS, "question": "问" * MAX_QUESTION_CHARS,
           "examples": [f"问题{n}" for n in range(MAX_EXAMPLES)]}

    (entry,) = load_bytes(jsonl(row), filename="faq.jsonl", source="test")
    assert len(entry.answer) == MAX_ANSWER_CHARS and len(entry.examples) == MAX_EXAMPLES


def test_an_announcement_scope_has_a_cap() -> None:
    row = {**ROW, "kind": "announcement", "scope": {"skus": [f"SKU-{n}" for n in range(MAX_SCOPE_ITEMS + 1)]}}

    (found,) = problems(jsonl(row))
    assert found == f"line 1: scope: skus: at most {MAX_SCOPE_ITEMS} items, not {MAX_SCOPE_ITEMS + 1}"


# --- ids -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_id", ["..", "x\u0000y", "a@zh", ".hidden", "a..b", "x\u202ey", "a$b", "中" * (MAX_ID_CHARS + 1)],
    ids=["dots", "nul", "at", "leading-dot", "inner-dots", "bidi", "dollar", "too-long"],
)
def test_unsafe_ids_are_refused(bad_id: str) -> None:
    (found,) = problems(jsonl({**ROW, "id": bad_id}))

    assert found.startswith("line 1: id: "), found
    assert "letters of any script" in found or "at most" in found


@pytest.mark.parametrize("good_id", ["ship-001", "公告-春节", "cnplat:京东开放平台:第二十六条.0", "faq_v2.1", "Ｆ１"])
def test_ids_in_any_script_with_dots_and_colons_load(good_id: str) -> None:
    (entry,) = load_bytes(jsonl({**ROW, "id": good_id}), filename="faq.jsonl", source="test")

    assert entry.id == good_id and entry_id_of(entry.key) == good_id


def test_entries_stored_under_older_rules_still_read() -> None:
    """The caps hold where entries come in; one read back from the store or a version is not refused."""
    stored = Entry.model_validate({**ROW, "id": "a@zh", "answer": "x" * (MAX_ANSWER_CHARS + 1)})

    assert stored.key == "a@zh@zh" and entry_id_of(stored.key) == "a@zh"
    with pytest.raises(ValueError, match="letters of any script"):
        Entry.from_input(stored.model_dump())


class _Questions:
    """A store holding question vectors only: what `near_duplicates` reads."""

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors = vectors

    def facet_vectors(self, flt: EntryFilter, facet: str) -> dict[str, list[float]]:
        return {k: v for k, v in self.vectors.items() if k.endswith(f"@{flt.locale}")}


def test_an_id_holding_at_is_not_taken_for_a_translation() -> None:
    """`a` and a stored `a@zh` (both in zh) are two entries: their keys `a@zh` and `a@zh@zh` are a pair."""
    store = cast(VectorStore, _Questions({"a@zh": [1.0, 0.0], "a@zh@zh": [1.0, 0.0], "b@en": [0.0, 1.0]}))

    pairs = near_duplicates(store, locale="zh")
    assert [(p.first, p.second) for p in pairs] == [("a@zh", "a@zh@zh")]


# --- legitimate knowledge --------------------------------------------------------------------------------------


def test_the_sample_kb_loads_under_the_caps() -> None:
    assert len(load_path(SAMPLE_KB)) > 20


@pytest.mark.skipif(not (SHARED_DATA / "README.md").exists(), reason="../shared/data is absent")
@pytest.mark.parametrize("name", ["kb_en.jsonl", "kb_zh.jsonl", "kb_zh_platform_rules.jsonl"])
def test_the_shared_data_kbs_keep_to_the_caps(name: str) -> None:
    """The canonical entries eval writes for the loaders: every one is accepted as owner input."""
    rows = load_kb_entries(SHARED_DATA / name)

    assert rows and all(Entry.from_input({**row, "source": "shared"}) for row in rows)
