"""Retriever with the hashing embedder on a real Chroma: hits above the threshold, or how close it came."""

from __future__ import annotations

import pytest

from knowledge.chroma_store import ChromaStore
from knowledge.indexing import Indexer
from knowledge.retrieval import Retriever
from tests.fakes import HashingEmbedder
from tests.knowledge.conftest import at, bilingual_entries, make_entry

NOW = at(2026, 3, 1)
DOUBLE11 = at(2025, 11, 10)


@pytest.fixture
def indexed(indexer: Indexer) -> None:
    indexer.index(bilingual_entries())


def _retriever(fake_embedder: HashingEmbedder, store: ChromaStore, **thresholds: float) -> Retriever:
    return Retriever(fake_embedder, store, thresholds=thresholds or {"zh": 0.3, "en": 0.3})


@pytest.mark.usefixtures("indexed")
@pytest.mark.parametrize(
    ("message", "locale", "platform", "best"),
    [
        ("我的快递怎么还没到？", "zh", "taobao", "ship-001"),
        ("发票怎么开？要增值税专用发票", "zh", "jd", "invoice-001"),
        ("Where is my parcel? It hasn't arrived yet", "en", "pdd", "ship-001"),
        ("Can you issue a VAT invoice?", "en", "amazon", "invoice-001"),
        ("When will my Amazon refund arrive", "en", "amazon", "refund-amazon"),
    ],
)
def test_returns_the_matching_entry_above_the_threshold(fake_embedder: HashingEmbedder, store: ChromaStore,
                                                        message: str, locale: str, platform: str, best: str) -> None:
    found = _retriever(fake_embedder, store).retrieve(message, platform=platform, locale=locale, at=NOW)

    assert found.confident
    assert found.hits[0].entry.id == best
    assert found.best_score == found.hits[0].score
    assert found.threshold == 0.3
    assert all(h.score >= 0.3 and h.entry.locale == locale for h in found.hits)
    assert all(h.entry.platform in (platform, "any") for h in found.hits)
    assert [h.score for h in found.hits] == sorted((h.score for h in found.hits), reverse=True)


@pytest.mark.usefixtures("indexed")
def test_below_the_threshold_reports_the_best_score_and_threshold(fake_embedder: HashingEmbedder,
                                                                  store: ChromaStore) -> None:
    message = "我的快递怎么还没到？"
    best = _retriever(fake_embedder, store).retrieve(message, platform="taobao", locale="zh", at=NOW).best_score

    found = _retriever(fake_embedder, store, zh=0.99, en=0.2).retrieve(
        message, platform="taobao", locale="zh", at=NOW)

    assert not found.confident and found.hits == []
    assert found.threshold == 0.99
    assert found.best_score == pytest.approx(best)
    assert 0.3 < found.best_score < 0.99


@pytest.mark.usefixtures("indexed")
def test_unrelated_message_is_not_confident(fake_embedder: HashingEmbedder, store: ChromaStore) -> None:
    found = _retriever(fake_embedder, store).retrieve(
        "Do you sell garden furniture", platform="amazon", locale="en", at=NOW)

    assert found.hits == []
    assert found.best_score < 0.3


def test_empty_store_is_not_confident(fake_embedder: HashingEmbedder, store: ChromaStore) -> None:
    found = _retriever(fake_embedder, store).retrieve("我的快递怎么还没到？", platform="taobao", locale="zh", at=NOW)

    assert (found.hits, found.best_score, found.confident) == ([], 0.0, False)


def test_an_unknown_locale_falls_back_to_the_lowest_threshold(fake_embedder: HashingEmbedder,
                                                              store: ChromaStore) -> None:
    retriever = Retriever(fake_embedder, store, thresholds={"zh": 0.8, "en": 0.6})

    assert retriever.retrieve("hola", platform="jd", locale="es", at=NOW).threshold == 0.6
    assert Retriever(fake_embedder, store, thresholds={}).retrieve(
        "hola", platform="jd", locale="es", at=NOW).threshold == 0.0


@pytest.mark.usefixtures("indexed")
def test_templates_are_never_returned(fake_embedder: HashingEmbedder, store: ChromaStore) -> None:
    # tpl-delay's question is exactly this message; a faq shares only part of it
    found = _retriever(fake_embedder, store, zh=0.0).retrieve(
        "我的快递怎么还没到？", platform="taobao", locale="zh", at=NOW)

    assert "tpl-delay" not in [h.entry.id for h in found.hits]
    assert found.hits[0].entry.id == "ship-001"
    assert found.best_score < 0.999  # the template would have scored 1.0


def test_only_templates_means_no_answer(fake_embedder: HashingEmbedder, store: ChromaStore, indexer: Indexer) -> None:
    indexer.index([make_entry(id="tpl-1", kind="template")])

    found = _retriever(fake_embedder, store, zh=0.0).retrieve(
        make_entry().question, platform="taobao", locale="zh", at=NOW)

    assert (found.hits, found.best_score) == ([], 0.0)


@pytest.mark.usefixtures("indexed")
@pytest.mark.parametrize(("moment", "expected"), [(DOUBLE11, True), (NOW, False), (at(2025, 10, 1), False)])
def test_announcements_count_only_inside_their_window(fake_embedder: HashingEmbedder, store: ChromaStore,
                                                      moment: object, expected: bool) -> None:
    found = _retriever(fake_embedder, store, zh=0.2).retrieve(
        "双11发货安排 物流信息延迟更新", platform="taobao", locale="zh", at=moment)  # type: ignore[arg-type]

    ids = [h.entry.id for h in found.hits]
    assert ("ann-double11" in ids) is expected
    if expected:
        assert ids[0] == "ann-double11"
    assert ids  # the logistics faq still answers


def test_top_k_limits_the_hits(fake_embedder: HashingEmbedder, store: ChromaStore, indexer: Indexer) -> None:
    indexer.index([make_entry(id=f"ship-{n:03d}", answer=f"第{n}条：一般48小时内发出。") for n in range(6)])

    found = Retriever(fake_embedder, store, thresholds={"zh": 0.0}, top_k=2).retrieve(
        "我的快递怎么还没到？", platform="pdd", locale="zh", at=NOW)

    assert len(found.hits) == 2
    assert len({h.entry.id for h in found.hits}) == 2
