"""Knowledge-base versions in the audit log: one row per version, by whoever asked; a start that finishes a crashed
change writes none when the row is there already."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from knowledge.journal import Origin
from records.audit import AuditLog
from records.history import open_engine
from records.version_audit import VersionAudit

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_each_version_is_one_row_of_its_shop_by_its_caller(tmp_path: Path) -> None:
    log = AuditLog(open_engine(f"sqlite:///{tmp_path / 'audit.db'}"), lambda: NOW)
    audit = VersionAudit(log, "hills")

    audit.changed("upload faq.jsonl", 1, Origin("k1", "knowledge_owner", "req-1"), recovered=False)
    audit.changed("upload faq.jsonl", 1, Origin("k1", "knowledge_owner", "req-1"), recovered=True)  # seen already
    audit.changed("delete faq-01 (finished after a restart)", 2, Origin("cli"), recovered=True)

    rows = [(e.action, e.actor, e.role, e.request_id) for e in log.recent(shop="hills")]
    assert rows == [("knowledge version 2: delete faq-01 (finished after a restart)", "cli", "-", ""),
                    ("knowledge version 1: upload faq.jsonl", "k1", "knowledge_owner", "req-1")]
    assert log.recent(shop="default") == []
