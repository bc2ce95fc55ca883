"""The app as one API worker process runs it in tests/api/test_scale.py: settings from DRAFTDESK_*, the hashing
embedder (so a worker starts in seconds, without the real model). `uvicorn tests.api.worker_app:create --factory`."""

from __future__ import annotations

from fastapi import FastAPI

from api import create_app
from composition.settings import Settings
from tests.fakes import HashingEmbedder


def create() -> FastAPI:
    return create_app(Settings(), embedder=HashingEmbedder())
