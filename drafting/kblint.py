"""Knowledge import lint: the entries whose answer breaks a compliance rule on a platform it applies to, by rule.
The upload preview and `draftdesk index --json` list them, so the owner fixes the answer before drafts paste it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from pydantic import BaseModel, Field

from core.vocab import PLATFORMS
from drafting.policy import PolicyChecker
from knowledge.models import Entry


class Finding(BaseModel):
    key: str = Field(description="The entry, as id@locale.")
    platform: str = Field(description="A platform the entry applies to whose rules it breaks.")
    span: str = Field(description="The offending text, as the answer writes it.")


Findings = dict[str, list[Finding]]  # rule id -> what breaks it


def lint(policy: PolicyChecker, entries: Iterable[Entry]) -> Findings:
    """Each entry's answer checked on every platform it applies to (all four for `any`), by rule id."""
    found: defaultdict[str, list[Finding]] = defaultdict(list)
    for entry in entries:
        for platform in PLATFORMS if entry.platform == "any" else (entry.platform,):
            for violation in policy.check(entry.answer, platform, entry.locale).violations:
                found[violation.rule].append(Finding(key=entry.key, platform=platform, span=violation.span))
    return dict(found)
