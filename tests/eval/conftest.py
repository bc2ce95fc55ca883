"""Builders for the eval tests: a case, a draft as the drafting service returns it, and the sample of both."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

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
               latency_ms: float = 12.5) -> Draft:
    """A draft citing `cited` in that order; each citation's snippet is `snippets[id]` or a stand-in."""
    snippets = snippets or {}
    citations = [
        Citation(id=i, title=f"title of {i}", kind="faq", score=0.9, snippet=snippets.get(i, f"snippet of {i}"))
        for i in cited
    ]
    return Draft(draft=text, language=language, citations=citations, confidence=0.8,  # type: ignore[arg-type]
                 needs_human=needs_human, reasons=[], provider="template", degraded=False, latency_ms=latency_ms)


def make_sample(text: str = "亲，非常抱歉让您久等了！", cited: Sequence[str] = (), *, case: Case | None = None,
                sources: Mapping[str, str] | None = None, violations: Sequence[str] = (), **draft: Any) -> Sample:
    return Sample(case or make_case(), make_draft(text, cited, **draft), sources or {}, tuple(violations))
