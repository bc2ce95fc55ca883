"""An optional LLM judge: the configured chat model grades each draft on a rubric (correct, complete, polite,
compliant; 0-2 each). The score is the sum over 8; a judge that fails or answers off-format gives no score."""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, Field, ValidationError

from drafting.llm import ChatModel, UpstreamError
from eval.metrics.base import MetricResult, Sample
from prompts import render

NAME = "judge"
_CRITERIA = ("correct", "complete", "polite", "compliant")
_JSON_OBJECT = re.compile(r"\{.*\}", re.S)  # models like to wrap JSON in prose or code fences


class Verdict(BaseModel):
    correct: int = Field(ge=0, le=2)
    complete: int = Field(ge=0, le=2)
    polite: int = Field(ge=0, le=2)
    compliant: int = Field(ge=0, le=2)
    reason: str = ""

    @property
    def score(self) -> float:
        return (self.correct + self.complete + self.polite + self.compliant) / (2 * len(_CRITERIA))


class LLMJudge:
    def __init__(self, chat: ChatModel) -> None:
        self._chat = chat

    def __call__(self, sample: Sample) -> MetricResult:
        case = sample.case
        system = render("judge_system", locale=case.locale, platform=case.platform)
        user = render("judge_user", message=case.message, reference=case.reference_answer or "(none)",
                      sources=sample.source_texts(), draft=sample.text)
        try:
            verdict = parse_verdict(self._chat.complete(system, user))
        except UpstreamError as exc:
            return MetricResult(NAME, None, f"judge unavailable: {exc}")
        except ValueError as exc:
            return MetricResult(NAME, None, f"judge answered off-format: {exc}")
        marks = ", ".join(f"{c} {getattr(verdict, c)}/2" for c in _CRITERIA)
        return MetricResult(NAME, verdict.score, f"{marks}. {verdict.reason}".strip())


def parse_verdict(text: str) -> Verdict:
    """The first JSON object in the reply, checked against the rubric; ValueError when there is none."""
    match = _JSON_OBJECT.search(text)
    if not match:
        raise ValueError("no JSON object in the reply")
    try:
        return Verdict.model_validate(json.loads(match.group(0)))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ValueError(str(exc).splitlines()[0]) from exc
