"""Knowledge-base versions in the audit log: one row per version a change records, by whoever asked for it."""

from __future__ import annotations

from knowledge.journal import Origin
from records.audit import AuditLog

_LOOK_BACK = 500  # rows of the shop searched for a version's row after a crash (a miss writes it twice, no worse)


class VersionAudit:
    """`knowledge.journal.ChangeAudit` over the audit log: `knowledge version N: reason` in the shop's log. The start
    that finishes a crashed change may find that row written already (the crash came after it): none is added."""

    def __init__(self, log: AuditLog, shop: str) -> None:
        self._log, self._shop = log, shop

    def changed(self, reason: str, number: int, origin: Origin, *, recovered: bool) -> None:
        prefix = f"knowledge version {number}:"
        if recovered and any(e.action.startswith(prefix) for e in self._log.recent(_LOOK_BACK, shop=self._shop)):
            return
        self._log.record(f"{prefix} {reason}", actor=origin.actor, role=origin.role, shop=self._shop,
                         request_id=origin.request_id)
