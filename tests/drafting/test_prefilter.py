"""The compliance screen: literals every match must contain, and the patterns a text rules out."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drafting.policy import PolicyChecker, _fold, _phrase_pattern, load_rules
from drafting.prefilter import Screen, alternation, required_literals


def _shipped_sources() -> list[str]:
    out = []
    for spec in load_rules().rules:
        out += [p for items in spec.patterns.values() for p in items]
        out += [_phrase_pattern(p) for items in spec.phrases.values() for p in items]
    return out


SHIPPED = _shipped_sources()
TRICKY = [r"kiss", r"\bsize\b", r"(?:ab)+c", r"x{2,3}", r"(?<![a-z])qq(?![a-z])", r"a?b", r"(\d)\1", r"(?i:Abc)"]


@pytest.mark.parametrize(("pattern", "literals"), [
    (r"微\s*信", {"微"}),  # an optional gap ends a run: 微 and 信 are each required, the first is kept
    (r"(给|送)(您|你)", {"给您", "给你", "送您", "送你"}),
    (r"\bpay (us|me) directly\b", {"pay us directly", "pay me directly"}),  # \b consumes nothing
    (r"[威薇]信", {"威信", "薇信"}),
    (r"(打|拨打)(我们的|客服)?电话",
     {"打电话", "拨打电话", "打我们的电话", "拨打我们的电话", "打客服电话", "拨打客服电话"}),
    (r"(?<![a-z])(vx|wx)(?![a-z])", {"vx", "wx"}),
    (r"(?:ab)+c", {"ab"}),
    (r"好评[^，。]{0,8}返现", {"好评"}),
])
def test_the_literals_every_match_contains(pattern: str, literals: set[str]) -> None:
    assert required_literals(pattern, re.I) == literals


@pytest.mark.parametrize("pattern", [
    r"(\d)\1",  # a back-reference: unknown text
    r"a|.*",  # one branch may match anything
    r"\d{3}\s\d{4}",  # classes only
    r"(?i:abc)",  # inline flags change what the literals mean: no shortcut
    r"a?",
    r"[",  # not a pattern at all
])
def test_no_literals_where_a_match_need_not_contain_any(pattern: str) -> None:
    assert required_literals(pattern, re.I) is None


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="微信 wechat WECHAT ıİKſKISS 好评返现 给您 0123456789-+()@.qqvxpay us directly",
                    max_size=40),
       picked=st.lists(st.sampled_from(SHIPPED + TRICKY), min_size=1, max_size=6, unique=True))
def test_a_pattern_the_screen_rules_out_matches_nowhere(text: str, picked: list[str]) -> None:
    """Exact on any text, casefolded or not: `re.I` equates ı and İ with i and K (Kelvin) with k, which a plain
    `in` would miss."""
    screen = Screen(picked, re.I)
    kept = set(screen.candidates(text))
    for pattern in screen.patterns:
        if pattern not in kept:
            assert pattern.search(text) is None, (pattern.pattern, text)


def test_case_variants_that_in_would_miss_keep_every_pattern() -> None:
    screen = Screen([r"kiss", r"wechat"], re.I)
    assert [p.pattern for p in screen.candidates("a \u212aiss")] == ["kiss", "wechat"]  # Kelvin sign: scan them all
    assert re.search("kiss", "a \u212aiss", re.I)
    assert [p.pattern for p in screen.candidates("a kiss")] == ["kiss"]
    assert screen.candidates("nothing here") == []


def test_a_pattern_that_turns_on_ignore_case_itself_is_not_screened_by_literals() -> None:
    assert required_literals(r"(?i)WeChat") is None
    assert required_literals(r"(?i)WeChat", re.I) == {"WeChat"}
    screen = Screen([r"(?i)WeChat"])
    assert screen.candidates("WECHAT") == list(screen.patterns)


def test_patterns_without_literals_that_cannot_be_joined_always_run() -> None:
    screen = Screen([r"(\d)\1", "wechat"], re.I)  # a back-reference: no literals, and no joined scan either
    assert [p.pattern for p in screen.candidates("order 11")] == [r"(\d)\1"]
    assert [p.pattern for p in screen.candidates("no repeats")] == [r"(\d)\1"]


def test_a_plain_draft_rules_out_almost_every_matcher() -> None:
    """What makes the screen worth having: a polite draft leaves few of the shipped matchers to run."""
    rules = PolicyChecker(load_rules())._rules
    total = sum(len(r.matchers) for r in rules)
    for draft in ("亲，您的包裹已从杭州发出，预计 2-3 天送达，物流信息可在订单详情查看。",
                  "Hello! Your parcel left our warehouse today; you can follow it from the order page."):
        folded = _fold(draft)
        left = sum(len(r.screen.candidates(folded)) for r in rules if r.screen)
        assert left <= total // 10, (draft, left, total)


def test_patterns_are_joined_only_where_joining_keeps_their_meaning() -> None:
    assert alternation([r"(\d)\1", "x"]) is None  # a numbered back-reference would point elsewhere
    assert alternation([r"(?P<a>x)(?P=a)"]) is None
    assert alternation([r"(?P<a>x)", r"(?P<a>y)"]) is None  # one name twice: not a pattern
    assert alternation([]) is None
    joined = alternation(["wechat", r"微\s*信"], re.I)
    assert joined is not None and joined.search("加我 WeChat") and not joined.search("微博")
