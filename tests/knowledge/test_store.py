"""ChromaStore on a real Chroma, embedded and a server: filters, reads, deletes, the embedder check, persistence."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from knowledge.chroma import open_chroma_client
from knowledge.chroma_store import ChromaStore
from knowledge.errors import EmbedderMismatchError, StoreUnavailableError
from knowledge.indexing import Indexer
from knowledge.models import Entry
from knowledge.service import KnowledgeBase
from knowledge.store import EntryFilter
from tests.conftest import ROOT
from tests.fakes import HashingEmbedder
from tests.knowledge.conftest import at, bilingual_entries, make_entry

ALL_KEYS = sorted(e.key for e in bilingual_entries())


@dataclass(frozen=True)
class Deployment:
    """Where the store lives: an embedded directory or a Chroma server; each `client()` is a fresh connection."""

    data_dir: Path | None = None
    port: int | None = None

    def client(self) -> Any:
        if self.port is not None:
            return open_chroma_client(host="127.0.0.1", port=self.port)
        return open_chroma_client(self.data_dir)

    def source(self) -> str:
        """The same `client()` call, as code for another process."""
        if self.port is not None:
            return f"open_chroma_client(host='127.0.0.1', port={self.port})"
        return f"open_chroma_client(Path({str(self.data_dir)!r}))"


@pytest.fixture(params=["embedded", "server"])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Deployment:
    if request.param == "embedded":
        return Deployment(data_dir=tmp_path / "chroma")
    return Deployment(port=request.getfixturevalue("chroma_port"))  # the session's server (tests/conftest.py)


@pytest.fixture
def collection() -> str:
    return f"kb-{uuid.uuid4().hex}"  # the server is shared by the session: a collection of our own


@pytest.fixture
def store(deployment: Deployment, collection: str, fake_embedder: HashingEmbedder) -> ChromaStore:
    return ChromaStore(deployment.client(), collection, fake_embedder.model_id)


@pytest.fixture
def filled(indexer: Indexer, store: ChromaStore) -> ChromaStore:
    indexer.index(bilingual_entries())
    return store


def _keys(store: ChromaStore, **flt: object) -> list[str]:
    return sorted(store.keys(EntryFilter(**flt)))  # type: ignore[arg-type]


def test_no_filter_returns_every_entry_once(filled: ChromaStore) -> None:
    assert _keys(filled) == ALL_KEYS
    assert filled.count() == len(ALL_KEYS) == 8


@pytest.mark.parametrize(
    ("platform", "excluded"),
    [("taobao", {"refund-amazon@en"}), ("amazon", {"refund-taobao@zh"}),
     ("jd", {"refund-amazon@en", "refund-taobao@zh"}), ("any", {"refund-amazon@en", "refund-taobao@zh"})],
)
def test_platform_filter_includes_entries_for_any_platform(filled: ChromaStore, platform: str,
                                                           excluded: set[str]) -> None:
    assert _keys(filled, platform=platform) == sorted(set(ALL_KEYS) - excluded)


def test_locale_kind_source_and_id_filters(filled: ChromaStore, indexer: Indexer) -> None:
    assert _keys(filled, locale="en") == ["invoice-001@en", "refund-amazon@en", "ship-001@en"]
    assert _keys(filled, kinds=("announcement", "template")) == ["ann-double11@zh", "tpl-delay@zh"]
    assert _keys(filled, entry_id="ship-001") == ["ship-001@en", "ship-001@zh"]
    assert _keys(filled, entry_id="ship-001", locale="zh") == ["ship-001@zh"]
    assert _keys(filled, entry_id="ship") == []  # exact ids, not prefixes
    assert _keys(filled, platform="taobao", locale="zh", kinds=("faq",)) == [
        "invoice-001@zh", "refund-taobao@zh", "ship-001@zh"]
    indexer.index([make_entry(id="pol-1", kind="policy", source="policies.zh.md")])
    assert _keys(filled, source="policies.zh.md") == ["pol-1@zh"]
    assert _keys(filled, source="test", kinds=("policy",)) == []


@pytest.mark.parametrize(
    ("moment", "announcement_live"),
    [(at(2025, 10, 31, 23, 59), False), (at(2025, 11, 1), True), (at(2025, 11, 11, 23, 59), True),
     (at(2025, 11, 12), False), (at(2026, 6, 18), False)],
)
def test_validity_filter_excludes_expired_and_future_entries(indexer: Indexer, store: ChromaStore,
                                                             moment: object, announcement_live: bool) -> None:
    future = make_entry(id="ann-cny", kind="announcement", question="", title="春节发货安排",
                        valid_from=at(2026, 1, 20), valid_until=at(2026, 2, 5))
    indexer.index([*bilingual_entries(), future])

    live = _keys(store, valid_at=moment)

    assert ("ann-double11@zh" in live) is announcement_live
    assert "ann-cny@zh" not in live
    assert "ship-001@zh" in live  # no window: always valid
    assert len(live) == 7 + announcement_live


def test_validity_filter_includes_an_entry_inside_its_window(indexer: Indexer, store: ChromaStore) -> None:
    indexer.index([make_entry(valid_from=at(2026, 1, 20), valid_until=at(2026, 2, 5))])

    assert _keys(store, valid_at=at(2026, 1, 20)) == ["ship-001@zh"]
    assert _keys(store, valid_at=at(2026, 2, 4, 23, 59)) == ["ship-001@zh"]
    assert _keys(store, valid_at=at(2026, 2, 5)) == []


def test_query_applies_the_filter_and_scores_by_the_best_facet(filled: ChromaStore,
                                                               fake_embedder: HashingEmbedder) -> None:
    vector = fake_embedder.embed_queries(["我的快递怎么还没到？物流一直不更新怎么办？"])[0]

    hits = filled.query(vector, 3, EntryFilter(locale="zh", kinds=("faq",)))

    assert hits[0].entry.key == "ship-001@zh"
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)  # identical to the stored question
    assert all(h.entry.locale == "zh" and h.entry.kind == "faq" for h in hits)
    assert len({h.entry.key for h in hits}) == len(hits) == 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_query_k_and_empty_results(filled: ChromaStore, fake_embedder: HashingEmbedder) -> None:
    vector = fake_embedder.embed_queries(["发票"])[0]

    assert len(filled.query(vector, 1, EntryFilter())) == 1
    assert filled.query(vector, 0, EntryFilter()) == []
    assert filled.query(vector, 4, EntryFilter(entry_id="no-such-id")) == []


def test_get_keeps_the_requested_order_and_skips_missing_keys(filled: ChromaStore) -> None:
    got = filled.get(["ship-001@en", "nope@zh", "invoice-001@zh"])

    assert [e.key for e in got] == ["ship-001@en", "invoice-001@zh"]
    assert got[1] == next(e for e in bilingual_entries() if e.key == "invoice-001@zh")
    assert filled.get([]) == []


def test_stored_entries_round_trip_every_field(filled: ChromaStore) -> None:
    originals = {e.key: e for e in bilingual_entries()}

    assert {e.key: e for e in filled.get(ALL_KEYS)} == originals
    ann = filled.get(["ann-double11@zh"])[0]
    assert (ann.valid_from, ann.valid_until) == (at(2025, 11, 1), at(2025, 11, 12))


def test_list_is_sorted_by_key_and_paginated(filled: ChromaStore, kb: KnowledgeBase) -> None:
    pages = [kb.list(EntryFilter(), limit=3, offset=offset) for offset in (0, 3, 6, 9)]

    assert [[e.key for e in page] for page, _ in pages] == [ALL_KEYS[0:3], ALL_KEYS[3:6], ALL_KEYS[6:8], []]
    assert {total for _, total in pages} == {8}
    en_page, en_total = kb.list(EntryFilter(locale="en"), limit=2, offset=1)
    assert [e.key for e in en_page] == ["refund-amazon@en", "ship-001@en"]
    assert en_total == len([k for k in ALL_KEYS if k.endswith("@en")])


def test_delete_removes_every_facet(filled: ChromaStore, fake_embedder: HashingEmbedder) -> None:
    question = "我的快递怎么还没到？物流一直不更新怎么办？"
    vector = fake_embedder.embed_queries([question])[0]
    assert filled.query(vector, 1, EntryFilter(locale="zh", kinds=("faq",)))[0].entry.key == "ship-001@zh"

    filled.delete(["ship-001@zh", "no-such@zh"])

    assert filled.vectors(["ship-001@zh"]) == []
    assert filled.fingerprints(["ship-001@zh"]) == {}
    assert "ship-001@zh" not in [h.entry.key for h in filled.query(vector, 8, EntryFilter())]
    assert filled.count() == 7
    filled.delete([])
    assert filled.count() == 7


def test_fingerprints_and_vectors_only_report_stored_keys(filled: ChromaStore) -> None:
    entry = make_entry()

    assert filled.fingerprints([entry.key, "nope@en"]) == {entry.key: (entry.content_hash(), entry.text_hash())}
    assert filled.fingerprints([]) == {} and filled.vectors([]) == []
    assert sorted(f for f, _, _ in filled.vectors([entry.key])) == ["a", "q"]
    assert {len(v) for _, _, v in filled.vectors([entry.key])} == {256}
    assert {t for _, t, _ in filled.vectors([entry.key])} == {entry.question, entry.embedding_text()}


def test_reopening_with_another_embedder_is_refused(deployment: Deployment, collection: str,
                                                    filled: ChromaStore) -> None:
    client = deployment.client()

    with pytest.raises(EmbedderMismatchError, match="built with embedder 'fake-hashing-256'") as exc:
        ChromaStore(client, collection, "multilingual-e5-small/other")
    assert exc.value.code == "embedder_mismatch"

    again = ChromaStore(client, collection, "fake-hashing-256")  # the refusal did not overwrite the record
    assert again.count() == 8


def test_another_collection_in_the_same_directory_is_independent(deployment: Deployment, collection: str,
                                                                 filled: ChromaStore) -> None:
    other = ChromaStore(deployment.client(), f"{collection}-other", "multilingual-e5-small/other")

    assert other.count() == 0
    assert filled.count() == 8


def test_a_second_store_on_the_same_directory_sees_the_entries(deployment: Deployment, collection: str,
                                                               filled: ChromaStore) -> None:
    again = ChromaStore(deployment.client(), collection, "fake-hashing-256")

    assert sorted(again.keys(EntryFilter())) == ALL_KEYS
    assert again.get(["ship-001@zh"]) == [make_entry()]


def test_entries_persist_for_another_process(deployment: Deployment, collection: str, filled: ChromaStore) -> None:
    """A new process cannot share chroma's in-memory cache, so it must read what was written to disk (or served)."""
    script = textwrap.dedent(f"""
        from pathlib import Path
        from knowledge.chroma import open_chroma_client
        from knowledge.chroma_store import ChromaStore
        from knowledge.store import EntryFilter
        store = ChromaStore({deployment.source()}, {collection!r}, "fake-hashing-256")
        print(store.count(), store.get(["ship-001@zh"])[0].question)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=False)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "8 我的快递怎么还没到？物流一直不更新怎么办？"


def test_embedded_store_needs_a_directory() -> None:
    with pytest.raises(StoreUnavailableError, match="needs a data directory"):
        open_chroma_client(None)


def test_bad_collection_name_is_a_store_error(deployment: Deployment) -> None:
    with pytest.raises(StoreUnavailableError, match="cannot open collection 'kb'"):
        ChromaStore(deployment.client(), "kb", "fake-hashing-256")


def test_upsert_replaces_the_entry_in_place(indexer: Indexer, store: ChromaStore) -> None:
    indexer.index([make_entry()])
    updated: Entry = make_entry(answer="亲，72小时内发出。", tags="logistics")

    indexer.index([updated])

    assert store.count() == 1
    assert store.get(["ship-001@zh"]) == [updated]


def test_a_query_finds_filtered_entries_beyond_the_nearest_records(indexer: Indexer, store: ChromaStore,
                                                                    fake_embedder: HashingEmbedder) -> None:
    """The nearest records are read and filtered here; when too few pass, chroma's own filter still finds them."""
    near = [make_entry(id=f"near-{n}", question=f"快递 物流 到了吗 {n}", answer="快递物流。", platform="jd")
            for n in range(40)]  # 80 records closer to the message than the one the filter lets through
    far = make_entry(id="far", question="发票", answer="电子发票。", platform="taobao")
    indexer.index([*near, far])
    vector = fake_embedder.embed_queries(["快递 物流 到了吗"])[0]

    taobao = store.query(vector, 2, EntryFilter(platform="taobao", locale="zh"))
    jd = store.query(vector, 3, EntryFilter(platform="jd", locale="zh", valid_at=at(2026, 11, 11)))

    assert [h.entry.key for h in taobao] == ["far@zh"]
    assert len(jd) == 3 and all(h.entry.id.startswith("near-") for h in jd)
    assert [h.score for h in jd] == sorted((h.score for h in jd), reverse=True)
    assert store.query(vector, 2, EntryFilter(platform="taobao", locale="en")) == []


def test_keys_by_a_narrow_clause_apply_the_whole_filter(indexer: Indexer, store: ChromaStore) -> None:
    notice = make_entry(id="notice", kind="announcement", title="双11延迟发货", question="", platform="taobao",
                        valid_from=at(2026, 11, 1), valid_until=at(2026, 11, 20))
    indexer.index([make_entry(), notice, make_entry(id="notice", kind="announcement", title="Delay", question="",
                                                    locale="en", platform="amazon")])

    def keys(**flt: object) -> list[str]:
        return _keys(store, kinds=("announcement",), **flt)

    assert keys() == ["notice@en", "notice@zh"]
    assert keys(platform="taobao", locale="zh", valid_at=at(2026, 11, 11)) == ["notice@zh"]
    assert keys(platform="taobao", locale="zh", valid_at=at(2026, 11, 21)) == []
    assert keys(platform="jd") == []
    assert _keys(store, entry_id="notice", locale="en") == ["notice@en"]


def _watching(deployment: Deployment, collection: str, embedder: HashingEmbedder,
              clock: list[float]) -> tuple[ChromaStore, ChromaStore]:
    """A store that looks for other processes' writes every 2 s of `clock`, and another process's store."""
    store = ChromaStore(deployment.client(), collection, embedder.model_id, check_s=2.0, monotonic=lambda: clock[0])
    return store, ChromaStore(deployment.client(), collection, embedder.model_id)


def test_records_read_are_read_again_only_after_a_write_of_ours_or_once_another_is_seen(
        deployment: Deployment, collection: str, fake_embedder: HashingEmbedder,
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0.0]
    store, other = _watching(deployment, collection, fake_embedder, clock)
    Indexer(fake_embedder, store).index([make_entry(), make_entry(id="ret-001", question="退货 怎么 办",
                                                                  answer="七天无理由退货。")])
    read: list[list[str]] = []
    get = store.chroma.col.get

    def counted(**kwargs: Any) -> Any:
        read.append(list(kwargs.get("ids") or []))
        return get(**kwargs)

    monkeypatch.setattr(store.chroma.col, "get", counted)

    def answer(message: str) -> str:
        hits = store.query(fake_embedder.embed_queries([message])[0], 2, EntryFilter(locale="zh"))
        return next(h.entry.answer for h in hits if h.entry.id == "ship-001")

    first = answer("快递 延迟")
    assert len(read) == 1 and len(read[0]) >= 4  # every record of both entries
    clock[0] = 60.0  # nothing changed since: however long ago they were read, the records are not read again
    assert answer("快递 还没到 延迟") == first and len(read) == 1
    Indexer(fake_embedder, other).index([make_entry(answer="今天发出。")])
    assert answer("快递 什么时候 到") == first  # another process's change is seen ...
    clock[0] = 62.0
    assert answer("快递 到 哪 了") == "今天发出。" and len(read) == 2  # ... once the store looks again, check_s on
    Indexer(fake_embedder, store).index([make_entry(answer="明天发出。")])
    assert answer("快递 延迟 了 吗") == "明天发出。"  # its own write forgets at once


def test_remembered_reads_see_own_writes_the_time_and_others_writes_within_check_s(
        deployment: Deployment, collection: str, fake_embedder: HashingEmbedder) -> None:
    clock = [0.0]
    store, other = _watching(deployment, collection, fake_embedder, clock)
    notice = make_entry(id="notice", kind="announcement", title="快递 延迟", question="", answer="快递延迟发货。",
                        valid_until=at(2026, 11, 20))
    Indexer(fake_embedder, store).index([make_entry(), notice])
    vector = fake_embedder.embed_queries(["快递 延迟"])[0]

    def found(when: datetime) -> list[str]:
        return [h.entry.key for h in store.query(vector, 3, EntryFilter(locale="zh", valid_at=when))]

    assert found(at(2026, 11, 11)) == ["notice@zh", "ship-001@zh"]
    assert found(at(2026, 11, 21)) == ["ship-001@zh"]  # remembered records, filtered at this query's time
    Indexer(fake_embedder, store).index([make_entry(id="late", question="快递 延迟 了", answer="延迟。")])
    assert "late@zh" in found(at(2026, 11, 11))  # its own write forgets what it remembered
    other.delete(["late@zh"])
    assert "late@zh" in found(at(2026, 11, 11))  # another process's write is seen ...
    clock[0] = 2.0
    assert "late@zh" not in found(at(2026, 11, 11))  # ... once the store looks at the collection again

    def notices(when: datetime) -> list[str]:
        return store.keys(EntryFilter(kinds=("announcement",), valid_at=when))

    assert notices(at(2026, 11, 11)) == ["notice@zh"] and notices(at(2026, 11, 21)) == []
    Indexer(fake_embedder, other).index([make_entry(id="notice2", kind="announcement", title="停发", question="")])
    assert notices(at(2026, 11, 11)) == ["notice@zh"]
    clock[0] = 4.0
    assert sorted(notices(at(2026, 11, 11))) == ["notice2@zh", "notice@zh"]


def test_a_warmed_store_reads_no_metadata_for_its_searches_until_the_collection_changes(
        deployment: Deployment, collection: str, fake_embedder: HashingEmbedder,
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0.0]
    store, other = _watching(deployment, collection, fake_embedder, clock)
    entries = bilingual_entries()
    Indexer(fake_embedder, store).index(entries)
    records = sum(len(e.facets()) for e in entries)
    assert store.warm() == records
    reads: list[Any] = []
    get = store.chroma.col.get
    monkeypatch.setattr(store.chroma.col, "get", lambda **kwargs: reads.append(kwargs) or get(**kwargs))

    def search(message: str) -> list[str]:
        return [h.entry.key for h in store.query(fake_embedder.embed_queries([message])[0], 3, EntryFilter())]

    messages = ["快递 还没到", "退货 怎么 办", "where is my parcel", "can I return it", "发票", "invoice"]
    before = [search(m) for m in messages]
    assert all(before) and reads == []  # every record's metadata was in memory

    other.delete(["ship-001@zh"])
    clock[0] = 2.0
    after = [search(m) for m in messages]
    assert reads  # the collection changed: what was in memory is gone, and what is searched now is read again
    assert "ship-001@zh" in before[0] and not any("ship-001@zh" in keys for keys in after)


def test_a_warmed_store_searches_its_vectors_in_memory_and_finds_what_chroma_finds(
        deployment: Deployment, collection: str, fake_embedder: HashingEmbedder,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = ChromaStore(deployment.client(), collection, fake_embedder.model_id)
    Indexer(fake_embedder, store).index(bilingual_entries())
    messages = ["快递 还没到", "退货 怎么 办", "淘宝 退款 多久", "where is my parcel", "can I return it",
                "Amazon refund", "发票", "invoice"]
    # the search in memory keeps to the filter's language and platforms (and entries of any platform)
    filters = [EntryFilter(), EntryFilter(locale="zh"), EntryFilter(locale="en"), EntryFilter(platform="taobao"),
               EntryFilter(locale="zh", platform="taobao"), EntryFilter(locale="en", platform="amazon"),
               EntryFilter(locale="zh", platform="pdd")]

    def search(s: ChromaStore, message: str, flt: EntryFilter) -> list[tuple[str, float]]:
        hits = s.query(fake_embedder.embed_queries([message])[0], 3, flt)
        return [(h.entry.key, round(h.score, 4)) for h in hits if h.score > 0]  # ties at 0 come in any order

    by_chroma = [search(store, m, flt) for m in messages for flt in filters]
    warmed = ChromaStore(deployment.client(), collection, fake_embedder.model_id)
    warmed.warm()
    searches: list[Any] = []
    query = warmed.chroma.col.query
    monkeypatch.setattr(warmed.chroma.col, "query", lambda **kwargs: searches.append(kwargs) or query(**kwargs))

    assert [search(warmed, m, flt) for m in messages for flt in filters] == by_chroma and all(by_chroma)
    assert searches == []  # every search ran on the vectors in memory
    assert any(key == "refund-taobao@zh" for key, _ in search(warmed, "淘宝 退款 多久", filters[4]))
    assert not any(key == "refund-taobao@zh" for hits in (search(warmed, "淘宝 退款 多久", flt)
                                                         for flt in filters[5:]) for key, _ in hits)


def test_after_a_change_chroma_searches_until_the_store_has_warmed_again(
        deployment: Deployment, collection: str, fake_embedder: HashingEmbedder,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = ChromaStore(deployment.client(), collection, fake_embedder.model_id, rewarm_after_s=0.2)
    indexer = Indexer(fake_embedder, store)
    indexer.index(bilingual_entries())
    store.warm()
    searches: list[Any] = []
    query = store.chroma.col.query
    monkeypatch.setattr(store.chroma.col, "query", lambda **kwargs: searches.append(kwargs) or query(**kwargs))

    def search() -> list[str]:
        return [h.entry.key for h in store.query(fake_embedder.embed_queries(["快递 还没到"])[0], 3, EntryFilter())]

    assert "ship-001@zh" in search() and searches == []
    store.delete(["ship-001@zh"])
    assert "ship-001@zh" not in search() and len(searches) == 1  # the vectors in memory are out of date
    deadline = time.monotonic() + 20
    while store._exact is None or store._exact[0] != store._records.epoch:  # a thread reads them again, once quiet
        assert time.monotonic() < deadline
        time.sleep(0.05)
    searches.clear()
    assert "ship-001@zh" not in search() and searches == []
    assert store.warm() == sum(len(e.facets()) for e in bilingual_entries()) - 2  # the deleted entry's two facets


def test_without_the_vectors_in_memory_a_warmed_store_sees_another_stores_new_entries_at_once(
        deployment: Deployment, collection: str, fake_embedder: HashingEmbedder) -> None:
    """As several workers on one Chroma server: chroma searches, so what one indexes the next draft of another finds."""
    store = ChromaStore(deployment.client(), collection, fake_embedder.model_id, exact=False)
    other = ChromaStore(deployment.client(), collection, fake_embedder.model_id)
    Indexer(fake_embedder, other).index([make_entry(id="ret-001", question="退货 怎么 办", answer="七天无理由")])
    assert store.warm() == 2 and store._exact is None

    Indexer(fake_embedder, other).index([make_entry()])
    found = store.query(fake_embedder.embed_queries(["快递 还没到"])[0], 2, EntryFilter())
    assert found[0].entry.key == "ship-001@zh"


def test_warm_reads_nothing_when_the_records_would_not_fit(deployment: Deployment, collection: str,
                                                           fake_embedder: HashingEmbedder) -> None:
    entries = bilingual_entries()
    records = sum(len(e.facets()) for e in entries)
    Indexer(fake_embedder, ChromaStore(deployment.client(), collection, fake_embedder.model_id)).index(entries)

    def warm(size: int) -> int:
        return ChromaStore(deployment.client(), collection, fake_embedder.model_id, records=size).warm()

    assert warm(records - 1) == 0 and warm(0) == 0
    assert warm(records) == records


def test_a_write_in_progress_already_makes_other_stores_forget(
        deployment: Deployment, collection: str, fake_embedder: HashingEmbedder,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The generation changes before a write as well as after it: were the writer killed mid-write, other processes
    would still read what chroma then holds, not what they remembered from before."""
    clock = [0.0]
    writer = ChromaStore(deployment.client(), collection, fake_embedder.model_id)
    Indexer(fake_embedder, writer).index([make_entry()])
    reader = ChromaStore(deployment.client(), collection, fake_embedder.model_id, check_s=2.0,
                         monotonic=lambda: clock[0])
    vector = fake_embedder.embed_queries(["快递 延迟"])[0]

    def answers() -> list[str]:
        return [h.entry.answer for h in reader.query(vector, 1, EntryFilter())]

    assert answers() == [make_entry().answer]
    upsert = writer.chroma.col.upsert
    during: list[list[str]] = []

    def anchor_write_killed(**kwargs: Any) -> Any:
        if any(i.endswith("#a") for i in kwargs["ids"]):  # the question's record is rewritten; the anchor is next
            clock[0] += 2.0
            during.append(answers())
            raise RuntimeError("killed")
        return upsert(**kwargs)

    monkeypatch.setattr(writer.chroma.col, "upsert", anchor_write_killed)
    with pytest.raises(StoreUnavailableError, match="killed"):
        Indexer(fake_embedder, writer).index([make_entry(answer="今天发出。")])

    assert during == [["今天发出。"]]  # the rewritten record, read again mid-write
