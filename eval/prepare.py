"""Turn the shared public data (../shared/data) into canonical files at run time; they are never committed.

Only the `*_dev` files are read: holdout files are for final evaluation, never for tuning.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import DraftdeskError
from eval.dataset import Case, Dataset, save_dataset
from eval.public_data import load_bitext_cases, load_jddc_cases, load_kb_entries
from eval.runinfo import REPO_ROOT

SHARED_DATA_ENV = "DRAFTDESK_SHARED_DATA"
DEFAULT_SHARED_DATA = REPO_ROOT.parent / "shared" / "data"  # ../shared/data beside the checkout
BITEXT_KB = "kb_en.jsonl"
BITEXT_KB_EXAMPLES = "kb_en_examples.jsonl"
EXAMPLES_PER_ENTRY = 30
ZH_KB = "kb_zh.jsonl"
BITEXT_DEV = "bitext_en_dev.jsonl"
JDDC_DEV = "jddc_zh_dev.jsonl"
BITEXT_HOLDOUT = "bitext_en_holdout.jsonl"
BITEXT_KB_ALL_EXAMPLES = "kb_en_examples_all.jsonl"


class SharedDataError(DraftdeskError, ValueError):
    """The shared data folder is missing or lacks a file we need."""


@dataclass(frozen=True)
class Prepared:
    path: Path
    rows: int


def default_shared_dir() -> Path:
    return Path(os.environ.get(SHARED_DATA_ENV) or DEFAULT_SHARED_DATA)


def prepare(shared: Path, out: Path) -> list[Prepared]:
    """Writes the bitext KB (kb_en: Bitext answers and ABCD guidelines) as found and with example questions
    (kb_en_examples), the PRC-regulation KB (kb_zh), the Bitext dev cases and the JDDC zh dev cases into `out`,
    in the formats `draftdesk index` and `draftdesk eval run` read.

    Bitext dev is split in two by a hash of the case id: one half becomes the entries' example questions (as a
    knowledge owner would add buyer wordings seen before), the other half is evaluated; no message is in both.
    """
    sources = {name: shared / name for name in ("kb_en.jsonl", "kb_zh.jsonl", "cases_en_dev.jsonl",
                                                  "cases_zh_dev.jsonl")}
    missing = [str(p) for p in sources.values() if not p.is_file()]
    if missing:
        raise SharedDataError(f"shared data not found: {', '.join(missing)} (set {SHARED_DATA_ENV} or --shared)")
    out.mkdir(parents=True, exist_ok=True)
    kb_en = load_kb_entries(sources["kb_en.jsonl"])
    example_cases, eval_cases = split_for_examples(load_bitext_cases(sources["cases_en_dev.jsonl"]))
    return [
        _write_kb(kb_en, out / BITEXT_KB),
        _write_kb(with_examples(kb_en, example_cases), out / BITEXT_KB_EXAMPLES),
        _write_kb(load_kb_entries(sources["kb_zh.jsonl"]), out / ZH_KB),
        _write_cases("bitext_en_dev", BITEXT_KB, "Bitext customer-support dev cases (shared data, dev split).",
                     interleave(eval_cases), out / BITEXT_DEV),
        _write_cases("jddc_zh_dev", ZH_KB, "JDDC-2019 JD.com buyer turns (shared data, dev split); no gold KB links.",
                     load_jddc_cases(sources["cases_zh_dev.jsonl"]), out / JDDC_DEV),
    ]


def prepare_final(shared: Path, out: Path) -> list[Prepared]:
    """For the final report only, never for tuning: Bitext holdout cases, against the KB with example questions
    from all of Bitext dev (the dev half held back for evaluation adds nothing the holdout could leak into)."""
    sources = {name: shared / name for name in ("kb_en.jsonl", "cases_en_dev.jsonl", "cases_en_holdout.jsonl")}
    missing = [str(p) for p in sources.values() if not p.is_file()]
    if missing:
        raise SharedDataError(f"shared data not found: {', '.join(missing)} (set {SHARED_DATA_ENV} or --shared)")
    out.mkdir(parents=True, exist_ok=True)
    kb_en = load_kb_entries(sources["kb_en.jsonl"])
    dev = load_bitext_cases(sources["cases_en_dev.jsonl"])
    return [
        _write_kb(with_examples(kb_en, dev), out / BITEXT_KB_ALL_EXAMPLES),
        _write_cases("bitext_en_holdout", BITEXT_KB_ALL_EXAMPLES,
                     "Bitext customer-support holdout cases (shared data): final evaluation only.",
                     interleave(load_bitext_cases(sources["cases_en_holdout.jsonl"])), out / BITEXT_HOLDOUT),
    ]


def split_for_examples(cases: list[Case]) -> tuple[list[Case], list[Case]]:
    """(cases whose messages become example questions, cases to evaluate), split by a hash of the case id."""
    examples: list[Case] = []
    evaluated: list[Case] = []
    for case in cases:
        (examples if hashlib.sha1(case.id.encode()).digest()[0] % 2 == 0 else evaluated).append(case)
    return examples, evaluated


def with_examples(entries: list[dict[str, Any]], cases: list[Case]) -> list[dict[str, Any]]:
    """Each entry gains up to EXAMPLES_PER_ENTRY messages of the cases that name it as their gold entry."""
    by_id: dict[str, list[str]] = defaultdict(list)
    for case in cases:
        for entry_id in case.expected_kb_ids:
            if len(by_id[entry_id]) < EXAMPLES_PER_ENTRY:
                by_id[entry_id].append(case.message)
    return [{**e, "examples": by_id[e["id"]]} if by_id.get(e["id"]) else e for e in entries]


def interleave(cases: list[Case]) -> list[Case]:
    """Round-robin over intents (first case of each intent, then the second of each...), keeping file order
    within an intent: the source file is sorted by intent, and this way every prefix (`--limit N`) is a
    stratified sample instead of the first two intents."""
    by_intent: dict[str | None, list[Case]] = defaultdict(list)
    for case in cases:
        by_intent[case.expected_intent].append(case)
    rounds = max((len(group) for group in by_intent.values()), default=0)
    return [group[i] for i in range(rounds) for group in by_intent.values() if i < len(group)]


def _write_kb(entries: list[dict[str, Any]], path: Path) -> Prepared:
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries), encoding="utf-8")
    return Prepared(path, len(entries))


def _write_cases(name: str, kb: str, description: str, cases: list[Case], path: Path) -> Prepared:
    save_dataset(Dataset(name=name, kb=kb, description=description, cases=cases), path)
    return Prepared(path, len(cases))
