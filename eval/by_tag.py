"""Results by a tag family (`qtype:stock`, `qtype:size`...): per value, the cases, answer modes, the catalog metrics
and wrong answers. Read from the rows a run writes (results.jsonl); empty when no case carries the family."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eval.by_intent import _mean, _scores


@dataclass(frozen=True)
class TagRow:
    tag: str
    cases: int
    answer_mode_accuracy: float | None
    sku_resolution_accuracy: float | None
    fact_accuracy: float | None
    invented_facts: int
    wrong_answers: int


def by_tag(rows: Sequence[dict[str, Any]], family: str) -> list[TagRow]:
    """One row per value of `family:` among the cases' tags, most cases first."""
    groups: dict[str, list[dict[str, Any]]] = {}
    prefix = f"{family}:"
    for row in rows:
        for tag in row.get("tags") or []:
            if tag.startswith(prefix):
                groups.setdefault(tag[len(prefix):], []).append(row)
    table = [
        TagRow(tag, len(members), _mean(_scores(members, "answer_mode_match")),
               _mean(_scores(members, "sku_resolved")), _mean(_scores(members, "fact_accuracy")),
               int(sum(_scores(members, "invented_facts"))), int(sum(_scores(members, "wrong_answer"))))
        for tag, members in groups.items()
    ]
    return sorted(table, key=lambda r: (-r.cases, r.tag))
