"""Time-bounded announcements over HTTP: publish, list by state, read, and end early (kept, not deleted)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Response

from api.auth import AGENT, KNOWLEDGE, QA, allow
from api.deps import AnnouncementsDep, ClockDep
from api.schemas import AnnouncementList, AnnouncementRequest, AnnouncementVariants, EntryIdPath
from core.vocab import EntryPlatform, Locale
from knowledge.announcements import Announcement, StateFilter

router = APIRouter(tags=["announcements"])


@router.post(
    "/v1/announcements", dependencies=[allow(*KNOWLEDGE)],
    response_model=Announcement, status_code=201, summary="Publish an announcement")
def publish_announcement(
    body: AnnouncementRequest, notices: AnnouncementsDep, clock: ClockDep, response: Response
) -> Announcement:
    """While valid it outranks conflicting FAQs and is cited; once `valid_until` passes it stops applying."""
    now = clock()
    entry = notices.publish(
        title=body.title, body=body.body, locale=body.locale, valid_from=body.valid_from,
        valid_until=body.valid_until, platform=body.platform, scope=body.scope, priority=body.priority,
        entry_id=body.id, at=now,
    )
    response.headers["Location"] = f"/v1/announcements/{quote(entry.id, safe='')}"  # headers are Latin-1: 公告 is not
    return Announcement.of(entry, now)


@router.get(
    "/v1/announcements", dependencies=[allow(*AGENT, *KNOWLEDGE, *QA)],
    response_model=AnnouncementList, summary="List announcements by state")
def list_announcements(
    notices: AnnouncementsDep, clock: ClockDep, state: StateFilter = "active", platform: EntryPlatform | None = None,
    locale: Locale | None = None,
) -> AnnouncementList:
    """Highest priority first, then the latest start. `platform=taobao` also lists those for every platform."""
    now = clock()
    items = [Announcement.of(e, now) for e in notices.list(state, now, platform=platform, locale=locale)]
    return AnnouncementList(items=items, total=len(items))


@router.get(
    "/v1/announcements/{entry_id}", dependencies=[allow(*AGENT, *KNOWLEDGE, *QA)],
    response_model=AnnouncementVariants,
            summary="Read an announcement in each locale")
def get_announcement(entry_id: EntryIdPath, notices: AnnouncementsDep, clock: ClockDep) -> AnnouncementVariants:
    now = clock()
    return AnnouncementVariants(id=entry_id, items=[Announcement.of(e, now) for e in notices.get(entry_id)])


@router.post(
    "/v1/announcements/{entry_id}/expire", dependencies=[allow(*KNOWLEDGE)],
    response_model=AnnouncementVariants,
             summary="End an announcement now (it is kept, as expired)")
def expire_announcement(entry_id: EntryIdPath, notices: AnnouncementsDep, clock: ClockDep) -> AnnouncementVariants:
    now = clock()
    return AnnouncementVariants(id=entry_id, items=[Announcement.of(e, now) for e in notices.expire(entry_id, now)])
