"""One contract, two deployments: the embedded PersistentClient and a Chroma server over HTTP."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from knowledge.chroma import EF_SEARCH, open_chroma_client
from knowledge.chroma_store import ChromaStore
from knowledge.errors import EmbedderMismatchError
from knowledge.indexing import Indexer
from knowledge.models import Entry
from knowledge.store import EntryFilter
from tests.fakes import HashingEmbedder


@pytest.fixture(params=["embedded", "server"])
def client_factory(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    if request.param == "embedded":
        return lambda: open_chroma_client(tmp_path / "chroma")
    port = request.getfixturevalue("chroma_port")  # one server per session (tests/conftest.py)
    return lambda: open_chroma_client(host="127.0.0.1", port=port)


def _entries() -> list[Entry]:
    expired = datetime(2025, 11, 12, tzinfo=UTC)
    return [
        Entry(id="ship-001", question="我的快递怎么还没到", answer="付款后48小时内发货。", locale="zh",
              tags=("logistics",)),
        Entry(id="ship-001", question="Where is my parcel?", answer="We ship within 48 hours.", locale="en"),
        Entry(id="ret-amz", question="How do I return on Amazon?", answer="Use the Returns Centre.", locale="en",
              platform="amazon"),
        Entry(id="ann-old", kind="announcement", title="双11仓库延迟", answer="发货延迟。", locale="zh",
              valid_from=datetime(2025, 11, 1, tzinfo=UTC), valid_until=expired),
    ]


def test_store_contract(client_factory: object, request: pytest.FixtureRequest) -> None:
    name = f"contract-{request.node.callspec.id}-{time.monotonic_ns()}"
    embedder = HashingEmbedder()
    store = ChromaStore(client_factory(), name, embedder.model_id)  # type: ignore[operator]
    indexer = Indexer(embedder, store)

    first = indexer.index(_entries())
    again = indexer.index(_entries())
    assert (first.added, first.embedded) == (4, 8)
    assert (again.unchanged, again.embedded) == (4, 0)
    assert store.count() == 4

    now = datetime(2026, 11, 23, tzinfo=UTC)
    hits = store.query(embedder.embed_queries(["快递怎么还没到"])[0], 3, EntryFilter(platform="taobao", locale="zh",
                                                                                  valid_at=now))
    assert [h.entry.key for h in hits] == ["ship-001@zh"]
    taobao_en = store.keys(EntryFilter(platform="taobao", locale="en"))
    amazon_en = store.keys(EntryFilter(platform="amazon", locale="en"))
    assert sorted(taobao_en) == ["ship-001@en"]
    assert sorted(amazon_en) == ["ret-amz@en", "ship-001@en"]

    store.delete(["ship-001@en"])
    assert store.get(["ship-001@en", "ship-001@zh"])[0].key == "ship-001@zh"
    assert store.count() == 3

    reopened = ChromaStore(client_factory(), name, embedder.model_id)  # type: ignore[operator]
    assert reopened.count() == 3
    with pytest.raises(EmbedderMismatchError):
        ChromaStore(client_factory(), name, "another-model")  # type: ignore[operator]


def test_searches_are_wide_on_new_and_older_collections(client_factory: object,
                                                        request: pytest.FixtureRequest) -> None:
    """A collection is searched at EF_SEARCH, not chroma's 100; one an older version made at 100 is widened when it
    is opened, keeping its records."""
    embedder = HashingEmbedder()
    new = f"wide-{request.node.callspec.id}-{time.monotonic_ns()}"
    ChromaStore(client_factory(), new, embedder.model_id)  # type: ignore[operator]
    older = f"older-{request.node.callspec.id}-{time.monotonic_ns()}"
    client = client_factory()  # type: ignore[operator]
    made = client.create_collection(older, embedding_function=None, metadata={"embedder": embedder.model_id},
                                    configuration={"hnsw": {"space": "cosine"}})
    made.add(ids=["k#a"], embeddings=[[1.0] * embedder.dimension])
    assert made.configuration_json["hnsw"]["ef_search"] == 100

    ChromaStore(client_factory(), older, embedder.model_id)  # type: ignore[operator]

    for name in (new, older):
        col = client_factory().get_collection(name)  # type: ignore[operator]
        assert col.configuration_json["hnsw"]["ef_search"] == EF_SEARCH
        assert col.configuration_json["hnsw"]["space"] == "cosine"
    assert client_factory().get_collection(older).count() == 1  # type: ignore[operator]
