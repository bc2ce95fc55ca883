"""Checks every hand-labelled eval set shares (realistic_*, stress_*): each answer mode carries what it needs, and
the entries a case names exist for its language and platform at the dataset's moment."""

from __future__ import annotations

from datetime import datetime

from drafting.playbooks import load_playbooks
from drafting.situations import load_situations
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


def check_known_ids(dataset: Dataset) -> None:
    """Every situation and playbook a case expects is one the rules files define."""
    playbooks = {p.id for p in load_playbooks().playbooks}
    situations = {s.id for s in load_situations().situations}
    for case in dataset.cases:
        if case.expected_playbook is not None:
            assert case.expected_playbook in playbooks, case.id
        if case.expected_situation is not None:
            assert case.expected_situation in situations, case.id


def check_order_dates(dataset: Dataset) -> None:
    """Order moments carry a timezone, come before the dataset's moment, and ship before they are delivered."""
    at = dataset.at
    assert at is not None
    for case in dataset.cases:
        order = case.order
        happened: list[datetime | None] = [order.paid_at, order.shipped_at, order.delivered_at]
        for moment in filter(None, happened):
            assert moment.utcoffset() is not None and moment <= at, case.id
        if order.shipped_at and order.delivered_at:
            assert order.shipped_at <= order.delivered_at, case.id
