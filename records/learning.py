"""Learning from the agents: a buyer message whose draft an agent sent as is, or lightly edited, becomes an example
question of the entry that answered it, so that the next buyer asking it that way is matched too."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from knowledge.service import KnowledgeBase
from records.history import DraftLog, Feedback, LoggedDraft

log = logging.getLogger("draftdesk.learning")


@dataclass(frozen=True)
class Learned:
    entry_id: str
    locale: str
    text: str


class Learner:
    """`max_edit_ratio`: the most an edit may change, in characters per character of the draft, for the draft to
    still count as the entry's answer (a heavier edit says the entry did not quite answer the message)."""

    def __init__(self, history: DraftLog, *, max_edit_ratio: float = 0.2) -> None:
        self._history = history
        self._max_edit_ratio = max_edit_ratio

    def after_feedback(self, feedback: Feedback, knowledge: KnowledgeBase, *, shop: str) -> Learned | None:
        """What the feedback taught `knowledge`, if anything. Learning is a side effect of feedback already saved:
        its failures are logged, never raised."""
        if feedback.action not in ("accepted", "edited"):
            return None
        try:
            draft = self._history.get(feedback.draft_id, shop=shop)
            if not self._teaches(draft, feedback) or draft.source_id is None:
                return None
            entry = knowledge.learn(draft.source_id, draft.locale, draft.message)
        except Exception:  # the agent's feedback counts whatever happens to the knowledge base
            log.exception("could not learn from draft %s", feedback.draft_id)
            return None
        return Learned(entry.id, entry.locale, entry.learned[-1]) if entry is not None else None

    def _teaches(self, draft: LoggedDraft, feedback: Feedback) -> bool:
        if draft.answer_mode != "entry":
            return False  # a holding reply, a situation or a playbook: no entry answered the message
        if feedback.action == "accepted":
            return True
        distance = feedback.edit_distance or 0
        return distance <= self._max_edit_ratio * max(len(draft.draft), 1)
