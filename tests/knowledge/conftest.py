"""Shared builders for the knowledge tests: entries in both locales and a KnowledgeBase on the real store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest

from knowledge.chroma_store import ChromaStore
from knowledge.embedders import Embedder, load_embedder
from knowledge.embedders.base import Vectors
from knowledge.embedders.registry import TORCH_E5
from knowledge.indexing import Indexer
from knowledge.loaders import load_path
from knowledge.models import Entry
from knowledge.service import KnowledgeBase
from tests.conftest import MODEL_CACHE, SAMPLE_KB

CST = timezone(timedelta(hours=8))  # China Standard Time: the shop's clock


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware datetime on the shop's clock (UTC+8)."""
    return datetime(year, month, day, hour, minute, tzinfo=CST)


def make_entry(**overrides: Any) -> Entry:
    """A valid Chinese logistics FAQ; override any field."""
    fields: dict[str, Any] = {
        "id": "ship-001",
        "kind": "faq",
        "question": "我的快递怎么还没到？物流一直不更新怎么办？",
        "answer": "亲，日常订单一般在付款后48小时内发出，大促期间会延长至72小时内。",
        "platform": "any",
        "locale": "zh",
        "tags": ("logistics", "delivery_delay"),
        "source": "test",
    }
    return Entry.model_validate({**fields, **overrides})


def bilingual_entries() -> list[Entry]:
    """A tiny shop knowledge base: FAQs in zh and en, a platform-only FAQ, an announcement and a template."""
    return [
        make_entry(),
        make_entry(
            locale="en", question="Where is my parcel? Why hasn't my package arrived yet?",
            answer="On normal days we ship within 48 hours of payment; during big promotions up to 72 hours.",
        ),
        make_entry(
            id="invoice-001", question="怎么开发票？可以开增值税专用发票吗？",
            answer="确认收货后可在订单页申请电子普通发票，一般3个工作日内开具。", tags=("invoice",),
        ),
        make_entry(
            id="invoice-001", locale="en", question="How do I get an invoice? Can you issue a VAT invoice?",
            answer="After confirming receipt, request an electronic invoice on the order page.", tags=("invoice",),
        ),
        make_entry(
            id="refund-taobao", platform="taobao", question="淘宝退款多久到账？",
            answer="仓库签收退货后48小时内验收，验收无误后原路退回。", tags=("return_refund",),
        ),
        make_entry(
            id="refund-amazon", platform="amazon", locale="en", question="When will my Amazon refund arrive?",
            answer="Amazon issues the refund within 2 business days after the return is scanned.",
            tags=("return_refund",),
        ),
        make_entry(
            id="ann-double11", kind="announcement", question="", title="双11发货安排",
            answer="双11期间订单将在付款后72小时内发出，物流信息可能延迟更新。",
            valid_from=at(2025, 11, 1), valid_until=at(2025, 11, 12), tags=("logistics", "holiday"),
        ),
        make_entry(
            id="tpl-delay", kind="template", question="我的快递怎么还没到？",
            answer="亲，非常抱歉让您久等了，这边马上帮您催促快递～", tags=("logistics",),
        ),
    ]


@pytest.fixture
def kb(store: ChromaStore, indexer: Indexer) -> KnowledgeBase:
    return KnowledgeBase(store, indexer)


def sample_question_scores(embedder: Embedder) -> Vectors:
    """Every example question of the sample KB (rows) against every entry (columns), an entry scored by its best
    facet (its heading as a query, its text as a passage), as the store scores it."""
    entries = load_path(SAMPLE_KB)
    passages = embedder.embed_passages([e.embedding_text() for e in entries])
    heads = embedder.embed_queries([e.heading for e in entries])
    asked = embedder.embed_queries([x for e in entries for x in e.examples])
    return np.maximum(asked @ passages.T, asked @ heads.T)


# Texts every runtime of the default model is checked on against the reference, two of them past its 512 tokens.
E5_TEXTS = [
    "我的快递怎么还没到？物流一直不更新。", "亲 能便宜点吗", "发票怎么开",
    "Where is my parcel? It still hasn't arrived.", "can i return it if it doesn't fit",
    "本店所有商品支持七天无理由退货，退货运费由买家承担，质量问题除外。" * 40,
    "Returns are accepted within seven days; the buyer pays for return shipping unless the item is faulty. " * 30,
]


@pytest.fixture(scope="session")
def reference() -> Embedder:
    """The default model on sentence-transformers (torch): what its other runtimes are tested against."""
    return load_embedder(TORCH_E5, MODEL_CACHE)


@pytest.fixture(scope="session")
def reference_sample_scores(reference: Embedder) -> Vectors:
    return sample_question_scores(reference)
