"""Tone from the bilingual lexicons: 1.0 empathetic, 0.5 neutral, 0.0 blaming (blame wins over empathy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.metrics.tone import ToneLexicon, default_lexicon, tone, tone_score
from tests.eval.conftest import make_sample


@pytest.mark.parametrize(
    ("text", "score", "reason"),
    [
        ("亲，非常抱歉让您久等了！", 1.0, "empathetic: 抱歉, 久等"),
        ("理解您的心情，辛苦您再等一下", 1.0, "empathetic: 理解, 辛苦"),
        ("订单已经发货了。", 0.5, "neutral: no empathy or blame phrases"),
        ("你自己没看清楚商品描述", 0.0, "blaming or curt: 你自己, 看清楚"),
        ("不好意思，但这不是我们的问题", 0.0, "blaming or curt: 不是我们的问题"),
        ("We're so sorry for the wait!", 1.0, "empathetic: sorry"),
        ("I understand, and I apologize for the trouble.", 1.0, "empathetic: apologize, understand"),
        ("Your order has shipped.", 0.5, "neutral: no empathy or blame phrases"),
        ("As I said, you should have read the description.", 0.0,
         "blaming or curt: you should have read, read the description, as i said"),
        ("Sorry, but that's YOUR FAULT.", 0.0, "blaming or curt: your fault"),
        ("Thank you for your understanding.", 1.0, "empathetic: understand, thank you for your understanding"),
        ("We misunderstood the address.", 0.5, "neutral: no empathy or blame phrases"),  # not "understand"
    ],
)
def test_tone(text: str, score: float, reason: str) -> None:
    result = tone_score(text)

    assert (result.score, result.reason) == (score, reason)


def test_an_empty_draft_is_not_scored() -> None:
    assert tone_score(" ").score is None
    assert tone(make_sample("")).score is None


def test_the_shipped_lexicon_is_package_data_with_both_languages() -> None:
    lexicon = default_lexicon()

    assert {"抱歉", "sorry", "appreciate your patience"} <= set(lexicon.empathy)
    assert {"你自己", "早就说过", "your fault", "as i said"} <= set(lexicon.blame)


def test_a_team_can_bring_its_own_lexicon(tmp_path: Path) -> None:
    path = tmp_path / "tone.yaml"
    path.write_text("empathy:\n  zh: [亲爱的]\n  en: []\nblame:\n  zh: []\n  en: [Whatever]\n", encoding="utf-8")
    lexicon = ToneLexicon.load(path)

    assert tone_score("亲爱的，已发货", lexicon).score == 1.0
    assert tone_score("whatever, it shipped", lexicon).score == 0.0
    assert tone_score("非常抱歉", lexicon).score == 0.5


def test_a_malformed_lexicon_is_rejected() -> None:
    with pytest.raises(ValueError, match="fr"):
        ToneLexicon.from_yaml("empathy:\n  fr: [désolé]\nblame: {}\n")
