"""What every metric shares: the sample it scores, the result it returns, and the protocol between them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from drafting.models import Draft
from eval.dataset import Case


@dataclass(frozen=True)
class MetricResult:
    """`score` is None when the metric does not apply to the case (no reference, no expected ids...)."""

    name: str
    score: float | None
    reason: str


@dataclass(frozen=True)
class Sample:
    """One case and what the drafting service made of it, plus what the runner knows beyond the draft.

    `sources` maps a cited entry id to its full text (citations carry only a short snippet);
    `violations` are what the runner's own policy checker found in the draft text ("rule: span"); `facts` the
    catalog's records (products, promotions) a pre-sale draft may quote, as text. The draft's
    `compliance` field is not read: the baseline has none, and draftdesk's own screen would be counted twice.
    """

    case: Case
    draft: Draft
    sources: Mapping[str, str] = field(default_factory=dict)
    violations: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()  # the catalog's facts about the products and promotions a draft may quote

    @property
    def text(self) -> str:
        return self.draft.draft

    @property
    def cited_ids(self) -> list[str]:
        """Cited entry ids in the draft's order (its ranking), each once."""
        return list(dict.fromkeys(c.id for c in self.draft.citations))

    @property
    def ranked_ids(self) -> list[str]:
        """What retrieval ranked, best first: the draft's candidates, or its citations when it has none."""
        ranked = self.draft.candidates or self.draft.citations
        return list(dict.fromkeys(c.id for c in ranked))

    def source_texts(self) -> list[str]:
        """Title and text of each cited source: the full text when known, else the citation's snippet."""
        return [f"{c.title}\n{self.sources.get(c.id, c.snippet)}" for c in self.draft.citations]


class CaseMetric(Protocol):
    """A metric scores one sample; metrics that need collaborators (an embedder) are callable objects."""

    def __call__(self, sample: Sample, /) -> MetricResult: ...


def average(name: str, results: Iterable[MetricResult]) -> MetricResult:
    """The mean over the cases a metric applies to; None when it applies to none."""
    results = list(results)
    scores = [r.score for r in results if r.score is not None]
    if not scores:
        return MetricResult(name, None, f"no case of {len(results)} was scored")
    return MetricResult(name, sum(scores) / len(scores), f"mean over {len(scores)} of {len(results)} cases")
