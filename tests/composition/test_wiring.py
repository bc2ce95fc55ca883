"""What `build_components` loads: the model only when something is embedded, except for the API (`warm`), which
loads it before it serves. Real chroma in a temp dir, the real model."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from composition.settings import Settings
from composition.wiring import Components, build_components
from knowledge.embedders import LazyEmbedder
from knowledge.embedders.registry import E5_MODEL_ID
from knowledge.models import Scope
from knowledge.store import EntryFilter
from tests.conftest import SAMPLE_KB


def _model(parts: Components) -> LazyEmbedder:
    lazy = vars(parts.embedder)["_inner"]  # CachedEmbedder around it
    assert isinstance(lazy, LazyEmbedder)
    return lazy


@pytest.mark.model
def test_commands_that_embed_nothing_never_load_the_model(settings: Settings) -> None:
    """As the CLI builds them, once per command."""
    parts = build_components(settings)
    try:
        shop = parts.shops.get()
        assert shop.knowledge.list(EntryFilter()) == ([], 0)
        assert not _model(parts).loaded and parts.embedder.model_id == E5_MODEL_ID
        shop.knowledge.index_paths([SAMPLE_KB / "faq.zh.jsonl"])
        assert _model(parts).loaded
        shop.announcements.publish(title="顺丰停运通知", body="受天气影响，部分地区顺丰暂停揽收。", locale="zh",
                                   valid_from=None, valid_until=parts.clock() + timedelta(days=1), platform="any",
                                   scope=Scope(), priority=0, entry_id="sf-stop", at=parts.clock())
    finally:
        parts.close()

    parts = build_components(settings)
    try:
        shop = parts.shops.get()
        entries, total = shop.knowledge.list(EntryFilter(locale="zh"))
        assert total > 10 and len(entries) == min(total, 50)
        assert [e.id for e in shop.announcements.list("active", parts.clock())] == ["sf-stop"]
        [expired] = shop.announcements.expire("sf-stop", parts.clock())
        assert expired.valid_until is not None and expired.valid_until <= parts.clock()
        report = shop.knowledge.index_paths([SAMPLE_KB / "faq.zh.jsonl"])  # unchanged: nothing to embed
        assert (report.added, report.updated, report.embedded) == (0, 0, 0) and report.unchanged > 10
        assert shop.knowledge.delete(entries[0].id) >= 1
        assert shop.knowledge.list(EntryFilter(locale="zh"))[1] < total
        assert not _model(parts).loaded
    finally:
        parts.close()


@pytest.mark.model
def test_the_api_loads_the_model_before_it_serves(settings: Settings) -> None:
    parts = build_components(settings, warm=True)
    try:
        assert _model(parts).loaded
    finally:
        parts.close()


def test_a_model_that_cannot_load_fails_the_api_start_and_a_listing_still_works(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", model_cache_dir=tmp_path / "models", llm="template",
                        embedder=str(tmp_path / "no-such-model"))
    with pytest.raises(Exception, match="no-such-model"):
        build_components(settings, warm=True)
    parts = build_components(settings)
    try:
        assert parts.shops.get().knowledge.list(EntryFilter()) == ([], 0)
    finally:
        parts.close()
