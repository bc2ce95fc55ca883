"""A filter checked on one record's metadata (`matches`) lets through exactly what chroma's `where` clause does."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.chroma import ChromaCollection, open_chroma_client
from knowledge.indexing import Indexer
from knowledge.records import locale_platform, matches, matches_label, narrow_clause, where
from knowledge.store import EntryFilter
from tests.fakes import HashingEmbedder
from tests.knowledge.conftest import at, bilingual_entries

FILTERS = [
    EntryFilter(), EntryFilter(locale="zh"), EntryFilter(platform="taobao"),
    EntryFilter(platform="amazon", locale="en"), EntryFilter(kinds=("announcement", "template")),
    EntryFilter(kinds=("faq",), source="test"),
    EntryFilter(source="elsewhere"), EntryFilter(entry_id="invoice-001"), EntryFilter(facets=("a",)),
    EntryFilter(valid_at=at(2025, 11, 5)), EntryFilter(valid_at=at(2025, 11, 12)),
    EntryFilter(kinds=("announcement",), valid_at=at(2025, 10, 31)),
    EntryFilter(platform="pdd", locale="zh", kinds=("faq", "policy"), facets=("q", "a"), valid_at=at(2026, 1, 1)),
]


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> ChromaCollection:
    path: Path = tmp_path_factory.mktemp("records") / "chroma"
    chroma = ChromaCollection(open_chroma_client(path), "test-kb", HashingEmbedder().model_id)
    Indexer(HashingEmbedder(), chroma).index(bilingual_entries())
    return chroma


@pytest.mark.parametrize("flt", FILTERS, ids=repr)
def test_matches_is_the_where_clause_checked_here(chroma: ChromaCollection, flt: EntryFilter) -> None:
    every = chroma.col.get(include=["metadatas"])
    by_chroma = set(chroma.col.get(where=where(flt), include=[])["ids"])

    records = dict(zip(every["ids"], every["metadatas"], strict=True))

    here = {i for i, meta in records.items() if matches(meta, flt)}

    assert here == by_chroma
    assert all(matches_label(locale_platform(records[i]), flt) for i in here)  # what the search in memory keeps to


def test_only_an_id_or_kinds_other_than_faqs_make_a_narrow_clause() -> None:
    assert narrow_clause(EntryFilter(entry_id="ship-001", locale="zh")) == {"id": "ship-001"}
    few = ("announcement", "policy")
    assert narrow_clause(EntryFilter(kinds=few)) == {"kind": {"$in": list(few)}}
    assert narrow_clause(EntryFilter(kinds=("announcement", "faq"))) is None
    assert narrow_clause(EntryFilter(locale="zh", platform="taobao")) is None
