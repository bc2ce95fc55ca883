"""Language match against the buyer's language; latency passthrough and percentiles."""

from __future__ import annotations

import pytest

from eval.metrics.language import language, language_match
from eval.metrics.latency import latency, latency_percentiles
from tests.eval.conftest import make_case, make_sample


def test_language_match() -> None:
    assert language_match("亲，您的包裹已经发出啦", "zh").score == 1.0
    assert language_match("Your parcel has shipped.", "en").score == 1.0
    wrong = language_match("Your parcel has shipped.", "zh")
    assert (wrong.score, wrong.reason) == (0.0, "the buyer wrote zh, the draft is in en")
    assert language_match("亲，已发出", "zh").reason == "the buyer wrote zh, the draft is in zh"
    assert language_match("", "zh").score is None


def test_language_is_judged_from_the_text_not_the_drafts_language_field() -> None:
    sample = make_sample("Your parcel has shipped.", language="zh", case=make_case(locale="zh"))

    assert language(sample).score == 0.0


def test_the_expected_language_is_the_buyers_not_the_cases_locale() -> None:
    """A buyer who writes English on a Chinese storefront gets an English reply."""
    case = make_case(message="Where is my parcel? It has not arrived.", locale="zh")

    assert language(make_sample("Your parcel shipped yesterday.", case=case)).score == 1.0
    assert language(make_sample("亲，包裹昨天已经发出了", case=case)).reason == "the buyer wrote en, the draft is in zh"


def test_latency_passes_the_drafts_own_measurement_through() -> None:
    assert latency(make_sample(latency_ms=321.5)).score == 321.5


def test_percentiles_by_hand() -> None:
    # linear interpolation: p50 at index 1.5 -> 25; p95 at index 2.85 -> 30 + 0.85 * 10 = 38.5
    p50, p95 = latency_percentiles([40.0, 10.0, 30.0, 20.0])

    assert (p50.name, p50.score, p95.name, p95.score) == ("latency_p50_ms", 25.0, "latency_p95_ms", pytest.approx(38.5))
    assert p50.reason == "over 4 drafts"


def test_percentiles_of_one_and_of_none() -> None:
    assert [r.score for r in latency_percentiles([120.0])] == [120.0, 120.0]
    assert [r.score for r in latency_percentiles([])] == [None, None]
