"""Example questions: each is a query facet of its entry, so buyer phrasings the owner has seen match it."""

from __future__ import annotations

from pathlib import Path

from knowledge.chroma_store import ChromaStore
from knowledge.indexing import Indexer
from knowledge.loaders import load_file
from knowledge.models import Entry
from knowledge.store import EntryFilter
from tests.fakes import HashingEmbedder


def _entry(*examples: str) -> Entry:
    return Entry(id="cancel-001", question="How do I cancel my order?", answer="Cancel it from the order page.",
                 locale="en", examples=examples)


def test_examples_are_query_facets() -> None:
    facets = _entry("can I still cancel?", "stop my purchase please").facets()

    assert facets["x0"] == ("query", "can I still cancel?")
    assert facets["x1"] == ("query", "stop my purchase please")
    assert set(facets) == {"q", "a", "x0", "x1"}


def test_examples_are_trimmed_and_deduplicated() -> None:
    assert _entry(" a ", "a", "", "b").examples == ("a", "b")


def test_csv_examples_are_separated_by_bars(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text("id,question,answer,locale,examples\nc-1,怎么取消订单,订单页可取消,zh,还能取消吗|不想要了怎么退\n",
                    encoding="utf-8")

    assert load_file(path)[0].examples == ("还能取消吗", "不想要了怎么退")


def test_an_example_makes_an_unrelated_wording_match(
    fake_embedder: HashingEmbedder, store: ChromaStore, indexer: Indexer
) -> None:
    query = fake_embedder.embed_queries(["stop my purchase please"])[0]
    indexer.index([_entry()])
    before = store.query(query, 1, EntryFilter())[0].score
    indexer.index([_entry("stop my purchase please")])
    after = store.query(query, 1, EntryFilter())[0].score

    assert before < 0.5
    assert after > 0.99


def test_removing_an_example_removes_its_vector(
    fake_embedder: HashingEmbedder, store: ChromaStore, indexer: Indexer
) -> None:
    indexer.index([_entry("stop my purchase please", "halt the order")])
    report = indexer.index([_entry("halt the order")])
    query = fake_embedder.embed_queries(["stop my purchase please"])[0]

    assert (report.updated, report.embedded) == (1, 0)  # every remaining text already has a vector
    assert store.query(query, 1, EntryFilter())[0].score < 0.5
    assert store.count() == 1


def test_a_facet_filter_matches_the_passage_alone(
    fake_embedder: HashingEmbedder, store: ChromaStore, indexer: Indexer
) -> None:
    indexer.index([_entry("stop my purchase please")])
    query = fake_embedder.embed_queries(["stop my purchase please"])[0]

    assert store.query(query, 1, EntryFilter())[0].score > 0.99
    assert store.query(query, 1, EntryFilter(facets=("a",)))[0].score < 0.5
