"""The one error root. Every error draftdesk raises on purpose is a `DraftdeskError`: `code` is stable (the API's
`{"error": {"code"}}` and the CLI's exit reason), `message` is for people. Each area subclasses it."""

from __future__ import annotations


class DraftdeskError(Exception):
    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ConfigError(DraftdeskError):
    """The configuration names something that cannot work (a rule file, a provider); raised at start-up."""

    code = "config_error"
