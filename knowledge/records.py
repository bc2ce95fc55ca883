"""How an entry is kept as records, one per facet (`{key}#q`, `{key}#a`; the `a` record is the entry's anchor), and
an `EntryFilter` as chroma's `where` clause or as a check of one record's metadata."""

from __future__ import annotations

import functools
import json
from typing import Any

from knowledge.labels import Labels, parse_labels
from knowledge.models import Entry
from knowledge.nearest import Meta
from knowledge.store import EntryFilter, StoredEntry

NO_START = 0.0
NO_END = 4_102_444_800.0  # 2100-01-01: an entry without valid_until never expires before this
ANCHOR = "a"
_FEW_KINDS = ("policy", "announcement", "template")  # FAQs are the bulk of a knowledge base; these are few


def record_id(key: str, facet: str) -> str:
    return f"{key}#{facet}"


def metadata(item: StoredEntry, facet: str) -> dict[str, Any]:
    e = item.entry
    meta: dict[str, Any] = {
        "key": e.key, "facet": facet, "id": e.id, "kind": e.kind, "platform": e.platform, "locale": e.locale,
        "source": e.source,
        "valid_from_ts": e.valid_from.timestamp() if e.valid_from else NO_START,
        "valid_until_ts": e.valid_until.timestamp() if e.valid_until else NO_END,
        "entry": e.model_dump_json(),
        "labels": item.labels.to_json(),
    }
    if facet == ANCHOR:
        meta |= {"content_hash": item.content_hash, "text_hash": item.text_hash}
    return meta


def entry_of(meta: Meta) -> Entry:
    return _parsed(meta["entry"])


def labels_of(meta: Meta) -> Labels:
    return parse_labels(meta.get("labels"))


@functools.lru_cache(maxsize=4096)
def _parsed(entry_json: str) -> Entry:
    """Entries are immutable, and the same text always parses to the same one: a draft reads four or more."""
    return Entry.model_validate(json.loads(entry_json))


def narrow_clause(flt: EntryFilter) -> dict[str, Any] | None:
    """A clause of `flt` that few records pass, for chroma to apply alone; None if it has none."""
    if flt.entry_id:
        return {"id": flt.entry_id}
    if flt.kinds and set(flt.kinds) <= set(_FEW_KINDS):
        return {"kind": {"$in": list(flt.kinds)}}
    return None


def locale_platform(meta: Meta) -> tuple[str, str]:
    """What a search in memory may keep to: a record's language and platform."""
    return meta.get("locale", ""), meta.get("platform", "")


def matches_label(label: tuple[str, str], flt: EntryFilter) -> bool:
    """Whether records of this language and platform (`locale_platform`) can pass `flt` (as `matches` checks)."""
    locale, platform = label
    return (not flt.locale or locale == flt.locale) and (not flt.platform or platform in (flt.platform, "any"))


def matches(meta: Meta, flt: EntryFilter) -> bool:
    """`where(flt)`, checked on one record's metadata."""
    ts = flt.valid_at.timestamp() if flt.valid_at else None
    return matches_label((meta["locale"], meta["platform"]), flt) and not (
        (flt.facets and meta["facet"] not in flt.facets)
        or (flt.kinds and meta["kind"] not in flt.kinds)
        or (flt.source and meta["source"] != flt.source)
        or (flt.entry_id and meta["id"] != flt.entry_id)
        or (ts is not None and not meta["valid_from_ts"] <= ts < meta["valid_until_ts"])
    )


def where(flt: EntryFilter, facet: str | None = None) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    if facet:
        clauses.append({"facet": facet})
    elif flt.facets:
        clauses.append({"facet": {"$in": list(flt.facets)}})
    if flt.platform:
        clauses.append({"platform": {"$in": sorted({flt.platform, "any"})}})
    if flt.locale:
        clauses.append({"locale": flt.locale})
    if flt.kinds:
        clauses.append({"kind": {"$in": list(flt.kinds)}})
    if flt.source:
        clauses.append({"source": flt.source})
    if flt.entry_id:
        clauses.append({"id": flt.entry_id})
    if flt.valid_at:
        ts = flt.valid_at.timestamp()
        clauses += [{"valid_from_ts": {"$lte": ts}}, {"valid_until_ts": {"$gt": ts}}]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
