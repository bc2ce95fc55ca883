"""Near-duplicate FAQs with the real e5 model over a real Chroma store."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.chroma import open_chroma_client
from knowledge.chroma_store import ChromaStore
from knowledge.duplicates import near_duplicates
from knowledge.embedders import Embedder
from knowledge.indexing import Indexer
from knowledge.models import Entry

ENTRIES = [
    Entry(id="ship-001", locale="zh", question="我的快递怎么还没到？", answer="付款后48小时内发出。"),
    Entry(id="ship-copy", locale="zh", question="我的快递为什么还没到？", answer="一般两天内发货。"),
    Entry(id="invoice-001", locale="zh", question="怎么开发票？", answer="在订单页申请开票。"),
    Entry(id="ship-001", locale="en", question="Where is my parcel?", answer="We ship within 48 hours."),
    Entry(id="ship-again", locale="en", question="Where is my package?", answer="Orders ship within 2 days."),
    Entry(id="return-001", locale="en", question="How do I return an item?", answer="Start a return."),
    Entry(id="ann-1", locale="zh", kind="announcement", title="我的快递怎么还没到？", answer="延迟通知。"),
]


@pytest.fixture
def store(tmp_path: Path, real_embedder: Embedder) -> ChromaStore:
    store = ChromaStore(open_chroma_client(tmp_path / "chroma"), "dups", real_embedder.model_id)
    Indexer(real_embedder, store).index(ENTRIES)
    return store


@pytest.mark.model
def test_paraphrased_questions_pair_up_per_language(store: ChromaStore) -> None:
    pairs = near_duplicates(store)

    assert {(p.first, p.second) for p in pairs} == {("ship-001@zh", "ship-copy@zh"), ("ship-001@en", "ship-again@en")}
    assert all(p.score >= 0.95 for p in pairs)
    assert pairs == sorted(pairs, key=lambda p: -p.score)


@pytest.mark.model
def test_locale_threshold_and_limit(store: ChromaStore) -> None:
    assert [p.first for p in near_duplicates(store, locale="en")] == ["ship-001@en"]
    assert near_duplicates(store, threshold=0.999) == []
    assert len(near_duplicates(store, threshold=0.0, locale="zh")) == 3  # every zh FAQ pair, announcements left out
    assert len(near_duplicates(store, limit=1)) == 1
