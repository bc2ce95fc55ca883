"""Builders for the eval tests: a case, a draft as the drafting service returns it, and the sample of both."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from composition.settings import Settings
from drafting.models import Citation, Draft
from eval.dataset import Case
from eval.metrics.base import Sample

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"  # ../shared/data beside the checkout


def make_case(**overrides: Any) -> Case:
    """A Chinese delivery-delay case; override any field."""
    fields: dict[str, Any] = {
        "id": "case-1", "message": "我的快递怎么还没到？", "platform": "taobao", "locale": "zh",
        "reference_answer": "亲，非常抱歉让您久等了，大促期间一般在付款后72小时内发出。",
        "expected_kb_ids": ["ship-001"],
    }
    return Case.model_validate({**fields, **overrides})


def make_draft(text: str = "亲，非常抱歉让您久等了！", cited: Sequence[str] = (), *,
               snippets: Mapping[str, str] | None = None, needs_human: bool = False, language: str = "zh",
               latency_ms: float = 12.5, **fields: Any) -> Draft:
    """A draft citing `cited` in that order; each citation's snippet is `snippets[id]` or a stand-in. `fields`
    sets any other field of the draft (answer_mode, situation, calendar, compliance...)."""
    snippets = snippets or {}
    citations = [
        Citation(id=i, title=f"title of {i}", kind="faq", score=0.9, snippet=snippets.get(i, f"snippet of {i}"))
        for i in cited
    ]
    return Draft.model_validate({
        "draft": text, "language": language, "citations": citations, "confidence": 0.8, "needs_human": needs_human,
        "reasons": [], "provider": "template", "degraded": False, "latency_ms": latency_ms, **fields})


def make_sample(text: str = "亲，非常抱歉让您久等了！", cited: Sequence[str] = (), *, case: Case | None = None,
                sources: Mapping[str, str] | None = None, violations: Sequence[str] = (), **draft: Any) -> Sample:
    return Sample(case or make_case(), make_draft(text, cited, **draft), sources or {}, tuple(violations))


# --- The harness tests (runner, report, compare, CLI): a tiny knowledge base and dataset on temp dirs. ---

TINY_KB: list[dict[str, Any]] = [
    {"id": "ship-001", "locale": "zh", "tags": ["logistics", "delivery_delay"],
     "question": "我的快递怎么还没到？物流一直不更新怎么办？",
     "answer": "日常订单一般在付款后48小时内发出。物流信息可能延迟约24小时才更新，请耐心等待。"},
    {"id": "ret-001", "locale": "zh", "tags": ["return_refund"],
     "question": "支持七天无理由退货吗？", "answer": "支持。商品签收后7天内，商品完好即可申请七天无理由退货。"},
    {"id": "ship-001", "locale": "en", "tags": ["logistics"],
     "question": "Where is my parcel? Why hasn't my package arrived yet?",
     "answer": "Orders ship within 48 hours of payment, and tracking can lag by about 24 hours."},
    {"id": "cancel-001", "locale": "en", "tags": ["cancel_order"],
     "question": "How do I cancel my order before it ships?",
     "answer": "Before your order ships, open the order page and click Cancel order."},
]
SCRIPT = "<script>alert('x')</script>"
TINY_CASES: list[dict[str, Any]] = [
    {"id": "zh-delay", "message": "我的快递怎么还没到？物流一直不更新", "platform": "taobao", "locale": "zh",
     "reference_answer": "亲，日常订单一般在付款后48小时内发出，物流信息可能延迟约24小时才更新。",
     "expected_kb_ids": ["ship-001"], "expect_human": False, "expected_answer_mode": "entry"},
    {"id": "zh-return", "message": "支持七天无理由退货吗？", "platform": "jd", "locale": "zh",
     "reference_answer": "支持的亲，签收后7天内商品完好即可申请七天无理由退货。",
     "expected_kb_ids": ["ret-001"], "expect_human": False, "expected_answer_mode": "entry"},
    {"id": "en-cancel", "message": f"How do I cancel my order before it ships? {SCRIPT}", "platform": "amazon",
     "locale": "en", "reference_answer": "Open the order page and click Cancel order before it ships.",
     "expected_kb_ids": ["cancel-001"], "expect_human": False, "expected_answer_mode": "entry"},
    {"id": "en-offtopic", "message": "Where is my parcel? It has not arrived.", "platform": "amazon", "locale": "en",
     "reference_answer": "Quantum zebra xylophone.", "expected_kb_ids": ["ship-001"], "expect_human": True},
]


def write_dataset(path: Path, cases: list[dict[str, Any]] | None = None, name: str = "tiny", **header: Any) -> Path:
    """`header` adds fields to the header line (`at`...)."""
    header = {"dataset": {"name": name, "kb": "kb.jsonl", **header}}
    rows = [header, *(cases if cases is not None else TINY_CASES)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def tiny_kb(tmp_path: Path) -> Path:
    path = tmp_path / "kb" / "kb.jsonl"
    path.parent.mkdir()
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in TINY_KB), encoding="utf-8")
    return path


@pytest.fixture
def tiny_dataset(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "tiny.jsonl")


@pytest.fixture
def eval_settings(tmp_path: Path) -> Settings:
    """Thresholds low enough that the hashing embedder's similarities count as confident."""
    return Settings(data_dir=tmp_path / "data", model_cache_dir=tmp_path / "models", llm="template",
                    threshold_zh=0.2, threshold_en=0.2)
