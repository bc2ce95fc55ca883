"""Knowledge-base versions and possible duplicate FAQs: what changed, going back, and what to merge."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from api.auth import KNOWLEDGE, QA, allow
from api.deps import ClockDep, ShopDep
from api.schemas import DuplicateList, DuplicatePair, IndexSummary, Rollback, VersionList, VersionOut
from core.vocab import Locale
from knowledge.duplicates import DEFAULT_THRESHOLD, near_duplicates
from knowledge.versions import Version

router = APIRouter(prefix="/v1/knowledge", tags=["knowledge"])


@router.get(
    "/versions", dependencies=[allow(*KNOWLEDGE, *QA)],
    response_model=VersionList, summary="Knowledge-base versions, newest first")
def list_versions(shop: ShopDep) -> VersionList:
    """A version is recorded after every change (index, upload, delete, announcement, rollback). `kb_version` is
    what each logged draft carries, so a draft can be traced to the knowledge it was made from."""
    return VersionList(items=[_out(v) for v in shop.versions.list()])


@router.post(
    "/versions/{number}/rollback", dependencies=[allow(*KNOWLEDGE)],
    response_model=Rollback, summary="Restore a knowledge-base version")
async def rollback(number: int, shop: ShopDep, clock: ClockDep) -> Rollback:
    """Entries of that version come back (only changed ones are embedded again), later ones are deleted; the
    result is a new version, so a rollback can itself be undone."""
    report, version = await run_in_threadpool(shop.versions.rollback, number, clock())
    return Rollback(summary=IndexSummary.model_validate(report.as_dict()), version=_out(version))


@router.get(
    "/duplicates", dependencies=[allow(*KNOWLEDGE)],
    response_model=DuplicateList, summary="Possible duplicate FAQs to review")
def duplicates(
    shop: ShopDep, locale: Locale | None = None,
    threshold: Annotated[float, Query(ge=0.5, le=1.0)] = DEFAULT_THRESHOLD,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DuplicateList:
    """Pairs of FAQs (same language, different ids) whose questions are at least `threshold` similar by
    embedding, most similar first. Similar wording with opposite meaning ("shipped" / "not shipped") also
    scores high: review each pair before merging."""
    pairs = near_duplicates(shop.store, threshold=threshold, locale=locale, limit=limit)
    return DuplicateList(threshold=threshold,
                         items=[DuplicatePair(first=p.first, second=p.second, score=p.score) for p in pairs])


def _out(version: Version) -> VersionOut:
    return VersionOut(**version.model_dump(), kb_version=version.digest[:12])
