"""Tone: empathetic (1.0), neutral (0.5) or blaming (0.0), from bilingual lexicons in tone_lexicon.yaml."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from core.vocab import Locale
from eval.metrics.base import MetricResult, Sample

LEXICON_FILE = "tone_lexicon.yaml"


class _LexiconFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    empathy: dict[Locale, list[str]]
    blame: dict[Locale, list[str]]


@dataclass(frozen=True)
class ToneLexicon:
    empathy: tuple[str, ...]
    blame: tuple[str, ...]

    @classmethod
    def from_yaml(cls, text: str) -> ToneLexicon:
        data = _LexiconFile.model_validate(yaml.safe_load(text))
        return cls(_phrases(data.empathy), _phrases(data.blame))

    @classmethod
    def load(cls, path: Path | None = None) -> ToneLexicon:
        """The given file, or the one shipped with this package."""
        if path is not None:
            return cls.from_yaml(path.read_text(encoding="utf-8"))
        return cls.from_yaml(resources.files("eval.metrics").joinpath(LEXICON_FILE).read_text(encoding="utf-8"))


@cache
def default_lexicon() -> ToneLexicon:
    return ToneLexicon.load()


def tone_score(draft: str, lexicon: ToneLexicon | None = None) -> MetricResult:
    name = "tone"
    if not draft.strip():
        return MetricResult(name, None, "the draft is empty")
    lexicon = lexicon or default_lexicon()
    text = _fold(draft)
    blame = _found(text, lexicon.blame)
    empathy = _found(text, lexicon.empathy)
    if blame:
        return MetricResult(name, 0.0, f"blaming or curt: {', '.join(blame)}")
    if empathy:
        return MetricResult(name, 1.0, f"empathetic: {', '.join(empathy)}")
    return MetricResult(name, 0.5, "neutral: no empathy or blame phrases")


def tone(sample: Sample) -> MetricResult:
    return tone_score(sample.text)


def _found(text: str, phrases: tuple[str, ...]) -> list[str]:
    """Latin phrases must start a word: "sorry" in "sorry!", not "understand" in "misunderstand"."""
    return [p for p in phrases if re.search(("(?<![a-z])" if p[:1].isascii() else "") + re.escape(p), text)]


def _phrases(by_locale: dict[Locale, list[str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_fold(p).strip() for phrases in by_locale.values() for p in phrases if p.strip()))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()
