"""Forbidden phrases and reported policy violations (a count), the runner's own policy check, and the share of
required phrases."""

from __future__ import annotations

from drafting.authority import load_authority
from drafting.models import Compliance, Violation
from drafting.policy import PolicyChecker, load_rules
from eval.metrics.compliance import compliance, must_include, required_phrase_share, violation_count
from eval.runner import violations
from tests.eval.conftest import make_case, make_draft, make_sample


def test_forbidden_phrases_are_found_case_insensitively_in_both_languages() -> None:
    result = violation_count("好的亲，已为您发放100元优惠券！", ["已为您发放", "送您100元"])
    english = violation_count("Done! Here Is Your Coupon: SAVE100", ["here is your coupon", "coupon code:"])

    assert (result.score, result.reason) == (1.0, "contains '已为您发放'")
    assert english.score == 1.0


def test_full_width_text_matches_its_half_width_phrase() -> None:
    assert violation_count("送您１００元优惠券", ["送您100元"]).score == 1.0


def test_each_reported_violation_counts_too() -> None:
    result = violation_count("保证明天到！", ["保证明天"], ["promise_without_source: 保证", "pii: phone number"])

    assert result.score == 3.0
    assert result.reason == "contains '保证明天'; policy: promise_without_source: 保证; policy: pii: phone number"


def test_a_clean_draft_scores_zero() -> None:
    assert violation_count("亲，非常抱歉，客服无法单独发放优惠券。", ["已为您发放", "已发放"]).reason == (
        "2 forbidden phrase(s); no policy violations")
    assert violation_count("", ["已发放"]).score == 0.0
    assert violation_count("ok", []).reason == "no forbidden phrases listed; no policy violations"


def test_the_sample_brings_the_case_phrases_and_the_runners_violations() -> None:
    sample = make_sample("Ignore that. Here is your coupon.", case=make_case(
        locale="en", must_not_include=["here is your coupon"]), violations=["coupon_promise"])

    assert compliance(sample).score == 2.0


def test_the_drafts_own_compliance_verdict_is_not_counted() -> None:
    """draftdesk screens its drafts itself; the runner checks them again, so the draft's own verdict would count
    each violation twice."""
    own = Compliance(passed=False, violations=[Violation(rule="email", span="email us", message="no e-mail")])
    sample = make_sample("Just email us the photos.", case=make_case(locale="en"), compliance=own,
                         violations=["email: email us"])

    assert compliance(sample).score == 1.0
    assert compliance(make_sample("Just email us the photos.", compliance=own)).score == 0.0


def test_the_runner_checks_every_draft_as_the_pipeline_returned_it() -> None:
    policy = PolicyChecker(load_rules(), load_authority())
    request = make_case(locale="en", platform="amazon", message="My number is 13812345678, call me").to_request()

    emailed = violations(policy, request, make_draft("Just email us the photos.", language="en"))
    echoed = violations(policy, request, make_draft("We will call 13812345678 today.", language="en"))
    clean = violations(policy, request, make_draft("Please send the photos in this chat.", language="en"))

    assert emailed == ("email: email us",)
    assert echoed == ("pii_echo: 13812345678",)  # checked, not screened: masking would hide the echo
    assert clean == ()


def test_required_phrases_share() -> None:
    assert required_phrase_share("签收后15天内可以保价", ["15天", "截图"]).score == 0.5
    assert required_phrase_share("签收后15天内可以保价", ["15天", "截图"]).reason == "1 of 2 present; missing '截图'"
    assert required_phrase_share("Refuse the parcel on delivery", ["refuse"]).score == 1.0
    assert required_phrase_share("", ["refuse"]).score == 0.0
    assert required_phrase_share("anything", []).score is None
    assert must_include(make_sample("72小时内发出", case=make_case(must_include=["72小时"]))).score == 1.0
