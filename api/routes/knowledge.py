"""The knowledge base over HTTP: index JSON entries or a file, list, read and delete entries and the examples they
learned."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.auth import AGENT, KNOWLEDGE, QA, allow
from api.deps import DraftsDep, KnowledgeDep
from api.errors import ApiError
from api.schemas import Deleted, EntryIdPath, EntryList, EntryOut, EntryVariants, IndexRequest, IndexSummary
from core.vocab import EntryPlatform, Locale
from drafting.kblint import lint
from knowledge.indexing import IndexReport
from knowledge.learned import MAX_LEARNED_CHARS
from knowledge.loaders import load_bytes, parse_entries
from knowledge.models import Entry, Kind
from knowledge.service import KnowledgeBase
from knowledge.store import EntryFilter

router = APIRouter(tags=["knowledge"])

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": IndexRequest.model_json_schema()},
            "multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": ".jsonl, .csv or .md"},
                    "prune": {"type": "boolean", "description": "Delete entries of this file no longer in it."},
                },
            }},
        },
    }
}


@router.post("/v1/knowledge", dependencies=[allow(*KNOWLEDGE)], response_model=IndexSummary, openapi_extra=_UPLOAD_BODY,
             summary="Index JSON entries or an uploaded knowledge file")
async def index_knowledge(
    request: Request, kb: KnowledgeDep, drafts: DraftsDep,
    dry_run: Annotated[bool, Query(description="Report what would be added, changed and removed; write nothing.")]
    = False,
) -> IndexSummary:
    """Unchanged entries are not re-embedded. A file with any invalid line is rejected whole (400). `compliance`
    lists the entries whose answer breaks a platform's rules."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        report, entries = await _index_upload(request, kb, dry_run=dry_run)
    elif content_type.startswith("application/json"):
        try:
            body = IndexRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from exc
        report = await run_in_threadpool(
            kb.index_rows, body.entries, source=body.source, prune=body.prune, dry_run=dry_run)
        entries = await run_in_threadpool(parse_entries, body.entries, body.source)
    else:
        raise ApiError(415, "unsupported_media_type", "send application/json entries or a multipart/form-data file")
    findings = await run_in_threadpool(lint, drafts.policy, entries)
    return IndexSummary.model_validate({**report.as_dict(), "compliance": findings})


async def _index_upload(request: Request, kb: KnowledgeBase, *, dry_run: bool) -> tuple[IndexReport, list[Entry]]:
    form = await request.form(max_files=1)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ApiError(422, "invalid_request", "the multipart body needs a `file` field")
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ApiError(413, "payload_too_large", f"files are limited to {MAX_UPLOAD_BYTES // 1024 // 1024} MiB")
    prune = str(form.get("prune", "false")).strip().lower() in {"1", "true", "yes", "on"}
    name = upload.filename or "upload.jsonl"
    report = await run_in_threadpool(kb.index_upload, data, name, prune=prune, dry_run=dry_run)
    return report, await run_in_threadpool(load_bytes, data, name, f"upload:{name}")


@router.get(
    "/v1/knowledge", dependencies=[allow(*AGENT, *KNOWLEDGE, *QA)],
    response_model=EntryList, summary="List knowledge entries")
def list_knowledge(
    kb: KnowledgeDep,
    platform: EntryPlatform | None = None,
    locale: Locale | None = None,
    kind: Kind | None = None,
    source: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> EntryList:
    """`platform=taobao` lists Taobao entries and those for every platform (`any`)."""
    flt = EntryFilter(platform=platform, locale=locale, kinds=(kind,) if kind else (), source=source)
    items, total = kb.list(flt, limit=limit, offset=offset)
    return EntryList(items=_labelled(kb, items), total=total, limit=limit, offset=offset)


@router.get(
    "/v1/knowledge/{entry_id}", dependencies=[allow(*AGENT, *KNOWLEDGE, *QA)],
    response_model=EntryVariants, summary="Read one entry in each locale")
def get_knowledge(entry_id: EntryIdPath, kb: KnowledgeDep, locale: Locale | None = None) -> EntryVariants:
    return EntryVariants(id=entry_id, entries=_labelled(kb, kb.get(entry_id, locale)))


@router.delete(
    "/v1/knowledge/{entry_id}/learned", dependencies=[allow(*KNOWLEDGE)],
    response_model=EntryOut, summary="Remove an example the entry learned from agents")
def delete_learned(
    entry_id: EntryIdPath, kb: KnowledgeDep, locale: Locale,
    text: Annotated[str, Query(min_length=1, max_length=4 * MAX_LEARNED_CHARS,
                               description="The learned example, as listed (case and spacing aside).")],
) -> EntryOut:
    """The entry as it is now; a 404 when the entry or the example is not there. Recorded as a version."""
    entry = kb.unlearn(entry_id, locale, text)
    return _labelled(kb, [entry])[0]


@router.delete(
    "/v1/knowledge/{entry_id}", dependencies=[allow(*KNOWLEDGE)],
    response_model=Deleted, summary="Delete an entry (every locale)")
def delete_knowledge(entry_id: EntryIdPath, kb: KnowledgeDep, locale: Locale | None = None) -> Deleted:
    return Deleted(id=entry_id, deleted=kb.delete(entry_id, locale))


def _labelled(kb: KnowledgeBase, entries: list[Entry]) -> list[EntryOut]:
    labels = kb.labels(entries)
    return [EntryOut.of(e, labels.get(e.key)) for e in entries]
