"""Checks every hand-labelled eval set shares (realistic_*, stress_*): each answer mode carries what it needs, and
the entries a case names exist for its language and platform at the dataset's moment."""

from __future__ import annotations

from eval.dataset import Dataset
from knowledge.models import Entry

ANSWERING_KINDS = ("faq", "policy", "announcement")  # templates are greetings, never a source
HOLDING_PLAYBOOKS = frozenset({"account_security", "payment_issue", "out_of_scope"})


def check_answer_modes(dataset: Dataset) -> None:
    for case in dataset.cases:
        mode = case.expected_answer_mode
        if mode == "entry":
            assert case.expected_kb_ids, case.id
            assert case.expected_playbook is None and case.expected_situation is None, case.id
        if mode == "situation":
            assert case.expected_situation and case.order.given, case.id
            assert case.expected_playbook is None, case.id
        else:
            assert case.expected_situation is None, case.id
        if mode == "playbook":
            assert case.expected_playbook and case.expected_playbook not in HOLDING_PLAYBOOKS, case.id
        if mode == "holding":
            assert case.expect_human is True, case.id
            assert case.expected_playbook is None or case.expected_playbook in HOLDING_PLAYBOOKS, case.id
        if case.expected_playbook in HOLDING_PLAYBOOKS:
            assert mode == "holding", case.id


def check_expected_entries(dataset: Dataset, kb: dict[tuple[str, str], Entry]) -> None:
    at = dataset.at
    assert at is not None
    for case in dataset.cases:
        assert len(set(case.expected_kb_ids)) == len(case.expected_kb_ids), case.id
        for kb_id in case.expected_kb_ids:
            entry = kb.get((kb_id, case.locale))
            assert entry is not None, f"{case.id}: {kb_id} is not a {case.locale} faq/policy/announcement"
            assert entry.platform in ("any", case.platform), f"{case.id}: {kb_id} is for {entry.platform}"
            assert entry.is_valid_at(at), f"{case.id}: {kb_id} is not valid at {at}"
