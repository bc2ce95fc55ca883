"""How close the draft is to the reference answer: embedding cosine, ROUGE-L F1 and chrF, all in [0, 1].

ROUGE-L counts words in English and characters in Chinese (which has no spaces between words);
chrF compares character n-grams, which suits both languages as they are.
"""

from __future__ import annotations

import re

import numpy as np

from eval.metrics.base import MetricResult, Sample
from knowledge.embedders import Embedder

_ZH_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[a-z0-9]+")


def embedding_cosine(embedder: Embedder, draft: str, reference: str) -> MetricResult:
    """Both texts are embedded as queries: they play the same role, so neither gets the passage prefix."""
    name = "similarity"
    missing = _missing(name, draft, reference)
    if missing:
        return missing
    vectors = np.asarray(embedder.embed_queries([draft, reference]), dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1)
    cosine = float(vectors[0] @ vectors[1] / (norms[0] * norms[1])) if norms.all() else 0.0
    return MetricResult(name, cosine, f"cosine {cosine:.3f} ({embedder.model_id})")


class EmbeddingSimilarity:
    """The case metric, with its embedder injected (the runner's, or a fake in unit tests)."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def __call__(self, sample: Sample, /) -> MetricResult:
        return embedding_cosine(self._embedder, sample.text, sample.case.reference_answer)


def rouge_l_f1(draft: str, reference: str, locale: str) -> MetricResult:
    """F1 of the longest common subsequence: of characters for zh, of lower-cased words for en."""
    from rouge_score import rouge_scorer  # lazy: it imports nltk

    name = "rougeL"
    missing = _missing(name, draft, reference)
    if missing:
        return missing
    tokenizer = _ChineseCharacters() if locale == "zh" else None  # None: rouge-score's word tokenizer
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False, tokenizer=tokenizer)
    score = scorer.score(reference, draft)["rougeL"]
    unit = "characters" if locale == "zh" else "words"
    return MetricResult(name, float(score.fmeasure),
                        f"F1 {score.fmeasure:.3f} (P {score.precision:.3f}, R {score.recall:.3f}) over {unit}")


def rouge_l(sample: Sample) -> MetricResult:
    return rouge_l_f1(sample.text, sample.case.reference_answer, sample.case.locale)


def chrf_score(draft: str, reference: str) -> MetricResult:
    """sacrebleu's chrF (character 1- to 6-grams, beta 2, no word n-grams), scaled to [0, 1]."""
    from sacrebleu import CHRF

    name = "chrf"
    missing = _missing(name, draft, reference)
    if missing:
        return missing
    value = CHRF(word_order=0).sentence_score(draft, [reference]).score / 100
    return MetricResult(name, value, f"chrF {value:.3f}")


def chrf(sample: Sample) -> MetricResult:
    return chrf_score(sample.text, sample.case.reference_answer)


class _ChineseCharacters:
    """rouge-score's tokenizer interface: each CJK character is a token, as is each Latin word or number."""

    def tokenize(self, text: str) -> list[str]:
        return _ZH_TOKEN.findall(text.lower())


def _missing(name: str, draft: str, reference: str) -> MetricResult | None:
    """No reference: nothing to compare with. An empty draft shares nothing with the reference."""
    if not reference.strip():
        return MetricResult(name, None, "the case has no reference answer")
    if not draft.strip():
        return MetricResult(name, 0.0, "the draft is empty")
    return None
