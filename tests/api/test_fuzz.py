"""Schemathesis fuzzing of every operation in the OpenAPI schema, against the real app with API keys on (real
model, real Chroma in a temp dir, the sample knowledge base), as each role: no 5xx, responses as declared, and
every 4xx in the one error shape. An admin key gets every phase and `max_examples` cases per operation; the other
roles, whose calls mostly end in a 403, the schema's examples and a few random cases each.

Each operation runs schemathesis's phases: the schema's examples, the coverage phase (every boundary and every
kind of invalid value the schema allows, and unexpected methods) and `max_examples` random cases, positive and
negative, derandomized. Every operation in the schema is fuzzed, the event stream and the rollback included; the
console's pages are not in the schema (`include_in_schema=False`). The fuzzer changes the knowledge base as it goes
(indexes, deletes, rolls back): the app is its own, not the session's sample app. Edge cases it found are pinned in
tests/api/test_boundaries.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from api import create_app
from composition.settings import Settings
from knowledge.embedders import Embedder
from tests.conftest import MODEL_CACHE, SAMPLE_KB


@schemathesis.check
def error_shape(ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Every 4xx body is `{"error": {"code": str, "message": str}}` (api/errors.py)."""
    if not 400 <= response.status_code < 500:
        return
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"a {response.status_code} that is not JSON: {response.text[:300]}") from None
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict), f"a {response.status_code} without an `error` object: {response.text[:300]}"
    assert isinstance(error.get("code"), str) and error["code"], f"no error code: {body}"
    assert isinstance(error.get("message"), str) and error["message"], f"no error message: {body}"


CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, error_shape]
# The schema does not depend on settings or on what is indexed: an app that is never started serves it.
# (Not `schemathesis.pytest.from_fixture`: its lazy loader reads `Node._nodeid`, which pytest 9 no longer has.)
OPENAPI = create_app(Settings(llm="template")).openapi()
schema = schemathesis.openapi.from_dict(OPENAPI)
# The other roles' calls mostly end in a 403: their examples and a few random cases each, not the coverage phase.
by_role = schemathesis.openapi.from_dict(
    OPENAPI, config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}}))


ROLES = ("agent", "knowledge_owner", "qa", "admin")


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder
                ) -> Iterator[tuple[asgi.ASGIClient, dict[str, str]]]:
    """The real app on the sample knowledge base, and a key of each role. Its lifespan runs once, under Starlette's
    client: schemathesis ends the lifespans it starts after every test item, which would rebuild the app for each
    operation."""
    settings_ = Settings(data_dir=tmp_path_factory.mktemp("fuzz-data"), model_cache_dir=MODEL_CACHE, llm="template",
                         runs_dir=tmp_path_factory.mktemp("fuzz-runs"), auth="on", rate_limit_per_minute=0)
    app = create_app(settings_, embedder=real_embedder)
    with TestClient(app):
        app.state.components.shops.get().knowledge.index_paths([SAMPLE_KB])
        keys = {role: app.state.components.keys.create(role, label=f"fuzz {role}")[1] for role in ROLES}
        yield asgi.get_client(app), keys  # not entered: it starts no lifespan of its own


FUZZ = settings(max_examples=10, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
FUZZ_OTHER_ROLES = settings(FUZZ, max_examples=3)


@pytest.mark.model
@schema.parametrize()
@FUZZ
def test_api_as_admin(case: schemathesis.Case, fuzz_client: tuple[asgi.ASGIClient, dict[str, str]]) -> None:
    client, keys = fuzz_client
    case.call_and_validate(session=client, headers={"Authorization": f"Bearer {keys['admin']}"}, checks=CHECKS)


@pytest.mark.model
@pytest.mark.parametrize("role", ROLES[:-1])
@by_role.parametrize()
@FUZZ_OTHER_ROLES
def test_api_by_role(case: schemathesis.Case, role: str,
                     fuzz_client: tuple[asgi.ASGIClient, dict[str, str]]) -> None:
    client, keys = fuzz_client
    case.call_and_validate(session=client, headers={"Authorization": f"Bearer {keys[role]}"}, checks=CHECKS)
