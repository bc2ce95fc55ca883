"""Eval cases as plain JSONL, tied to the knowledge base they were written for.

A dataset file holds one JSON object per line. Its first non-blank line may be a header that names the
dataset and its knowledge base; without one the name is the file's stem and the knowledge base is unknown:

    {"dataset": {"name": "promo", "kb": "knowledge/sample_kb", "description": "..."}}
    {"id": "promo-zh-001", "message": "...", "platform": "taobao", "locale": "zh", "reference_answer": "..."}

`kb` is the path of the knowledge files the cases were written against (relative paths as the runner
resolves them) or the name of an indexed knowledge base: scores are only comparable on the same `kb`.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import DraftdeskError
from core.vocab import Locale, Platform, Role
from drafting.models import MAX_MESSAGE_CHARS, AnswerMode, DraftRequest, Turn
from drafting.order import Order
from knowledge.loaders import json_objects

Split = Literal["dev", "holdout"]
HEADER_KEY = "dataset"


class DatasetError(DraftdeskError, ValueError):
    """A dataset file that cannot be used; `problems` name the line of each one."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        super().__init__(f"{source}: {shown}")


class Case(BaseModel):
    """One buyer message, what a good draft looks like, and what it must (not) do."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=200)
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    platform: Platform
    locale: Locale
    order: Order = Field(default_factory=Order, description="Facts about the order, as the API takes them.")
    context: list[Turn] = Field(default_factory=list, description="Earlier turns, oldest first.")
    reference_answer: str = Field(default="", description="A good reply; empty when the source has none.")
    expected_kb_ids: list[str] = Field(default_factory=list, description="Entries a good draft cites.")
    expected_intent: str | None = None
    must_include: list[str] = Field(default_factory=list)
    must_not_include: list[str] = Field(default_factory=list)
    role: Role = Field(default="l1", description="The agent's role the draft is for.")
    expect_human: bool | None = Field(default=None, description="Should a human take over? None: no view.")
    tags: list[str] = Field(default_factory=list, description="Free labels to slice the report by.")
    split: Split | None = Field(default=None, description="dev (tune on it) or holdout (report only).")
    expected_answer_mode: AnswerMode | None = Field(default=None, description="How a right draft answers.")
    expected_playbook: str | None = None
    expected_situation: str | None = None
    sku: str | None = Field(default=None, description="The product page the chat was opened from.")
    expected_sku: str | None = Field(default=None, description="The product a right pre-sale draft is about; null "
                                     "(given) when none should be found.")

    @property
    def expects_product(self) -> bool:
        """Whether the case says which product, if any, the draft is about."""
        return "expected_sku" in self.model_fields_set

    def to_request(self) -> DraftRequest:
        """The request the drafting service gets; only the most recent turns that a request may carry are kept."""
        limit = _history_limit()
        return DraftRequest(
            message=self.message, platform=self.platform, locale=self.locale, order=self.order, role=self.role,
            history=self.context[-limit:] if limit else self.context, sku=self.sku,
        )


class DatasetHeader(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1)
    kb: str = ""
    catalog: str = Field(default="", description="The catalog folder the cases were written for.")
    description: str = ""
    at: AwareDatetime | None = Field(default=None, description="The moment the cases are drafted at (the clock).")


class Dataset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    kb: str = ""
    catalog: str = ""
    description: str = ""
    at: AwareDatetime | None = None
    cases: list[Case]

    @model_validator(mode="after")
    def _unique_ids(self) -> Dataset:
        dupes = sorted(case_id for case_id, n in Counter(c.id for c in self.cases).items() if n > 1)
        if dupes:
            raise ValueError(f"duplicate case ids: {', '.join(dupes)}")
        return self


def load_dataset(path: Path) -> Dataset:
    """Read a dataset file; every bad line is reported (with its number) and none is skipped."""
    source = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise DatasetError(source, [f"cannot read the file ({exc.strerror})"]) from exc
    except UnicodeDecodeError as exc:
        raise DatasetError(source, [f"not UTF-8 text (byte {exc.start})"]) from exc
    header = DatasetHeader(name=path.stem)
    cases: list[Case] = []
    problems: list[str] = []
    lines = text.splitlines()
    first_line = next((n for n, line in enumerate(lines, start=1) if line.strip()), 0)
    for number, row in json_objects(lines, problems):
        if HEADER_KEY in row:
            if number == first_line:
                header = _header(row, number, problems) or header
            else:
                problems.append(f"line {number}: a dataset header may only be the first line")
            continue
        case = _case(row, number, problems)
        if case is not None:
            cases.append(case)
    if problems:
        raise DatasetError(source, problems)
    try:
        return Dataset(name=header.name, kb=header.kb, catalog=header.catalog, description=header.description,
                       at=header.at, cases=cases)
    except ValidationError as exc:
        raise DatasetError(source, [err["msg"] for err in exc.errors()]) from exc


def save_dataset(dataset: Dataset, path: Path) -> Path:
    """Write the header line, then one case per line (defaults left out, so files stay short)."""
    fields = {"name": dataset.name, "kb": dataset.kb, "description": dataset.description} | (
        {"catalog": dataset.catalog} if dataset.catalog else {})
    header = {HEADER_KEY: fields | ({"at": dataset.at.isoformat()} if dataset.at else {})}
    lines = [json.dumps(header, ensure_ascii=False)]
    lines += [json.dumps(c.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False) for c in dataset.cases]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _header(row: dict[str, Any], number: int, problems: list[str]) -> DatasetHeader | None:
    if set(row) != {HEADER_KEY} or not isinstance(row[HEADER_KEY], dict):
        problems.append(f'line {number}: the header must be {{"dataset": {{"name": ..., "kb": ...}}}}')
        return None
    try:
        return DatasetHeader.model_validate(row[HEADER_KEY])
    except ValidationError as exc:
        problems.extend(f"line {number}: dataset.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return None


def _case(row: dict[str, Any], number: int, problems: list[str]) -> Case | None:
    where = f"line {number}" + (f" ({row['id']})" if isinstance(row.get("id"), str) else "")
    try:
        return Case.model_validate(row)
    except ValidationError as exc:
        problems.extend(_messages(exc, where))
        return None


def _messages(exc: ValidationError, where: str) -> list[str]:
    out = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"])
        out.append(f"{where}: {field}: {err['msg']}" if field else f"{where}: {err['msg']}")
    return out


def _history_limit() -> int:
    """The request's own cap on turns (a `max_length` on `DraftRequest.history`)."""
    for meta in DraftRequest.model_fields["history"].metadata:
        limit = getattr(meta, "max_length", None)
        if isinstance(limit, int):
            return limit
    return 0
