"""Intent: is the draft's intent the case's expected one? Dataset labels (Bitext's `track_order`...) are mapped
into draftdesk's intents by intent_labels.yaml first; the summary's mean is `intent_accuracy`."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from core.vocab import INTENTS, Intent
from eval.metrics.base import MetricResult, Sample

LABELS_FILE = "intent_labels.yaml"
NAME = "intent_match"


class _LabelsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labels: dict[str, Intent]


def load_labels(path: Path | None = None) -> dict[str, str]:
    """The given label map, or the one shipped with this package; targets must be draftdesk intents."""
    text = path.read_text(encoding="utf-8") if path is not None else \
        resources.files("eval.metrics").joinpath(LABELS_FILE).read_text(encoding="utf-8")
    return dict(_LabelsFile.model_validate(yaml.safe_load(text)).labels)


@cache
def default_labels() -> Mapping[str, str]:
    return load_labels()


def to_intent(label: str, labels: Mapping[str, str] | None = None) -> str | None:
    """Our intent for a dataset label: our own ids stand for themselves; None when the label is unknown."""
    if label in INTENTS:
        return label
    return (default_labels() if labels is None else labels).get(label)


def intent_match(sample: Sample) -> MetricResult:
    """1.0 when the draft's intent is the expected one; None when the case expects none or the draft has none."""
    label = sample.case.expected_intent
    if not label:
        return MetricResult(NAME, None, "the case has no expected intent")
    expected = to_intent(label)
    if expected is None:
        return MetricResult(NAME, None, f"unknown intent label {label!r}: map it in eval/metrics/{LABELS_FILE}")
    found = sample.draft.intent
    if found is None:
        return MetricResult(NAME, None, "the draft carries no intent")
    shown = expected if expected == label else f"{expected} ({label})"
    if found == expected:
        return MetricResult(NAME, 1.0, f"{found}, as expected")
    return MetricResult(NAME, 0.0, f"{found}, the case expects {shown}")
