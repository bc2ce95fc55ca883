"""Analytics over the draft log (volume, acceptance, knowledge gaps) and the staffing forecast (Erlang C)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Literal

import numpy as np

from knowledge.embedders import Embedder
from records.history import LoggedDraft

VolumeGroup = Literal["intent", "platform", "hour"]
AcceptanceBy = Literal["intent", "entry"]
NO_INTENT = "unknown"
MAX_GAP_MESSAGES = 2000  # the newest distinct messages that are embedded for grouping
MAX_LOAD_ERLANGS = 10_000.0


@dataclass(frozen=True)
class Count:
    key: str
    count: int


@dataclass(frozen=True)
class Acceptance:
    key: str
    drafts: int  # drafts logged
    n: int  # drafts with feedback: the rates are shares of these
    accepted: float | None
    edited: float | None
    rejected: float | None
    mean_edit_distance: float | None  # over the edited drafts


@dataclass(frozen=True)
class Gap:
    count: int
    low_confidence: int
    rejected: int
    examples: list[str]  # the most frequent messages of the group
    reasons: list[str]  # why agents rejected drafts of the group


@dataclass(frozen=True)
class HourPlan:
    hour: int
    consultations: float
    load: float  # offered load in Erlangs: consultations x handling time
    agents: int
    service_level: float  # share of consultations answered within the target
    mean_wait_s: float
    occupancy: float


@dataclass(frozen=True)
class ShiftPlan:
    shift: int
    start_hour: int
    end_hour: int  # exclusive
    agents: int  # the busiest hour of the shift decides


@dataclass(frozen=True)
class Staffing:
    hours: list[HourPlan]
    shifts: list[ShiftPlan]


def volume(drafts: Iterable[LoggedDraft], group: VolumeGroup, timezone: tzinfo) -> list[Count]:
    """Drafts per intent or platform (most first), or per hour of the day in the shop's timezone (all 24)."""
    if group == "hour":
        hours = Counter(d.created_at.astimezone(timezone).hour for d in drafts)
        return [Count(f"{hour:02d}", hours[hour]) for hour in range(24)]
    keys = Counter((d.intent or NO_INTENT) if group == "intent" else d.platform for d in drafts)
    return [Count(key, n) for key, n in sorted(keys.items(), key=lambda kv: (-kv[1], kv[0]))]


def acceptance(drafts: Iterable[LoggedDraft], by: AcceptanceBy) -> list[Acceptance]:
    """Shares of the latest action per draft, by intent or by each knowledge entry the draft cited."""
    groups: dict[str, list[LoggedDraft]] = defaultdict(list)
    for draft in drafts:
        for key in ([draft.intent or NO_INTENT] if by == "intent" else dict.fromkeys(draft.citations)):
            groups[key].append(draft)
    rows = [_acceptance(key, members) for key, members in groups.items()]
    return sorted(rows, key=lambda row: (-row.n, -row.drafts, row.key))


def _acceptance(key: str, members: list[LoggedDraft]) -> Acceptance:
    outcomes = [d.outcome for d in members if d.outcome is not None]
    actions = Counter(o.action for o in outcomes)
    distances = [o.edit_distance for o in outcomes if o.action == "edited" and o.edit_distance is not None]
    n = len(outcomes)

    def share(action: str) -> float | None:
        return round(actions[action] / n, 4) if n else None

    mean = round(sum(distances) / len(distances), 2) if distances else None
    return Acceptance(key, len(members), n, share("accepted"), share("edited"), share("rejected"), mean)


def is_gap(draft: LoggedDraft) -> bool:
    """Unanswered: held for a human for low confidence, or rejected by the agent."""
    low = draft.needs_human and any(r.get("code") == "low_confidence" for r in draft.reasons)
    return low or (draft.outcome is not None and draft.outcome.action == "rejected")


def gaps(drafts: Sequence[LoggedDraft], embedder: Embedder, *, similarity: float, limit: int) -> list[Gap]:
    """Unanswered messages grouped greedily: each joins the first group whose first message is at least
    `similarity` (cosine) close, else starts one. Largest groups first."""
    misses = [d for d in reversed(drafts) if is_gap(d)]  # newest first
    texts = list(dict.fromkeys(d.message.strip() for d in misses))[:MAX_GAP_MESSAGES]
    if not texts:
        return []
    vectors = np.asarray(embedder.embed_queries(texts), dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    leaders: list[int] = []
    group_of: dict[str, int] = {}
    for row, text in enumerate(texts):
        scores = vectors[leaders] @ vectors[row] if leaders else np.empty(0)
        if scores.size and float(scores.max()) >= similarity:
            group_of[text] = int(scores.argmax())
        else:
            group_of[text] = len(leaders)
            leaders.append(row)
    members: dict[int, list[LoggedDraft]] = defaultdict(list)
    for draft in misses:
        if draft.message.strip() in group_of:
            members[group_of[draft.message.strip()]].append(draft)
    found = [_gap(group) for group in members.values()]
    return sorted(found, key=lambda g: -g.count)[:limit]


def _gap(group: list[LoggedDraft]) -> Gap:
    rejected = [d for d in group if d.outcome is not None and d.outcome.action == "rejected"]
    examples = [text for text, _ in Counter(d.message.strip() for d in group).most_common(3)]
    reasons = list(dict.fromkeys(d.outcome.reason for d in rejected if d.outcome and d.outcome.reason))[:3]
    low = sum(1 for d in group if is_gap(d) and any(r.get("code") == "low_confidence" for r in d.reasons))
    return Gap(len(group), low, len(rejected), examples, reasons)


def erlang_c(agents: int, load: float) -> float:
    """The probability that a consultation waits, with `agents` servers and `load` Erlangs offered (Erlang B by
    its stable recursion, then C = N·B / (N − A·(1 − B)))."""
    if load <= 0:
        return 0.0
    if agents <= load:
        return 1.0
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = load * blocking / (n + load * blocking)
    return agents * blocking / (agents - load * (1 - blocking))


def plan_hour(hour: int, consultations: float, *, capacity_per_hour: float, target_reply_s: float,
              service_level: float) -> HourPlan:
    """The fewest agents whose share of consultations answered within `target_reply_s` reaches `service_level`."""
    handle_s = 3600.0 / capacity_per_hour
    load = consultations / capacity_per_hour
    if load > MAX_LOAD_ERLANGS:
        raise ValueError(f"hour {hour}: {consultations} consultations is beyond what this model plans for")
    if load <= 0:
        return HourPlan(hour, consultations, 0.0, 0, 1.0, 0.0, 0.0)
    agents = math.floor(load) + 1
    while True:
        waits = erlang_c(agents, load)
        reached = 1.0 - waits * math.exp(-(agents - load) * target_reply_s / handle_s)
        if reached >= service_level:
            mean_wait = waits * handle_s / (agents - load)
            return HourPlan(hour, consultations, round(load, 4), agents, round(reached, 4), round(mean_wait, 2),
                            round(load / agents, 4))
        agents += 1


def staffing(consultations: Sequence[float], *, capacity_per_hour: float, target_reply_s: float,
             service_level: float = 0.8, shift_hours: int = 8) -> Staffing:
    """Agents per hour (Erlang C), and per shift of `shift_hours` consecutive hours from the first hour."""
    hours = [plan_hour(hour, n, capacity_per_hour=capacity_per_hour, target_reply_s=target_reply_s,
                       service_level=service_level) for hour, n in enumerate(consultations)]
    shifts = [
        ShiftPlan(index + 1, start, min(start + shift_hours, len(hours)),
                  max(h.agents for h in hours[start:start + shift_hours]))
        for index, start in enumerate(range(0, len(hours), shift_hours))
    ]
    return Staffing(hours, shifts)
