"""Errors raised by the knowledge layer; each carries a stable code for the API and CLI."""

from __future__ import annotations

from core.errors import DraftdeskError


class KnowledgeError(DraftdeskError):
    code = "knowledge_error"


class InvalidFileError(KnowledgeError):
    """A knowledge file could not be read; nothing from it was indexed."""

    code = "invalid_file"

    def __init__(self, source: str, problems: list[str]) -> None:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        super().__init__(f"{source}: {shown}")
        self.source = source
        self.problems = problems


class UnsupportedFileError(KnowledgeError):
    code = "unsupported_file"


class EntryNotFoundError(KnowledgeError):
    code = "not_found"


class ExampleNotFoundError(EntryNotFoundError):
    """The entry is there, but not the learned example asked for."""


class EmbedderMismatchError(KnowledgeError):
    """The collection was built with another embedding model; mixing vectors would corrupt search."""

    code = "embedder_mismatch"


class StoreUnavailableError(KnowledgeError):
    code = "store_unavailable"


class EmbedderError(KnowledgeError):
    code = "embedder_error"


class InvalidAnnouncementError(KnowledgeError):
    """An announcement that cannot be published as given (bad dates, unknown intent, ...)."""

    code = "invalid_request"


class ConflictError(KnowledgeError):
    """The request clashes with what is stored (an id taken by another kind of entry, a notice not yet started)."""

    code = "conflict"
