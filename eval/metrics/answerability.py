"""Answerability: does the draft answer when it should, and from a source that answers the case?

A draft answers from an entry (its last citation: announcements come first), the order's situation, a playbook or
the shop's catalog, or it holds (`answer_mode` "holding"). Four per-case metrics, whose run means are named in
`eval.metrics`:

- `wrong_answer` (mean `wrong_answer_rate`, lower is better): 1.0 when the draft answers from a source that does
  not answer the case. Holding is never wrong: a holding reply says nothing false.
- `answered` (mean `coverage`): 1.0 when the draft answers, over the cases that should be answered.
- `held` (mean `hold_rate`): 1.0 when the draft holds, over every case.
- `answer_mode_match` (mean `answer_mode_accuracy`): 1.0 when the draft answers the way the case expects.
"""

from __future__ import annotations

from eval.metrics.base import MetricResult, Sample

HOLDING = "holding"
# Catalog drafts that ask which product the buyer means (or say an item number is unknown) state no answer either.
ASKS = ("catalog:which", "catalog:unknown_sku")


def wrong_answer(sample: Sample) -> MetricResult:
    """1.0 for an answer from a wrong source, 0.0 for a hold or a right source; None when the case has no view
    (neither an expected answer mode nor expected entries)."""
    name = "wrong_answer"
    case, draft = sample.case, sample.draft
    if case.expected_answer_mode is None and not case.expected_kb_ids:
        return MetricResult(name, None, "the case has no expected answer mode and no expected entries")
    if draft.answer_mode == HOLDING:
        return MetricResult(name, 0.0, "held: no answer, so no wrong one")
    if draft.answer_reason is not None and draft.answer_reason.code in ASKS:
        return MetricResult(name, 0.0, f"asked which product ({draft.answer_reason.code}): no answer, so no wrong one")
    if draft.answer_mode in ("situation", "playbook") and case.expected_answer_mode is None \
            and not (case.expected_situation or case.expected_playbook):
        return MetricResult(name, None, f"answered by {draft.answer_mode}; the case only names entries")
    right, said = _source_answers(sample)
    return MetricResult(name, 0.0 if right else 1.0, said)


def answered(sample: Sample) -> MetricResult:
    """1.0 when the draft answers; scored only for cases that expect an answer (not a hold)."""
    name = "answered"
    expected = sample.case.expected_answer_mode
    if expected is None:
        return MetricResult(name, None, "the case has no expected answer mode")
    if expected == HOLDING:
        return MetricResult(name, None, "the case expects a holding reply")
    mode = sample.draft.answer_mode
    if mode == HOLDING:
        return MetricResult(name, 0.0, f"held; the case expects an answer ({expected})")
    return MetricResult(name, 1.0, f"answered ({mode}); the case expects {expected}")


def held(sample: Sample) -> MetricResult:
    name = "held"
    if sample.draft.answer_mode == HOLDING:
        reason = sample.draft.answer_reason
        return MetricResult(name, 1.0, "held" + (f": {reason.code}" if reason else ""))
    return MetricResult(name, 0.0, f"answered ({sample.draft.answer_mode})")


def answer_mode_match(sample: Sample) -> MetricResult:
    name = "answer_mode_match"
    expected, found = sample.case.expected_answer_mode, sample.draft.answer_mode
    if expected is None:
        return MetricResult(name, None, "the case has no expected answer mode")
    if found == expected:
        return MetricResult(name, 1.0, f"{found}, as expected")
    return MetricResult(name, 0.0, f"{found}, the case expects {expected}")


def answering_entry(sample: Sample) -> str | None:
    """The entry an entry-mode draft answers from: its last citation (announcements are cited first)."""
    citations = sample.draft.citations
    return citations[-1].id if citations else None


def _source_answers(sample: Sample) -> tuple[bool, str]:
    """Whether what the (non-holding) draft answers from answers the case, and why; whatever mode the case
    expects, a right source is right (an entry the case lists answers it even if a playbook was expected)."""
    case, draft = sample.case, sample.draft
    mode = draft.answer_mode
    if mode == "entry":
        entry = answering_entry(sample)
        if not case.expected_kb_ids:
            return False, f"answered from entry {entry}; the case lists no entry that answers it"
        if entry in case.expected_kb_ids:
            return True, f"answered from entry {entry}, an expected one"
        return False, f"answered from entry {entry}, not one of {', '.join(case.expected_kb_ids)}"
    if mode == "situation":
        return _named_source("situation", draft.situation, case.expected_situation, case.expected_answer_mode)
    if mode == "catalog":
        return _catalog_source(sample)
    return _named_source("playbook", draft.playbook, case.expected_playbook, case.expected_answer_mode)


def _catalog_source(sample: Sample) -> tuple[bool, str]:
    """A catalog answer is right when the case expects one, about the product it names (if it names one)."""
    case, draft = sample.case, sample.draft
    if case.expected_answer_mode != "catalog":
        return False, f"answered from the catalog; the case expects {case.expected_answer_mode or 'an entry answer'}"
    found = draft.product.sku if draft.product else None
    if case.expects_product and found != case.expected_sku:
        return False, f"answered from the catalog about {found or 'no product'}, not {case.expected_sku or 'none'}"
    return True, "answered from the catalog" + (f" about {found}" if found else "")


def _named_source(kind: str, found: str | None, expected: str | None, expected_mode: str | None) -> tuple[bool, str]:
    """A situation or playbook is right when it is the one the case names, or, when it names none, when the case
    expects that mode at all."""
    if expected is not None:
        if found == expected:
            return True, f"answered by {kind} {found}, as expected"
        return False, f"answered by {kind} {found}, the case expects {kind} {expected}"
    if expected_mode == kind:
        return True, f"answered by {kind} {found}; the case expects a {kind} answer"
    return False, f"answered by {kind} {found}; the case expects {expected_mode or 'an entry answer'}"
