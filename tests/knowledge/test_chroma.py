"""ChromaCollection alone, on a real Chroma in a temp dir: no reads remembered, records read by id, by clause, in
batches and by nearness, and the generation other processes look at."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.chroma import ChromaCollection, open_chroma_client
from knowledge.indexing import Indexer
from knowledge.records import ANCHOR, record_id
from knowledge.store import EntryFilter
from tests.fakes import HashingEmbedder
from tests.knowledge.conftest import bilingual_entries, make_entry

RECORDS = sum(len(e.facets()) for e in bilingual_entries())


def _collection(path: Path, batch: int = 1000) -> ChromaCollection:
    return ChromaCollection(open_chroma_client(path), "test-kb", HashingEmbedder().model_id, batch=batch)


@pytest.fixture
def chroma(tmp_path: Path, fake_embedder: HashingEmbedder) -> ChromaCollection:
    chroma = _collection(tmp_path / "chroma", batch=3)  # several calls for most reads
    Indexer(fake_embedder, chroma).index(bilingual_entries())
    return chroma


def test_every_read_sees_the_last_write_of_any_process(chroma: ChromaCollection, tmp_path: Path,
                                                       fake_embedder: HashingEmbedder) -> None:
    vector = fake_embedder.embed_queries(["快递 还没到"])[0]
    other = _collection(tmp_path / "chroma")

    faqs = EntryFilter(locale="zh", kinds=("faq",))
    assert chroma.query(vector, 1, faqs)[0].entry.key == "ship-001@zh"
    Indexer(fake_embedder, other).index([make_entry(answer="今天发出。")])
    assert chroma.query(vector, 1, faqs)[0].entry.answer == "今天发出。"
    other.delete(["ship-001@zh"])
    assert "ship-001@zh" not in chroma.keys(EntryFilter())
    assert chroma.count() == len(bilingual_entries()) - 1


def test_records_are_counted_apart_from_entries(chroma: ChromaCollection) -> None:
    assert chroma.record_count() == RECORDS
    assert chroma.count() == len(bilingual_entries()) < RECORDS


def test_nearest_gives_the_closest_records_of_any_filter_with_their_distances(
        chroma: ChromaCollection, fake_embedder: HashingEmbedder) -> None:
    nearest = chroma.nearest(fake_embedder.embed_queries(["where is my parcel"]), 5)

    assert len(nearest.ids) == 5 and nearest.ids[0].startswith("ship-001@en#")
    assert list(nearest.distances) == sorted(nearest.distances) and nearest.metas == ()
    assert len(chroma.nearest(fake_embedder.embed_queries(["发票"]), 100).ids) == RECORDS


def test_metadata_by_record_id_leaves_out_records_gone(chroma: ChromaCollection) -> None:
    wanted = [record_id("ship-001@zh", ANCHOR), record_id("invoice-001@en", ANCHOR), "gone@zh#a"]

    found = chroma.metadata(wanted)

    assert sorted(found) == sorted(wanted[:2])
    assert found[wanted[0]]["key"] == "ship-001@zh" and found[wanted[0]]["content_hash"]


def test_matching_reads_every_record_a_clause_matches(chroma: ChromaCollection) -> None:
    metas = chroma.matching({"kind": {"$in": ["announcement", "template"]}})

    assert sorted({m["key"] for m in metas}) == ["ann-double11@zh", "tpl-delay@zh"]
    assert len(metas) == sum(len(e.facets()) for e in bilingual_entries() if e.kind != "faq")


def test_keys_by_a_narrow_clause_apply_the_rest_of_the_filter_too(chroma: ChromaCollection) -> None:
    assert chroma.keys(EntryFilter(kinds=("announcement",))) == ["ann-double11@zh"]
    assert chroma.keys(EntryFilter(kinds=("announcement",), locale="en")) == []
    assert chroma.keys(EntryFilter(entry_id="ship-001", locale="en")) == ["ship-001@en"]


@pytest.mark.parametrize("vectors", [True, False])
def test_records_are_read_in_batches_up_to_the_total_asked(chroma: ChromaCollection, vectors: bool) -> None:
    batches = list(chroma.read_records(RECORDS - 1, vectors=vectors))

    assert [len(ids) for ids, _, _ in batches] == [3] * (len(batches) - 1) + [len(batches[-1][0])]
    ids = [i for got, _, _ in batches for i in got]
    assert len(ids) >= RECORDS - 1 and len(set(ids)) == len(ids)  # the last batch may hold one more
    assert all(meta["key"] == i.split("#")[0] for got, metas, _ in batches for i, meta in zip(got, metas, strict=True))
    if vectors:
        assert all(v is not None and v.shape == (len(got), 256) and v.dtype == np.float32 for got, _, v in batches)
    else:
        assert all(v is None for _, _, v in batches)


def test_a_new_generation_is_seen_by_another_process_and_keeps_the_embedder(chroma: ChromaCollection,
                                                                            tmp_path: Path) -> None:
    other = _collection(tmp_path / "chroma")
    assert other.opened_generation == chroma.generation()

    made = chroma.new_generation()

    assert other.generation() == made != other.opened_generation
    assert chroma.new_generation() != made
    assert _collection(tmp_path / "chroma").opened_generation == chroma.generation()  # the embedder still checks
