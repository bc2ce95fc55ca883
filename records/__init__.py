"""What draftdesk keeps and reports on: the draft log and feedback, API keys, console sessions, the audit log,
analytics queries, learning from feedback and the arithmetic of comparing eval runs."""
