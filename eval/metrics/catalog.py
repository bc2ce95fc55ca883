"""Pre-sale answers from the shop's catalog: was the right product found, are the catalog's facts in the draft, and
did the draft state any it does not hold? Three per-case metrics, scored only on cases that say what they expect:

- `sku_resolved` (mean `sku_resolution_accuracy`): 1.0 when the draft is about the product the case names (or
  about none, when the case expects none).
- `fact_accuracy`: the share of the case's required facts (`must_include`) the draft states, over cases that
  expect a catalog answer.
- `invented_facts` (lower is better): how many numbers, amounts, dates and percentages in a catalog draft neither
  the catalog, the order, the message nor the calendar notice gives, plus each `must_not_include` phrase it has.
"""

from __future__ import annotations

from eval.metrics.base import MetricResult, Sample
from eval.metrics.compliance import present_phrases, required_phrase_share
from eval.metrics.groundedness import calendar_notice, unsupported_claims

CATALOG = "catalog"


def sku_resolved(sample: Sample) -> MetricResult:
    name = "sku_resolved"
    case = sample.case
    if not case.expects_product:
        return MetricResult(name, None, "the case does not say which product")
    found = sample.draft.product.sku if sample.draft.product else None
    if found == case.expected_sku:
        return MetricResult(name, 1.0, f"about {found or 'no product'}, as expected")
    return MetricResult(name, 0.0, f"about {found or 'no product'}; the case expects {case.expected_sku or 'none'}")


def fact_accuracy(sample: Sample) -> MetricResult:
    name = "fact_accuracy"
    case = sample.case
    if case.expected_answer_mode != CATALOG or not case.must_include:
        return MetricResult(name, None, "not a catalog case with required facts")
    share = required_phrase_share(sample.text, case.must_include)
    return MetricResult(name, share.score, share.reason)


def invented_facts(sample: Sample) -> MetricResult:
    name = "invented_facts"
    case, draft = sample.case, sample.draft
    if case.expected_answer_mode != CATALOG and draft.answer_mode != CATALOG:
        return MetricResult(name, None, "neither a catalog case nor a catalog draft")
    notice = [calendar_notice(draft.calendar, draft.language)] if draft.calendar else []
    support = [*sample.facts, *sample.source_texts(), *notice, case.message]
    invented = [c.text for c in unsupported_claims(sample.text, support, case.order.facts())]
    invented += present_phrases(sample.text, case.must_not_include)
    if not invented:
        return MetricResult(name, 0.0, "every fact is the catalog's, the order's or the buyer's")
    return MetricResult(name, float(len(invented)), "not in the catalog: " + "; ".join(invented))
