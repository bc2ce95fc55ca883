"""What a run records about itself so two runs can be told apart: code, data, knowledge base, models, settings."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from composition.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]


def now() -> datetime:
    return datetime.now(UTC)


def git_revision(root: Path = REPO_ROOT) -> str | None:
    """`git rev-parse HEAD` of the code that ran; None outside a git checkout or without git."""
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    revision = done.stdout.strip()
    return revision if done.returncode == 0 and revision else None


def git_dirty(root: Path = REPO_ROOT) -> bool | None:
    """Whether tracked files differ from HEAD (the revision alone would then misdescribe the code)."""
    try:
        done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                              capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(done.stdout.strip()) if done.returncode == 0 else None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def public_settings(settings: Settings) -> dict[str, Any]:
    """The settings as JSON, without secrets: API keys are left out, passwords in URLs masked."""
    data = settings.model_dump(mode="json")
    for name, info in type(settings).model_fields.items():
        if info.annotation is SecretStr or SecretStr in get_args(info.annotation):
            del data[name]
    for name, value in data.items():
        if isinstance(value, str) and "://" in value:
            data[name] = _without_password(value)
    return data


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
