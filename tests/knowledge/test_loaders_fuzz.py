"""The file loaders under hypothesis: any bytes, any JSONL line, any CSV cell, any nested value in a row, a scope
cell or front matter: entries or a clear InvalidFileError (never another exception), and a file with one bad line
indexes nothing."""

from __future__ import annotations

import csv
import io
import json

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from knowledge.errors import InvalidFileError
from knowledge.loaders import load_bytes, parse_entries

FILES = st.sampled_from(["faq.jsonl", "faq.csv", "faq.md"])
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # the YAML parser is slow


@FAST
@given(data=st.binary(max_size=2000), filename=FILES)
def test_any_bytes_load_or_fail_clearly(data: bytes, filename: str) -> None:
    try:
        entries = load_bytes(data, filename=filename, source="fuzz")
    except InvalidFileError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
    else:
        assert all(e.answer and e.locale in ("zh", "en") for e in entries)


ROW = st.fixed_dictionaries({
    "id": st.text(min_size=0, max_size=20), "locale": st.sampled_from(["zh", "en", "fr", ""]),
    "question": st.text(max_size=40), "answer": st.text(max_size=60),
}, optional={"tags": st.one_of(st.text(max_size=10), st.lists(st.text(max_size=8), max_size=3)),
             "valid_until": st.text(max_size=30), "kind": st.text(max_size=12)})


@FAST
@given(rows=st.lists(ROW, min_size=1, max_size=5))
def test_any_jsonl_rows_load_or_name_their_lines(rows: list[dict[str, object]]) -> None:
    data = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    try:
        entries = load_bytes(data, filename="faq.jsonl", source="fuzz")
    except InvalidFileError as exc:
        assert all(p.startswith("line ") or p.startswith("duplicate") for p in exc.problems), exc.problems
    else:
        assert len(entries) == len(rows)  # all or nothing


# Chinese text GBK can encode (what Excel on a Chinese Windows saves), with ASCII and full-width punctuation.
HANZI = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
CELL = st.text(alphabet=st.one_of(HANZI, st.sampled_from("，。？！abcXYZ0123456789 ")), min_size=1, max_size=40).filter(
    lambda s: s.strip() != "")


@FAST
@given(rows=st.lists(st.tuples(CELL, CELL), min_size=1, max_size=4),
       encoding=st.sampled_from(["gbk", "gb18030", "utf-16", "utf-16-le", "utf-16-be"]),
       filename=st.sampled_from(["faq.csv", "faq.jsonl"]))
def test_legacy_encodings_decode_to_the_utf8_entries_or_fail_clearly(
    rows: list[tuple[str, str]], encoding: str, filename: str
) -> None:
    """A file in GBK or UTF-16 loads as the same entries as its UTF-8 twin, or is refused as not UTF-8: never
    entries in mojibake (a wrong guess at the encoding)."""
    if filename == "faq.csv":
        text = "id,locale,question,answer\n" + "".join(
            f'q-{n},zh,"{q}","{a}"\n' for n, (q, a) in enumerate(rows))
    else:
        text = "".join(json.dumps({"id": f"q-{n}", "locale": "zh", "question": q, "answer": a},
                                  ensure_ascii=False) + "\n" for n, (q, a) in enumerate(rows))
    expected = load_bytes(text.encode("utf-8"), filename=filename, source="fuzz")
    data = text.encode(encoding)
    assume(not _valid_utf8(data))  # e.g. 为 in GBK is Ϊ in UTF-8: such bytes are UTF-8 first
    try:
        entries = load_bytes(data, filename=filename, source="fuzz")
    except InvalidFileError as exc:
        assert len(exc.problems) == 1 and "save the file as UTF-8" in exc.problems[0], exc.problems
    else:
        assert [(e.question, e.answer) for e in entries] == [(e.question, e.answer) for e in expected]


GOOD = {"id": "ship-001", "locale": "zh", "question": "我的快递怎么还没到？", "answer": "亲，请耐心等待。"}
MALFORMED = st.one_of(
    st.integers(min_value=1, max_value=len(json.dumps(GOOD, ensure_ascii=False)) - 1).map(
        lambda cut: json.dumps(GOOD, ensure_ascii=False)[:cut]),  # a line cut short
    st.sampled_from(["[]", "null", "42", '"text"', "true", "[{}]"]),  # JSON, but not an object
    st.text(alphabet=st.characters(blacklist_categories=["Cs", "Zl", "Zp", "Cc"]), min_size=1, max_size=20).filter(
        lambda s: s.strip() and not s.strip().startswith(("{", "[", '"')) and not _is_json(s)),
)


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in data


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@FAST
@given(lines=st.lists(st.one_of(st.just(None), MALFORMED), min_size=1, max_size=8).filter(
    lambda ls: any(line is not None for line in ls)))
def test_malformed_jsonl_lines_are_each_named_and_nothing_loads(lines: list[str | None]) -> None:
    """Good rows (None) and malformed lines mixed: the file is refused, naming every malformed line by number."""
    text = "\n".join(json.dumps({**GOOD, "id": f"q-{n}"}, ensure_ascii=False) if line is None else line
                     for n, line in enumerate(lines))
    try:
        load_bytes(text.encode("utf-8"), filename="faq.jsonl", source="fuzz")
    except InvalidFileError as exc:
        named = {int(p.split(":")[0].removeprefix("line ")) for p in exc.problems}
        assert named == {n for n, line in enumerate(lines, start=1) if line is not None}, exc.problems
    else:
        raise AssertionError("a file with malformed lines loaded")


# --- nested values -------------------------------------------------------------------------------------------------
# Any JSON value, at any depth, in any field of a JSONL row, an API row, a CSV scope cell or Markdown front matter:
# entries or an InvalidFileError, never a RecursionError or a pydantic error escaping.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=40,
)
FIELDS = st.sampled_from(["id", "question", "answer", "tags", "examples", "intents", "scope", "kind", "valid_until",
                          "priority", "extra"])


@st.composite
def deep_json(draw: st.DrawFn) -> str:
    """A chain of lists and objects up to far past Python's stack, written out as text (json.dumps would recurse)."""
    depth = draw(st.integers(min_value=1, max_value=3000))
    kinds = draw(st.lists(st.booleans(), min_size=1, max_size=4))
    opens = "".join('{"k": ' if kinds[n % len(kinds)] else "[" for n in range(depth))
    closes = "".join("}" if kinds[n % len(kinds)] else "]" for n in reversed(range(depth)))
    return opens + draw(st.sampled_from(["1", '"x"', "[]", "{}", "null"])) + closes


NESTED_TEXT = st.one_of(JSON_VALUES.map(lambda v: json.dumps(v, ensure_ascii=False)), deep_json())


def _loads_or_fails_clearly(data: bytes, filename: str) -> None:
    try:
        entries = load_bytes(data, filename=filename, source="fuzz")
    except InvalidFileError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
    else:
        assert entries and all(e.answer for e in entries)


@FAST
@given(field=FIELDS, value=NESTED_TEXT)
def test_a_nested_value_in_a_jsonl_row_loads_or_fails_clearly(field: str, value: str) -> None:
    row = json.dumps({**GOOD, "kind": "announcement", "title": "通知"}, ensure_ascii=False)
    _loads_or_fails_clearly(f'{row[:-1]}, "{field}": {value}}}'.encode(), "faq.jsonl")


@FAST
@given(value=NESTED_TEXT)
def test_a_nested_scope_cell_loads_or_fails_clearly(value: str) -> None:
    out = io.StringIO()
    csv.writer(out).writerows([["id", "locale", "kind", "title", "answer", "scope"],
                               ["ann-1", "zh", "announcement", "通知", "延迟发货", value]])
    _loads_or_fails_clearly(out.getvalue().encode(), "notices.csv")


@FEW
@given(field=st.sampled_from(["tags", "kind", "id", "locale", "platform", "extra"]), value=NESTED_TEXT)
def test_nested_front_matter_loads_or_fails_clearly(field: str, value: str) -> None:
    """JSON is YAML's flow style: the same values, and chains too deep for the YAML parser's recursion."""
    text = f"---\n{field}: {value}\n---\n# 退货政策\n七天无理由退货。\n"
    _loads_or_fails_clearly(text.encode(), "policies.md")


@FAST
@given(value=JSON_VALUES, field=FIELDS, depth=st.integers(min_value=0, max_value=5000))
def test_nested_api_rows_parse_or_fail_clearly(value: object, field: str, depth: int) -> None:
    for _ in range(depth):  # wrapped without recursion, past the stack when deep
        value = [value]
    try:
        entries = parse_entries([{**GOOD, field: value}], "fuzz")
    except InvalidFileError as exc:
        assert exc.problems and all(p.startswith("entry 1") for p in exc.problems), exc.problems
    else:
        assert len(entries) == 1
