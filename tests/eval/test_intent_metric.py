"""Intent accuracy: the draft's intent against the case's, with dataset labels mapped into draftdesk's set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.vocab import INTENTS
from eval.dataset import load_dataset
from eval.metrics import MetricResult, case_metrics, summarize
from eval.metrics.base import Sample
from eval.metrics.intent import default_labels, intent_match, load_labels, to_intent
from tests.conftest import ROOT
from tests.eval.conftest import FIXTURES, make_case, make_draft
from tests.fakes import HashingEmbedder

BITEXT_INTENTS = {  # the 27 intents of the Bitext dataset (../shared/data/cases_en_*.jsonl)
    "cancel_order", "change_order", "change_shipping_address", "check_cancellation_fee", "check_invoice",
    "check_payment_methods", "check_refund_policy", "complaint", "contact_customer_service", "contact_human_agent",
    "create_account", "delete_account", "delivery_options", "delivery_period", "edit_account", "get_invoice",
    "get_refund", "newsletter_subscription", "payment_issue", "place_order", "recover_password",
    "registration_problems", "review", "set_up_shipping_address", "switch_account", "track_order", "track_refund",
}


def sample(expected: str | None, found: str | None) -> Sample:
    draft = make_draft().model_copy(update={"intent": found, "intent_confidence": None if found is None else 0.9})
    return Sample(make_case(expected_intent=expected), draft)


@pytest.mark.parametrize(
    ("expected", "found", "score", "reason"),
    [
        ("logistics", "logistics", 1.0, "logistics, as expected"),
        ("logistics", "cancel", 0.0, "cancel, the case expects logistics"),
        ("track_order", "logistics", 1.0, "logistics, as expected"),
        ("newsletter_subscription", "other", 1.0, "other, as expected"),
        ("cancel_order", "modify_order", 0.0, "modify_order, the case expects cancel (cancel_order)"),
        (None, "logistics", None, "the case has no expected intent"),
        ("logistics", None, None, "the draft carries no intent"),
        ("warp_drive", "other", None, "unknown intent label 'warp_drive': map it in eval/metrics/intent_labels.yaml"),
    ],
    ids=["match", "miss", "bitext-match", "bitext-to-other", "bitext-miss", "no-expected", "no-intent", "unknown"],
)
def test_intent_match(expected: str | None, found: str | None, score: float | None, reason: str) -> None:
    assert intent_match(sample(expected, found)) == MetricResult("intent_match", score, reason)


def test_the_summary_reports_intent_accuracy_over_the_cases_that_expect_one() -> None:
    samples = [sample("logistics", "logistics"), sample("get_refund", "return_refund"), sample("invoice", "coupon"),
               sample(None, "greeting"), sample("coupon", None)]
    per_case = [[metric(s) for metric in case_metrics(HashingEmbedder())] for s in samples]

    summary = {r.name: r for r in summarize(samples, per_case)}

    assert summary["intent_accuracy"] == MetricResult("intent_accuracy", 2 / 3, "mean over 3 of 5 cases")
    assert "intent_match" not in summary
    empty = {r.name: r.score for r in summarize([], [])}
    assert "intent_accuracy" in empty and empty["intent_accuracy"] is None


def test_every_bitext_intent_maps_into_our_set() -> None:
    labels = default_labels()

    assert set(labels) >= BITEXT_INTENTS
    assert set(labels.values()) <= set(INTENTS)
    assert {to_intent(label) for label in BITEXT_INTENTS} == {
        "logistics", "cancel", "modify_order", "return_refund", "invoice", "complaint", "other"}
    fixture = [json.loads(line) for line in (FIXTURES / "bitext_cases_en.jsonl").read_text("utf-8").splitlines()]
    assert all(to_intent(row["intent"]) in INTENTS for row in fixture)


def test_our_own_ids_stand_for_themselves_and_unknown_labels_map_to_none() -> None:
    assert to_intent("bad_review_threat", labels={}) == "bad_review_threat"
    assert to_intent("track_order", labels={}) is None
    assert to_intent("track_order", labels={"track_order": "logistics"}) == "logistics"


def test_a_label_map_must_point_at_our_intents(tmp_path: Path) -> None:
    path = tmp_path / "labels.yaml"
    path.write_text("labels:\n  track_order: shipping\n", encoding="utf-8")

    with pytest.raises(ValidationError, match=r"labels\.track_order"):
        load_labels(path)
    path.write_text("labels:\n  track_order: logistics\n", encoding="utf-8")
    assert load_labels(path) == {"track_order": "logistics"}


def test_the_promo_cases_expect_our_own_intents() -> None:
    cases = load_dataset(ROOT / "eval" / "datasets" / "promo_cases.jsonl").cases

    assert all(c.expected_intent in INTENTS for c in cases)
    assert {c.id: c.expected_intent for c in cases if "angry" in c.tags} == {
        "promo-zh-angry": "bad_review_threat", "promo-en-angry": "bad_review_threat"}  # they threaten a review
