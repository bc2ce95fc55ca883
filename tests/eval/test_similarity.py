"""Embedding cosine, ROUGE-L F1 (characters for zh, words for en) and chrF, against hand-computed values."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from eval.metrics.similarity import EmbeddingSimilarity, chrf, chrf_score, embedding_cosine, rouge_l, rouge_l_f1
from knowledge.embedders import Embedder
from tests.eval.conftest import make_case, make_sample
from tests.fakes import HashingEmbedder


class TableEmbedder:
    """Fixed 2-d vectors per text, so cosines are known by hand; records which mode was asked for."""

    def __init__(self, table: dict[str, tuple[float, float]]) -> None:
        self._table = table
        self.modes: list[str] = []

    @property
    def model_id(self) -> str:
        return "table-2d"

    @property
    def dimension(self) -> int:
        return 2

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:  # type: ignore[type-arg]
        self.modes.append("query")
        return np.array([self._table[t] for t in texts], dtype=np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:  # type: ignore[type-arg]
        self.modes.append("passage")
        return np.array([self._table[t] for t in texts], dtype=np.float32)


# --- embedding cosine ----------------------------------------------------------------------------------


def test_cosine_of_known_vectors_uses_query_embeddings() -> None:
    embedder = TableEmbedder({"我的快递到了": (1.0, 0.0), "快递已经到了": (0.6, 0.8)})

    result = embedding_cosine(embedder, "我的快递到了", "快递已经到了")

    assert result.score == pytest.approx(0.6)
    assert embedder.modes == ["query"]
    assert result.reason == "cosine 0.600 (table-2d)"


def test_vectors_that_are_not_unit_length_are_normalized() -> None:
    embedder = TableEmbedder({"parcel arrived": (3.0, 4.0), "the parcel is here": (4.0, 3.0)})

    assert embedding_cosine(embedder, "parcel arrived", "the parcel is here").score == pytest.approx(24 / 25)


def test_the_case_metric_compares_the_draft_with_the_reference() -> None:
    metric = EmbeddingSimilarity(HashingEmbedder())
    case = make_case(locale="en", reference_answer="Sorry for the wait, your parcel ships today.")

    same = metric(make_sample("Sorry for the wait, your parcel ships today.", case=case))
    other = metric(make_sample("Invoices are issued within three working days.", case=case))

    assert same.score == pytest.approx(1.0)
    assert other.score is not None and other.score < 0.5


def test_no_reference_is_not_scored_and_an_empty_draft_scores_zero() -> None:
    embedder = HashingEmbedder()

    assert embedding_cosine(embedder, "亲，已发货", "").score is None
    assert embedding_cosine(embedder, "  ", "亲，已发货").score == 0.0
    assert embedder.embedded == 0


@pytest.mark.model
def test_the_real_model_ranks_a_paraphrase_above_an_unrelated_reply(real_embedder: Embedder) -> None:
    reference = "亲，您的快递已经到了，请注意查收。"

    paraphrase = embedding_cosine(real_embedder, "您好，包裹已经送到了，记得取件哦。", reference).score
    unrelated = embedding_cosine(real_embedder, "发票一般在申请后3个工作日内开具。", reference).score

    assert paraphrase is not None and unrelated is not None
    assert paraphrase > unrelated


# --- ROUGE-L -------------------------------------------------------------------------------------------


def test_rouge_l_counts_characters_in_chinese() -> None:
    # LCS of 我的快递到了 / 快递已经到了 is 快递到了: 4 of 6 characters each way, so P = R = F1 = 2/3
    result = rouge_l_f1("我的快递到了", "快递已经到了", "zh")

    assert result.score == pytest.approx(2 / 3)
    assert result.reason == "F1 0.667 (P 0.667, R 0.667) over characters"


def test_rouge_l_in_chinese_skips_punctuation_and_keeps_latin_words_whole() -> None:
    # 亲 快 递 已 发 出 | 快 递 已 经 发 出: LCS 快递已发出 = 5 of 6 each way
    assert rouge_l_f1("亲，快递已发出!", "快递已经发出", "zh").score == pytest.approx(5 / 6)
    # sf 快 递 | SF 快 递 到 了: LCS 3; P = 3/3, R = 3/5, F1 = 2 * 1 * 0.6 / 1.6 = 0.75
    assert rouge_l_f1("sf快递", "SF快递到了", "zh").score == pytest.approx(0.75)


def test_rouge_l_counts_lower_cased_words_in_english() -> None:
    # sorry your parcel is late | your parcel is on the way: LCS "your parcel is" = 3; P = 3/5, R = 3/6
    result = rouge_l_f1("Sorry, your parcel is late", "Your parcel is on the way", "en")

    assert result.score == pytest.approx(2 * 0.6 * 0.5 / 1.1)
    assert result.reason.endswith("over words")


def test_rouge_l_edge_cases() -> None:
    assert rouge_l_f1("", "快递已经到了", "zh").score == 0.0
    assert rouge_l_f1("快递到了", " ", "zh").score is None
    assert rouge_l_f1("快递到了", "快递到了", "zh").score == pytest.approx(1.0)
    assert rouge_l_f1("我的快递", "the parcel", "en").score == 0.0  # no English words in the draft


def test_rouge_l_case_metric_takes_the_locale_from_the_case() -> None:
    sample = make_sample("我的快递到了", case=make_case(reference_answer="快递已经到了"))

    assert rouge_l(sample).score == pytest.approx(2 / 3)


# --- chrF ----------------------------------------------------------------------------------------------


def test_chrf_in_chinese_by_hand() -> None:
    # sacrebleu averages P and R over the orders both sides have (1..6 here), then takes F-beta (beta 2).
    # 1-grams 4/6 match, 2-grams 2/5 (快递, 到了), 3- to 6-grams none: P = R = (2/3 + 2/5) / 6 = 8/45
    result = chrf_score("我的快递到了", "快递已经到了")

    assert result.score == pytest.approx(8 / 45)
    assert result.name == "chrf"


def test_chrf_in_english_by_hand() -> None:
    # cat | cats: P is 1 at orders 1-3 (order 4+ has no draft n-gram); R = (3/4 + 2/3 + 1/2) / 3 = 23/36
    # F2 = 5PR / (4P + R) = 5 * 23/36 / (4 + 23/36) = 115/167
    assert chrf_score("cat", "cats").score == pytest.approx(115 / 167)


def test_chrf_edge_cases() -> None:
    assert chrf_score("", "快递已经到了").score == 0.0
    assert chrf_score("快递已经到了", "").score is None
    assert chrf_score("Your parcel shipped.", "Your parcel shipped.").score == pytest.approx(1.0)
    sample = make_sample("我的快递到了", case=make_case(reference_answer="快递已经到了"))
    assert chrf(sample).score == pytest.approx(8 / 45)
