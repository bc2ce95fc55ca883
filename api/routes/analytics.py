"""Analytics over the draft log, and the staffing forecast; JSON, CSV with `?format=csv`, or an SVG chart with
`?format=svg` (volume, acceptance, staffing)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.auth import KNOWLEDGE, QA, allow
from api.charts import bar_chart
from api.deps import CalendarDep, ComponentsDep, HistoryDep, ShopDep
from api.errors import ApiError
from api.schemas import AcceptanceReport, AwareDatetime, GapReport, StaffingReport, VolumeReport
from records import analytics

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])

Since = Annotated[AwareDatetime | None, Query(description="From this moment (ISO-8601 with a timezone).")]
Until = Annotated[AwareDatetime | None, Query(description="Before this moment (ISO-8601 with a timezone).")]
Format = Annotated[Literal["json", "csv", "svg"], Query(
    alias="format", description="`csv` for a spreadsheet, `svg` for a chart (not for gaps).")]
_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}, "image/svg+xml": {}},
          "description": "JSON, CSV with `?format=csv`, or a chart with `?format=svg`."}}
MAX_HOURS = 168  # a week, hour by hour
# A spreadsheet runs a cell starting with one of these as a formula (`=HYPERLINK(...)` in a buyer's message)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv(name: str, rows: Sequence[dict[str, Any]]) -> Response:
    out = io.StringIO()
    if rows:
        # RFC 4180 line ends: with `\n` alone, a `\r` in a cell went unquoted and started a row a spreadsheet reads
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}.csv"'})


@router.get(
    "/volume", dependencies=[allow(*QA, *KNOWLEDGE)],
    response_model=VolumeReport, responses=_CSV, summary="Drafts by intent, platform or hour")
def volume(history: HistoryDep, shop: ShopDep, calendar: CalendarDep, group: analytics.VolumeGroup = "intent",
           since: Since = None, until: Until = None, fmt: Format = "json") -> VolumeReport | Response:
    items = analytics.volume(history.between(since, until, shop=shop.name), group, calendar.timezone)
    if fmt == "csv":
        return _csv(f"volume-{group}", [{group: c.key, "count": c.count} for c in items])
    if fmt == "svg":
        return bar_chart(f"drafts by {group}", [c.key for c in items], {"drafts": [c.count for c in items]})
    return VolumeReport(group=group, since=since, until=until, total=sum(c.count for c in items), items=items)


@router.get("/acceptance", dependencies=[allow(*QA, *KNOWLEDGE)], response_model=AcceptanceReport, responses=_CSV,
            summary="Accepted, edited and rejected shares by intent or knowledge entry")
def acceptance(history: HistoryDep, shop: ShopDep, by: analytics.AcceptanceBy = "intent", since: Since = None,
               until: Until = None, fmt: Format = "json") -> AcceptanceReport | Response:
    items = analytics.acceptance(history.between(since, until, shop=shop.name), by)
    if fmt == "csv":
        return _csv(f"acceptance-{by}", [asdict(row) for row in items])
    if fmt == "svg":
        shares = {action: [getattr(row, action) or 0.0 for row in items] for action in ("accepted", "edited",
                                                                                          "rejected")}
        return bar_chart(f"feedback by {by}", [row.key for row in items], shares, stacked=True, y_label="share")
    return AcceptanceReport(by=by, since=since, until=until, items=items)


@router.get(
    "/gaps", dependencies=[allow(*QA, *KNOWLEDGE)],
    response_model=GapReport, responses=_CSV, summary="Knowledge gaps: unanswered questions")
def gaps(history: HistoryDep, shop: ShopDep, components: ComponentsDep, limit: Annotated[int, Query(ge=1, le=200)] = 20,
         similarity: Annotated[float | None, Query(ge=-1.0, le=1.0, description="Default: the setting "
                                                   "`gap_similarity`.")] = None,
         since: Since = None, until: Until = None, fmt: Format = "json") -> GapReport | Response:
    """Messages held for a human for low confidence, or whose draft was rejected, grouped by similarity."""
    drafts = history.between(since, until, shop=shop.name)
    cosine = components.settings.gap_similarity if similarity is None else similarity
    items = analytics.gaps(drafts, components.embedder, similarity=cosine, limit=limit)
    if fmt == "svg":
        raise ApiError(422, "invalid_request", "format: gaps come as json or csv")
    if fmt == "csv":
        return _csv("gaps", [{**asdict(g), "examples": " | ".join(g.examples), "reasons": " | ".join(g.reasons)}
                             for g in items])
    return GapReport(similarity=cosine, unanswered=sum(1 for d in drafts if analytics.is_gap(d)), items=items)


@router.get(
    "/staffing", dependencies=[allow(*QA, *KNOWLEDGE)],
    response_model=StaffingReport, responses=_CSV, summary="Agents needed per hour and shift")
def staffing(
    consultations: Annotated[str, Query(description="Expected consultations per hour, comma-separated, from the "
                                        "first hour of the first shift, e.g. `40,120,300`.")],
    capacity_per_hour: Annotated[float, Query(gt=0, le=3600, description="Consultations one agent handles in an "
                                              "hour.")],
    target_reply_s: Annotated[float, Query(gt=0, le=86400, description="The reply-time target in seconds.")],
    service_level: Annotated[float, Query(gt=0, lt=1, description="Share to answer within the target.")] = 0.8,
    shift_hours: Annotated[int, Query(ge=1, le=24)] = 8,
    fmt: Format = "json",
) -> StaffingReport | Response:
    """Erlang C per hour: the fewest agents with whom `service_level` of consultations wait at most
    `target_reply_s`; each shift of `shift_hours` needs what its busiest hour needs."""
    counts = _counts(consultations)
    try:
        plan = analytics.staffing(counts, capacity_per_hour=capacity_per_hour, target_reply_s=target_reply_s,
                                  service_level=service_level, shift_hours=shift_hours)
    except ValueError as exc:
        raise ApiError(422, "invalid_request", f"consultations: {exc}") from exc
    if fmt == "svg":
        return bar_chart("agents needed per hour", [str(h.hour) for h in plan.hours],
                         {"agents": [h.agents for h in plan.hours]}, y_label="agents")
    if fmt == "csv":
        shift_of = {h: s for s in plan.shifts for h in range(s.start_hour, s.end_hour)}
        return _csv("staffing", [{**asdict(h), "shift": shift_of[h.hour].shift, "shift_agents":
                                  shift_of[h.hour].agents} for h in plan.hours])
    return StaffingReport(capacity_per_hour=capacity_per_hour, target_reply_s=target_reply_s,
                          service_level=service_level, shift_hours=shift_hours, hours=plan.hours, shifts=plan.shifts)


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, quoted with a leading `'` (OWASP's advice); numbers as
    they are."""
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value


def _counts(text: str) -> list[float]:
    parts = [p.strip() for p in text.split(",")]
    try:
        counts = [float(p) for p in parts]
    except ValueError:
        raise ApiError(422, "invalid_request",
                       "consultations: give numbers separated by commas, e.g. 40,120,300") from None
    if not 1 <= len(counts) <= MAX_HOURS or any(not 0 <= c < float("inf") for c in counts):
        raise ApiError(422, "invalid_request", f"consultations: 1 to {MAX_HOURS} counts, none negative")
    return counts
