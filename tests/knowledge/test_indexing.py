"""Indexer on a real Chroma with the hashing embedder: embed what changed, keep the rest, prune what went."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from knowledge.chroma_store import ChromaStore
from knowledge.errors import InvalidFileError
from knowledge.indexing import Indexer, IndexReport
from knowledge.service import KnowledgeBase
from knowledge.store import EntryFilter
from tests.conftest import write_jsonl
from tests.fakes import HashingEmbedder
from tests.knowledge.conftest import at, bilingual_entries, make_entry

EN = {"locale": "en", "question": "Where is my parcel?", "answer": "We ship within 48 hours of payment."}


def test_first_index_adds_and_embeds_each_facet(indexer: Indexer, store: ChromaStore,
                                               fake_embedder: HashingEmbedder) -> None:
    entries = [make_entry(), make_entry(**EN)]

    report = indexer.index(entries)

    assert (report.added, report.updated, report.unchanged, report.deleted) == (2, 0, 0, 0)
    assert report.embedded == 4 == fake_embedder.embedded  # a question and a passage per entry
    assert report.sources == ["test"]
    assert store.count() == 2
    assert store.get(["ship-001@zh", "ship-001@en"]) == entries


def test_vectors_are_the_question_as_query_and_the_passage(indexer: Indexer, store: ChromaStore,
                                                           fake_embedder: HashingEmbedder) -> None:
    entry = make_entry()

    indexer.index([entry])

    stored = {facet: vector for facet, _, vector in store.vectors([entry.key])}
    assert sorted(stored) == ["a", "q"]
    np.testing.assert_allclose(stored["q"], fake_embedder.embed_queries([entry.question])[0], atol=1e-6)
    np.testing.assert_allclose(stored["a"], fake_embedder.embed_passages([entry.embedding_text()])[0], atol=1e-6)


def test_identical_texts_across_entries_are_embedded_once(indexer: Indexer, store: ChromaStore,
                                                          fake_embedder: HashingEmbedder) -> None:
    same = [make_entry(id=f"ship-001-{p}", platform=p) for p in ("taobao", "pdd", "jd")]

    report = indexer.index(same)

    assert report.added == 3
    assert report.embedded == 2
    assert fake_embedder.calls == [1, 1]  # one query batch, one passage batch, one text each
    assert store.count() == 3


def test_reindexing_unchanged_entries_embeds_nothing(indexer: Indexer, fake_embedder: HashingEmbedder) -> None:
    entries = bilingual_entries()
    indexer.index(entries)
    calls_before = list(fake_embedder.calls)

    report = indexer.index(entries)

    assert (report.added, report.updated, report.unchanged, report.embedded) == (0, 0, len(entries), 0)
    assert fake_embedder.calls == calls_before


@pytest.mark.parametrize(
    "change",
    [{"valid_until": at(2030, 1, 1)}, {"tags": "logistics|complaint"}, {"platform": "jd"},
     {"source": "/kb/faq.zh.jsonl"}],
    ids=lambda c: next(iter(c)),
)
def test_metadata_changes_update_without_embedding(indexer: Indexer, store: ChromaStore,
                                                   fake_embedder: HashingEmbedder, change: dict[str, object]) -> None:
    other = make_entry(**EN)
    indexer.index([make_entry(), other])
    vectors_before = store.vectors(["ship-001@zh"])
    calls_before = list(fake_embedder.calls)

    changed = make_entry(**change)
    report = indexer.index([changed, other])

    assert (report.added, report.updated, report.unchanged, report.embedded) == (0, 1, 1, 0)
    assert fake_embedder.calls == calls_before
    assert store.get(["ship-001@zh"]) == [changed]
    assert store.vectors(["ship-001@zh"]) == vectors_before
    assert store.fingerprints(["ship-001@zh"])["ship-001@zh"] == (changed.content_hash(), changed.text_hash())


def test_source_change_moves_the_entry_to_the_new_source(indexer: Indexer, store: ChromaStore) -> None:
    indexer.index([make_entry(source="old.jsonl")])

    indexer.index([make_entry(source="new.jsonl")])

    assert store.keys(EntryFilter(source="old.jsonl")) == []
    assert store.keys(EntryFilter(source="new.jsonl")) == ["ship-001@zh"]


def test_changing_the_answer_re_embeds_the_entry(indexer: Indexer, store: ChromaStore,
                                                 fake_embedder: HashingEmbedder) -> None:
    indexer.index([make_entry(), make_entry(**EN)])
    fake_embedder.calls.clear()

    changed = make_entry(answer="亲，双11期间订单会在付款后72小时内发出，请耐心等待。")
    report = indexer.index([changed, make_entry(**EN)])

    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    assert report.embedded == 1 == fake_embedder.embedded  # the passage; the unchanged question keeps its vector
    stored = {facet: vector for facet, _, vector in store.vectors([changed.key])}
    np.testing.assert_allclose(stored["a"], fake_embedder.embed_passages([changed.embedding_text()])[0], atol=1e-6)
    assert store.get([changed.key])[0].answer == changed.answer


def test_prune_removes_entries_gone_from_their_source_only(indexer: Indexer, store: ChromaStore) -> None:
    faq = [make_entry(source="faq.jsonl"), make_entry(source="faq.jsonl", **EN),
           make_entry(id="invoice-001", question="怎么开发票？", source="faq.jsonl")]
    other = make_entry(id="ann-1", title="春节发货安排", question="", source="announcements.jsonl")
    indexer.index([*faq, other])

    report = indexer.index(faq[:1], prune_sources=["faq.jsonl"])

    assert (report.unchanged, report.deleted, report.embedded) == (1, 2, 0)
    assert report.sources == ["faq.jsonl"]
    assert sorted(store.keys(EntryFilter())) == ["ann-1@zh", "ship-001@zh"]
    assert store.vectors(["ship-001@en", "invoice-001@zh"]) == []


def test_prune_with_no_entries_empties_the_source(indexer: Indexer, store: ChromaStore) -> None:
    indexer.index([make_entry(source="faq.jsonl"), make_entry(id="x-1", source="other.jsonl")])

    report = indexer.index([], prune_sources=["faq.jsonl"])

    assert (report.added, report.deleted, report.embedded) == (0, 1, 0)
    assert store.keys(EntryFilter()) == ["x-1@zh"]


def test_dry_run_reports_the_same_counts_and_keys_and_writes_nothing(
        indexer: Indexer, store: ChromaStore, fake_embedder: HashingEmbedder) -> None:
    indexer.index([make_entry(source="faq.jsonl"), make_entry(id="old-1", source="faq.jsonl")])
    before, embedded_before = store.count(), fake_embedder.embedded
    batch = [make_entry(answer="Changed answer.", source="faq.jsonl"), make_entry(id="new-1", source="faq.jsonl")]

    preview = indexer.index(batch, prune_sources=["faq.jsonl"], dry_run=True)

    assert preview.dry_run
    assert (preview.added, preview.updated, preview.unchanged, preview.deleted) == (1, 1, 0, 1)
    assert preview.keys == {"added": ["new-1@zh"], "updated": ["ship-001@zh"], "deleted": ["old-1@zh"]}
    assert (store.count(), fake_embedder.embedded) == (before, embedded_before)  # nothing embedded or written
    real = indexer.index(batch, prune_sources=["faq.jsonl"])
    assert (real.added, real.updated, real.unchanged, real.deleted, real.embedded, real.keys) == (
        preview.added, preview.updated, preview.unchanged, preview.deleted, preview.embedded, preview.keys)
    assert not real.dry_run and sorted(store.keys(EntryFilter())) == ["new-1@zh", "ship-001@zh"]


def test_report_as_dict() -> None:
    assert IndexReport(added=2, embedded=4, sources=["a"]).as_dict() == {
        "added": 2, "updated": 0, "unchanged": 0, "deleted": 0, "embedded": 4, "sources": ["a"], "dry_run": False,
        "keys": {}}


# --- through the KnowledgeBase service, with real files -------------------------------------------------

ZH = {"id": "ship-001", "question": "我的快递怎么还没到？", "answer": "一般48小时内发出。", "locale": "zh"}
INVOICE = {"id": "invoice-001", "question": "How do I get an invoice?", "answer": "Request it on the order page.",
           "locale": "en"}


def test_a_bad_file_leaves_the_store_empty(tmp_path: Path, kb: KnowledgeBase, store: ChromaStore,
                                           fake_embedder: HashingEmbedder) -> None:
    good = write_jsonl(tmp_path / "a-good.jsonl", [ZH, INVOICE])
    bad = tmp_path / "b-bad.jsonl"
    bad.write_text(json.dumps(ZH, ensure_ascii=False) + "\n{oops\n", encoding="utf-8")

    with pytest.raises(InvalidFileError) as exc:
        kb.index_paths([good, bad])

    assert exc.value.source == str(bad.resolve())
    assert exc.value.problems[0].startswith("line 2: invalid JSON")
    assert store.count() == 0
    assert fake_embedder.calls == []


def test_a_bad_file_leaves_earlier_content_untouched(tmp_path: Path, kb: KnowledgeBase,
                                                     store: ChromaStore) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", [ZH, INVOICE])
    kb.index_paths([good])
    write_jsonl(good, [{**ZH, "answer": "已改：72小时内发出。"}])
    bad = write_jsonl(tmp_path / "bad.jsonl", [{**INVOICE, "platform": "ebay"}])

    with pytest.raises(InvalidFileError, match="line 1: platform"):
        kb.index_paths([good, bad], prune=True)

    assert sorted(store.keys(EntryFilter())) == ["invoice-001@en", "ship-001@zh"]
    assert store.get(["ship-001@zh"])[0].answer == "一般48小时内发出。"


def test_index_paths_prunes_only_the_files_named(tmp_path: Path, kb: KnowledgeBase, store: ChromaStore) -> None:
    faq = write_jsonl(tmp_path / "faq.jsonl", [ZH, INVOICE])
    other = write_jsonl(tmp_path / "other.jsonl", [{**ZH, "id": "ann-1"}])
    first = kb.index_paths([faq, other])
    assert (first.added, sorted(first.sources)) == (3, sorted([str(faq.resolve()), str(other.resolve())]))

    write_jsonl(faq, [ZH])
    report = kb.index_paths([faq], prune=True)

    assert (report.unchanged, report.deleted) == (1, 1)
    assert sorted(store.keys(EntryFilter())) == ["ann-1@zh", "ship-001@zh"]


def test_index_paths_prunes_files_removed_from_a_directory(tmp_path: Path, kb: KnowledgeBase,
                                                           store: ChromaStore) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    write_jsonl(folder / "faq.jsonl", [ZH])
    (folder / "policy.md").write_text("## 退货\n\n七天无理由退货。\n", encoding="utf-8")
    kb.index_paths([folder])
    write_jsonl(folder / "faq.jsonl", [INVOICE])

    report = kb.index_paths([folder], prune=True)

    assert (report.added, report.unchanged, report.deleted) == (1, 1, 1)
    assert sorted(store.keys(EntryFilter())) == ["invoice-001@en", "policy:退货@zh"]


def test_index_upload_and_rows_use_their_own_sources(kb: KnowledgeBase, store: ChromaStore) -> None:
    upload = kb.index_upload(json.dumps(ZH, ensure_ascii=False).encode("utf-8"), filename="faq.jsonl")
    rows = kb.index_rows([INVOICE], source="api")

    assert (upload.added, upload.sources, rows.added, rows.sources) == (1, ["upload:faq.jsonl"], 1, ["api"])
    assert store.keys(EntryFilter(source="upload:faq.jsonl")) == ["ship-001@zh"]
    assert kb.count() == 2
