"""The file loaders under hypothesis: any bytes, any JSONL line, any CSV cell: entries or a clear InvalidFileError
(never another exception), and a file with one bad line indexes nothing."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.errors import InvalidFileError
from knowledge.loaders import load_bytes

FILES = st.sampled_from(["faq.jsonl", "faq.csv", "faq.md"])
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


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
